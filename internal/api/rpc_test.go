package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// linkProvider links the demo admin's account for provider and returns its id;
// for Employment Hero it picks the first organisation offered.
func (e *linkEnv) linkProvider(t testing.TB, provider, email string) string {
	t.Helper()
	return e.linkFor(t, provider, email, "")
}

// linkFor links as linkProvider does, for a customer other than the usual
// one when owner is set.
func (e *linkEnv) linkFor(t testing.TB, provider, email, owner string) string {
	t.Helper()
	extra := `,"provider":"` + provider + `"`
	if owner != "" {
		extra += `,"origin_owner_id":"` + owner + `"` // the later key wins
	}
	return e.linkThrough(t, e.session(t, extra), email)
}

// linkThrough completes a Hub link as its customer would, the provider's
// first organisation chosen where one is asked; it returns the account's id.
func (e *linkEnv) linkThrough(t testing.TB, link, email string) string {
	t.Helper()
	b := newBrowserless(t)
	attempt, start := e.startAttempt(t, link)
	resp, _ := b.get(e.authorize(t, b, start, email, "approve"))
	state := e.attempt(t, resp.Header.Get("Location"), attempt)
	if setup, ok := state["setup"].(map[string]any); ok {
		first := setup["options"].([]any)[0].(map[string]any)["value"].(string)
		u, _ := url.Parse(link)
		req, _ := http.NewRequest("POST", e.srv.URL+"/hub/connection_attempts/"+attempt+"/setup", strings.NewReader(`{"value":"`+first+`"}`))
		req.Header.Set("X-Hub-Session-Token", u.Query().Get("token"))
		req.Header.Set("Content-Type", "application/json")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&state)
		r.Body.Close()
	}
	return accountID(t, state)
}

// rpc calls POST /actions/rpc and decodes the answer.
func (e *linkEnv) rpc(t *testing.T, accountID, body string) (int, map[string]any) {
	t.Helper()
	return e.onAccount(t, "/actions/rpc", accountID, body)
}

// allowProxy lets the passthrough proxy read and write with the accounts of
// the provider's profile (it is off by default).
func (e *linkEnv) allowProxy(t testing.TB, provider string) {
	t.Helper()
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+e.profileOf(t, provider), basic(e.keyA), `{"proxy":"read_write"}`); st != http.StatusOK {
		t.Fatalf("allow the proxy: %d %v", st, body)
	}
}

// proxyCall posts a passthrough request for the account.
func (e *linkEnv) proxyCall(t *testing.T, accountID, body string) (int, map[string]any) {
	t.Helper()
	return e.onAccount(t, "/unified/proxy", accountID, body)
}

// onAccount posts body to path for the account and decodes the answer.
func (e *linkEnv) onAccount(t *testing.T, path, accountID, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
	req.SetBasicAuth(e.keyA, "")
	req.Header.Set("X-Account-Id", accountID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// call runs one action and fails the test unless it succeeds.
func (e *linkEnv) call(t *testing.T, accountID, action string, input map[string]any) any {
	t.Helper()
	req := map[string]any{"action": action}
	for k, v := range input {
		req[k] = v
	}
	raw, _ := json.Marshal(req)
	st, body := e.rpc(t, accountID, string(raw))
	if st != http.StatusOK {
		t.Fatalf("%s: %d %v", action, st, body)
	}
	return body["data"]
}

func first(t *testing.T, data any) map[string]any {
	t.Helper()
	items, _ := data.([]any)
	if len(items) == 0 {
		t.Fatalf("expected records, got %v", data)
	}
	return items[0].(map[string]any)
}

func field(t *testing.T, data any, name string) string {
	t.Helper()
	m, ok := data.(map[string]any)
	if !ok {
		t.Fatalf("expected an object, got %T %v", data, data)
	}
	switch v := m[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(int64(v))
	}
	t.Fatalf("no %s in %v", name, m)
	return ""
}

// TestEveryActionThroughRPC runs every Justworks and Employment Hero action
// against the simulators and checks what comes back.
func TestEveryActionThroughRPC(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	registry, _ := connectors.Embedded()
	ran := map[string]bool{}
	run := func(acc, action string, input map[string]any) any {
		ran[action] = true
		return e.call(t, acc, action, input)
	}
	q := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}

	t.Run("justworks", func(t *testing.T) {
		acc := e.linkProvider(t, "justworks", "admin@acme.test")
		if name := field(t, run(acc, "justworks_get_company", nil), "display_name"); name == "" {
			t.Fatal("company without a name")
		}
		field(t, run(acc, "justworks_get_company_bank_account", nil), "routing_number")
		run(acc, "justworks_get_company_business_info", nil)
		first(t, run(acc, "justworks_list_company_custom_fields", nil))
		first(t, run(acc, "justworks_list_company_jurisdictions", nil))
		member := first(t, run(acc, "justworks_list_members", map[string]any{"query": q("limit", 5)}))
		memberID := member["id"].(string)
		if got := field(t, run(acc, "justworks_get_member", map[string]any{"path": q("member_id", memberID)}), "id"); got != memberID {
			t.Fatalf("get member returned %s, want %s", got, memberID)
		}
		run(acc, "justworks_list_member_custom_field_values", map[string]any{"path": q("member_id", memberID)})
		payroll := first(t, run(acc, "justworks_list_payrolls", map[string]any{"query": q("start_date", "2026-05-01", "end_date", "2026-10-31")}))
		payrollID := payroll["id"].(string)
		run(acc, "justworks_list_payroll_fees", map[string]any{"path": q("payroll_id", payrollID)})
		stub := first(t, run(acc, "justworks_list_payroll_paystubs", map[string]any{"path": q("payroll_id", payrollID)}))
		stubID := field(t, stub, "paystub_id")
		if got := field(t, run(acc, "justworks_get_paystub", map[string]any{"path": q("paystub_id", stubID)}), "paystub_id"); got != stubID {
			t.Fatalf("get paystub returned %s", got)
		}
		dtype := first(t, run(acc, "justworks_list_deduction_types", nil))
		run(acc, "justworks_list_deductions", map[string]any{"query": q("limit", 10)})
		created := first(t, run(acc, "justworks_create_deductions", map[string]any{"body": map[string]any{"items": []any{map[string]any{
			"operation_id": "op-rpc-1", "member_id": memberID, "deduction_type_code": dtype["code"], "amount_type": "fixed",
			"amount": 2500, "currency": "USD", "frequency": "every_paycheck", "start_date": "2026-11-01"}}}}))
		dedID := deductionID(t, created)
		run(acc, "justworks_update_deductions", map[string]any{"body": map[string]any{"items": []any{map[string]any{"deduction_id": dedID, "amount": 3000}}}})
		run(acc, "justworks_cancel_deductions", map[string]any{"body": map[string]any{"deduction_ids": []any{dedID}}})
		policy := first(t, run(acc, "justworks_list_time_off_policies", nil))
		report := run(acc, "justworks_create_time_off_balances_report", map[string]any{"body": map[string]any{
			"member_id": memberID, "policy_id": policy["id"], "as_of_date": "2026-10-31"}})
		reportID := field(t, report, "report_id")
		field(t, run(acc, "justworks_get_time_off_balances_report", map[string]any{"path": q("report_id", reportID)}), "status")
		run(acc, "justworks_list_time_off_requests", map[string]any{"query": q("start_date", "2026-01-01", "end_date", "2026-12-31")})
	})

	t.Run("employmenthero", func(t *testing.T) {
		acc := e.linkProvider(t, "employmenthero", "owner@acme.test")
		// organisation_id comes from the account's setup information from here on.
		orgs := run(acc, "employmenthero_list_organisations", nil)
		org := first(t, orgs)["id"].(string)
		if got := field(t, run(acc, "employmenthero_get_organisation", map[string]any{"path": q("organisation_id", org)}), "id"); got != org {
			t.Fatalf("get organisation returned %s", got)
		}
		emp := first(t, run(acc, "employmenthero_list_employees", nil))
		empID := emp["id"].(string)
		if got := field(t, run(acc, "employmenthero_get_employee", map[string]any{"path": q("employee_id", empID)}), "id"); got != empID {
			t.Fatalf("get employee returned %s", got)
		}
		team := first(t, run(acc, "employmenthero_list_teams", nil))
		run(acc, "employmenthero_list_team_employees", map[string]any{"path": q("team_id", team["id"])})
		leave := first(t, run(acc, "employmenthero_list_leave_requests", nil))
		run(acc, "employmenthero_get_leave_request", map[string]any{"path": q("leave_request_id", leave["id"])})
		byEmployee := map[string]any{"path": q("employee_id", empID)}
		for _, action := range []string{"employmenthero_list_leave_balances", "employmenthero_list_payslips", "employmenthero_list_pay_details",
			"employmenthero_list_bank_accounts", "employmenthero_list_employment_histories", "employmenthero_list_emergency_contacts",
			"employmenthero_list_employee_certifications", "employmenthero_list_employee_custom_fields"} {
			run(acc, action, byEmployee)
		}
		first(t, run(acc, "employmenthero_list_leave_categories", nil))
		first(t, run(acc, "employmenthero_list_timesheet_entries", map[string]any{"path": q("employee_id", "-")}))
		// Tax declarations and superannuation exist for most employees, not all.
		for _, action := range []string{"employmenthero_get_tax_declaration", "employmenthero_get_superannuation_detail"} {
			found := false
			for _, it := range run(acc, "employmenthero_list_employees", map[string]any{"query": q("item_per_page", 30)}).([]any) {
				raw, _ := json.Marshal(map[string]any{"action": action, "path": q("employee_id", it.(map[string]any)["id"])})
				if st, body := e.rpc(t, acc, string(raw)); st == http.StatusOK && body["data"] != nil {
					found, ran[action] = true, true
					break
				}
			}
			if !found {
				raw, _ := json.Marshal(map[string]any{"action": action, "path": q("employee_id", empID)})
				st, body := e.rpc(t, acc, string(raw))
				t.Fatalf("%s found no employee with a record; e.g. %d %v", action, st, body)
			}
		}
		for _, action := range []string{"employmenthero_list_certifications", "employmenthero_list_policies", "employmenthero_list_custom_fields",
			"employmenthero_list_cost_centres", "employmenthero_list_employing_entities", "employmenthero_list_work_locations", "employmenthero_list_work_sites"} {
			first(t, run(acc, action, nil))
		}
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		run(acc, "employmenthero_list_rostered_shifts", map[string]any{"query": q("from_date", from.Format(time.RFC3339), "to_date", from.AddDate(0, 0, 14).Format(time.RFC3339))})
		run(acc, "employmenthero_list_unavailabilities", map[string]any{"query": q("from_date", "2026-03-01", "to_date", "2026-03-25")})
	})

	for _, c := range registry.All() {
		for _, a := range c.ProviderActions() {
			if !ran[a.ID] {
				t.Errorf("%s was not run", a.ID)
			}
		}
	}
}

func deductionID(t *testing.T, row map[string]any) string {
	t.Helper()
	if d, ok := row["deduction"].(map[string]any); ok {
		return d["id"].(string)
	}
	if id, ok := row["deduction_id"].(string); ok {
		return id
	}
	t.Fatalf("no deduction id in %v", row)
	return ""
}
