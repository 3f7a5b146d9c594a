package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func TestConnectorsAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	auth := basic(f.keyA)

	st, _, body := f.do(t, "GET", "/connectors", auth, "")
	if st != http.StatusOK {
		t.Fatalf("list: %d %v", st, body)
	}
	var keys []string
	for _, c := range body["data"].([]any) {
		c := c.(map[string]any)
		keys = append(keys, c["key"].(string))
		if c["redirect_uri"] != f.srv.URL+"/connect/oauth2/"+c["key"].(string)+"/callback" {
			t.Errorf("%s redirect_uri = %v", c["key"], c["redirect_uri"])
		}
	}
	if strings.Join(keys, ",") != "employmenthero,justworks" {
		t.Fatalf("connectors %v", keys)
	}

	st, _, body = f.do(t, "GET", "/connectors/employmenthero", auth, "")
	if st != http.StatusOK {
		t.Fatalf("get: %d %v", st, body)
	}
	authBody := body["auth"].(map[string]any)
	if authBody["pkce"] != "S256" || authBody["scopes_in_authorize_request"] != false || authBody["access_token_lifetime_seconds"] != float64(900) {
		t.Fatalf("employmenthero auth: %v", authBody)
	}
	steps, _ := body["registration_steps"].([]any)
	if !strings.Contains(strings.Join(toStrings(steps), "\n"), f.srv.URL+"/connect/oauth2/employmenthero/callback") {
		t.Fatalf("registration steps do not carry the redirect URI: %v", steps)
	}

	st, h, _ := f.do(t, "GET", "/static/icons/justworks.svg", "", "")
	if st != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("icon: %d %s", st, h.Get("Content-Type"))
	}
	st, _, body = f.do(t, "GET", "/static/icons/bamboohr.svg", "", "")
	wantError(t, st, body, http.StatusNotFound)

	st, _, body = f.do(t, "GET", "/connectors/bamboohr", auth, "")
	wantError(t, st, body, http.StatusNotFound)
	st, _, body = f.do(t, "GET", "/connectors", "", "")
	wantError(t, st, body, http.StatusUnauthorized)
}

func toStrings(v []any) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i], _ = s.(string)
	}
	return out
}

func TestActionsMeta(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	auth := basic(f.keyA)

	st, _, body := f.do(t, "GET", "/actions?filter[connectors]=justworks", auth, "")
	if st != http.StatusOK {
		t.Fatalf("%d %v", st, body)
	}
	data := body["data"].([]any)
	if len(data) != 1 || body["next"] != nil {
		t.Fatalf("want one ActionsMeta and no next page: %v", body)
	}
	meta := data[0].(map[string]any)
	actions := meta["actions"].([]any)
	own, unified := 0, map[string][]string{}
	for _, a := range actions {
		a := a.(map[string]any)
		if id := a["id"].(string); strings.HasPrefix(id, "justworks_") {
			own++
		} else {
			unified[id] = toStrings(a["required_scopes"].([]any))
		}
	}
	if own != 21 || len(unified) != len(mustJustworks(t).Actions)-21 {
		t.Fatalf("%d justworks actions and %d unified operations, want 21 and the rest", own, len(unified))
	}
	// A unified operation asks for what its provider calls and its mapping read.
	if got := unified["hris_list_employments"]; !slices.Equal(got, []string{"member.basic:read", "member.employment:read", "member.pay:read"}) {
		t.Fatalf("hris_list_employments requires %v", got)
	}
	for _, a := range actions {
		a := a.(map[string]any)
		if scopes, _ := a["required_scopes"].([]any); len(scopes) == 0 {
			t.Errorf("%v has no required_scopes", a["id"])
		}
		if _, has := a["action_details"]; has {
			t.Errorf("action_details without include=action_details")
		}
	}
	if defs := meta["scope_definitions"].([]any); len(defs) != 15 {
		t.Fatalf("%d scope definitions, want 15", len(defs))
	}

	st, _, body = f.do(t, "GET", "/actions?filter[action_key]=justworks_list_members&include=action_details", auth, "")
	if st != http.StatusOK {
		t.Fatalf("%d %v", st, body)
	}
	one := body["data"].([]any)[0].(map[string]any)["actions"].([]any)
	details := one[0].(map[string]any)["action_details"].(map[string]any)
	if len(one) != 1 || details["method"] != "GET" || details["path"] != "/v1/members" || details["inputs"].(map[string]any)["query"] == nil {
		t.Fatalf("action details: %v", one)
	}

	st, _, body = f.do(t, "GET", "/actions?search=superannuation", auth, "")
	metas := body["data"].([]any)
	if st != http.StatusOK || len(metas) != 1 || metas[0].(map[string]any)["key"] != "employmenthero" {
		t.Fatalf("search superannuation: %d %v", st, body)
	}

	// Paging walks every connector once.
	st, _, body = f.do(t, "GET", "/actions?page_size=1", auth, "")
	next, _ := body["next"].(string)
	if st != http.StatusOK || len(body["data"].([]any)) != 1 || next == "" {
		t.Fatalf("first page: %v", body)
	}
	st, _, body = f.do(t, "GET", "/actions?page_size=1&next="+url.QueryEscape(next), auth, "")
	if st != http.StatusOK || len(body["data"].([]any)) != 1 || body["next"] != nil {
		t.Fatalf("second page: %v", body)
	}

	for _, bad := range []string{"/actions?page_size=0", "/actions?next=garbage", "/actions?filter[connectors]=nope"} {
		st, _, body := f.do(t, "GET", bad, auth, "")
		wantError(t, st, body, http.StatusBadRequest)
	}
}

func TestScopesEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	auth := basic(f.keyA)
	st, _, body := f.do(t, "GET", "/connectors/justworks/scopes?actions=justworks_list_company_jurisdictions", auth, "")
	if st != http.StatusOK || body["text"] != "company.detail:read member.detail:read" {
		t.Fatalf("%d %v", st, body)
	}
	st, _, body = f.do(t, "GET", "/connectors/justworks/scopes?actions=justworks_create_deductions,justworks_list_deductions&separator=pipe&minimal=true", auth, "")
	if st != http.StatusOK || body["text"] != "deductions:write" {
		t.Fatalf("minimal: %d %v", st, body)
	}
	// The guide's copy of the endpoint needs no key.
	st, _, body = f.do(t, "GET", "/guides/justworks/scopes?actions=justworks_get_company&separator=comma", "", "")
	if st != http.StatusOK || body["text"] != "company.basic:read" {
		t.Fatalf("guide scopes: %d %v", st, body)
	}

	// One rule with the CLI: the actions named, "all" for every one, none for none.
	st, _, body = f.do(t, "GET", "/guides/justworks/scopes?actions=all&minimal=true&separator=semicolon", "", "")
	if want := "company.detail:read;company.bank_account:read;member.detail:read;member.employment:read;member.pay:read;payroll:read;paystub:read;deductions:write;time_off:read"; st != http.StatusOK || body["text"] != want {
		t.Fatalf("every action's scopes: %d %v", st, body["text"])
	}
	if st, _, body = f.do(t, "GET", "/guides/justworks/scopes", "", ""); st != http.StatusOK || body["text"] != "" {
		t.Fatalf("no action's scopes: %d %v", st, body["text"])
	}
	st, _, body = f.do(t, "GET", "/connectors/justworks/scopes?actions=justworks_get_company,justworks_fly,justworks_swim", auth, "")
	wantError(t, st, body, http.StatusBadRequest)
	if msg := body["message"].(string); !strings.Contains(msg, "justworks_fly") || !strings.Contains(msg, "justworks_swim") || strings.Contains(msg, "justworks_get_company") {
		t.Fatalf("unknown actions message: %q", msg)
	}
	st, _, body = f.do(t, "GET", "/connectors/justworks/scopes?separator=tab", auth, "")
	wantError(t, st, body, http.StatusBadRequest)
	if msg := body["message"].(string); !strings.Contains(msg, "comma, newline, pipe, semicolon, space") {
		t.Fatalf("unknown separator message: %q", msg)
	}
	st, _, body = f.do(t, "GET", "/connectors/justworks/scopes?extra_scopes=everything:write", auth, "")
	wantError(t, st, body, http.StatusBadRequest)
	st, _, body = f.do(t, "GET", "/connectors/nope/scopes", auth, "")
	wantError(t, st, body, http.StatusNotFound)
	st, _, body = f.do(t, "GET", "/guides/nope", "", "")
	wantError(t, st, body, http.StatusNotFound)
}

// POST /actions/search ranks the catalogue's actions for a plain-language
// request, in the shape the StackOne AI SDK's searchActionNames reads, and
// says which field is wrong.
func TestActionSearch(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	st, _, body := e.do(t, "POST", "/actions/search", basic(e.keyA), `{"query":"cancel a deduction","top_k":3,"connector":"justworks"}`)
	results, _ := body["results"].([]any)
	if st != http.StatusOK || len(results) != 3 || body["total_count"] != 3.0 || body["query"] != "cancel a deduction" {
		t.Fatalf("search: %d %v", st, body)
	}
	best := results[0].(map[string]any)
	if id := best["id"]; id != "justworks_cancel_deductions" && id != "payroll_cancel_deduction" {
		t.Fatalf("best match %v", best)
	}
	if score, _ := best["similarity_score"].(float64); score <= 0 || score > 1 {
		t.Fatalf("similarity_score %v", best["similarity_score"])
	}
	// Without a connector, every connector's actions take part.
	_, _, body = e.do(t, "POST", "/actions/search", basic(e.keyA), `{"query":"payslips"}`)
	providers := map[string]bool{}
	for _, r := range body["results"].([]any) {
		id := r.(map[string]any)["id"].(string)
		providers[strings.SplitN(id, "_", 2)[0]] = true
	}
	if !providers["employmenthero"] {
		t.Fatalf("payslips across connectors: %v", body["results"])
	}
	st, _, body = e.do(t, "POST", "/actions/search", basic(e.keyA), `{"query":" ","top_k":99,"connector":"bamboo"}`)
	msg, _ := body["message"].(string)
	if st != http.StatusBadRequest || !strings.Contains(msg, "query:") || !strings.Contains(msg, "top_k:") || !strings.Contains(msg, "connector:") {
		t.Fatalf("bad search: %d %v", st, body)
	}
}
