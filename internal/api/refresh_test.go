package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// expire marks the account's stored access token as expired.
func (e *linkEnv) expire(t *testing.T, id string) {
	t.Helper()
	a, err := e.store.GetAccount(context.Background(), e.projectA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	a.Credentials.Expiry = time.Now().Add(-time.Minute).UTC()
	if _, err := e.store.UpdateCredentials(context.Background(), a.ProjectID, a.ID, a.CredentialVersion, a.Credentials); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshStormThroughRPC sends 1,000 concurrent action calls for an account
// whose access token has expired: all succeed and the provider sees one refresh.
func TestRefreshStormThroughRPC(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.expire(t, acc)
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	var wg sync.WaitGroup
	failures := make(chan string, 1000)
	for range 1000 {
		wg.Go(func() {
			if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
				failures <- fmt.Sprintf("%d %v", st, body)
			}
		})
	}
	wg.Wait()
	close(failures)
	if n := len(failures); n > 0 {
		t.Fatalf("%d calls failed; the first: %s", n, <-failures)
	}
	if n := jw.Stats.Get("token.refresh_token"); n != 1 {
		t.Fatalf("the provider saw %d refreshes, want exactly 1", n)
	}
}

// TestRelinkingRevivesADeadAccount: invalid_grant puts the account in error with a
// reason; linking it again through the Hub makes it active.
func TestRelinkingRevivesADeadAccount(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.expire(t, acc)
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
	st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusPreconditionFailed, "re-authorization")
	_, _, view := e.do(t, "GET", "/accounts/"+acc, basic(e.keyA), "")
	reasons, _ := view["status_reasons"].([]any)
	if view["status"] != string(store.StatusError) || len(reasons) != 1 {
		t.Fatalf("account after invalid_grant: %v", view)
	}
	if again := e.linkProvider(t, "justworks", "admin@acme.test"); again != acc {
		t.Fatalf("re-linking created %s instead of reviving %s", again, acc)
	}
	_, _, view = e.do(t, "GET", "/accounts/"+acc, basic(e.keyA), "")
	if view["status"] != string(store.StatusActive) || len(view["status_reasons"].([]any)) != 0 {
		t.Fatalf("account after re-linking: %v", view)
	}
	if st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("call after re-linking: %d", st)
	}
}

// TestSteadyLoadWithOneSecondTokens keeps eight callers busy while the simulator's
// access tokens live one second: no call may fail. It runs for
// PATCHBAY_SOAK_SECONDS (default 3: three lifetimes of a token, a few refreshes
// under load; set it higher for a soak) and logs the refresh count and latencies.
func TestSteadyLoadWithOneSecondTokens(t *testing.T) {
	t.Parallel()
	seconds := 3
	if v, err := strconv.Atoi(os.Getenv("PATCHBAY_SOAK_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 12, AccessTTL: map[string]time.Duration{"justworks": time.Second}})
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var mu sync.Mutex
	var latencies []time.Duration
	failures := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				start := time.Now()
				st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`)
				took := time.Since(start)
				mu.Lock()
				latencies = append(latencies, took)
				if st != http.StatusOK {
					failures++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of %d calls failed", failures, len(latencies))
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	t.Logf("%ds with 1 s tokens: %d calls, 0 failed, %d refreshes; latency p50 %s, p90 %s, p99 %s, max %s",
		seconds, len(latencies), jw.Stats.Get("token.refresh_token"), pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1])
}

func TestKeepAliveRefreshesIdleAccounts(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	idle := e.linkProvider(t, "justworks", "admin@acme.test")
	m := e.services.Tokens
	age := func(id string, by time.Duration) {
		a, _ := e.store.GetAccount(context.Background(), e.projectA.ID, id)
		a.Credentials.Obtained = time.Now().Add(-by).UTC()
		if _, err := e.store.UpdateCredentials(context.Background(), a.ProjectID, a.ID, a.CredentialVersion, a.Credentials); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := m.KeepAlive(context.Background(), 100, 0); err != nil || n != 0 {
		t.Fatalf("fresh accounts: refreshed %d, %v", n, err)
	}
	age(idle, 2*24*time.Hour)
	if n, err := m.KeepAlive(context.Background(), 100, 0); err != nil || n != 1 {
		t.Fatalf("an account idle for two days: refreshed %d, %v", n, err)
	}
	if n, _ := m.KeepAlive(context.Background(), 100, 0); n != 0 {
		t.Fatalf("the keep-alive refreshed again right away: %d", n)
	}
	age(idle, 31*24*time.Hour)
	m.KeepAlive(context.Background(), 100, 0)
	_, _, view := e.do(t, "GET", "/accounts/"+idle, basic(e.keyA), "")
	if view["status"] != string(store.StatusExpired) {
		t.Fatalf("an account whose refresh token lapsed: %v", view["status"])
	}
}

func mustRegistry(t *testing.T) *connectors.Registry {
	t.Helper()
	r, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// One account's connector is not in the catalogue (a retired one): the
// keep-alive skips it, refreshes the others, and the server goes on answering.
func TestKeepAliveSurvivesAnAccountOfAnUnknownConnector(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	ctx := context.Background()
	known := e.linkProvider(t, "justworks", "admin@acme.test")
	a, err := e.store.GetAccount(ctx, e.projectA.ID, known)
	if err != nil {
		t.Fatal(err)
	}
	a.Credentials.Obtained = e.clk.Now().Add(-2 * 24 * time.Hour).UTC()
	if _, err := e.store.UpdateCredentials(ctx, a.ProjectID, a.ID, a.CredentialVersion, a.Credentials); err != nil {
		t.Fatal(err)
	}
	retired := a
	retired.ID, retired.Provider = "", "retired_hr"
	retired.Credentials.Obtained = e.clk.Now().Add(-40 * 24 * time.Hour).UTC()
	if _, err := e.store.CreateAccount(ctx, retired, store.EventAccountCreated); err != nil {
		t.Fatal(err)
	}
	if n, err := e.services.Tokens.KeepAlive(ctx, 100, 0); err != nil || n != 1 {
		t.Fatalf("keep-alive beside an unknown connector: refreshed %d, %v; want the known account refreshed", n, err)
	}
	if n := len(listAccounts(t, e, "")); n != 2 {
		t.Fatalf("GET /accounts after the keep-alive lists %d accounts", n)
	}
}
