package linking_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// The clock moves forwards and backwards around each lifetime linking keeps:
// the connect session's, the OAuth state's and the attempt's. The services
// and the store read one clock, so the rows' own dates move with it.
func TestLifetimesFollowTheClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.SQLite.OpenWithClock(t, backendtest.TestKeys(t), clk)
	a, err := app.New(app.Options{Store: s, Registry: registry, PublicURL: "http://patchbay.test", Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := a.Keys.EnsureDefaultProject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, id, secret := "justworks", "client", "secret"
	prof, err := a.Profiles.Create(ctx, p.ID, profiles.Input{ConnectorKey: &key, ClientID: &id, ClientSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	ten := 600.0
	ns, err := a.Linking.CreateSession(ctx, p.ID, linking.SessionInput{OriginOwnerID: "o", OriginOwnerName: "O", ExpiresIn: &ten})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) { clk.Advance(start.Add(d).Sub(clk.Now())) }

	// The session: live up to its expiry, expired just after, live again
	// when the clock goes back (a read changes nothing).
	for _, step := range []struct {
		at   time.Duration
		want problem.Kind
	}{{10 * time.Minute, 0}, {10*time.Minute + time.Nanosecond, problem.Expired}, {10*time.Minute - time.Second, 0}, {time.Hour, problem.Expired}, {0, 0}} {
		at(step.at)
		if _, err := a.Linking.Session(ctx, ns.Token); problem.KindOf(err) != step.want {
			t.Fatalf("session at +%s: %v, want kind %d", step.at, err, step.want)
		}
	}

	// The OAuth state: an answer after its ten minutes is refused and the
	// state stays unused, so the same answer within them still counts.
	cs, err := a.Linking.Session(ctx, ns.Token)
	if err != nil {
		t.Fatal(err)
	}
	attempt, err := a.Linking.CreateAttempt(ctx, cs, prof.ID)
	if err != nil {
		t.Fatal(err)
	}
	authorize, err := a.Linking.StartOAuth(ctx, cs, ns.Token, attempt.ID, prof.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authorize)
	if err != nil {
		t.Fatal(err)
	}
	answer := linking.Callback{Provider: "justworks", State: u.Query().Get("state"), Error: "access_denied"}
	at(10*time.Minute + time.Second)
	if _, err := a.Linking.Finish(ctx, answer); problem.KindOf(err) != problem.Expired {
		t.Fatalf("a late answer: %v", err)
	}
	at(9 * time.Minute)
	if _, err := a.Linking.Finish(ctx, answer); err != nil {
		t.Fatalf("the answer within the state's lifetime: %v", err)
	}

	// The attempt: pending for thirty minutes, then expired, and once it is
	// decided expired, moving the clock back does not revive it.
	attempt, err = a.Linking.CreateAttempt(ctx, cs, prof.ID)
	if err != nil {
		t.Fatal(err)
	}
	created := clk.Now().Sub(start)
	for _, step := range []struct {
		after time.Duration
		want  store.AttemptStatus
	}{{30 * time.Minute, store.AttemptPending}, {30*time.Minute + time.Nanosecond, store.AttemptExpired}, {time.Minute, store.AttemptExpired}} {
		at(created + step.after)
		st, err := a.Linking.Attempt(ctx, cs, attempt.ID)
		if err != nil || st.Status != step.want {
			t.Fatalf("attempt %s after its start: %s, %v; want %s", step.after, st.Status, err, step.want)
		}
	}
}
