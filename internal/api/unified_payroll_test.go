package api_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
)

// money reads a {amount, currency} field as minor units and currency.
func money(t *testing.T, r map[string]any, name string) (int64, string) {
	t.Helper()
	m, ok := r[name].(map[string]any)
	if !ok {
		t.Fatalf("%s is not money: %v", name, r[name])
	}
	amount := m["amount"].(float64)
	if amount != math.Trunc(amount) {
		t.Fatalf("%s is not whole minor units: %v", name, amount)
	}
	return int64(amount), m["currency"].(string)
}

// TestUnifiedPayRuns checks Justworks' payrolls and paystubs as pay runs and
// pay statements, against the provider's own records.
func TestUnifiedPayRuns(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	payrolls := e.call(t, jw, "justworks_list_payrolls", map[string]any{"query": map[string]any{"start_date": "2000-01-01", "end_date": "2099-12-31", "limit": 3}}).([]any)
	runs := records(t, e.unifiedOK(t, "/unified/payroll/pay_runs?page_size=3&expand=individual_ids", jw))
	if len(runs) != len(payrolls) || len(runs) == 0 {
		t.Fatalf("%d pay runs, Justworks has %d payrolls", len(runs), len(payrolls))
	}
	for i, run := range runs {
		p := payrolls[i].(map[string]any)
		gross, currency := money(t, run, "gross_pay")
		net, _ := money(t, run, "net_pay")
		taxes, _ := money(t, run, "employee_taxes")
		if run["id"] != p["id"] || gross != int64(p["gross_pay"].(float64)) || net != int64(p["net_pay"].(float64)) ||
			taxes != int64(p["employee_taxes"].(float64)) || currency != p["currency"] || run["pay_date"] != p["pay_date"].(string)+"T00:00:00.000Z" {
			t.Errorf("pay run %v, payroll %v", run, p)
		}
		period := run["pay_period"].(map[string]any)
		if period["start_date"].(string) >= period["end_date"].(string) {
			t.Errorf("pay period %v", period)
		}
		if ids, _ := run["individual_ids"].([]any); len(ids) == 0 {
			t.Errorf("pay run %v has no individual_ids", run["id"])
		}
	}

	first := runs[0]["id"].(string)
	stubs := e.call(t, jw, "justworks_list_payroll_paystubs", map[string]any{"path": map[string]any{"payroll_id": first}, "query": map[string]any{"limit": 4}}).([]any)
	statements := records(t, e.unifiedOK(t, "/unified/payroll/pay_runs/"+first+"/pay_statements?page_size=4", jw))
	if len(statements) != len(stubs) {
		t.Fatalf("%d statements, %d paystubs", len(statements), len(stubs))
	}
	for i, st := range statements {
		stub := stubs[i].(map[string]any)
		gross, _ := money(t, st, "gross_pay")
		net, _ := money(t, st, "net_pay")
		if st["id"] != stub["paystub_id"] || st["individual_id"] != stub["member_id"] || gross != int64(stub["gross_pay"].(float64)) || net != int64(stub["net_pay"].(float64)) {
			t.Errorf("statement %v, paystub %v", st, stub)
		}
		if left := personPaid(t, st, gross); left != net {
			t.Errorf("statement %s: gross %d less taxes and deductions is %d, net %d", st["id"], gross, left, net)
		}
	}
}

// personPaid is gross less the taxes withheld and the deductions of a statement.
func personPaid(t *testing.T, st map[string]any, gross int64) int64 {
	t.Helper()
	for _, tax := range st["taxes"].([]any) {
		if tax := tax.(map[string]any); tax["employer"] == false {
			n, _ := money(t, tax, "amount")
			gross -= n
		}
	}
	for _, d := range st["employee_deductions"].([]any) {
		n, _ := money(t, d.(map[string]any), "amount")
		gross -= n
	}
	return gross
}

// TestUnifiedPayslips checks Employment Hero's payslips as pay statements:
// decimal amounts become minor units in the organisation's currency.
func TestUnifiedPayslips(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	eh := e.linkProvider(t, "employmenthero", "owner@acme.test")
	employee := first(t, e.call(t, eh, "employmenthero_list_employees", map[string]any{"query": map[string]any{"item_per_page": 1}}))["id"].(string)
	slips := e.call(t, eh, "employmenthero_list_payslips", map[string]any{"path": map[string]any{"employee_id": employee}}).([]any)
	statements := records(t, e.unifiedOK(t, "/unified/payroll/employees/"+employee+"/pay_statements?page_size=25", eh))
	if len(statements) != len(slips) || len(slips) == 0 {
		t.Fatalf("%d statements, %d payslips", len(statements), len(slips))
	}
	for i, st := range statements {
		slip := slips[i].(map[string]any)
		net, currency := money(t, st, "net_pay")
		gross, _ := money(t, st, "gross_pay")
		if st["id"] != slip["id"] || currency != "AUD" || net != int64(math.Round(slip["net_pay"].(float64)*100)) ||
			gross != int64(math.Round((slip["wages"].(float64)+slip["reimbursements"].(float64))*100)) {
			t.Errorf("statement %v, payslip %v", st, slip)
		}
		if left := personPaid(t, st, gross); left != net {
			t.Errorf("statement %s: gross %d less taxes and deductions is %d, net %d", st["id"], gross, left, net)
		}
	}
	for _, path := range []string{"/unified/payroll/pay_runs", "/unified/payroll/deductions"} {
		st, body := e.unified(t, "GET", path, eh)
		if msg, _ := body["message"].(string); st != http.StatusNotImplemented || !strings.Contains(msg, "Employment Hero") || !strings.Contains(msg, "HR API") {
			t.Errorf("%s on Employment Hero: %d %v", path, st, body)
		}
	}
}

// TestUnifiedDeductions creates, changes and cancels a Justworks deduction
// through the unified API, with an idempotent create.
func TestUnifiedDeductions(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	member := first(t, e.call(t, jw, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}}))["id"].(string)

	create := `{"individual_id":"` + member + `","type":"union_dues","description":"Union dues","frequency":"recurring","amount":{"amount":4500,"currency":"USD"},"start_date":"2026-12-01"}`
	st, _, created := e.do(t, "POST", "/unified/payroll/deductions", basic(e.keyA), create, "X-Account-Id", jw, "Idempotency-Key", "ded-create-1")
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, created)
	}
	d := created["data"].(map[string]any)
	id := d["id"].(string)
	if amount, currency := money(t, d, "amount"); amount != 4500 || currency != "USD" || d["individual_id"] != member || d["type"] != "union_dues" ||
		enumValue(d, "frequency") != "recurring" || d["start_date"] != "2026-12-01T00:00:00.000Z" {
		t.Fatalf("created %v", d)
	}
	// The request log records the 201 Patchbay answered, not the provider's 200.
	var logged float64
	for _, l := range e.logsOf(t, "filter[actions]=payroll_create_deduction") {
		logged = l["status"].(float64)
	}
	if logged != http.StatusCreated {
		t.Fatalf("the create is logged with status %v", logged)
	}
	// A retry with the same key is the same deduction, not a second one.
	st, _, again := e.do(t, "POST", "/unified/payroll/deductions", basic(e.keyA), create, "X-Account-Id", jw, "Idempotency-Key", "ded-create-1")
	if st != http.StatusCreated || again["data"].(map[string]any)["id"] != id {
		t.Fatalf("retried create: %d %v, first gave %s", st, again, id)
	}
	if n := len(records(t, e.unifiedOK(t, "/unified/payroll/deductions?page_size=100&filter[individual_id]="+member, jw))); n != 1+countBefore(t, e, jw, member, id) {
		t.Fatalf("%d deductions for %s after one create and its retry", n, member)
	}
	// The provider holds what was asked for.
	var held map[string]any
	for _, r := range e.call(t, jw, "justworks_list_deductions", map[string]any{"query": map[string]any{"member_id": member}}).([]any) {
		if r.(map[string]any)["id"] == id {
			held = r.(map[string]any)
		}
	}
	if held == nil || held["amount"] != 4500.0 || held["frequency"] != "every_paycheck" || held["amount_type"] != "fixed" {
		t.Fatalf("Justworks holds %v", held)
	}

	st, _, updated := e.do(t, "PATCH", "/unified/payroll/deductions/"+id, basic(e.keyA), `{"amount":{"amount":5200,"currency":"USD"},"end_date":"2027-06-30"}`, "X-Account-Id", jw)
	if st != http.StatusOK {
		t.Fatalf("update: %d %v", st, updated)
	}
	if u := updated["data"].(map[string]any); u["end_date"] != "2027-06-30T00:00:00.000Z" {
		t.Fatalf("updated %v", u)
	} else if amount, _ := money(t, u, "amount"); amount != 5200 {
		t.Fatalf("updated amount %d", amount)
	}

	for _, bad := range []struct{ body, field string }{
		{`{"type":"union_dues"}`, "individual_id"},
		{`{"individual_id":"` + member + `","type":"union_dues","frequency":"weekly","amount":{"amount":1,"currency":"USD"},"start_date":"2026-12-01"}`, "frequency"},
		{`{"individual_id":"` + member + `","type":"union_dues","frequency":"recurring","amount":{"amount":1,"currency":"USD"},"start_date":"2026-12-01","colour":"red"}`, "body"},
		{`{"individual_id":"mbr_nobody","type":"union_dues","frequency":"recurring","amount":{"amount":1,"currency":"USD"},"start_date":"2026-12-01"}`, "Justworks refused"},
	} {
		st, _, body := e.do(t, "POST", "/unified/payroll/deductions", basic(e.keyA), bad.body, "X-Account-Id", jw)
		if msg, _ := body["message"].(string); st != http.StatusBadRequest || !strings.Contains(msg, bad.field) {
			t.Errorf("%s: %d %v", bad.body, st, body)
		}
	}

	st, body := e.unified(t, "DELETE", "/unified/payroll/deductions/"+id, jw)
	if st != http.StatusOK || body["data"].(map[string]any)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", st, body)
	}
	for _, r := range records(t, e.unifiedOK(t, "/unified/payroll/deductions?page_size=100&filter[individual_id]="+member, jw)) {
		if r["id"] == id {
			t.Fatalf("a cancelled deduction is still listed: %v", r)
		}
	}
	// Justworks lists no cancelled deduction: cancelling again finds none.
	if st, body := e.unified(t, "DELETE", "/unified/payroll/deductions/"+id, jw); st != http.StatusNotFound {
		t.Fatalf("cancelling twice: %d %v", st, body)
	}
}

// countBefore counts the member's deductions other than id: the simulator's own.
func countBefore(t *testing.T, e *linkEnv, account, member, id string) int {
	t.Helper()
	n := 0
	for _, r := range e.call(t, account, "justworks_list_deductions", map[string]any{"query": map[string]any{"member_id": member}}).([]any) {
		if r.(map[string]any)["id"] != id {
			n++
		}
	}
	return n
}
