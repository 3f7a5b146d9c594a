package justworks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/justworks"
	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

var allScopes = strings.Fields("company.detail:read company.basic:read company.bank_account:read member.detail:read " +
	"member.basic:read member.dob:read member.sex:read member.employment:read member.pay:read member.tax_id:read " +
	"payroll:read paystub:read deductions:write deductions:read time_off:read")

// tokenAuth stands in for the sandbox's OAuth server, which is this package's
// input rather than its code under test: fixed bearer strings map to grants.
type tokenAuth struct {
	mu     sync.Mutex
	grants map[string]oauthserver.Grant
}

func (a *tokenAuth) Authenticate(r *http.Request) (oauthserver.Grant, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return oauthserver.Grant{}, oauthserver.ErrNoToken
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.grants[tok]
	if !ok {
		return oauthserver.Grant{}, oauthserver.ErrInvalidToken
	}
	return g, nil
}

// sim is a running simulator with helpers to call it over real HTTP.
type sim struct {
	t    *testing.T
	url  string
	auth *tokenAuth
}

func newSim(t *testing.T, o justworks.Options, ao justworks.APIOptions) *sim {
	t.Helper()
	auth := &tokenAuth{grants: map[string]oauthserver.Grant{}}
	srv := httptest.NewServer(justworks.NewAPI(justworks.Generate(o), auth, ao))
	t.Cleanup(srv.Close)
	return &sim{t: t, url: srv.URL, auth: auth}
}

// token issues a bearer token for the company with the scopes.
func (s *sim) token(company string, scopes ...string) string {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	tok := fmt.Sprintf("tok-%d", len(s.auth.grants))
	s.auth.grants[tok] = oauthserver.Grant{ClientID: "app", UserID: "usr", Role: "admin", Scopes: scopes, Tenants: []string{company}}
	return tok
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; body, when not nil, is sent as JSON (a string verbatim).
func (s *sim) do(method, tok, path string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	buf, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: buf}
}

func (s *sim) get(tok, path string) response { s.t.Helper(); return s.do("GET", tok, path, nil) }

// ok asserts the status and decodes the body.
func (r response) want(t *testing.T, status int) any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.body)
	}
	return v
}

func (r response) obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.want(t, 200).(map[string]any)
	if !ok {
		t.Fatalf("body is not an object: %s", r.body)
	}
	return m
}

func (r response) items(t *testing.T) []map[string]any {
	t.Helper()
	return asItems(t, r.obj(t)["items"])
}

func asItems(t *testing.T, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %v", v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	return out
}

// wantError asserts a §12.2 error body with the code and, if given, field.
func (r response) wantError(t *testing.T, status int, code, field string) {
	t.Helper()
	body := r.want(t, status).(map[string]any)
	errs := asItems(t, body["errors"])
	if len(errs) != 1 || errs[0]["code"] != code || errs[0]["message"] == "" {
		t.Fatalf("errors = %v, want code %q", errs, code)
	}
	if field != "" && errs[0]["field"] != field {
		t.Fatalf("error field = %v, want %q", errs[0]["field"], field)
	}
}

// walk follows next_cursor from path (which may carry a query) and returns
// every item.
func (s *sim) walk(tok, path string) []map[string]any {
	s.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		p := path
		if cursor != "" {
			p += sep + "cursor=" + url.QueryEscape(cursor)
		}
		body := s.get(tok, p).obj(s.t)
		all = append(all, asItems(s.t, body["items"])...)
		next, ok := body["next_cursor"]
		if !ok {
			return all
		}
		if cursor, _ = next.(string); cursor == "" || pages > 10000 {
			s.t.Fatalf("bad next_cursor %v", next)
		}
	}
}

const acmeMember1 = "mbr_acme_000001" // the CEO: an active US employee with every field

func TestEveryEndpoint(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 7}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, allScopes...)
	// Scalars are omitted when empty, never null (§11).
	noNull := func(r response) response {
		t.Helper()
		if bytes.Contains(r.body, []byte("null")) {
			t.Errorf("response has a null: %s", r.body)
		}
		return r
	}
	get := func(path string) response { t.Helper(); return noNull(s.get(tok, path)) }

	company := get("/v1/company").obj(t)
	if company["id"] != justworks.DemoCompanyID || company["display_name"] != justworks.DemoCompanyName {
		t.Errorf("company = %v", company)
	}
	if cd := company["country_data"].(map[string]any); cd["US"] == nil {
		t.Errorf("country_data = %v", cd)
	}
	if bank := get("/v1/company/bank-account").obj(t); len(bank["account_number_tail"].(string)) != 4 {
		t.Errorf("bank account = %v", bank)
	}
	if info := get("/v1/company/business-info").obj(t); len(info["officers"].([]any)) == 0 || len(info["entity_identifiers"].([]any)) == 0 {
		t.Errorf("business info = %v", info)
	}
	fields := get("/v1/company/custom-fields").items(t)
	if len(fields) != 3 {
		t.Errorf("custom fields = %v", fields)
	}
	if zones := get("/v1/company/jurisdictions").items(t); len(zones) != 2 || zones[0]["zone_code"] != "US-NY" {
		t.Errorf("jurisdictions = %v", zones)
	}

	members := get("/v1/members")
	if body := members.obj(t); body["next_cursor"] != nil || len(asItems(t, body["items"])) != justworks.DefaultMembers {
		t.Errorf("members page: %d items, next_cursor %v", len(asItems(t, body["items"])), body["next_cursor"])
	}
	types := map[string]bool{}
	countries := map[string]bool{}
	for _, m := range members.items(t) {
		types[m["type"].(string)] = true
		for c := range m["current_employment"].(map[string]any) {
			countries[c] = true
		}
	}
	for _, want := range []string{"employee", "contractor", "international_employee", "employee_eor"} {
		if !types[want] {
			t.Errorf("no member of type %s", want)
		}
	}
	if len(countries) < 2 {
		t.Errorf("members cover only countries %v", countries)
	}
	if m := get("/v1/members/" + acmeMember1).obj(t); m["id"] != acmeMember1 || m["company_id"] != justworks.DemoCompanyID || m["active"] != true {
		t.Errorf("member = %v", m)
	}
	values := get("/v1/members/" + acmeMember1 + "/custom-field-values").items(t)
	if len(values) != 3 || values[0]["id"] != fields[0]["id"] {
		t.Errorf("custom field values = %v", values)
	}
	if tax := get("/v1/members/" + acmeMember1 + "/tax-id").obj(t); tax["US"].(map[string]any)["ssn"] == "" {
		t.Errorf("tax id = %v", tax)
	}

	payrolls := get("/v1/payrolls?start_date=2026-01-01&end_date=2026-12-31").items(t)
	if len(payrolls) != 12 {
		t.Fatalf("%d payrolls, want 12 (six months, semi-monthly)", len(payrolls))
	}
	for _, p := range payrolls {
		if g := p["gross_pay"].(float64); g <= 0 || g != math.Trunc(g) || p["currency"] != "USD" {
			t.Errorf("payroll money must be positive integers: %v", p)
		}
	}
	run := payrolls[0]["id"].(string)
	if fees := get("/v1/payrolls/" + run + "/fees").items(t); len(fees) == 0 || fees[0]["amount"].(float64) <= 0 {
		t.Errorf("fees = %v", fees)
	}
	stubs := get("/v1/payrolls/" + run + "/paystubs").items(t)
	if len(stubs) == 0 {
		t.Fatal("no paystubs")
	}
	stub := get("/v1/paystubs/" + stubs[0]["paystub_id"].(string)).obj(t)
	if len(stub["earnings"].([]any)) == 0 || len(stub["employee_deductions"].([]any)) == 0 || stub["net_pay"] != stubs[0]["net_pay"] {
		t.Errorf("paystub = %v", stub)
	}

	dtypes, ok := get("/v1/deduction-types").want(t, 200).([]any)
	if !ok || len(dtypes) != 5 {
		t.Fatalf("deduction types must be a bare array of 5: %v", dtypes)
	}
	if ded := get("/v1/deductions").items(t); len(ded) == 0 {
		t.Error("no deductions")
	}
	created := asItems(t, noNull(s.do("POST", tok, "/v1/deductions", map[string]any{"items": []map[string]any{{
		"operation_id": "op-1", "member_id": acmeMember1, "deduction_type_code": "union_dues", "amount_type": "fixed",
		"amount": 4500, "currency": "USD", "frequency": "every_paycheck", "start_date": "2026-11-01",
	}}})).obj(t)["items"])
	if created[0]["success"] != true {
		t.Fatalf("create = %v", created)
	}
	id := created[0]["deduction_id"].(string)
	updated := asItems(t, s.do("PUT", tok, "/v1/deductions", map[string]any{"items": []map[string]any{{"deduction_id": id, "amount": 5000}}}).obj(t)["items"])
	if updated[0]["success"] != true {
		t.Fatalf("update = %v", updated)
	}
	cancelled := asItems(t, s.do("PATCH", tok, "/v1/deductions/cancel", map[string]any{"deduction_ids": []string{id}}).obj(t)["items"])
	if cancelled[0]["success"] != true || cancelled[0]["deduction_id"] != id {
		t.Fatalf("cancel = %v", cancelled)
	}

	policies := get("/v1/time-off/policies").items(t)
	if len(policies) != 3 {
		t.Fatalf("policies = %v", policies)
	}
	if reqs := get("/v1/time-off/requests?start_date=2026-01-01&end_date=2026-12-31").items(t); len(reqs) < 20 {
		t.Errorf("%d time-off requests, want about 20 or more", len(reqs))
	}
	rep := s.do("POST", tok, "/v1/time-off/balances", map[string]any{"member_id": acmeMember1, "policy_id": policies[0]["id"], "as_of_date": "2026-10-31"}).want(t, 202)
	reportID := rep.(map[string]any)["report_id"].(string)
	if st := get("/v1/time-off/balances/" + reportID).obj(t)["status"]; st != "processing" {
		t.Errorf("first poll status = %v", st)
	}
}

func TestMembersPaginationVisitsEveryMemberOnce(t *testing.T) {
	const n = 1234
	s := newSim(t, justworks.Options{Seed: 3, Members: n}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, "member.basic:read")
	all := s.walk(tok, "/v1/members?limit=100")
	if len(all) != n {
		t.Fatalf("walked %d members, want %d", len(all), n)
	}
	seen := map[string]bool{}
	prev := ""
	for i, m := range all {
		id := m["id"].(string)
		if seen[id] {
			t.Fatalf("member %s returned twice", id)
		}
		seen[id] = true
		if want := fmt.Sprintf("mbr_acme_%06d", i+1); id != want {
			t.Fatalf("item %d is %s, want %s (order is created_at, then id)", i, id, want)
		}
		if c := m["created_at"].(string); c < prev {
			t.Fatalf("created_at goes backwards at %s", id)
		} else {
			prev = c
		}
	}

	// Filtered walks partition the members.
	active := s.walk(tok, "/v1/members?status=active&limit=37")
	terminated := s.walk(tok, "/v1/members?status=terminated&limit=100")
	if len(active)+len(terminated) != n || len(terminated) == 0 {
		t.Fatalf("%d active + %d terminated != %d", len(active), len(terminated), n)
	}
	for _, m := range terminated {
		if m["active"] != false || m["employment_termination_date"] == nil {
			t.Fatalf("terminated filter returned %v", m)
		}
	}
	// The tolerated PELO spelling filters the same way.
	if legacy := s.walk(tok, "/v1/members?employment_status=TERMINATED"); len(legacy) != len(terminated) {
		t.Errorf("employment_status=TERMINATED gave %d members, want %d", len(legacy), len(terminated))
	}

	// updated_at operators split the members around a bound.
	bound := "2026-06-01T00:00:00Z"
	gte := s.walk(tok, "/v1/members?updated_at_gte="+bound)
	lt := s.walk(tok, "/v1/members?updated_at_lt="+bound)
	if len(gte)+len(lt) != n || len(gte) == 0 || len(lt) == 0 {
		t.Fatalf("updated_at_gte %d + updated_at_lt %d != %d", len(gte), len(lt), n)
	}
	for _, m := range gte {
		if m["updated_at"].(string) < bound {
			t.Fatalf("updated_at_gte returned %v", m["updated_at"])
		}
	}
	if bracket := s.walk(tok, "/v1/members?updated_at[gte]="+bound); len(bracket) != len(gte) {
		t.Errorf("updated_at[gte] gave %d members, want %d", len(bracket), len(gte))
	}
	s.get(tok, "/v1/members?updated_at_gt=yesterday").wantError(t, 400, "invalid_parameter", "updated_at_gt")
	s.get(tok, "/v1/members?status=on_leave").wantError(t, 400, "invalid_parameter", "status")
}

func TestPaystubPagesAddUpToThePayroll(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 5, Members: 600}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, "payroll:read", "paystub:read")
	run := s.get(tok, "/v1/payrolls?start_date=2026-10-01&end_date=2026-10-31").items(t)[0]
	stubs := s.walk(tok, "/v1/payrolls/"+run["id"].(string)+"/paystubs?limit=100")
	var gross, net float64
	seen := map[string]bool{}
	for _, st := range stubs {
		if seen[st["paystub_id"].(string)] {
			t.Fatalf("paystub %s twice", st["paystub_id"])
		}
		seen[st["paystub_id"].(string)] = true
		gross += st["gross_pay"].(float64)
		net += st["net_pay"].(float64)
	}
	if len(stubs) < 100 || gross != run["gross_pay"] || net != run["net_pay"] {
		t.Errorf("%d paystubs sum to gross %.0f net %.0f; payroll says %v and %v", len(stubs), gross, net, run["gross_pay"], run["net_pay"])
	}
	if fees := s.walk(tok, "/v1/payrolls/"+run["id"].(string)+"/fees?limit=100"); len(fees) <= len(stubs) {
		t.Errorf("%d fees for %d paystubs: contractors and international members also incur fees", len(fees), len(stubs))
	}
}

func TestScopes(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	acme := justworks.DemoCompanyID
	cases := []struct {
		name, method, path string
		scopes             []string
		want               int
	}{
		{"company needs company.basic", "GET", "/v1/company", []string{"member.basic:read"}, 403},
		{"company.detail includes company.basic", "GET", "/v1/company", []string{"company.detail:read"}, 200},
		{"bank account needs its own scope", "GET", "/v1/company/bank-account", []string{"company.detail:read"}, 403},
		{"business info needs company.detail", "GET", "/v1/company/business-info", []string{"company.basic:read"}, 403},
		{"jurisdictions need member.detail too", "GET", "/v1/company/jurisdictions", []string{"company.detail:read"}, 403},
		{"jurisdictions with both", "GET", "/v1/company/jurisdictions", []string{"company.detail:read", "member.detail:read"}, 200},
		{"members need member.basic", "GET", "/v1/members", []string{"company.basic:read"}, 403},
		{"member.detail includes member.basic", "GET", "/v1/members/" + acmeMember1, []string{"member.detail:read"}, 200},
		{"custom field values need member.detail", "GET", "/v1/members/" + acmeMember1 + "/custom-field-values", []string{"member.basic:read"}, 403},
		{"tax id needs member.tax_id", "GET", "/v1/members/" + acmeMember1 + "/tax-id", []string{"member.detail:read"}, 403},
		{"payrolls need payroll:read", "GET", "/v1/payrolls?start_date=2026-01-01&end_date=2026-12-31", []string{"paystub:read"}, 403},
		{"fees need payroll:read", "GET", "/v1/payrolls/prl_acme_01/fees", []string{"paystub:read"}, 403},
		{"paystubs need paystub:read, not payroll:read", "GET", "/v1/payrolls/prl_acme_01/paystubs", []string{"payroll:read"}, 403},
		{"paystubs with paystub:read alone", "GET", "/v1/payrolls/prl_acme_01/paystubs", []string{"paystub:read"}, 200},
		{"deductions need deductions:read", "GET", "/v1/deductions", []string{"payroll:read"}, 403},
		{"deductions:write includes deductions:read", "GET", "/v1/deduction-types", []string{"deductions:write"}, 200},
		{"writes need deductions:write", "POST", "/v1/deductions", []string{"deductions:read"}, 403},
		{"cancel needs deductions:write", "PATCH", "/v1/deductions/cancel", []string{"deductions:read"}, 403},
		{"time off needs time_off:read", "GET", "/v1/time-off/policies", []string{"payroll:read"}, 403},
		{"balances need time_off:read", "POST", "/v1/time-off/balances", nil, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(c.method, s.token(acme, c.scopes...), c.path, nil)
			if c.want == 403 {
				r.wantError(t, 403, "insufficient_scope", "")
				if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) || !strings.Contains(h, "scope=") {
					t.Errorf("WWW-Authenticate = %q", h)
				}
				return
			}
			r.want(t, c.want)
		})
	}

	t.Run("missing and unknown tokens get 401", func(t *testing.T) {
		for _, tok := range []string{"", "nope"} {
			r := s.get(tok, "/v1/company")
			r.wantError(t, 401, "invalid_token", "")
			if h := r.header.Get("WWW-Authenticate"); h != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", h)
			}
		}
	})
}

func TestFieldLevelScopes(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	member := func(scopes ...string) map[string]any {
		return s.get(s.token(justworks.DemoCompanyID, scopes...), "/v1/members/"+acmeMember1).obj(t)
	}
	empty := func(m map[string]any, field string) bool {
		v, ok := m[field]
		if arr, isArr := v.([]any); isArr {
			return len(arr) == 0
		}
		return !ok
	}
	gated := []string{"date_of_birth", "sex_assigned_at_birth", "current_employment", "employment_history",
		"current_pay", "current_pay_frequency", "pay_history", "addresses"}

	basic := member("member.basic:read")
	for _, f := range gated {
		if !empty(basic, f) {
			t.Errorf("member.basic:read reveals %s = %v", f, basic[f])
		}
	}
	// Hidden arrays are [] rather than missing (§11).
	for _, f := range []string{"employment_history", "pay_history", "addresses", "emails", "phones"} {
		if _, ok := basic[f].([]any); !ok {
			t.Errorf("array %s is not present as an array: %v", f, basic[f])
		}
	}

	full := member(allScopes...)
	for _, f := range gated {
		if empty(full, f) {
			t.Errorf("all scopes still hide %s", f)
		}
	}

	// Each scope reveals exactly its own fields; member.detail:read does not
	// imply dob or sex (§5.1).
	reveal := map[string][]string{
		"member.detail:read":     {"addresses"},
		"member.dob:read":        {"date_of_birth"},
		"member.sex:read":        {"sex_assigned_at_birth"},
		"member.employment:read": {"current_employment", "employment_history"},
		"member.pay:read":        {"current_pay", "current_pay_frequency", "pay_history"},
	}
	for scope, fields := range reveal {
		m := member("member.basic:read", scope)
		for _, f := range gated {
			want := false
			for _, g := range fields {
				want = want || g == f
			}
			if got := !empty(m, f); got != want {
				t.Errorf("with %s, %s shown = %v, want %v", scope, f, got, want)
			}
		}
	}

	// A member missing optional data omits the fields even with every scope.
	sparse := s.get(s.token(justworks.DemoCompanyID, allScopes...), "/v1/members/mbr_acme_000008").obj(t)
	for _, f := range []string{"date_of_birth", "sex_assigned_at_birth", "work_id", "job_title", "department", "manager", "office"} {
		if _, ok := sparse[f]; ok {
			t.Errorf("sparse member has %s", f)
		}
	}
	if !empty(sparse, "addresses") || !empty(sparse, "phones") {
		t.Errorf("sparse member has addresses or phones: %v %v", sparse["addresses"], sparse["phones"])
	}
}

func TestTenantIsolation(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	globex := s.token(justworks.OtherCompanyID, allScopes...)
	acme := s.token(justworks.DemoCompanyID, allScopes...)

	if c := s.get(globex, "/v1/company").obj(t); c["id"] != justworks.OtherCompanyID || c["display_name"] != justworks.OtherCompanyName {
		t.Errorf("globex company = %v", c)
	}
	for _, m := range s.walk(globex, "/v1/members") {
		if m["company_id"] != justworks.OtherCompanyID {
			t.Fatalf("globex sees member %v", m["id"])
		}
	}
	for _, path := range []string{
		"/v1/members/" + acmeMember1,
		"/v1/members/" + acmeMember1 + "/custom-field-values",
		"/v1/payrolls/prl_acme_01/fees",
		"/v1/paystubs/" + s.get(acme, "/v1/payrolls/prl_acme_01/paystubs").items(t)[0]["paystub_id"].(string),
	} {
		s.get(globex, path).wantError(t, 404, "not_found", "")
	}
	acmeDeduction := s.get(acme, "/v1/deductions").items(t)[0]["id"].(string)
	res := asItems(t, s.do("PATCH", globex, "/v1/deductions/cancel", map[string]any{"deduction_ids": []string{acmeDeduction}}).obj(t)["items"])
	if res[0]["success"] != false {
		t.Fatalf("globex cancelled an acme deduction: %v", res)
	}
	// A cursor from one company is foreign to the other.
	next := s.get(acme, "/v1/members?limit=1").obj(t)["next_cursor"].(string)
	s.get(globex, "/v1/members?limit=1&cursor="+next).wantError(t, 400, "invalid_parameter", "cursor")
}

func TestCursorAndLimitValidation(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, allScopes...)
	next := s.get(tok, "/v1/members?status=active&limit=5").obj(t)["next_cursor"].(string)

	s.get(tok, "/v1/members?status=active&limit=5&cursor="+next).want(t, 200)
	s.get(tok, "/v1/members?status=active&limit=9&cursor="+next).want(t, 200) // limit may change
	s.get(tok, "/v1/members?status=terminated&limit=5&cursor="+next).wantError(t, 400, "invalid_parameter", "cursor")
	s.get(tok, "/v1/members?limit=5&cursor="+next).wantError(t, 400, "invalid_parameter", "cursor")
	s.get(tok, "/v1/deductions?cursor="+next).wantError(t, 400, "invalid_parameter", "cursor")
	s.get(tok, "/v1/members?cursor=not-a-cursor").wantError(t, 400, "invalid_parameter", "cursor")
	s.get(tok, "/v1/members?status=active&cursor="+next[:len(next)-2]+"AA").wantError(t, 400, "invalid_parameter", "cursor")
	for _, limit := range []string{"0", "101", "-1", "ten"} {
		s.get(tok, "/v1/members?limit="+limit).wantError(t, 400, "invalid_parameter", "limit")
	}
	if n := len(s.get(tok, "/v1/members?limit=1").items(t)); n != 1 {
		t.Errorf("limit=1 gave %d items", n)
	}

	// Payroll cursors are bound to the date range.
	page := s.get(tok, "/v1/payrolls?start_date=2026-01-01&end_date=2026-12-31&limit=2").obj(t)
	cur := page["next_cursor"].(string)
	s.get(tok, "/v1/payrolls?start_date=2026-01-01&end_date=2026-12-30&limit=2&cursor="+cur).wantError(t, 400, "invalid_parameter", "cursor")
	s.get(tok, "/v1/payrolls?start_date=2026-01-01&end_date=2026-12-31&limit=2&cursor="+cur).want(t, 200)
}

func TestRequiredDates(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, allScopes...)
	for _, base := range []string{"/v1/payrolls", "/v1/time-off/requests"} {
		s.get(tok, base).wantError(t, 400, "invalid_parameter", "start_date")
		s.get(tok, base+"?start_date=2026-01-01").wantError(t, 400, "invalid_parameter", "end_date")
		s.get(tok, base+"?start_date=2026-13-01&end_date=2026-12-31").wantError(t, 400, "invalid_parameter", "start_date")
		s.get(tok, base+"?start_date=2026-01-01&end_date=31/12/2026").wantError(t, 400, "invalid_parameter", "end_date")
		s.get(tok, base+"?start_date=2026-06-01&end_date=2026-05-01").wantError(t, 400, "invalid_parameter", "end_date")
	}
	if runs := s.get(tok, "/v1/payrolls?start_date=2026-10-15&end_date=2026-10-15").items(t); len(runs) != 1 || runs[0]["pay_date"] != "2026-10-15" {
		t.Errorf("inclusive one-day range = %v", runs)
	}
}

func TestUnknownRoutes(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, allScopes...)
	s.get(tok, "/v1/nothing-here").wantError(t, 404, "not_found", "")
	s.do("DELETE", tok, "/v1/deductions", nil).wantError(t, 404, "not_found", "")
	s.get(tok, "/v1/members/mbr_acme_999999").wantError(t, 404, "not_found", "")
	s.get(tok, "/v1/members/mbr_acme_1").wantError(t, 404, "not_found", "")
	s.get(tok, "/v1/paystubs/pst_acme_01_000002").wantError(t, 404, "not_found", "") // member 2 is a contractor
	s.get(tok, "/v1/time-off/balances/rpt_unknown").wantError(t, 404, "not_found", "")
}

func TestTaxID(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, "member.tax_id:read")
	if ssn := s.get(tok, "/v1/members/mbr_acme_000002/tax-id").obj(t)["US"].(map[string]any)["ssn"].(string); len(ssn) != 11 {
		t.Errorf("US contractor ssn = %q", ssn)
	}
	s.get(tok, "/v1/members/mbr_acme_000003/tax-id").wantError(t, 404, "not_found", "")         // international employee
	s.get(tok, "/v1/members/mbr_acme_000004/tax-id").wantError(t, 404, "not_found", "")         // EOR
	s.get(tok, "/v1/members/mbr_acme_000007/tax-id").wantError(t, 400, "invalid_parameter", "") // international contractor
}

func createBody(op, member string, amount any) map[string]any {
	return map[string]any{"items": []map[string]any{{
		"operation_id": op, "member_id": member, "deduction_type_code": "loan_repayment", "amount_type": "fixed",
		"amount": amount, "currency": "USD", "frequency": "every_paycheck", "start_date": "2026-11-01", "description": "Laptop loan",
	}}}
}

func TestDeductionWrites(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, "deductions:write")
	count := func() int { return len(s.walk(tok, "/v1/deductions")) }
	before := count()
	create := func(body any) []map[string]any {
		t.Helper()
		return asItems(t, s.do("POST", tok, "/v1/deductions", body).obj(t)["items"])
	}

	first := create(createBody("op-a", acmeMember1, 4500))[0]
	again := create(createBody("op-a", acmeMember1, 4500))[0]
	if first["success"] != true || again["success"] != true || first["deduction_id"] != again["deduction_id"] || again["operation_id"] != "op-a" {
		t.Fatalf("replay gave %v then %v", first, again)
	}
	if n := count(); n != before+1 {
		t.Fatalf("%d deductions after a replayed create, want %d", n, before+1)
	}
	if other := create(createBody("op-a", acmeMember1, 9900))[0]; other["success"] != false ||
		other["error_message"] != "operation_id already used with different payload" {
		t.Errorf("changed payload = %v", other)
	}

	// Bad rows fail alone; good rows in the same batch succeed (200).
	rows := []map[string]any{
		createBody("op-ok", acmeMember1, 100)["items"].([]map[string]any)[0],
		createBody("op-float", acmeMember1, 45.5)["items"].([]map[string]any)[0],
		createBody("op-member", "mbr_acme_999999", 100)["items"].([]map[string]any)[0],
		createBody("op-zero", acmeMember1, 0)["items"].([]map[string]any)[0],
		{"operation_id": "op-missing", "member_id": acmeMember1},
	}
	res := create(map[string]any{"items": rows})
	wantOK := []bool{true, false, false, false, false}
	for i, r := range res {
		if r["success"] != wantOK[i] || (!wantOK[i] && r["error_message"] == nil) || (wantOK[i] && r["error_message"] != nil) {
			t.Errorf("row %d = %v", i, r)
		}
	}
	if n := count(); n != before+2 {
		t.Fatalf("%d deductions, want %d", n, before+2)
	}

	// Update merges only the fields sent.
	id := first["deduction_id"].(string)
	upd := asItems(t, s.do("PUT", tok, "/v1/deductions", map[string]any{"items": []map[string]any{
		{"deduction_id": id, "amount": 6000, "amount_type": "Percentage"},
		{"deduction_id": "ded_acme_9999", "amount": 1},
		{"deduction_id": id, "end_date": "2020-01-01"},
	}}).obj(t)["items"])
	if upd[0]["success"] != true || upd[1]["success"] != false || upd[2]["success"] != false {
		t.Fatalf("update = %v", upd)
	}
	var got map[string]any
	for _, d := range s.walk(tok, "/v1/deductions?member_id="+acmeMember1+"&description=LAPTOP+LOAN") {
		if d["id"] == id {
			got = d
		}
	}
	if got == nil || got["amount"] != 6000.0 || got["amount_type"] != "Percentage" || got["deduction_type_code"] != "loan_repayment" || got["end_date"] != nil {
		t.Fatalf("updated deduction = %v", got)
	}

	// Cancel hides the deduction; a second cancel is a row error.
	cancel := func() map[string]any {
		return asItems(t, s.do("PATCH", tok, "/v1/deductions/cancel", map[string]any{"deduction_ids": []string{id}}).obj(t)["items"])[0]
	}
	if r := cancel(); r["success"] != true {
		t.Fatalf("cancel = %v", r)
	}
	if r := cancel(); r["success"] != false || r["error_message"] == nil {
		t.Fatalf("second cancel = %v", r)
	}
	if n := count(); n != before+1 {
		t.Fatalf("%d deductions after cancel, want %d", n, before+1)
	}

	// Whole-request errors.
	s.do("POST", tok, "/v1/deductions", `{"items": [`).wantError(t, 400, "invalid_parameter", "body")
	s.do("POST", tok, "/v1/deductions", map[string]any{"items": []any{}}).wantError(t, 400, "invalid_parameter", "items")
	s.do("PUT", tok, "/v1/deductions", `{}`).wantError(t, 400, "invalid_parameter", "items")
	many := make([]string, 101)
	for i := range many {
		many[i] = "ded_acme_0001"
	}
	s.do("PATCH", tok, "/v1/deductions/cancel", map[string]any{"deduction_ids": many}).wantError(t, 400, "invalid_parameter", "deduction_ids")
	s.get(tok, "/v1/deductions?frequency=weekly").wantError(t, 400, "invalid_parameter", "frequency")
}

func TestConcurrentDuplicateCreates(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{})
	tok := s.token(justworks.DemoCompanyID, "deductions:write")
	before := len(s.walk(tok, "/v1/deductions"))

	const rounds, n = 4, 32
	for round := range rounds {
		ids := make([]string, n)
		start := make(chan struct{}) // releases every request at once, for real contention
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Half replay one operation_id; the others each create their own.
				op := fmt.Sprintf("op-shared-%d", round)
				if i%2 == 1 {
					op = fmt.Sprintf("op-%d-%d", round, i)
				}
				body := createBody(op, acmeMember1, 2500)
				<-start
				r := s.do("POST", tok, "/v1/deductions", body)
				var res struct {
					Items []struct {
						DeductionID string `json:"deduction_id"`
						Success     bool   `json:"success"`
					} `json:"items"`
				}
				if err := json.Unmarshal(r.body, &res); err != nil || len(res.Items) != 1 || !res.Items[0].Success {
					t.Errorf("create %d: %d %s", i, r.status, r.body)
					return
				}
				ids[i] = res.Items[0].DeductionID
			})
		}
		close(start)
		wg.Wait()
		distinct := map[string]bool{}
		for i, id := range ids {
			distinct[id] = true
			if i%2 == 0 && id != ids[0] {
				t.Errorf("shared operation_id gave %s and %s", ids[0], id)
			}
		}
		if len(distinct) != 1+n/2 {
			t.Errorf("round %d: %d distinct ids, want %d", round, len(distinct), 1+n/2)
		}
	}
	if after := len(s.walk(tok, "/v1/deductions")); after != before+rounds*(1+n/2) {
		t.Errorf("%d deductions, want %d", after, before+rounds*(1+n/2))
	}
}

func TestBalancesReport(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	t.Run("completes after two polls", func(t *testing.T) {
		s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{Now: clock})
		tok := s.token(justworks.DemoCompanyID, "time_off:read")
		id := s.do("POST", tok, "/v1/time-off/balances", map[string]any{"member_id": acmeMember1, "policy_id": "pol_acme_pto", "as_of_date": "2026-10-31"}).
			want(t, 202).(map[string]any)["report_id"].(string)
		for poll := 1; poll <= 2; poll++ {
			body := s.get(tok, "/v1/time-off/balances/"+id).obj(t)
			if body["status"] != "processing" || len(body["items"].([]any)) != 0 || body["message"] == "" {
				t.Fatalf("poll %d = %v", poll, body)
			}
		}
		body := s.get(tok, "/v1/time-off/balances/"+id).obj(t)
		rows := asItems(t, body["items"])
		if body["status"] != "completed" || len(rows) != 1 {
			t.Fatalf("third poll = %v", body)
		}
		if r := rows[0]; r["member_id"] != acmeMember1 || r["policy_id"] != "pol_acme_pto" || r["unit_type"] != "days" || r["available"] == nil || r["used"] == nil {
			t.Errorf("row = %v", r)
		}

		// Another company cannot see it; after 24 h nobody can.
		s.get(s.token(justworks.OtherCompanyID, "time_off:read"), "/v1/time-off/balances/"+id).wantError(t, 404, "not_found", "")
		advance(25 * time.Hour)
		s.get(tok, "/v1/time-off/balances/"+id).wantError(t, 404, "not_found", "")
	})

	t.Run("completes after the delay", func(t *testing.T) {
		s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{Now: clock, ReportPolls: -1, ReportDelay: 3 * time.Second})
		tok := s.token(justworks.DemoCompanyID, "time_off:read")
		id := s.do("POST", tok, "/v1/time-off/balances", map[string]any{"member_id": acmeMember1, "policy_id": "pol_acme_sick", "as_of_date": "2027-03-01"}).
			want(t, 202).(map[string]any)["report_id"].(string)
		for range 5 {
			if st := s.get(tok, "/v1/time-off/balances/"+id).obj(t)["status"]; st != "processing" {
				t.Fatalf("status %v before the delay", st)
			}
		}
		advance(3 * time.Second)
		if st := s.get(tok, "/v1/time-off/balances/"+id).obj(t)["status"]; st != "completed" {
			t.Fatalf("status %v after the delay", st)
		}
	})

	t.Run("validation and failure", func(t *testing.T) {
		s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{Now: clock, ReportPolls: 0, ReportDelay: time.Nanosecond})
		tok := s.token(justworks.DemoCompanyID, "time_off:read")
		post := func(body any) response { return s.do("POST", tok, "/v1/time-off/balances", body) }
		post(map[string]any{"member_id": acmeMember1, "policy_id": "pol_acme_pto"}).wantError(t, 400, "invalid_parameter", "as_of_date")
		post(map[string]any{"member_id": acmeMember1, "policy_id": "pol_acme_pto", "as_of_date": "tomorrow"}).wantError(t, 400, "invalid_parameter", "as_of_date")
		post(map[string]any{"member_id": "mbr_globex_000001", "policy_id": "pol_acme_pto", "as_of_date": "2026-10-31"}).wantError(t, 400, "invalid_parameter", "member_id")
		post(map[string]any{"member_id": acmeMember1, "policy_id": "pol_nope", "as_of_date": "2026-10-31"}).wantError(t, 400, "invalid_parameter", "policy_id")
		post(`not json`).wantError(t, 400, "invalid_parameter", "body")

		// A contractor has no time-off policies, so the report fails with a reason.
		id := post(map[string]any{"member_id": "mbr_acme_000002", "policy_id": "pol_acme_pto", "as_of_date": "2026-10-31"}).want(t, 202).(map[string]any)["report_id"].(string)
		advance(time.Second)
		if body := s.get(tok, "/v1/time-off/balances/"+id).obj(t); body["status"] != "failed" || !strings.Contains(body["message"].(string), "contractor") {
			t.Errorf("contractor report = %v", body)
		}
		// The tolerated array form; omitted policies mean all of them.
		id = post(map[string]any{"member_ids": []string{acmeMember1, "mbr_acme_000003"}, "as_of_date": "2026-10-31"}).want(t, 202).(map[string]any)["report_id"].(string)
		advance(time.Second)
		if rows := s.get(tok, "/v1/time-off/balances/"+id).items(t); len(rows) != 6 {
			t.Errorf("2 members × 3 policies gave %d rows", len(rows))
		}
	})
}

func TestListOptions(t *testing.T) {
	s := newSim(t, justworks.Options{Seed: 1}, justworks.APIOptions{ListEnvelope: "data", NullNextCursor: true})
	tok := s.token(justworks.DemoCompanyID, "member.basic:read")
	page := s.get(tok, "/v1/members?limit=30").obj(t)
	cur, ok := page["pagination"].(map[string]any)["next_cursor"].(string)
	if !ok || len(page["data"].([]any)) != 30 {
		t.Fatalf("data envelope = %v", page)
	}
	last := s.get(tok, "/v1/members?limit=30&cursor="+cur).obj(t)
	if next, ok := last["pagination"].(map[string]any)["next_cursor"]; !ok || next != nil {
		t.Errorf("last page pagination = %v, want next_cursor null", last["pagination"])
	}
}

func TestDeterminism(t *testing.T) {
	fetch := func(seed int64) []byte {
		s := newSim(t, justworks.Options{Seed: seed, Members: 200}, justworks.APIOptions{})
		tok := s.token(justworks.DemoCompanyID, allScopes...)
		var out []byte
		for _, path := range []string{"/v1/members/mbr_acme_000150", "/v1/company/business-info", "/v1/paystubs/pst_acme_12_000001",
			"/v1/time-off/requests?start_date=2026-01-01&end_date=2026-12-31", "/v1/payrolls?start_date=2026-01-01&end_date=2026-12-31"} {
			r := s.get(tok, path)
			r.want(t, 200)
			out = append(out, r.body...)
		}
		return out
	}
	a, b := fetch(42), fetch(42)
	if !bytes.Equal(a, b) {
		t.Fatal("the same options gave different data")
	}
	if bytes.Equal(a, fetch(43)) {
		t.Fatal("a different seed gave the same data")
	}
}

func TestUsers(t *testing.T) {
	users := justworks.Generate(justworks.Options{}).Users()
	want := map[string]string{justworks.DemoAdminEmail: justworks.DemoCompanyID, justworks.OtherAdminEmail: justworks.OtherCompanyID}
	if len(users) != len(want) {
		t.Fatalf("users = %v", users)
	}
	for _, u := range users {
		if want[u.Email] == "" || u.Role != "admin" || u.Password != justworks.AdminPassword || len(u.Tenants) != 1 || u.Tenants[0].ID != want[u.Email] {
			t.Errorf("user = %+v", u)
		}
	}
}

func TestTinyCompanies(t *testing.T) {
	for n := 1; n <= 9; n++ {
		s := newSim(t, justworks.Options{Seed: int64(n), Members: n}, justworks.APIOptions{})
		tok := s.token(justworks.DemoCompanyID, allScopes...)
		if got := len(s.walk(tok, "/v1/members?limit=2")); got != n {
			t.Errorf("Members %d: listed %d", n, got)
		}
		s.get(tok, "/v1/company/business-info").want(t, 200)
	}
}

// TestGenerateLarge checks that 100,000 members generate quickly and serve;
// the timing is logged, not asserted (BenchmarkGenerate measures it).
func TestGenerateLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,000 members")
	}
	start := time.Now()
	d := justworks.Generate(justworks.Options{Seed: 1, Members: 100_000})
	t.Logf("generated 100,000 members in %v", time.Since(start))
	auth := &tokenAuth{grants: map[string]oauthserver.Grant{"t": {Scopes: allScopes, Tenants: []string{justworks.DemoCompanyID}}}}
	srv := httptest.NewServer(justworks.NewAPI(d, auth, justworks.APIOptions{}))
	defer srv.Close()
	s := &sim{t: t, url: srv.URL, auth: auth}
	if m := s.get("t", "/v1/members/mbr_acme_100000").obj(t); m["id"] != "mbr_acme_100000" {
		t.Errorf("last member = %v", m)
	}
	if stubs := s.get("t", "/v1/payrolls/prl_acme_12/paystubs?limit=100").obj(t); stubs["next_cursor"] == nil {
		t.Error("a 100,000-member payroll fits in one page")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{justworks.DefaultMembers, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var d *justworks.Dataset
			for b.Loop() {
				d = justworks.Generate(justworks.Options{Seed: 1, Members: n})
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
			runtime.KeepAlive(d)
		})
	}
}
