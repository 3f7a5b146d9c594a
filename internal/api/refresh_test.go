package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
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
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.expire(t, acc)
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	var wg sync.WaitGroup
	failures := make(chan int, 1000)
	for range 1000 {
		wg.Go(func() {
			if st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
				failures <- st
			}
		})
	}
	wg.Wait()
	close(failures)
	for st := range failures {
		t.Fatalf("a call failed with %d", st)
	}
	if n := jw.Stats.Get("token.refresh_token"); n != 1 {
		t.Fatalf("the provider saw %d refreshes, want exactly 1", n)
	}
}

// TestRelinkingRevivesADeadAccount: invalid_grant puts the account in error with a
// reason; linking it again through the Hub makes it active.
func TestRelinkingRevivesADeadAccount(t *testing.T) {
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.expire(t, acc)
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
	st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusPreconditionFailed, "re-authorization")
	_, _, view := e.do(t, "GET", "/accounts/"+acc, basic(e.keyA), "")
	reasons, _ := view["status_reasons"].([]any)
	if view["status"] != store.StatusError || len(reasons) != 1 {
		t.Fatalf("account after invalid_grant: %v", view)
	}
	if again := e.linkProvider(t, "justworks", "admin@acme.test"); again != acc {
		t.Fatalf("re-linking created %s instead of reviving %s", again, acc)
	}
	_, _, view = e.do(t, "GET", "/accounts/"+acc, basic(e.keyA), "")
	if view["status"] != store.StatusActive || len(view["status_reasons"].([]any)) != 0 {
		t.Fatalf("account after re-linking: %v", view)
	}
	if st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("call after re-linking: %d", st)
	}
}
