package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/plancheck"
)

// TestOneDatabaseRoundTripPerCall: once an account's token is fresh and the
// key's quota lease taken, an action call reads the database once — its key,
// account and profile in one query — on each backend. Only statements run for
// an HTTP request count; the request log is written in the background.
func TestOneDatabaseRoundTripPerCall(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			var mu sync.Mutex
			var counting bool
			var ran []string
			rec := plancheck.NewRecorder()
			rec.Ran = func(ctx context.Context, q string) {
				// The per-key quota takes a lease once per clock minute, not per
				// call: a minute may turn while the calls run.
				if ctx.Value(http.ServerContextKey) == nil || strings.Contains(q, "api_key_quota") {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if counting {
					ran = append(ran, strings.Join(strings.Fields(q), " "))
				}
			}
			e := newLinkEnvWrapped(t, b, sandbox.Options{Members: 12}, rec.Wrap)
			acc := e.linkProvider(t, "justworks", "admin@acme.test")
			call := func() {
				if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
					t.Fatalf("call: %d %v", st, body)
				}
			}
			call()
			mu.Lock()
			counting = true
			mu.Unlock()
			const calls = 5
			for range calls {
				call()
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ran) != calls {
				t.Fatalf("%d calls ran %d statements, want one each:\n%s", calls, len(ran), strings.Join(ran, "\n"))
			}
			for _, q := range ran {
				if !strings.Contains(q, "FROM api_keys k JOIN accounts a") {
					t.Fatalf("a call ran %q, want the key, account and profile read", q)
				}
			}
		})
	}
}
