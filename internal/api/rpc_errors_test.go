package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func wantRPCError(t *testing.T, st int, body map[string]any, wantStatus int, wantText ...string) {
	t.Helper()
	wantError(t, st, body, wantStatus)
	for _, w := range wantText {
		if !strings.Contains(body["message"].(string), w) {
			t.Errorf("message %q lacks %q", body["message"], w)
		}
	}
}

func TestRPCErrors(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")

	st, body := e.rpc(t, acc, `{"action":"justworks_list_members","query":{"limit":500,"status":"retired","colour":"red"}}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "query.limit", "query.status", "colour")
	st, body = e.rpc(t, acc, `{"action":"justworks_get_member"}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "member_id")
	st, body = e.rpc(t, acc, `{"action":"justworks_list_members","page_size":101}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "page_size")
	st, body = e.rpc(t, acc, `{"action":"justworks_get_company","page_size":10}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "does not page")
	_, page := e.rpc(t, acc, `{"action":"justworks_list_members","page_size":1}`)
	st, body = e.rpc(t, acc, `{"action":"justworks_list_deductions","next":"`+page["next"].(string)+`"}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "next")
	st, body = e.rpc(t, acc, `{"action":"justworks_fly"}`)
	wantRPCError(t, st, body, http.StatusNotFound, "justworks_fly")
	st, body = e.rpc(t, acc, `{"action":"employmenthero_list_employees"}`)
	wantRPCError(t, st, body, http.StatusNotFound, "employmenthero_list_employees")
	st, body = e.rpc(t, "acc_nobody", `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusNotFound, "acc_nobody")
	st, body = e.rpc(t, "", `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusBadRequest, "x-account-id")

	// An action the profile does not enable.
	a, _ := e.store.GetAccount(context.Background(), e.projectA.ID, acc)
	e.do(t, "PATCH", "/connector_profiles/"+a.ProfileID, basic(e.keyA), `{"enabled_actions":["justworks_get_company","justworks_list_payrolls"]}`)
	st, body = e.rpc(t, acc, `{"action":"justworks_list_members"}`)
	wantRPCError(t, st, body, http.StatusForbidden, "not enabled")

	// A grant that lacks the action's scope.
	a.Credentials.Scopes = []string{"company.basic:read"}
	if _, err := e.store.UpdateCredentials(context.Background(), a.ProjectID, a.ID, a.CredentialVersion, a.Credentials); err != nil {
		t.Fatal(err)
	}
	st, body = e.rpc(t, acc, `{"action":"justworks_list_payrolls","query":{"start_date":"2026-05-01","end_date":"2026-10-31"}}`)
	wantRPCError(t, st, body, http.StatusForbidden, "payroll:read")
	if st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("a covered action: %d", st)
	}

	// An inactive account.
	e.do(t, "PATCH", "/connector_profiles/"+a.ProfileID, basic(e.keyA), `{"enabled":false}`)
	st, body = e.rpc(t, acc, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusPreconditionFailed, "inactive")
	e.do(t, "PATCH", "/connector_profiles/"+a.ProfileID, basic(e.keyA), `{"enabled":true}`)

	// A provider failure surfaces as 502 with what the provider said.
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindStatus, Status: 500, Body: []byte(`{"errors":[{"code":"internal_error","message":"boom"}]}`)})
	st, body = e.rpc(t, acc, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusBadGateway, "500")
	pe := body["provider_errors"].([]any)[0].(map[string]any)
	if pe["status"] != float64(500) || !strings.Contains(pe["url"].(string), "/v1/company") {
		t.Fatalf("provider_errors %v", pe)
	}

}

func TestRPCRefreshesOnceOnUnauthorized(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindStatus, Status: 401, Body: []byte(`{"errors":[{"code":"invalid_token"}]}`)})
	if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("after a 401: %d %v", st, body)
	}
	if jw.Stats.Get("token.refresh_token") != 1 {
		t.Fatalf("refreshes: %v", jw.Stats.Snapshot())
	}
}

// TestRPCPagingVisitsEveryMemberOnce pages through 1,000 members with next.
func TestRPCPagingVisitsEveryMemberOnce(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 1000})
	for _, tc := range []struct{ provider, email, action string }{
		{"justworks", "admin@acme.test", "justworks_list_members"},
		{"employmenthero", "owner@acme.test", "employmenthero_list_employees"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			acc := e.linkProvider(t, tc.provider, tc.email)
			seen := map[string]bool{}
			next := ""
			for pages := 0; pages < 50; pages++ {
				// The opaque next and page_size work the same for both providers.
				st, body := e.rpc(t, acc, `{"action":"`+tc.action+`","page_size":100,"next":"`+next+`"}`)
				if st != http.StatusOK {
					t.Fatalf("page %d: %d %v", pages, st, body)
				}
				for _, it := range body["data"].([]any) {
					id := it.(map[string]any)["id"].(string)
					if seen[id] {
						t.Fatalf("%s listed twice", id)
					}
					seen[id] = true
				}
				n, _ := body["next"].(string)
				if n == "" {
					break
				}
				next = n
			}
			if len(seen) != 1000 {
				t.Fatalf("paged %d people, want 1000", len(seen))
			}
		})
	}
}

func TestRPCRetriesAndGivesUp(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	fault := func(f simctl.Fault) {
		t.Helper()
		if err := jw.Faults.Add(f); err != nil {
			t.Fatal(err)
		}
	}

	// A 429 storm: retried until the provider lets the call through.
	jw.Stats.Reset()
	fault(simctl.Fault{PathPrefix: "/v1/company", Count: 3, Kind: simctl.KindStatus, Status: 429})
	if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK || jw.Stats.Get("fault.status") != 3 {
		t.Fatalf("after three 429s: %d %v (faults %d)", st, body, jw.Stats.Get("fault.status"))
	}
	// Retry-After is honoured.
	fault(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindStatus, Status: 429, RetryAfter: 1})
	start := time.Now()
	if st, _ := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusOK || time.Since(start) < time.Second {
		t.Fatalf("Retry-After 1: %d after %s", st, time.Since(start))
	}
	// A provider that keeps failing: 408 with Retry-After once the attempts run out.
	fault(simctl.Fault{PathPrefix: "/v1/company", Count: 50, Kind: simctl.KindStatus, Status: 503})
	req, _ := http.NewRequest("POST", e.srv.URL+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.keyA, "")
	req.Header.Set("X-Account-Id", acc)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a provider that keeps failing: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	jw.Faults.Clear()

	// A wait that would not fit in the request's 60-second budget is not started.
	fault(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindStatus, Status: 429, RetryAfter: 120})
	start = time.Now()
	req, _ = http.NewRequest("POST", e.srv.URL+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.keyA, "")
	req.Header.Set("X-Account-Id", acc)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Retry-After") != "120" || time.Since(start) > 5*time.Second {
		t.Fatalf("Retry-After beyond the budget: %d, Retry-After %q, after %s", resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start))
	}
	jw.Faults.Clear()

	// Writes are not replayed blindly: an update fails at once; a create, which
	// the provider deduplicates by operation_id, is retried.
	jw.Stats.Reset()
	fault(simctl.Fault{Method: "PUT", PathPrefix: "/v1/deductions", Count: 2, Kind: simctl.KindStatus, Status: 503})
	st, body := e.rpc(t, acc, `{"action":"justworks_update_deductions","body":{"items":[{"deduction_id":"ded_acme_0001","amount":100}]}}`)
	if st != http.StatusBadGateway || jw.Stats.Get("fault.status") != 1 {
		t.Fatalf("an update after a 503: %d %v (faults %d, want 1 attempt)", st, body, jw.Stats.Get("fault.status"))
	}
	jw.Faults.Clear()
	members := e.call(t, acc, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}})
	types := e.call(t, acc, "justworks_list_deduction_types", nil)
	fault(simctl.Fault{Method: "POST", PathPrefix: "/v1/deductions", Count: 1, Kind: simctl.KindStatus, Status: 503})
	e.call(t, acc, "justworks_create_deductions", map[string]any{"body": map[string]any{"items": []any{map[string]any{
		"operation_id": "op-retry", "member_id": first(t, members)["id"], "deduction_type_code": first(t, types)["code"], "amount_type": "fixed",
		"amount": 100, "currency": "USD", "frequency": "one_time", "start_date": "2026-11-01"}}}})
}

// TestRPCThrottlesBeforeTheProviderLimit: 30 quick calls on one Employment Hero
// account wait for the 20-per-second limit instead of hitting it.
func TestRPCThrottlesBeforeTheProviderLimit(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "employmenthero", "owner@acme.test")
	eh, _ := e.sb.Provider("employmenthero")
	eh.Stats.Reset()
	start := time.Now()
	for i := range 30 {
		if st, body := e.rpc(t, acc, `{"action":"employmenthero_list_leave_categories"}`); st != http.StatusOK {
			t.Fatalf("call %d: %d %v", i, st, body)
		}
	}
	if eh.Stats.Get("rate_limited") != 0 {
		t.Fatalf("the provider refused %d calls", eh.Stats.Get("rate_limited"))
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Fatalf("30 calls took %s: the limiter did not hold them back", time.Since(start))
	}
}

func TestProxyStaysOnTheProvidersAPI(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.allowProxy(t, "justworks")
	proxy := func(body string) (int, map[string]any) { return e.proxyCall(t, acc, body) }
	st, body := proxy(`{"method":"get","path":"/v1/members?limit=2"}`)
	if st != http.StatusOK || body["status"] != float64(200) || len(body["data"].(map[string]any)["items"].([]any)) != 2 {
		t.Fatalf("proxy GET: %d %v", st, body)
	}
	// The account's own API base URL, as a url (how the reference's SDK sends it).
	for _, good := range []string{`{"url":"` + e.srv.URL + `/sandbox/justworks","path":"/v1/company"}`, `{"url":"` + e.srv.URL + `/sandbox/justworks/v1/company"}`} {
		if st, body := proxy(good); st != http.StatusOK || body["status"] != float64(200) {
			t.Fatalf("proxy %s: %d %v", good, st, body)
		}
	}
	for _, bad := range []string{
		`{"path":"//evil.test/steal"}`,
		`{"path":"@evil.test/x"}`,
		`{"path":"/../../x"}`,
		`{"url":"https://evil.test","path":"/x"}`,
		`{"url":"` + e.srv.URL + `/sandbox/justworksx/v1/company"}`,
		`{"url":"` + e.srv.URL + `/sandbox/employmenthero/api/v1/organisations"}`,
		`{"method":"TRACE","path":"/v1/company"}`,
	} {
		st, body := proxy(bad)
		wantError(t, st, body, http.StatusBadRequest)
	}
}

// A provider answer that is not JSON gives a clear 502 while nothing has been
// sent; once records have gone out, the response is broken off so that the
// client sees a failed request, never a short list. Both are logged as 502.
func TestRPCMalformedProviderAnswers(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 100})
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")

	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindMalformed})
	st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusBadGateway, "not JSON", "invalid JSON at byte")

	// A page of 100 members (about 160 KB) cut off halfway, inside the records.
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindTruncated})
	req, _ := http.NewRequest("POST", e.srv.URL+"/actions/rpc", strings.NewReader(`{"action":"justworks_list_members","page_size":100}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.keyA, "")
	req.Header.Set("X-Account-Id", acc)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || json.Valid(got) {
		t.Fatalf("the client read a complete answer: %d %q (%v)", resp.StatusCode, got, err)
	}
	if !bytes.HasPrefix(got, []byte(`{"data":[{"id":`)) || len(got) < 10_000 {
		t.Fatalf("the client got %d bytes before the break (%.40q), want the start of the records", len(got), got)
	}

	// Metrics count the broken-off answer as aborted, not as a 200.
	resp, err = http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `patchbay_http_requests_total{method="POST",route="POST /actions/rpc",status="aborted"} 1`; !strings.Contains(string(metrics), want) {
		t.Fatalf("metrics lack %s", want)
	}

	// The next call is whole again.
	if page := e.call(t, acc, "justworks_list_members", map[string]any{"page_size": 3}).([]any); len(page) != 3 {
		t.Fatalf("after the break: %d members, want 3", len(page))
	}
	_, _, logs := e.do(t, "GET", "/requests/logs?filter[status_codes]=502", basic(e.keyA), "")
	var actions []string
	for _, l := range logs["data"].([]any) {
		actions = append(actions, l.(map[string]any)["action"].(string))
	}
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"justworks_get_company", "justworks_list_members"}) {
		t.Fatalf("502 log entries for %v, want both calls", actions)
	}
}

// A next remembers the page size it was asked with, and works where clients
// pass it back: in the query, as the provider's cursor or page parameter or
// as next, and in the body of an action that takes none.
func TestNextKeepsThePageSizeAndWorksInTheQuery(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 50})
	for _, tc := range []struct{ provider, email, action, limit, param string }{
		{"justworks", "admin@acme.test", "justworks_list_members", "limit", "cursor"},
		{"employmenthero", "owner@acme.test", "employmenthero_list_employees", "item_per_page", "page_index"},
	} {
		acc := e.linkProvider(t, tc.provider, tc.email)
		st, first := e.rpc(t, acc, `{"action":"`+tc.action+`","query":{"`+tc.limit+`":5}}`)
		next, _ := first["next"].(string)
		if st != http.StatusOK || len(first["data"].([]any)) != 5 || next == "" {
			t.Fatalf("%s first page: %d %v", tc.provider, st, first["next"])
		}
		st, second := e.rpc(t, acc, `{"action":"`+tc.action+`","next":"`+next+`"}`)
		if st != http.StatusOK || len(second["data"].([]any)) != 5 {
			t.Fatalf("%s: only next after a page of 5 gave %d records (%d)", tc.provider, len(second["data"].([]any)), st)
		}
		secondID := second["data"].([]any)[0].(map[string]any)["id"]
		// Where clients put it: the provider's own parameter; query.next; and
		// body, as the StackOne AI SDK sends every argument outside path and
		// query, for an action that takes no body (with page_size too).
		for _, placed := range []string{`"query":{"` + tc.param + `":"` + next + `"}`, `"query":{"next":"` + next + `"}`,
			`"body":{"next":"` + next + `"}`, `"body":{"next":"` + next + `","page_size":5}`} {
			st, got := e.rpc(t, acc, `{"action":"`+tc.action+`",`+placed+`}`)
			if st != http.StatusOK || len(got["data"].([]any)) != 5 || got["data"].([]any)[0].(map[string]any)["id"] != secondID {
				t.Fatalf("%s: next as %s: %d %v", tc.provider, placed, st, got["message"])
			}
		}
		st, sized := e.rpc(t, acc, `{"action":"`+tc.action+`","body":{"page_size":3}}`)
		if st != http.StatusOK || len(sized["data"].([]any)) != 3 {
			t.Fatalf("%s: body.page_size 3: %d %v", tc.provider, st, sized["message"])
		}
		// A body with anything else is still refused, naming the body.
		st, bad := e.rpc(t, acc, `{"action":"`+tc.action+`","body":{"next":"`+next+`","colour":"red"}}`)
		wantRPCError(t, st, bad, http.StatusBadRequest, "takes no body input")
	}
}

// A provider 4xx the caller caused keeps its status, with what the provider
// said: an unknown member is a 404, not a 502 (newcomer finding 7). A 5xx
// stays a 502.
func TestProviderClientErrorsKeepTheirStatus(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	st, body := e.rpc(t, acc, `{"action":"justworks_get_member","path":{"member_id":"mbr_nobody"}}`)
	wantRPCError(t, st, body, http.StatusNotFound, "404")
	if pe := body["provider_errors"].([]any)[0].(map[string]any); pe["status"] != float64(404) {
		t.Fatalf("provider_errors %v", pe)
	}
	for _, status := range []int{409, 422} {
		jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindStatus, Status: status, Body: []byte(`{"errors":[{"code":"conflict"}]}`)})
		st, body = e.rpc(t, acc, `{"action":"justworks_get_company"}`)
		wantRPCError(t, st, body, status)
	}
}

// An unknown action names the closest one (newcomer finding 6).
func TestUnknownActionSuggestsTheClosest(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	st, body := e.rpc(t, acc, `{"action":"justworks_list_member"}`)
	wantRPCError(t, st, body, http.StatusNotFound, "did you mean justworks_list_members?")
	st, body = e.rpc(t, acc, `{"action":"payroll_everything"}`)
	wantRPCError(t, st, body, http.StatusNotFound, "patchbay actions list")
}

// Every error says how to treat it, for an agent deciding what to do next:
// error_category and retryable, beside the status and message, in RPC
// answers and in MCP tool errors alike.
func TestErrorsSayHowToTreatThem(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+e.profileOf(t, "justworks"), basic(e.keyA),
		`{"enabled_actions":["justworks_get_company","justworks_list_members","justworks_get_member"]}`); st != http.StatusOK {
		t.Fatalf("narrow the profile: %d %v", st, body)
	}
	cs := mcpSession(t, e.srv.URL, e.keyA, acc, "", nil)
	for _, c := range []struct {
		name, body, category string
		retryable            bool
		before               func()
	}{
		{name: "bad input", body: `{"action":"justworks_list_members","query":{"limit":"lots"}}`, category: "invalid_input"},
		{name: "an action the profile does not enable", body: `{"action":"justworks_list_deductions"}`, category: "not_permitted"},
		{name: "an unknown member", body: `{"action":"justworks_get_member","path":{"member_id":"mbr_nobody"}}`, category: "not_found"},
		{name: "a provider that keeps failing", body: `{"action":"justworks_get_company"}`, category: "provider_error", retryable: true,
			before: func() {
				jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 20, Kind: simctl.KindStatus, Status: 503})
			}},
		{name: "a grant the provider revoked", body: `{"action":"justworks_get_company"}`, category: "needs_reauth", before: func() {
			jw.Faults.Clear()
			e.expire(t, acc)
			jw.Faults.Add(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
		}},
	} {
		if c.before != nil {
			c.before()
		}
		st, body := e.rpc(t, acc, c.body)
		if st < 400 || body["error_category"] != c.category || body["retryable"] != c.retryable {
			t.Errorf("%s over RPC: %d, %v, retryable %v; want %s, %v", c.name, st, body["error_category"], body["retryable"], c.category, c.retryable)
		}
		var req map[string]any
		json.Unmarshal([]byte(c.body), &req)
		args := map[string]any{} // the tool's arguments: path and query as in the RPC body
		for _, part := range []string{"path", "query"} {
			if v, ok := req[part].(map[string]any); ok {
				args[part] = v
			}
		}
		if c.category == "not_permitted" {
			continue // the tool is not offered at all when the profile does not enable it
		}
		got := callTool(t, cs, req["action"].(string), args, true)
		if got["error_category"] != c.category || got["retryable"] != c.retryable {
			t.Errorf("%s over MCP: %v, retryable %v; want %s, %v (%v)", c.name, got["error_category"], got["retryable"], c.category, c.retryable, got["message"])
		}
	}
}
