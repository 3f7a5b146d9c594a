package unified

import (
	"slices"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
)

// TestDefinitionsMatchTheMappers checks that each connector definition offers
// exactly the unified operations its mappers implement, so GET /actions, the
// scope calculator and the API agree on what works.
func TestDefinitionsMatchTheMappers(t *testing.T) {
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range registry.All() {
		var defined []string
		for _, a := range c.Actions {
			if a.Unified != nil {
				defined = append(defined, a.ID)
			}
		}
		var mapped []string
		for id := range providers[c.Key] {
			mapped = append(mapped, id)
		}
		slices.Sort(defined)
		slices.Sort(mapped)
		if len(mapped) == 0 || !slices.Equal(defined, mapped) {
			t.Errorf("%s: the definition offers %v, the mappers implement %v", c.Key, defined, mapped)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(map[string][]string{"page_size": {"100"}, "raw": {"true"}, "fields": {"id, first_name"}, "expand": {"company,employments"},
		"filter[updated_after]": {"2024-01-31T00:00:00Z"}, "filter[email]": {"a@b.test"}, "proxy[member_type]": {"contractor"},
		"proxy[filter[eq][age]]": {"25"}}, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "e1" || p.PageSize != 100 || !p.Raw || !slices.Equal(p.Fields, []string{"id", "first_name"}) || !slices.Contains(p.Expand, "company") ||
		p.UpdatedAfter.IsZero() || p.Email != "a@b.test" || p.Proxy["member_type"] != "contractor" || p.Proxy["filter[eq][age]"] != "25" {
		t.Fatalf("parsed %+v", p)
	}
	if p, _ := Parse(nil, ""); p.PageSize != DefaultPageSize {
		t.Fatalf("default page size %d", p.PageSize)
	}
	for q, field := range map[string]string{"page_size=0": "page_size", "page_size=101": "page_size", "page_size=ten": "page_size",
		"raw=maybe": "raw", "filter[updated_after]=yesterday": "filter[updated_after]"} {
		k, v, _ := strings.Cut(q, "=")
		_, err := Parse(map[string][]string{k: {v}}, "")
		ae, ok := err.(*problem.Error)
		if !ok || ae.Kind != problem.Invalid || !strings.HasPrefix(ae.Message, field+":") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestCursorsBelongToTheirOperation(t *testing.T) {
	next := encodeNext("hris_list_employees", "provider-cursor")
	if got, err := decodeNext("hris_list_employees", *next); err != nil || got != "provider-cursor" {
		t.Fatalf("round trip: %q %v", got, err)
	}
	for _, bad := range []string{*next + "x", "not base64!", ""} {
		if _, err := decodeNext("hris_list_employees", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := decodeNext("hris_list_employments", *next); err == nil {
		t.Error("an employees cursor continued employments")
	}
}

func TestOnlyFields(t *testing.T) {
	list := []Employee{{ID: "1", RemoteID: "1", FirstName: "Ada", LastName: "Ng"}, {ID: "2", RemoteID: "2", FirstName: "Bo"}}
	got, err := onlyFields(list, []string{"id", "last_name"})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "fields", got, []map[string]any{{"id": "1", "last_name": "Ng"}, {"id": "2"}})
	if _, err := onlyFields(list, []string{"id", "shoe_size"}); err == nil || !strings.Contains(err.Error(), `"shoe_size"`) {
		t.Fatalf("unknown field: %v", err)
	}
	one, err := onlyFields(Company{ID: "c", RemoteID: "c", Name: "Acme"}, []string{"name"})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "one record", one, map[string]any{"name": "Acme"})
}

func TestDatesAndMoney(t *testing.T) {
	for in, want := range map[string]string{"2024-03-01": "2024-03-01T00:00:00.000Z", "2020-12-22T00:00:00+10:00": "2020-12-22T00:00:00.000Z", "": "", "soon": ""} {
		if got := isoDate(in); got != want {
			t.Errorf("isoDate(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{850000: "8500.00", 5: "0.05", 0: "0.00", -1250: "-12.50"} {
		if got := decimal(in, 2); got != want {
			t.Errorf("decimal(%d) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		amount float64
		unit   string
		want   string
	}{{2, "days", "P2D"}, {0.5, "days", "PT12H"}, {7.6, "hours", "PT7H36M"}, {8, "hours", "PT8H"}, {3, "weeks", ""}} {
		if got := duration(c.amount, c.unit); got != c.want {
			t.Errorf("duration(%v %s) = %q, want %q", c.amount, c.unit, got, c.want)
		}
	}
}
