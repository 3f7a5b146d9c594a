package tokens_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/plancheck"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/testwait"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// Finding 2: PostgreSQL goes down while Employment Hero rotates an account's
// refresh token. The commit fails, yet the caller gets the new access token,
// the rotated tokens wait in the journal, and once the database is back they
// are stored: the account keeps working, with exactly one refresh and no
// invalid_grant.
// outage is an account whose tokens rotated while its PostgreSQL was down:
// the new tokens are held by the node and kept in its journal.
type outage struct {
	w       *world
	pg      *pgtest.Private
	s       *sqlstore.Store
	m       *tokens.Manager
	journal *tokens.FileJournal
	rotated store.Account // as the caller during the outage got it
}

func rotateDuringAnOutage(t *testing.T) outage { return rotateDuringAnOutageWrapped(t, nil) }

// rotateDuringAnOutageWrapped is rotateDuringAnOutage with the node's
// database connections wrapped.
func rotateDuringAnOutageWrapped(t *testing.T, wrap sqlstore.Wrap) outage {
	t.Helper()
	pg := pgtest.StartPrivate(t)
	w := newWorldAt(t, pg.URL)
	s := backendtest.OpenWrapped(t, pg.URL, w.keys, wrap)
	ctx := context.Background()
	acc, eh, clk, old := w.account, w.eh, w.clk, w.account.Credentials
	journal, err := tokens.NewFileJournal(t.TempDir(), w.keys)
	if err != nil {
		t.Fatal(err)
	}
	m := mustApp(app.New(app.Options{Store: s, Registry: w.registry, PublicURL: w.publicURL, Clock: clk, Journal: journal,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Tokens
	clk.Advance(time.Minute) // the access token has expired

	// The provider answers the refresh slowly; the database goes down meanwhile.
	eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 1, Kind: simctl.KindDelay, DelayMS: 3000})
	type result struct {
		a   store.Account
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := m.Valid(ctx, acc)
		done <- result{a, err}
	}()
	testwait.For(t, "the refresh reaches the provider", func() bool { return eh.Stats.Get("fault.delay") == 1 })
	pg.Stop(t)
	got := <-done
	if got.err != nil || got.a.Credentials.AccessToken == old.AccessToken {
		t.Fatalf("the caller during the outage: %v (access token renewed: %v)", got.err, got.a.Credentials.AccessToken != old.AccessToken)
	}
	if held, err := journal.All(); err != nil || len(held) != 1 || held[0].Credentials.RefreshToken != got.a.Credentials.RefreshToken {
		t.Fatalf("the journal during the outage: %d entries, %v", len(held), err)
	}
	return outage{w: w, pg: pg, s: s, m: m, journal: journal, rotated: got.a}
}

// A node that stops during the outage stops retrying at once and leaves the
// held tokens in its journal; the next start stores them.
func TestCloseDuringAnOutageKeepsTheJournal(t *testing.T) {
	t.Parallel()
	o := rotateDuringAnOutage(t)
	closed := make(chan struct{})
	go func() { o.m.Close(); close(closed) }()
	testwait.For(t, "the manager to close while the database is down", func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	})
	if held, err := o.journal.All(); err != nil || len(held) != 1 {
		t.Fatalf("the journal after closing: %d entries, %v", len(held), err)
	}
	o.pg.Start(t)
	next := mustApp(app.New(app.Options{Store: o.s, Registry: o.w.registry, PublicURL: o.w.publicURL, Clock: o.w.clk, Journal: o.journal,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Tokens
	t.Cleanup(next.Close)
	if err := next.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the next start to store the journaled tokens", func() bool {
		cur, err := o.s.GetAccount(context.Background(), o.w.account.ProjectID, o.w.account.ID)
		return err == nil && cur.Credentials.RefreshToken == o.rotated.Credentials.RefreshToken
	})
}

func TestRotationSurvivesADatabaseOutage(t *testing.T) {
	t.Parallel()
	o := rotateDuringAnOutage(t)
	pg, s, m, journal, w := o.pg, o.s, o.m, o.journal, o.w
	ctx := context.Background()
	acc, eh, clk := w.account, w.eh, w.clk
	got := struct{ a store.Account }{o.rotated}
	// Later calls during the outage use the held tokens without a refresh.
	if again, err := m.Valid(ctx, acc); err != nil || again.Credentials.AccessToken != got.a.Credentials.AccessToken {
		t.Fatalf("a later call during the outage: %v", err)
	}

	pg.Start(t)
	testwait.For(t, "the rotated tokens are stored", func() bool {
		cur, err := s.GetAccount(ctx, acc.ProjectID, acc.ID)
		return err == nil && cur.Credentials.RefreshToken == got.a.Credentials.RefreshToken
	})
	testwait.For(t, "the journal is cleared", func() bool { held, err := journal.All(); return err == nil && len(held) == 0 })
	cur, _ := s.GetAccount(ctx, acc.ProjectID, acc.ID)
	if _, err := m.Valid(ctx, cur); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	// A refresh later on uses the stored (rotated) refresh token and works.
	clk.Advance(time.Hour)
	cur, _ = s.GetAccount(ctx, acc.ProjectID, acc.ID)
	if _, err := m.Valid(ctx, cur); err != nil {
		t.Fatalf("the next refresh, with the stored refresh token: %v", err)
	}
	if n, bad := eh.Stats.Get("token.refresh_token"), eh.Stats.Get("token.error.invalid_grant"); n != 2 || bad != 0 {
		t.Fatalf("refreshes %d (want the outage's one and the later one), invalid_grant %d", n, bad)
	}
}

// TestNoSpuriousErrorAfterAnOutage: PostgreSQL stops while node A rotates the
// refresh token; right after it is back, node B refreshes with the stale
// stored token and meets invalid_grant, before A's committer has stored the
// new one. B waits for A's tokens instead of marking the account in error:
// no 412, no account.error, and A's journaled token is what the account keeps.
func TestNoSpuriousErrorAfterAnOutage(t *testing.T) {
	t.Parallel()
	// Node A's account writes also fail until B has met invalid_grant, so
	// that B always comes first, as it did in the review's run.
	var aHeldBack atomic.Bool
	aHeldBack.Store(true)
	rec := plancheck.NewRecorder()
	rec.Refuse = func(_ context.Context, query string) error {
		if aHeldBack.Load() && strings.HasPrefix(strings.TrimSpace(query), "UPDATE accounts") {
			return errOutage
		}
		return nil
	}
	o := rotateDuringAnOutageWrapped(t, rec.Wrap)
	ctx := context.Background()
	o.pg.Start(t)
	b := backendtest.OpenURL(t, o.pg.URL, o.w.keys)
	nb := &node{Manager: mustApp(app.New(app.Options{Store: b, Registry: o.w.registry, PublicURL: o.w.publicURL, Clock: o.w.clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Tokens, store: b, account: o.w.account}
	stale, err := b.GetAccount(ctx, o.w.account.ProjectID, o.w.account.ID)
	if err != nil || stale.Credentials.RefreshToken == o.rotated.Credentials.RefreshToken {
		t.Fatalf("the stored account right after the outage: %v (already rotated: %v)", err, err == nil)
	}
	go func() {
		testwait.For(t, "node B meets invalid_grant", func() bool { return o.w.eh.Stats.Get("token.error.invalid_grant") == 1 })
		aHeldBack.Store(false)
	}()
	got, err := nb.Valid(ctx, stale)
	if err != nil || got.Credentials.RefreshToken != o.rotated.Credentials.RefreshToken {
		t.Fatalf("node B right after the outage: %v (has node A's tokens: %v)", err, got.Credentials.RefreshToken == o.rotated.Credentials.RefreshToken)
	}
	if n := o.w.accountErrors(t); n != 0 {
		t.Fatalf("%d account.error events after the outage", n)
	}
}
