package toolsearch

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// TestSearchRanksTheRightAction asks in plain words, as an agent would, and
// wants the intended action among the top three.
func TestSearchRanksTheRightAction(t *testing.T) {
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string][]struct{ query, want string }{
		"justworks": {
			{"who works here", "justworks_list_members"},
			{"pay stubs for a member", "justworks_list_payroll_paystubs"},
			{"cancel a deduction", "justworks_cancel_deductions"},
			{"add a 401k withholding for an employee", "justworks_create_deductions"},
			{"change the amount of an existing deduction", "justworks_update_deductions"},
			{"past payroll runs", "justworks_list_payrolls"},
			{"vacation requests this month", "justworks_list_time_off_requests"},
			{"how much PTO does someone have left", "justworks_create_time_off_balances_report"},
			{"company bank details", "justworks_get_company_bank_account"},
			{"look up one employee by id", "justworks_get_member"},
		},
		"employmenthero": {
			{"who works here", "employmenthero_list_employees"},
			{"an employee's payslips", "employmenthero_list_payslips"},
			{"leave balance of a staff member", "employmenthero_list_leave_balances"},
			{"sick leave requests", "employmenthero_list_leave_requests"},
			{"departments in the company", "employmenthero_list_teams"},
			{"hours worked last week", "employmenthero_list_timesheet_entries"},
			{"roster for next week", "employmenthero_list_rostered_shifts"},
			{"super fund details of an employee", "employmenthero_get_superannuation_detail"},
			{"next of kin for an employee", "employmenthero_list_emergency_contacts"},
			{"salary of an employee", "employmenthero_list_pay_details"},
		},
	}
	hits, first, total := 0, 0, 0
	for provider, cases := range queries {
		c, _ := registry.Get(provider)
		var all []*connectors.Action
		for _, a := range c.ProviderActions() {
			all = append(all, a)
		}
		ix := New(provider, all)
		for _, tc := range cases {
			total++
			top := ix.Search(tc.query, 3)
			found := false
			for _, m := range top {
				found = found || m.ActionID == tc.want
			}
			if len(top) > 0 && top[0].ActionID == tc.want {
				first++
			}
			if found {
				hits++
			} else {
				t.Errorf("%s: %q: want %s in the top 3, got %v", provider, tc.query, tc.want, top)
			}
		}
	}
	t.Logf("search hit rate: intended action in the top 3 for %d/%d queries, first for %d/%d", hits, total, first, total)
}

func TestSearchLeavesOutUnrelatedActions(t *testing.T) {
	registry, _ := connectors.Embedded()
	c, _ := registry.Get("justworks")
	a, _ := c.Action("justworks_list_members")
	if got := New("justworks", []*connectors.Action{a}).Search("quantum chromodynamics", 5); len(got) != 0 {
		t.Fatalf("matches for an unrelated query: %v", got)
	}
}

// TestQuerySetHitRates ranks the query set (testdata/queries.tsv: what an HR
// agent asks, and the actions that answer it) and wants an accepted action
// first for at least 80 % of the queries and in the top five for at least
// 95 %. It prints the figures, and the misses.
func TestQuerySetHitRates(t *testing.T) {
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	catalog := NewCatalog(registry)
	// MCP's search_execute mode ranks one account's actions: those a profile
	// can enable, unified operations left out (they are not tools).
	accounts := map[string]*Index{}
	for _, c := range registry.All() {
		var native []*connectors.Action
		for i := range c.Actions {
			if c.Actions[i].Unified == nil {
				native = append(native, &c.Actions[i])
			}
		}
		accounts[c.Key] = New(c.Key, native)
	}
	raw, err := os.ReadFile("testdata/queries.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name   string
		search func(provider, query string) []Match
	}{
		{"POST /actions/search", func(provider, query string) []Match {
			found, err := catalog.Search(query, provider, 5)
			if err != nil {
				t.Fatal(err)
			}
			return found
		}},
		{"MCP search_execute", func(provider, query string) []Match { return accounts[provider].Search(query, 5) }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			var queries, hit1, hit5 int
			for line := range strings.Lines(string(raw)) {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				f := strings.Split(line, "\t")
				if len(f) != 3 {
					t.Fatalf("queries.tsv: %q is not provider, query, actions", line)
				}
				accepted := strings.Split(f[2], ",")
				found := mode.search(f[0], f[1])
				queries++
				rank := slices.IndexFunc(found, func(m Match) bool { return slices.Contains(accepted, m.ActionID) })
				var got []string
				for _, m := range found {
					got = append(got, m.ActionID)
				}
				switch {
				case rank == 0:
					hit1++
					hit5++
				case rank > 0:
					hit5++
					t.Logf("%s %q: at %d of %v", f[0], f[1], rank+1, got)
				default:
					t.Logf("%s %q: not in the top five %v", f[0], f[1], got)
				}
			}
			at1, at5 := float64(hit1)/float64(queries), float64(hit5)/float64(queries)
			t.Logf("%s, %d queries: Hit@1 %.1f %%, Hit@5 %.1f %%", mode.name, queries, 100*at1, 100*at5)
			if queries < 80 || at1 < 0.80 || at5 < 0.95 {
				t.Fatalf("%d queries: Hit@1 %.1f %% (want ≥ 80), Hit@5 %.1f %% (want ≥ 95)", queries, 100*at1, 100*at5)
			}
		})
	}
}
