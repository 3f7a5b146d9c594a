package tokens_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/plancheck"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// staleRounds is how often the stale-token race runs per backend.
const staleRounds = 50

// errOutage is what a node cut off from its database gets.
var errOutage = errors.New("simulated outage: the database does not answer this node")

// cutOffNode is a node whose account writes fail while down is set, as if
// its database had gone away for it alone.
func (w *world) cutOffNode(t *testing.T, down *atomic.Bool) *node {
	t.Helper()
	rec := plancheck.NewRecorder()
	rec.Refuse = func(_ context.Context, query string) error {
		if down.Load() && strings.HasPrefix(strings.TrimSpace(query), "UPDATE accounts") {
			return errOutage
		}
		return nil
	}
	s := backendtest.OpenWrapped(t, w.dbURL, w.keys, rec.Wrap)
	m := mustApp(app.New(app.Options{Store: s, Registry: w.registry, PublicURL: w.publicURL, Clock: w.clk,
		TokenBackoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Tokens
	t.Cleanup(m.Close)
	return &node{Manager: m, store: s, account: w.account}
}

// accountErrors counts the account.error events written for the account.
func (w *world) accountErrors(t *testing.T) int {
	t.Helper()
	var n int
	s := backendtest.OpenURL(t, w.dbURL, w.keys)
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM events WHERE type = '` + store.EventAccountError + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAStaleRefreshTokenWaitsForAnotherNodesTokens: node A rotates the
// refresh token while its database writes fail, and holds the new tokens;
// right after the database answers again, node B refreshes with the stale
// stored token and meets invalid_grant. B used to mark the account in error
// at once (412, account.error) a moment before A stored the tokens. Now B
// waits for the newer tokens and uses them: no error, no account.error.
func TestAStaleRefreshTokenWaitsForAnotherNodesTokens(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			var down atomic.Bool
			a, nb := w.cutOffNode(t, &down), w.node(t)
			ctx := context.Background()
			for round := range staleRounds {
				w.clk.Advance(2 * time.Minute) // the access token has expired
				stored, err := nb.store.GetAccount(ctx, w.account.ProjectID, w.account.ID)
				if err != nil {
					t.Fatal(err)
				}
				down.Store(true)
				held, err := a.Valid(ctx, stored)
				if err != nil || held.Credentials.RefreshToken == stored.Credentials.RefreshToken {
					t.Fatalf("round %d: node A during its outage: %v (rotated: %v)", round, err, held.Credentials.RefreshToken != stored.Credentials.RefreshToken)
				}
				down.Store(false)
				got, err := nb.Valid(ctx, stored) // the stale stored account, as B read it
				if err != nil {
					t.Fatalf("round %d: node B with the stale refresh token: %v", round, err)
				}
				if got.Credentials.RefreshToken != held.Credentials.RefreshToken {
					t.Fatalf("round %d: node B did not take node A's tokens", round)
				}
				testwait.For(t, "node A's tokens stored", func() bool {
					cur, err := nb.store.GetAccount(ctx, w.account.ProjectID, w.account.ID)
					return err == nil && cur.Credentials.RefreshToken == held.Credentials.RefreshToken && cur.Status == store.StatusActive
				})
			}
			if n := w.accountErrors(t); n != 0 {
				t.Fatalf("%d account.error events for an account that never failed", n)
			}
		})
	}
}
