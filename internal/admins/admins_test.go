package admins

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func TestPasswordHashes(t *testing.T) {
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the chosen parameters", h)
	}
	if h == HashPassword("correct horse battery staple") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !checkPassword(h, "correct horse battery staple") {
		t.Fatal("the password does not match its hash")
	}
	for _, wrong := range []string{"correct horse battery stapl", "", "Correct horse battery staple"} {
		if checkPassword(h, wrong) {
			t.Fatalf("%q matches", wrong)
		}
	}
	// The parameters are read from the hash: a hash made with others still checks.
	weaker := strings.Replace(h, "t=2", "t=1", 1)
	if checkPassword(weaker, "correct horse battery staple") {
		t.Fatal("a hash whose parameters were changed still matches")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "plain"} {
		if checkPassword(bad, "x") {
			t.Fatalf("malformed hash %q matches", bad)
		}
	}
}

func TestLockoutGrows(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 8: 4 * time.Minute, 9: 8 * time.Minute, 10: 15 * time.Minute, 50: 15 * time.Minute} {
		if got := lockout(n); got != want {
			t.Errorf("after %d failures: %s, want %s", n, got, want)
		}
	}
}

func TestCSRFIsBoundToTheSession(t *testing.T) {
	if CSRF("a") == CSRF("b") || CSRF("a") != CSRF("a") || strings.Contains(CSRF("token"), "token") {
		t.Fatal("the CSRF token is not a function of the session token alone")
	}
}

// A console session ends after twelve idle hours or seven days, by the
// services' clock; moving the clock back does not revive an ended session.
func TestSessionLifetimesFollowTheClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	s := New(Options{Store: backendtest.SQLite.OpenWithClock(t, backendtest.TestKeys(t), clk), Clock: clk})
	if _, err := s.Create(ctx, "ops@example.com", "a long enough password", nil); err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) { clk.Advance(start.Add(d).Sub(clk.Now())) }
	live := func(token string, when time.Duration) bool {
		at(when)
		_, err := s.Session(ctx, token)
		if err != nil && !errors.Is(err, ErrNoSession) {
			t.Fatal(err)
		}
		return err == nil
	}
	idle, err := s.SignIn(ctx, "ops@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !live(idle, IdleTimeout) || live(idle, 2*IdleTimeout+time.Nanosecond) || live(idle, 2*IdleTimeout) {
		t.Fatal("idle session: want live at 12 h (used then), ended 12 h after that use, and still ended when the clock goes back")
	}
	at(0)
	used, err := s.SignIn(ctx, "ops@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	for d := 11 * time.Hour; d < MaxAge; d += 11 * time.Hour {
		if !live(used, d) {
			t.Fatalf("a session used every 11 hours ended after %s", d)
		}
	}
	if !live(used, MaxAge) || live(used, MaxAge+time.Nanosecond) || live(used, MaxAge-time.Hour) {
		t.Fatal("used session: want live at 7 days, ended just after, and still ended when the clock goes back")
	}
}
