package unified

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

var update = flag.Bool("update", false, "rewrite docs/unified.md")

const coverageDoc = "../../docs/unified.md"

// TestCoverageDocIsCurrent generates docs/unified.md — the endpoints each
// provider serves and, per model, which fields each provider's mappers fill —
// from the connector definitions and from the mappers run over the simulators'
// records, and fails when the committed file differs. Regenerate with
// go test ./internal/unified -run TestCoverageDocIsCurrent -update.
func TestCoverageDocIsCurrent(t *testing.T) {
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	doc := coverage(t, registry)
	if *update {
		if err := os.WriteFile(coverageDoc, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(coverageDoc)
	if err != nil || !bytes.Equal(committed, doc) {
		t.Fatalf("docs/unified.md is not what the definitions and mappers give (%v); run go test ./internal/unified -run TestCoverageDocIsCurrent -update", err)
	}
}

// providerSamples maps each provider's simulator records to every unified
// model, with expansions and includes filled, as the operations do.
func providerSamples(t *testing.T) map[string]map[string][]any {
	members := recordList[jwMember](t, "justworks_members")
	company := jwCompanyOf(records[jwCompany](t, "justworks_company"))
	detail := records[jwCompany](t, "justworks_company")
	defs := records[[]jwCustomFieldDefinition](t, "justworks_custom_fields")
	byID := map[string]jwCustomFieldDefinition{}
	for _, d := range defs {
		byID[d.ID] = d
	}
	policies := map[string]jwPolicy{}
	jwPolicyList := records[[]jwPolicyRecord](t, "justworks_time_off_policies")
	for _, p := range jwPolicyList {
		policies[p.ID] = p.jwPolicy
	}
	jw := map[string][]any{}
	for _, m := range members {
		e := jwExpand(jwEmployee(m), m, Params{Expand: []string{"employments", "groups"}}, &company)
		e.CustomFields = jwCustomFields(records[[]jwCustomFieldValue](t, "justworks_custom_field_values"), byID)
		jw["Employee"] = append(jw["Employee"], e)
		jw["Employment"] = append(jw["Employment"], jwEmployment(m))
	}
	jw["Company"] = []any{company}
	for _, r := range records[[]jwTimeOffRequest](t, "justworks_time_off_requests") {
		jw["TimeOff"] = append(jw["TimeOff"], jwTimeOff(r, policies))
	}
	for _, p := range jwPolicyList {
		jw["TimeOffPolicy"] = append(jw["TimeOffPolicy"], jwPolicyOf(p))
		jw["TimeOffType"] = append(jw["TimeOffType"], jwTypeOf(p))
	}
	for _, g := range jwGroupsOf(detail) {
		jw["Group"] = append(jw["Group"], g)
	}
	for _, l := range jwLocationsOf(detail) {
		jw["Location"] = append(jw["Location"], l)
	}
	for _, d := range defs {
		jw["CustomFieldDefinition"] = append(jw["CustomFieldDefinition"], jwFieldDefinition(d))
	}
	stubs := records[[]jwPaystub](t, "justworks_paystubs")
	for _, p := range records[[]jwPayroll](t, "justworks_payrolls") {
		run := jwPayRun(p, &stubs[0])
		run.IndividualIDs = []string{stubs[0].MemberID}
		jw["PayRun"] = append(jw["PayRun"], run)
	}
	for _, s := range stubs {
		jw["PayStatement"] = append(jw["PayStatement"], jwPayStatement("prl_acme_01", "", s))
	}
	for _, d := range records[[]jwDeduction](t, "justworks_deductions") {
		jw["Deduction"] = append(jw["Deduction"], jwDeductionOf(d))
	}

	eh := map[string][]any{}
	people := recordList[ehEmployee](t, "employmenthero_employees")
	// The simulator lists current people only; a former employee, as Get
	// Employee returns one, carries a termination date and status.
	former := people[1]
	former.Status, former.TerminationDate = "terminated", "2025-06-30T00:00:00+10:00"
	people = append(people, former)
	org := ehCompanyOf(records[ehOrganisationDetail](t, "employmenthero_organisation"))
	pay := records[[]ehPayDetail](t, "employmenthero_pay_details")
	for _, p := range people {
		e := ehExpand(ehEmployeeOf(p, org.ID), p, Params{Expand: []string{"employments", "groups"}}, &org, &pay[len(pay)-1])
		for _, v := range records[[]ehCustomFieldValue](t, "employmenthero_employee_custom_fields") {
			e.CustomFields = append(e.CustomFields, ehCustomFieldOf(v))
		}
		for _, b := range records[[]ehBankAccount](t, "employmenthero_bank_accounts") {
			e.BankDetails = append(e.BankDetails, ehBankDetail(b))
		}
		eh["Employee"] = append(eh["Employee"], e)
		eh["Employment"] = append(eh["Employment"], ehEmploymentOf(p, &pay[len(pay)-1]))
	}
	eh["Company"] = []any{org}
	for _, r := range records[[]ehLeaveRequest](t, "employmenthero_leave_requests") {
		eh["TimeOff"] = append(eh["TimeOff"], ehTimeOff(r))
	}
	for _, c := range records[[]ehLeaveCategory](t, "employmenthero_leave_categories") {
		eh["TimeOffPolicy"] = append(eh["TimeOffPolicy"], ehPolicyOf(c))
		eh["TimeOffType"] = append(eh["TimeOffType"], ehTypeOf(c))
	}
	for _, b := range records[[]ehLeaveBalance](t, "employmenthero_leave_balances") {
		eh["TimeOffBalance"] = append(eh["TimeOffBalance"], ehBalanceOf("e", b))
	}
	for _, g := range records[[]ehTeam](t, "employmenthero_teams") {
		eh["Group"] = append(eh["Group"], ehGroupOf(g))
	}
	for _, l := range records[[]ehWorkLocation](t, "employmenthero_work_locations") {
		eh["Location"] = append(eh["Location"], ehLocationOf(l))
	}
	for _, d := range records[[]ehCustomField](t, "employmenthero_custom_fields") {
		eh["CustomFieldDefinition"] = append(eh["CustomFieldDefinition"], ehFieldDefinition(d))
	}
	for _, s := range records[[]ehPayslip](t, "employmenthero_payslips") {
		eh["PayStatement"] = append(eh["PayStatement"], ehPayStatement("e", "AUD", s))
	}
	return map[string]map[string][]any{"justworks": jw, "employmenthero": eh}
}

// models are the unified models in the order the document lists them.
var models = []struct {
	name  string
	value any
}{
	{"Employee", Employee{}}, {"Employment", Employment{}}, {"Company", Company{}}, {"TimeOff", TimeOff{}},
	{"TimeOffPolicy", TimeOffPolicy{}}, {"TimeOffType", TimeOffType{}}, {"TimeOffBalance", TimeOffBalance{}},
	{"Group", Group{}}, {"Location", Location{}}, {"CustomFieldDefinition", CustomFieldDefinition{}},
	{"PayRun", PayRun{}}, {"PayStatement", PayStatement{}}, {"Deduction", Deduction{}},
}

var derived = map[string]map[string]string{"justworks": jwDerived, "employmenthero": ehDerived}

func coverage(t *testing.T, registry *connectors.Registry) []byte {
	all := registry.All()
	samples := providerSamples(t)
	var b strings.Builder
	b.WriteString(coverageIntro)

	b.WriteString("\n## Endpoints\n\n| Operation | Endpoint |")
	for _, c := range all {
		b.WriteString(" " + c.Name + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(all)) + "\n")
	for _, op := range connectors.UnifiedOperations() {
		fmt.Fprintf(&b, "| `%s` | `%s %s` |", op.ID, op.Method, op.Path)
		for _, c := range all {
			if a, ok := c.Action(op.ID); ok {
				fmt.Fprintf(&b, " yes; scopes: %s", strings.Join(a.Scopes, ", "))
				if f := providers[c.Key][op.ID].filters; len(f) > 0 {
					fmt.Fprintf(&b, "; filters: %s", strings.Join(f, ", "))
				}
				b.WriteString(" |")
			} else {
				fmt.Fprintf(&b, " 501: %s |", cmp.Or(c.UnifiedUnsupported[op.ID], "not mapped yet"))
			}
		}
		b.WriteString("\n")
	}

	for _, c := range all {
		fmt.Fprintf(&b, "\n### %s: what each operation calls and costs\n\n", c.Name)
		for _, u := range c.UnifiedOps {
			fmt.Fprintf(&b, "- `%s` calls %s", u.ID, codeList(u.Uses))
			if len(u.Optional) > 0 {
				fmt.Fprintf(&b, "; when asked and granted, %s", codeList(u.Optional))
			}
			b.WriteString(".")
			for _, n := range u.Notes {
				b.WriteString(" " + n)
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\n## Field coverage\n\nGenerated from the mappers run over the simulators' records: **mapped** copies the provider's field, **derived** computes it (from what is said), **—** means the provider has no such data.\n")
	for _, m := range models {
		fmt.Fprintf(&b, "\n### %s\n\n| Field |", m.name)
		for _, c := range all {
			b.WriteString(" " + c.Name + " |")
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(all)) + "\n")
		filled := map[string]map[string]bool{}
		for _, c := range all {
			filled[c.Key] = filledFields(t, samples[c.Key][m.name])
		}
		for _, field := range jsonNames(reflect.TypeOf(m.value)) {
			fmt.Fprintf(&b, "| `%s` |", field)
			for _, c := range all {
				switch why, isDerived := derived[c.Key][m.name+"."+field]; {
				case !filled[c.Key][field]:
					b.WriteString(" — |")
				case isDerived:
					fmt.Fprintf(&b, " derived: %s |", why)
				default:
					b.WriteString(" mapped |")
				}
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// filledFields lists the JSON fields set in any of the records.
func filledFields(t *testing.T, records []any) map[string]bool {
	out := map[string]bool{}
	for _, r := range records {
		raw, _ := json.Marshal(r)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if v != nil && v != "" && !(reflect.ValueOf(v).Kind() == reflect.Slice && reflect.ValueOf(v).Len() == 0) {
				out[k] = true
			}
		}
	}
	return out
}

func codeList(ids []string) string {
	quoted := slices.Clone(ids)
	for i, id := range quoted {
		quoted[i] = "`" + id + "`"
	}
	return strings.Join(quoted, ", ")
}

const coverageIntro = `# Unified API

<!-- Generated by go test ./internal/unified -run TestCoverageDocIsCurrent -update; do not edit. -->

One model for every provider. Call the endpoints with the project's API key
(HTTP Basic, the key as the username) and the linked account in ` + "`x-account-id`" + `.
Every provider call goes through the same tokens, throttle, retries and request
log as ` + "`POST /actions/rpc`" + `; each unified call is one request-log entry named
after its operation, with one step per provider call.

- **HRIS** (` + "`/unified/hris`" + `) follows the reference's unified HRIS API: paths,
  parameters, envelope and field names, so clients written for it (the StackOne
  SDK's ` + "`hris.*`" + ` methods) work unchanged.
- **Payroll** (` + "`/unified/payroll`" + `) is Patchbay's own extension, modelled on Finch:
  pay runs, pay statements and deductions. **Money is always
  ` + "`{amount, currency}`" + ` with the amount in integer minor units (cents), never a float.**

**Envelope.** Lists answer ` + "`{data: [...], next: \"…\"|null}`" + `; one record answers
` + "`{data: {...}}`" + `; a create answers 201. With ` + "`raw=true`" + ` the answer adds
` + "`raw: [{method, url, body, response}]`" + ` — the provider calls made, never a token.

**Parameters.** ` + "`page_size`" + ` (default 25, at most 100) and ` + "`next`" + ` (the cursor of
the previous page; keep the other parameters the same); ` + "`fields`" + ` (comma list;
an unknown field is a 400 naming it); ` + "`expand`" + ` (employees: ` + "`employments`" + `,
` + "`company`" + `, ` + "`groups`" + `; time off: ` + "`policy`" + `; pay runs: ` + "`individual_ids`" + `);
` + "`include`" + ` (employees: ` + "`custom_fields`" + `, ` + "`bank_details`" + `, where the provider has them
and the grant allows); ` + "`filter[updated_after]`" + ` (ISO 8601; applied by the provider
where it can, by Patchbay otherwise: each operation's notes below say which);
` + "`filter[email]`" + ` and ` + "`filter[employee_number]`" + ` on employees (applied by Patchbay); ` + "`filter[individual_id]`" + ` on deductions;
` + "`proxy[name]=value`" + ` passes ` + "`name=value`" + ` to the provider's main call as it is.
A filter an operation does not take (the table lists those it does) answers 501
rather than being ignored. A page filtered by Patchbay may hold fewer records than
` + "`page_size`" + ` and still have a ` + "`next`" + `.

**Enums** are ` + "`{value, source_value}`" + `: the unified value and the provider's own. A
provider value with no mapping gives ` + "`unmapped_value`" + `, never an error. **Dates**
are ISO 8601 date-times in UTC (` + "`2024-03-01T00:00:00.000Z`" + `); time-off bounds are
zone-less (` + "`2024-03-01T00:00:00.000`" + `, the end inclusive). **Ids** are the
provider's, also in ` + "`remote_id`" + `.

**Errors.** 501 names the provider and the operation it cannot serve, and why;
403 names the operation to enable on the connector profile or the scopes the
account's grant lacks; 400 names the parameter or body field at fault. A unified
operation is enabled on a connector profile like an action (it is listed by
` + "`GET /actions`" + ` and in the setup guide's action picker), and its scopes are those
of the provider actions it calls plus any field scopes its mapping reads.
`
