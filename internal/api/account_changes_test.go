package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

// Every change to an account, whichever path makes it (the Hub, the API, the
// token manager), is reported once by the accounts service: it shows in
// /metrics by kind and resulting status.
func TestAccountChangesAreReportedFromEveryPath(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")                      // created
	if again := e.linkProvider(t, "justworks", "admin@acme.test"); again != acc { // relinked
		t.Fatalf("re-linking made %s", again)
	}
	if st, _, body := e.do(t, "PATCH", "/accounts/"+acc, basic(e.keyA), `{"label":"Payroll"}`); st != http.StatusOK { // updated
		t.Fatalf("patch: %d %v", st, body)
	}
	e.expire(t, acc)
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
	if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusPreconditionFailed { // status_changed to error
		t.Fatalf("call with a dead grant: %d %v", st, body)
	}
	if st, _, body := e.do(t, "DELETE", "/accounts/"+acc, basic(e.keyA), ""); st != http.StatusOK { // deleted
		t.Fatalf("delete: %d %v", st, body)
	}
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`patchbay_account_changes_total{change="created",status="active"} 1`,
		`patchbay_account_changes_total{change="relinked",status="active"} 1`,
		`patchbay_account_changes_total{change="updated",status="active"} 1`,
		`patchbay_account_changes_total{change="status_changed",status="error"} 1`,
		`patchbay_account_changes_total{change="deleted",status="error"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
