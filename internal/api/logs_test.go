package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

// TestRequestLogsRecordEveryCallWithoutSecrets makes calls that succeed, fail
// validation, lack a scope and meet a failing provider, then reads the logs.
func TestRequestLogsRecordEveryCallWithoutSecrets(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 2, Kind: simctl.KindStatus, Status: 503})
	calls := []struct {
		body   string
		status int
	}{
		{`{"action":"justworks_get_company"}`, 200}, // two 503s, then success: three steps
		{`{"action":"justworks_list_members","query":{"limit":2}}`, 200},
		{`{"action":"justworks_list_members","query":{"limit":0}}`, 400},
		{`{"action":"justworks_fly"}`, 404},
	}
	for _, c := range calls {
		if st, body := e.rpc(t, acc, c.body); st != c.status {
			t.Fatalf("%s: %d %v", c.body, st, body)
		}
	}
	var logs []map[string]any
	next := ""
	for {
		u := "/requests/logs?page_size=2&include=step_logs"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		st, _, body := e.do(t, "GET", u, basic(e.keyA), "")
		if st != http.StatusOK {
			t.Fatalf("logs: %d %v", st, body)
		}
		for _, l := range body["data"].([]any) {
			logs = append(logs, l.(map[string]any))
		}
		n, _ := body["next"].(string)
		if n == "" {
			break
		}
		next = n
	}
	if len(logs) != len(calls) {
		t.Fatalf("%d log entries for %d calls", len(logs), len(calls))
	}
	oldest := logs[len(logs)-1] // newest first
	if oldest["action"] != "justworks_get_company" || oldest["status"] != float64(200) || len(oldest["step_requests"].([]any)) != 3 {
		t.Fatalf("the retried call's entry: %v", oldest)
	}
	for _, key := range []string{oldest["id"].(string), oldest["request_id"].(string)} {
		st, _, one := e.do(t, "GET", "/requests/logs/"+key, basic(e.keyA), "")
		data, _ := one["data"].(map[string]any)
		if st != http.StatusOK || data["id"] != oldest["id"] || data["request_id"] != oldest["request_id"] {
			t.Fatalf("one entry by %s: %d %v", key, st, one)
		}
	}
	st, _, failed := e.do(t, "GET", "/requests/logs?filter[success]=false&filter[actions]=justworks_list_members", basic(e.keyA), "")
	if st != http.StatusOK || len(failed["data"].([]any)) != 1 {
		t.Fatalf("filtered: %v", failed)
	}
	st, _, bad := e.do(t, "GET", "/requests/logs?filter[success]=maybe&page_size=500", basic(e.keyA), "")
	wantError(t, st, bad, http.StatusBadRequest)

	// Nothing secret anywhere in what the logs API returns.
	a, _ := e.store.GetAccount(context.Background(), e.projectA.ID, acc)
	req, _ := http.NewRequest("GET", e.srv.URL+"/requests/logs?page_size=100&include=step_logs", nil)
	req.SetBasicAuth(e.keyA, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{a.Credentials.AccessToken, a.Credentials.RefreshToken, "sandbox-justworks-secret", e.keyA} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the request logs contain a secret (%.6s…)", secret)
		}
	}
	var decoded map[string]any
	if json.Unmarshal(raw, &decoded) != nil {
		t.Fatal("logs are not JSON")
	}
	// Another project sees none of them.
	otherKey := e.otherProjectKey(t)
	st, _, notFound := e.do(t, "GET", "/requests/logs/"+oldest["id"].(string), basic(otherKey), "")
	wantError(t, st, notFound, http.StatusNotFound)
	if _, _, list := e.do(t, "GET", "/requests/logs", basic(otherKey), ""); len(list["data"].([]any)) != 0 {
		t.Fatalf("another project lists %v", list["data"])
	}
}

// A failed call's entry says why: Patchbay's message and the provider's
// status, error code and message, without the email address and number the
// provider's message held; a success says nothing; durations come in µs.
func TestFailedCallsKeepTheirReason(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindStatus, Status: 422,
		Body: []byte(`{"error":"member_locked","message":"ask payroll@acme.test or call 5550123456","members":[{"ssn":"123-45-6789"}]}`)})
	if st, body := e.rpc(t, acc, `{"action":"justworks_list_members"}`); st != http.StatusUnprocessableEntity {
		t.Fatalf("the refused call: %d %v", st, body)
	}
	e.call(t, acc, "justworks_get_company", nil)
	logs := e.logsOf(t, "")
	var failed, ok map[string]any
	for _, l := range logs {
		switch l["action"] {
		case "justworks_list_members":
			failed = l
		case "justworks_get_company":
			ok = l
		}
	}
	reason, _ := failed["error"].(string)
	for _, want := range []string{"Justworks answered 422", "the provider said (422) error: member_locked", "message: ask … or call …"} {
		if !strings.Contains(reason, want) {
			t.Fatalf("the reason %q lacks %q", reason, want)
		}
	}
	for _, personal := range []string{"payroll@acme.test", "5550123456", "123-45-6789", "ssn"} {
		if strings.Contains(reason, personal) {
			t.Fatalf("the reason %q keeps %q", reason, personal)
		}
	}
	if ok["error"] != nil || ok["duration_us"].(float64) < 1 {
		t.Fatalf("a success's entry: %v", ok)
	}
}

// A unified operation the account's provider lacks (501) is logged with the
// call that was asked for, not an empty one.
func TestNotOfferedCallsNameTheCallAskedFor(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	eh := e.linkProvider(t, "employmenthero", "owner@acme.test")
	if st, body := e.unified(t, "GET", "/unified/payroll/deductions", eh); st != http.StatusNotImplemented {
		t.Fatalf("deductions on Employment Hero: %d %v", st, body)
	}
	for _, l := range e.logsOf(t, "filter[status_codes]=501") {
		if l["http_method"] != "GET" || l["path"] != "/unified/payroll/deductions" {
			t.Fatalf("the 501 entry's call: %v %v", l["http_method"], l["path"])
		}
		return
	}
	t.Fatal("no 501 entry")
}
