package admins

import (
	"strings"
	"testing"
	"time"
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
