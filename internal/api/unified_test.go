package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// unified calls a unified endpoint for the account.
func (e *linkEnv) unified(t *testing.T, method, path, accountID string) (int, map[string]any) {
	t.Helper()
	st, _, body := e.do(t, method, path, basic(e.keyA), "", "X-Account-Id", accountID)
	return st, body
}

// unifiedOK calls a unified endpoint and fails unless it answers 200.
func (e *linkEnv) unifiedOK(t *testing.T, path, accountID string) map[string]any {
	t.Helper()
	st, body := e.unified(t, "GET", path, accountID)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, st, body)
	}
	return body
}

func records(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	list, ok := body["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %v", body)
	}
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i] = r.(map[string]any)
	}
	return out
}

// enumValue reads {value, source_value}.value of a record's field.
func enumValue(r map[string]any, name string) any {
	e, _ := r[name].(map[string]any)
	return e["value"]
}

// unifiedCase is what one provider's answers are checked against: its own
// records, read through the provider's actions (POST /actions/rpc).
type unifiedCase struct {
	provider, email string
	// employees reads the first n provider records as id → {first, last, work email, active, start date}.
	employees func(t *testing.T, e *linkEnv, account string, n int) ([]string, map[string][5]any)
	company   func(t *testing.T, e *linkEnv, account string) (id, name string)
	timeOff   func(t *testing.T, e *linkEnv, account string, n int) []map[string]any
	// pay reads an employee's current pay as the provider states it: the
	// decimal pay rate and the currency.
	pay func(t *testing.T, e *linkEnv, account, employee string) (string, string)
	// statuses maps the provider's time-off statuses to the unified ones.
	statuses map[string]string
}

var unifiedCases = []unifiedCase{
	{
		provider: "justworks", email: "admin@acme.test",
		employees: func(t *testing.T, e *linkEnv, account string, n int) ([]string, map[string][5]any) {
			var ids []string
			out := map[string][5]any{}
			for _, r := range e.call(t, account, "justworks_list_members", map[string]any{"query": map[string]any{"limit": n}}).([]any) {
				m := r.(map[string]any)
				name := m["name"].(map[string]any)
				work := ""
				for _, em := range m["emails"].([]any) {
					if em.(map[string]any)["type"] == "WORK" {
						work = em.(map[string]any)["address"].(string)
					}
				}
				ids = append(ids, m["id"].(string))
				out[m["id"].(string)] = [5]any{name["given_name"], name["family_name"], work, m["active"], m["employment_start_date"]}
			}
			return ids, out
		},
		company: func(t *testing.T, e *linkEnv, account string) (string, string) {
			c := e.call(t, account, "justworks_get_company", nil).(map[string]any)
			return c["id"].(string), c["display_name"].(string)
		},
		timeOff: func(t *testing.T, e *linkEnv, account string, n int) []map[string]any {
			var out []map[string]any
			for _, r := range e.call(t, account, "justworks_list_time_off_requests", map[string]any{"query": map[string]any{"start_date": "2000-01-01", "end_date": "2099-12-31", "limit": n}}).([]any) {
				m := r.(map[string]any)
				out = append(out, map[string]any{"id": m["id"], "employee_id": m["member_id"], "status": m["status"], "start": m["start_date"]})
			}
			return out
		},
		pay: func(t *testing.T, e *linkEnv, account, employee string) (string, string) {
			m := e.call(t, account, "justworks_get_member", map[string]any{"path": map[string]any{"member_id": employee}}).(map[string]any)
			pay := m["current_pay"].(map[string]any)
			cents := int64(pay["amount"].(float64)) // minor units
			return fmt.Sprintf("%d.%02d", cents/100, cents%100), pay["currency"].(string)
		},
		statuses: map[string]string{"pending": "pending", "approved": "approved", "denied": "rejected", "canceled": "cancelled"},
	},
	{
		provider: "employmenthero", email: "owner@acme.test",
		employees: func(t *testing.T, e *linkEnv, account string, n int) ([]string, map[string][5]any) {
			var ids []string
			out := map[string][5]any{}
			for _, r := range e.call(t, account, "employmenthero_list_employees", map[string]any{"query": map[string]any{"item_per_page": n}}).([]any) {
				m := r.(map[string]any)
				work, _ := m["company_email"].(string)
				ids = append(ids, m["id"].(string))
				out[m["id"].(string)] = [5]any{m["first_name"], m["last_name"], work, m["status"] == "active", m["start_date"].(string)[:10]}
			}
			return ids, out
		},
		company: func(t *testing.T, e *linkEnv, account string) (string, string) {
			o := e.call(t, account, "employmenthero_get_organisation", nil).(map[string]any)
			return o["id"].(string), o["name"].(string)
		},
		timeOff: func(t *testing.T, e *linkEnv, account string, n int) []map[string]any {
			var out []map[string]any
			for _, r := range e.call(t, account, "employmenthero_list_leave_requests", map[string]any{"query": map[string]any{"item_per_page": n}}).([]any) {
				m := r.(map[string]any)
				out = append(out, map[string]any{"id": m["id"], "employee_id": m["employee_id"], "status": m["status"], "start": m["start_date"].(string)[:10]})
			}
			return out
		},
		pay: func(t *testing.T, e *linkEnv, account, employee string) (string, string) {
			var latest map[string]any
			for _, d := range e.call(t, account, "employmenthero_list_pay_details", map[string]any{"path": map[string]any{"employee_id": employee}}).([]any) {
				if d := d.(map[string]any); latest == nil || d["effective_from"].(string) > latest["effective_from"].(string) {
					latest = d
				}
			}
			return fmt.Sprintf("%.2f", latest["salary"].(float64)), latest["currency"].(string)
		},
		statuses: map[string]string{"Pending": "pending", "Approved": "approved", "Declined": "rejected", "Cancelled": "cancelled"},
	},
}

// TestUnifiedHRIS reads every unified HRIS endpoint on both providers and
// checks the mapped values against the provider's own records.
func TestUnifiedHRIS(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	for _, c := range unifiedCases {
		t.Run(c.provider, func(t *testing.T) {
			account := e.linkProvider(t, c.provider, c.email)

			ids, want := c.employees(t, e, account, 5)
			page := e.unifiedOK(t, "/unified/hris/employees?page_size=5", account)
			employees := records(t, page)
			if len(employees) != 5 || page["next"] == nil {
				t.Fatalf("page of 5: %d records, next %v", len(employees), page["next"])
			}
			for i, emp := range employees {
				w := want[ids[i]]
				status := "terminated"
				if w[3] == true {
					status = "active"
				}
				work, _ := emp["work_email"].(string)
				got := [5]any{emp["first_name"], emp["last_name"], work, enumValue(emp, "employment_status"), emp["start_date"]}
				if emp["id"] != ids[i] || emp["remote_id"] != ids[i] || got != [5]any{w[0], w[1], w[2], status, w[4].(string) + "T00:00:00.000Z"} {
					t.Errorf("employee %s: got %v, provider has %v", ids[i], got, w)
				}
			}

			// One employee, expanded.
			one := e.unifiedOK(t, "/unified/hris/employees/"+ids[0]+"?expand=employments,company,groups", account)["data"].(map[string]any)
			companyID, companyName := c.company(t, e, account)
			if one["id"] != ids[0] || one["company_id"] != companyID || one["company"].(map[string]any)["name"] != companyName {
				t.Fatalf("expanded employee: %v", one)
			}
			employments := one["employments"].([]any)
			if len(employments) != 1 || employments[0].(map[string]any)["employee_id"] != ids[0] {
				t.Fatalf("expanded employments: %v", employments)
			}
			// Pay is money from the provider, as a decimal string, and the period an enum.
			job := e.unifiedOK(t, "/unified/hris/employments/"+ids[0], account)["data"].(map[string]any)
			rate, currency := c.pay(t, e, account, ids[0])
			if job["pay_rate"] != rate || job["pay_currency"] != currency || enumValue(job, "pay_period") != "year" {
				t.Fatalf("employment of %s: %v; provider pays %s %s a year", ids[0], job, rate, currency)
			}
			perEmployee := records(t, e.unifiedOK(t, "/unified/hris/employees/"+ids[0]+"/employments", account))
			if len(perEmployee) != 1 || perEmployee[0]["pay_rate"] != job["pay_rate"] {
				t.Fatalf("employee's employments: %v, employment %v", perEmployee, job)
			}
			jobs := records(t, e.unifiedOK(t, "/unified/hris/employments?page_size=5", account))
			if len(jobs) != 5 || jobs[0]["employee_id"] != ids[0] || jobs[0]["active"] != (want[ids[0]][3] == true) {
				t.Fatalf("employments: %v", jobs)
			}

			companies := records(t, e.unifiedOK(t, "/unified/hris/companies", account))
			if len(companies) != 1 || companies[0]["id"] != companyID || companies[0]["name"] != companyName {
				t.Fatalf("companies: %v", companies)
			}
			if got := e.unifiedOK(t, "/unified/hris/companies/"+companyID, account)["data"].(map[string]any); got["id"] != companyID {
				t.Fatalf("company: %v", got)
			}
			if st, body := e.unified(t, "GET", "/unified/hris/companies/not-ours", account); st != http.StatusNotFound {
				t.Fatalf("another company: %d %v", st, body)
			}

			providerLeave := c.timeOff(t, e, account, 30)
			leave := records(t, e.unifiedOK(t, "/unified/hris/time_off?page_size=30", account))
			if len(leave) != len(providerLeave) {
				t.Fatalf("time off: %d records, provider has %d", len(leave), len(providerLeave))
			}
			statuses := map[any]bool{}
			for i, l := range leave {
				p := providerLeave[i]
				statuses[p["status"]] = true
				if l["id"] != p["id"] || l["employee_id"] != p["employee_id"] || l["start_date"] != p["start"].(string)+"T00:00:00.000" ||
					l["status"].(map[string]any)["source_value"] != p["status"] || enumValue(l, "status") != c.statuses[p["status"].(string)] {
					t.Errorf("time off %d: %v, provider %v", i, l, p)
				}
			}
			if len(statuses) < 3 {
				t.Fatalf("the page shows only the statuses %v; the check needs more", statuses)
			}
			got := e.unifiedOK(t, "/unified/hris/time_off/"+providerLeave[1]["id"].(string), account)["data"].(map[string]any)
			if got["id"] != providerLeave[1]["id"] || got["duration"] == "" {
				t.Fatalf("one time-off request: %v", got)
			}
			whose := providerLeave[0]["employee_id"].(string)
			for _, l := range records(t, e.unifiedOK(t, "/unified/hris/employees/"+whose+"/time_off?page_size=100", account)) {
				if l["employee_id"] != whose {
					t.Fatalf("employee %s's time off holds %v", whose, l)
				}
			}

			// fields keeps only what is asked for; filter[email] finds one person.
			for _, r := range records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=3&fields=id,last_name", account)) {
				if len(r) != 2 || r["id"] == nil || r["last_name"] == nil {
					t.Fatalf("fields=id,last_name gave %v", r)
				}
			}
			if email := want[ids[1]][2].(string); email != "" {
				found := records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=100&filter[email]="+url.QueryEscape(strings.ToUpper(email)), account))
				if len(found) != 1 || found[0]["id"] != ids[1] {
					t.Fatalf("filter[email]=%s: %v", email, found)
				}
			}
		})
	}
}

// TestUnifiedRawHasNoToken checks raw=true: the provider calls are there, the
// account's tokens are not.
func TestUnifiedRawHasNoToken(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	for _, c := range unifiedCases {
		account := e.linkProvider(t, c.provider, c.email)
		a, err := e.store.GetAccount(context.Background(), e.projectA.ID, account)
		if err != nil {
			t.Fatal(err)
		}
		st, _, body := e.do(t, "GET", "/unified/hris/employees?page_size=2&raw=true&expand=company", basic(e.keyA), "", "X-Account-Id", account)
		if st != http.StatusOK {
			t.Fatalf("%s: %d %v", c.provider, st, body)
		}
		raw, _ := body["raw"].([]any)
		if len(raw) != 2 {
			t.Fatalf("%s: raw %v", c.provider, body["raw"])
		}
		first := raw[0].(map[string]any)
		if first["method"] != "GET" || !strings.Contains(first["url"].(string), "/sandbox/"+c.provider) || first["response"] == nil {
			t.Fatalf("%s: raw call %v", c.provider, first)
		}
		text := mustJSON(body)
		for _, secret := range []string{a.Credentials.AccessToken, a.Credentials.RefreshToken} {
			if secret == "" || strings.Contains(text, secret) {
				t.Fatalf("%s: raw answer holds a token (or the account has none)", c.provider)
			}
		}
		if _, ok := e.unifiedOK(t, "/unified/hris/employees?page_size=2", account)["raw"]; ok {
			t.Fatalf("%s: raw without raw=true", c.provider)
		}
	}

	// Each unified call is one request-log entry named after its operation,
	// with one step per provider call.
	st, _, body := e.do(t, "GET", "/requests/logs?filter[actions]=hris_list_employees&include=step_logs", basic(e.keyA), "")
	logs, _ := body["data"].([]any)
	if st != http.StatusOK || len(logs) != 4 {
		t.Fatalf("request logs of the unified calls: %d %v", st, body)
	}
	for _, l := range logs {
		entry := l.(map[string]any)
		steps, _ := entry["step_requests"].([]any)
		if entry["status"] != float64(200) || entry["http_method"] != "GET" || !strings.HasPrefix(entry["path"].(string), "/unified/hris/employees") || len(steps) == 0 {
			t.Fatalf("entry %v", entry)
		}
	}
}

// TestUnifiedRefusals: what a provider cannot do is a 501 that names it; a
// missing scope is a 403 that names the scope; bad input a 400 naming the field.
func TestUnifiedRefusals(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	eh := e.linkProvider(t, "employmenthero", "owner@acme.test")

	for _, c := range []struct {
		method, path, account string
		status                int
		says                  []string
	}{
		{"POST", "/unified/hris/employees", eh, 501, []string{"POST /unified/hris/employees", "Employment Hero"}},
		{"POST", "/unified/hris/employees/x/time_off", jw, 501, []string{"Justworks"}},
		{"GET", "/unified/hris/benefits", jw, 501, []string{"GET /unified/hris/benefits"}},
		{"GET", "/unified/hris/employees?filter[updated_after]=2024-01-01T00:00:00Z", eh, 501, []string{"Employment Hero", "filter[updated_after]"}},
		{"GET", "/unified/payroll/pay_runs?filter[updated_after]=2024-01-01T00:00:00Z", jw, 501, []string{"Justworks", "filter[updated_after]", "pay_runs"}},
		{"GET", "/unified/hris/time_off?filter[email]=a@b.test", eh, 501, []string{"filter[email]"}},
		{"GET", "/unified/hris/employees?page_size=500", jw, 400, []string{"page_size"}},
		{"GET", "/unified/hris/employees?next=bogus", jw, 400, []string{"next"}},
		{"GET", "/unified/hris/employees?fields=id,shoe_size", jw, 400, []string{"shoe_size"}},
		{"GET", "/unified/hris/employees", "", 400, []string{"x-account-id"}},
		{"GET", "/unified/hris/employees/nobody", jw, 404, nil},
	} {
		st, body := e.unified(t, c.method, c.path, c.account)
		msg, _ := body["message"].(string)
		if st != c.status {
			t.Errorf("%s %s: %d %v, want %d", c.method, c.path, st, body, c.status)
		}
		for _, s := range c.says {
			if !strings.Contains(msg, s) {
				t.Errorf("%s %s: %q does not say %q", c.method, c.path, msg, s)
			}
		}
	}

	// proxy[...] reaches the provider as it is: Employment Hero's member_type.
	contractors := records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=100&proxy[member_type]=contractor", eh))
	if len(contractors) == 0 {
		t.Fatal("proxy[member_type]=contractor found nobody")
	}
	for _, r := range contractors {
		if !strings.HasPrefix(r["employee_number"].(string), "C") {
			t.Fatalf("proxy[member_type]=contractor let %v through", r["employee_number"])
		}
	}

	// One Justworks time-off request, with its policy, though Justworks has no endpoint for one.
	leave := records(t, e.unifiedOK(t, "/unified/hris/time_off?page_size=3", jw))
	one := e.unifiedOK(t, "/unified/hris/time_off/"+leave[2]["id"].(string)+"?expand=policy", jw)["data"].(map[string]any)
	if policy, _ := one["policy"].(map[string]any); one["id"] != leave[2]["id"] || policy["id"] != leave[2]["time_off_policy_id"] || enumValue(policy, "type") == nil {
		t.Fatalf("time-off request with its policy: %v", one)
	}

	// Justworks filters members by update time itself.
	for _, r := range records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=100&filter[updated_after]=2026-06-01T00:00:00Z", jw)) {
		if r["updated_at"].(string) < "2026-06-01" {
			t.Fatalf("updated_after let %v through", r)
		}
	}

	// A profile that does not enable an operation: 403 naming it.
	profile := e.profileOf(t, "justworks")
	st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"enabled_actions":["justworks_list_members","justworks_get_member","hris_list_employees"]}`)
	if st != http.StatusOK {
		t.Fatalf("narrow the profile: %d %v", st, body)
	}
	if st, body := e.unified(t, "GET", "/unified/hris/companies", jw); st != http.StatusForbidden || !strings.Contains(body["message"].(string), "hris_list_companies is not enabled") {
		t.Fatalf("disabled operation: %d %v", st, body)
	}
	// An account linked while the profile asked for fewer scopes, then the
	// employments operation enabled: its field scopes were never granted.
	narrow := e.linkFor(t, "justworks", "admin@acme.test", "cust_narrow")
	st, _, body = e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"enabled_actions":["justworks_list_members","hris_list_employees","hris_list_employments"]}`)
	if st != http.StatusOK {
		t.Fatalf("widen the profile: %d %v", st, body)
	}
	st, body = e.unified(t, "GET", "/unified/hris/employments", narrow)
	if msg, _ := body["message"].(string); st != http.StatusForbidden || !strings.Contains(msg, "member.employment:read") || !strings.Contains(msg, "member.pay:read") {
		t.Fatalf("missing scopes: %d %v", st, body)
	}
	e.unifiedOK(t, "/unified/hris/employees?page_size=1", narrow)
}

// profileOf returns the id of the project's profile for the connector.
func (e *linkEnv) profileOf(t testing.TB, connector string) string {
	t.Helper()
	_, _, body := e.do(t, "GET", "/connector_profiles", basic(e.keyA), "")
	for _, p := range body["data"].([]any) {
		if p := p.(map[string]any); p["connector_key"] == connector {
			return p["id"].(string)
		}
	}
	t.Fatalf("no %s profile", connector)
	return ""
}

// TestUnifiedPagesAThousandEmployees pages 1,000 simulator employees through
// next with page_size=100 and sees each exactly once, on both providers.
func TestUnifiedPagesAThousandEmployees(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 1000})
	for _, c := range unifiedCases {
		t.Run(c.provider, func(t *testing.T) {
			account := e.linkProvider(t, c.provider, c.email)
			seen := map[string]int{}
			path, pages := "/unified/hris/employees?page_size=100", 0
			for {
				body := e.unifiedOK(t, path, account)
				pages++
				for _, r := range records(t, body) {
					seen[r["id"].(string)]++
				}
				next, _ := body["next"].(string)
				if next == "" {
					break
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				path = "/unified/hris/employees?page_size=100&next=" + url.QueryEscape(next)
			}
			if len(seen) != 1000 {
				t.Fatalf("%d distinct employees in %d pages, want 1000", len(seen), pages)
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("employee %s came %d times", id, n)
				}
			}
			t.Logf("%s: 1,000 employees in %d pages", c.provider, pages)
		})
	}
}

// TestUnifiedReferenceData checks policies, types, balances, groups,
// locations, custom-field definitions and the employee includes against the
// providers' records, and the 501s where a provider has no such data.
func TestUnifiedReferenceData(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	eh := e.linkProvider(t, "employmenthero", "owner@acme.test")
	ids := func(list []any, key string) []any {
		var out []any
		for _, r := range list {
			out = append(out, r.(map[string]any)[key])
		}
		return out
	}
	unifiedIDs := func(path, account string) []any {
		var out []any
		for _, r := range records(t, e.unifiedOK(t, path, account)) {
			out = append(out, r["id"])
		}
		return out
	}
	company := e.call(t, jw, "justworks_get_company", nil).(map[string]any)
	for _, c := range []struct {
		path, account string
		want          []any
	}{
		{"/unified/hris/time_off_policies", jw, ids(e.call(t, jw, "justworks_list_time_off_policies", nil).([]any), "id")},
		{"/unified/hris/time_off_types", jw, ids(e.call(t, jw, "justworks_list_time_off_policies", nil).([]any), "id")},
		{"/unified/hris/groups/departments", jw, ids(company["departments"].([]any), "id")},
		{"/unified/hris/groups", jw, ids(company["departments"].([]any), "id")},
		{"/unified/hris/locations", jw, ids(company["offices"].([]any), "id")},
		{"/unified/hris/custom_field_definitions/employees", jw, ids(e.call(t, jw, "justworks_list_company_custom_fields", nil).([]any), "id")},
		{"/unified/hris/time_off_policies?page_size=100", eh, ids(e.call(t, eh, "employmenthero_list_leave_categories", map[string]any{"page_size": 100}).([]any), "id")},
		{"/unified/hris/time_off_types?page_size=100", eh, ids(e.call(t, eh, "employmenthero_list_leave_categories", map[string]any{"page_size": 100}).([]any), "id")},
		{"/unified/hris/groups/teams?page_size=100", eh, ids(e.call(t, eh, "employmenthero_list_teams", map[string]any{"page_size": 100}).([]any), "id")},
		{"/unified/hris/locations?page_size=100", eh, ids(e.call(t, eh, "employmenthero_list_work_locations", map[string]any{"page_size": 100}).([]any), "id")},
		{"/unified/hris/custom_field_definitions/employees?page_size=100", eh, ids(e.call(t, eh, "employmenthero_list_custom_fields", map[string]any{"page_size": 100}).([]any), "id")},
	} {
		if got := unifiedIDs(c.path, c.account); len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: ids %v, provider has %v", c.path, got, c.want)
		}
	}

	employee := first(t, e.call(t, eh, "employmenthero_list_employees", map[string]any{"query": map[string]any{"item_per_page": 1}}))["id"].(string)
	balances := e.call(t, eh, "employmenthero_list_leave_balances", map[string]any{"path": map[string]any{"employee_id": employee}}).([]any)
	got := records(t, e.unifiedOK(t, "/unified/hris/employees/"+employee+"/time_off_balances", eh))
	if len(got) != len(balances) || len(got) == 0 {
		t.Fatalf("%d balances, provider has %d", len(got), len(balances))
	}
	for i, b := range got {
		p := balances[i].(map[string]any)
		if b["policy_id"] != p["leave_category_id"] || b["current_balance"] != p["remaining_balance"] || enumValue(b, "balance_unit") != p["unit_type"] {
			t.Errorf("balance %v, provider %v", b, p)
		}
	}

	// include=custom_fields,bank_details: one employee's values and accounts, as the provider has them.
	one := e.unifiedOK(t, "/unified/hris/employees/"+employee+"?include=custom_fields,bank_details", eh)["data"].(map[string]any)
	values := e.call(t, eh, "employmenthero_list_employee_custom_fields", map[string]any{"path": map[string]any{"employee_id": employee}}).([]any)
	accounts := e.call(t, eh, "employmenthero_list_bank_accounts", map[string]any{"path": map[string]any{"employee_id": employee}}).([]any)
	fields, _ := one["custom_fields"].([]any)
	banks, _ := one["bank_details"].([]any)
	if fmt.Sprint(ids(fields, "id")) != fmt.Sprint(ids(values, "custom_field_id")) || fmt.Sprint(ids(banks, "account_number")) != fmt.Sprint(ids(accounts, "account_number")) {
		t.Fatalf("includes: %v %v; provider %v %v", fields, banks, values, accounts)
	}
	page := records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=3&include=custom_fields", jw))
	for _, emp := range page {
		if defs, _ := emp["custom_fields"].([]any); len(defs) != len(e.call(t, jw, "justworks_list_company_custom_fields", nil).([]any)) {
			t.Fatalf("Justworks employee %v: custom fields %v", emp["id"], emp["custom_fields"])
		}
	}
	if _, ok := e.unifiedOK(t, "/unified/hris/employees?page_size=3", jw)["data"].([]any)[0].(map[string]any)["custom_fields"]; ok {
		t.Fatal("custom fields without include")
	}

	for _, c := range []struct{ method, path, account, says string }{
		{"GET", "/unified/hris/employees/x/time_off_balances", jw, "asynchronous report"},
		{"GET", "/unified/hris/groups/teams", jw, "departments"},
		{"GET", "/unified/hris/groups/departments", eh, "teams"},
		{"POST", "/unified/hris/employees/" + employee + "/time_off", eh, "Employment Hero publishes no path"},
		{"POST", "/unified/hris/employees/x/time_off", jw, "Justworks"},
	} {
		st, _, body := e.do(t, c.method, c.path, basic(e.keyA), `{"start_date":"2026-12-01"}`, "X-Account-Id", c.account)
		if msg, _ := body["message"].(string); st != http.StatusNotImplemented || !strings.Contains(msg, c.says) {
			t.Errorf("%s %s: %d %v", c.method, c.path, st, body)
		}
	}
}

// TestUnifiedIncludesKeepTheRateLimit: a page that costs a call per employee
// (include=custom_fields,bank_details: 1 + 2 × 25 calls) keeps Employment
// Hero's 20 calls a second, rides out a transient 503, and fails as a whole,
// never as a partial page, when the provider keeps failing.
func TestUnifiedIncludesKeepTheRateLimit(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 40}) // the simulators enforce the published limits
	eh, _ := e.sb.Provider("employmenthero")
	account := e.linkProvider(t, "employmenthero", "owner@acme.test")
	if err := eh.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: "/api/v2/organisations", Count: 1, Kind: simctl.KindStatus, Status: 503}); err != nil {
		t.Fatal(err)
	}
	page := records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=25&include=custom_fields,bank_details", account))
	if len(page) != 25 {
		t.Fatalf("%d employees", len(page))
	}
	for _, emp := range page {
		if _, ok := emp["custom_fields"]; !ok {
			t.Fatalf("employee %v has no custom_fields", emp["id"])
		}
	}
	if n := eh.Stats.Get("rate_limited"); n != 0 {
		t.Fatalf("Employment Hero refused %d calls for going past its rate limit", n)
	}
	if n := eh.Stats.Get("fault.status"); n != 1 {
		t.Fatalf("the 503 was met %d times, want 1", n)
	}

	if err := eh.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: "/api/v2/organisations", Count: 1000, Kind: simctl.KindStatus, Status: 500}); err != nil {
		t.Fatal(err)
	}
	st, body := e.unified(t, "GET", "/unified/hris/employees?page_size=5&include=bank_details", account)
	if msg, _ := body["message"].(string); st != http.StatusBadGateway || body["data"] != nil || !strings.Contains(msg, "Employment Hero") {
		t.Fatalf("a failing include: %d %v", st, body)
	}
}

// TestUnifiedCallsShareOneBudget: the provider calls of one unified request
// share the executor's time budget. Each slow call here fits the budget on its
// own; a page of them does not, and the request ends with 408 and Retry-After
// instead of running on.
func TestUnifiedCallsShareOneBudget(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWrapped(t, backendtest.SQLite, sandbox.Options{Members: 12}, nil, func(o *app.Options) { o.ActionBudget = time.Second })
	eh, _ := e.sb.Provider("employmenthero")
	account := e.linkProvider(t, "employmenthero", "owner@acme.test")
	if err := eh.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: "/api/v2/organisations", Count: 100, Kind: simctl.KindDelay, DelayMS: 400}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, header, body := e.do(t, "GET", "/unified/hris/employees?page_size=12&include=bank_details", basic(e.keyA), "", "X-Account-Id", account)
	if st != http.StatusRequestTimeout || header.Get("Retry-After") == "" {
		t.Fatalf("a page past the budget: %d %v", st, body)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the request ran %v past a 1 s budget", took)
	}
}

// TestUnifiedPagesAtOnceStayWhole runs unified pages and raw action pages at
// the same time. Provider pages are read into buffers that calls share one
// after another, and the unified records are decoded into strings that point
// into their page: every answer must come out exactly as the same page alone
// (and under -race, no read may meet a later call's write).
func TestUnifiedPagesAtOnceStayWhole(t *testing.T) {
	t.Parallel()
	e := newLinkEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 300})
	type call struct{ method, path, body, account string }
	var calls []call
	for _, c := range unifiedCases {
		account := e.linkProvider(t, c.provider, c.email)
		path := "/unified/hris/employees?page_size=100&expand=employments,groups"
		for range 3 {
			calls = append(calls, call{"GET", path, "", account})
			next, _ := e.unifiedOK(t, path, account)["next"].(string)
			path = "/unified/hris/employees?page_size=100&expand=employments,groups&next=" + url.QueryEscape(next)
		}
		action := map[string]string{"justworks": `{"action":"justworks_list_members","query":{"limit":100}}`,
			"employmenthero": `{"action":"employmenthero_list_employees","query":{"item_per_page":100}}`}[c.provider]
		calls = append(calls, call{"POST", "/actions/rpc", action, account})
	}
	send := func(c call) (int, string, error) {
		req, err := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", basic(e.keyA))
		req.Header.Set("X-Account-Id", c.account)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw), err
	}
	alone := make([]string, len(calls))
	for i, c := range calls {
		st, body, err := send(c)
		if err != nil || st != http.StatusOK {
			t.Fatalf("%s %s: %d %v %.300s", c.method, c.path, st, err, body)
		}
		alone[i] = body
	}
	var wg sync.WaitGroup
	for n := range 48 {
		wg.Go(func() {
			i := n % len(calls)
			st, body, err := send(calls[i])
			if err != nil || st != http.StatusOK || body != alone[i] {
				t.Errorf("%s %s at once: %d %v, the answer differs from the same call alone: %t", calls[i].method, calls[i].path, st, err, body != alone[i])
			}
		})
	}
	wg.Wait()
}

// TestUnifiedUnreadablePages: employee pages are checked and read in one pass,
// so a page that is not JSON or stops halfway answers 502 naming the provider
// and what is wrong, never a partial page; the next good page reads as before.
// (Pages with repeated or wrongly typed records: TestDecodeAnswer.)
func TestUnifiedUnreadablePages(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	for _, c := range []struct{ provider, email, prefix, want string }{
		{"justworks", "admin@acme.test", "/v1/members", "Justworks"},
		{"employmenthero", "owner@acme.test", "/api/v1/organisations", "Employment Hero"},
	} {
		t.Run(c.provider, func(t *testing.T) {
			sim, _ := e.sb.Provider(c.provider)
			account := e.linkProvider(t, c.provider, c.email)
			for _, kind := range []string{simctl.KindMalformed, simctl.KindTruncated} {
				if err := sim.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: c.prefix, Count: 1, Kind: kind}); err != nil {
					t.Fatal(err)
				}
				st, body := e.unified(t, "GET", "/unified/hris/employees?page_size=10", account)
				msg, _ := body["message"].(string)
				if st != http.StatusBadGateway || body["data"] != nil || !strings.Contains(msg, c.want+" answered") || !strings.Contains(msg, "invalid JSON") {
					t.Errorf("%s fault: %d %v, want 502 naming %s and saying the page is not JSON", kind, st, body, c.want)
				}
			}
			if page := records(t, e.unifiedOK(t, "/unified/hris/employees?page_size=10", account)); len(page) != 10 {
				t.Fatalf("after the faults: %d employees, want 10", len(page))
			}
		})
	}
}
