package connectors_test

import (
	"encoding/json"
	"errors"
	"html"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

func registry(t *testing.T) *connectors.Registry {
	t.Helper()
	r, err := connectors.Embedded()
	if err != nil {
		t.Fatalf("load embedded definitions: %v", err)
	}
	return r
}

func justworks(t *testing.T) *connectors.Connector {
	t.Helper()
	c, ok := registry(t).Get("justworks")
	if !ok {
		t.Fatal("no justworks connector")
	}
	return c
}

// TestJustworksMatchesSeed checks every action's id, label and scopes, in order,
// against the action list embedded in the Justworks setup guide.
func TestJustworksMatchesSeed(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/seeds/000_6274f3defdea1be2.txt")
	if os.IsNotExist(err) {
		t.Skip("the seed documents are not beside this checkout")
	}
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`data-guide-actions-json="([^"]*)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("the seed has no data-guide-actions-json attribute")
	}
	var seed []struct {
		ID     string   `json:"id"`
		Label  string   `json:"label"`
		Scopes []string `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &seed); err != nil {
		t.Fatal(err)
	}
	own := justworks(t).ProviderActions()
	if len(seed) != 21 || len(own) != len(seed) {
		t.Fatalf("seed has %d actions, connector has %d; want 21 each", len(seed), len(own))
	}
	for i, want := range seed {
		got := own[i]
		if got.ID != want.ID || got.Label != want.Label || !slices.Equal(got.Scopes, want.Scopes) {
			t.Errorf("action %d: got %s %q %v, want %s %q %v", i+1, got.ID, got.Label, got.Scopes, want.ID, want.Label, want.Scopes)
		}
	}
}

func TestJustworksScopeCalculator(t *testing.T) {
	c := justworks(t)
	var all []string
	for _, a := range c.ProviderActions() {
		all = append(all, a.ID)
	}
	union, err := c.RequiredScopes(all)
	if err != nil {
		t.Fatal(err)
	}
	wantUnion := []string{"company.detail:read", "company.basic:read", "company.bank_account:read", "member.detail:read",
		"member.basic:read", "payroll:read", "paystub:read", "deductions:write", "deductions:read", "time_off:read"}
	if !slices.Equal(union, wantUnion) {
		t.Fatalf("union of all 21 actions:\n got %v\nwant %v", union, wantUnion)
	}
	wantMinimal := []string{"company.detail:read", "company.bank_account:read", "member.detail:read",
		"payroll:read", "paystub:read", "deductions:write", "time_off:read"}
	if got := c.MinimalScopes(union); !slices.Equal(got, wantMinimal) {
		t.Fatalf("minimal set:\n got %v\nwant %v", got, wantMinimal)
	}
	got, err := c.RequiredScopes([]string{"justworks_list_company_jurisdictions"})
	if err != nil {
		t.Fatal(err)
	}
	if joined, _ := connectors.JoinScopes(got, "space"); joined != "company.detail:read member.detail:read" {
		t.Fatalf("jurisdictions alone: %q", joined)
	}
	// A unified operation asks for its actions' scopes and the field scopes its mapping reads.
	got, _ = c.RequiredScopes([]string{"hris_list_employments"})
	if joined, _ := connectors.JoinScopes(got, "space"); joined != "member.basic:read member.employment:read member.pay:read" {
		t.Fatalf("hris_list_employments: %q", joined)
	}
}

func TestJustworksScopeOrderIsTheGuides(t *testing.T) {
	want := "company.detail:read company.basic:read company.bank_account:read member.detail:read member.basic:read member.dob:read member.sex:read member.employment:read member.pay:read member.tax_id:read payroll:read paystub:read deductions:write deductions:read time_off:read"
	var ids []string
	for _, s := range justworks(t).Scopes {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("scope order:\n got %s\nwant %s", got, want)
	}
}

func TestUnknownActionsAreListed(t *testing.T) {
	_, err := justworks(t).RequiredScopes([]string{"justworks_get_company", "justworks_fly", "nope", "justworks_fly"})
	var unknown *connectors.UnknownActionsError
	if !errors.As(err, &unknown) || !slices.Equal(unknown.IDs, []string{"justworks_fly", "nope"}) {
		t.Fatalf("got %v", err)
	}
}

func TestEnabledActionsFollowInheritance(t *testing.T) {
	c := justworks(t)
	var ids []string
	for _, a := range c.EnabledActions([]string{"company.detail:read", "deductions:write"}) {
		ids = append(ids, a.ID)
	}
	want := []string{"justworks_get_company", "justworks_get_company_business_info", "justworks_list_company_custom_fields",
		"justworks_list_deduction_types", "justworks_list_deductions", "justworks_create_deductions",
		"justworks_update_deductions", "justworks_cancel_deductions",
		// Unified operations follow the provider actions they call.
		"hris_list_companies", "hris_get_company", "hris_list_groups", "hris_list_department_groups", "hris_list_locations", "hris_list_employee_custom_field_definitions",
		"payroll_list_deductions", "payroll_create_deduction", "payroll_update_deduction", "payroll_cancel_deduction"}
	if !slices.Equal(ids, want) {
		t.Fatalf("enabled:\n got %v\nwant %v", ids, want)
	}
	if got := c.EnabledActions(nil); len(got) != 0 {
		t.Fatalf("no scopes enable %d actions", len(got))
	}
}

// TestCoversIsEffective: Covers answers what looking in Effective's list
// does, for every scope of both connectors and grants of every single scope,
// pairs of scopes, a scope the connector does not define, and none.
func TestCoversIsEffective(t *testing.T) {
	for _, c := range registry(t).All() {
		grants := [][]string{nil, {"not.a:scope"}}
		for _, a := range c.Scopes {
			grants = append(grants, []string{a.ID}, []string{a.ID, "not.a:scope"})
			for _, b := range c.Scopes {
				grants = append(grants, []string{a.ID, b.ID})
			}
		}
		covered := 0
		for _, granted := range grants {
			have := c.Effective(granted)
			for _, s := range append([]string{"not.a:scope"}, scopeIDs(c)...) {
				if got, want := c.Covers(granted, s), slices.Contains(have, s); got != want {
					t.Fatalf("%s: Covers(%v, %s) = %v; Effective gives %v", c.Key, granted, s, got, have)
				} else if got && !slices.Contains(granted, s) {
					covered++ // through inheritance
				}
			}
		}
		if covered == 0 {
			t.Fatalf("%s: no grant covered a scope through inheritance; the test checks nothing of it", c.Key)
		}
	}
}

func scopeIDs(c *connectors.Connector) []string {
	var ids []string
	for _, s := range c.Scopes {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestJoinScopes(t *testing.T) {
	scopes := []string{"a:read", "b:write"}
	for name, want := range map[string]string{"space": "a:read b:write", "comma": "a:read,b:write", "semicolon": "a:read;b:write", "pipe": "a:read|b:write", "newline": "a:read\nb:write"} {
		if got, err := connectors.JoinScopes(scopes, name); err != nil || got != want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	_, err := connectors.JoinScopes(scopes, "tab")
	if err == nil || !strings.Contains(err.Error(), "comma, newline, pipe, semicolon, space") {
		t.Fatalf("unknown separator: %v", err)
	}
}

func TestRedirectURI(t *testing.T) {
	if got := justworks(t).RedirectURI("https://hub.example.com/"); got != "https://hub.example.com/connect/oauth2/justworks/callback" {
		t.Fatal(got)
	}
}

func TestInputSchemasValidate(t *testing.T) {
	c := justworks(t)
	a, ok := c.Action("justworks_list_members")
	if !ok {
		t.Fatal("no justworks_list_members")
	}
	q := a.Schema("query")
	if q == nil {
		t.Fatal("list members has no query schema")
	}
	if err := q.Validate(map[string]any{"limit": json.Number("50"), "status": "active"}); err != nil {
		t.Fatalf("a good query fails: %v", err)
	}
	for _, bad := range []map[string]any{{"limit": json.Number("500")}, {"status": "retired"}, {"colour": "red"}} {
		if err := q.Validate(bad); err == nil {
			t.Errorf("query %v passes", bad)
		}
	}
	for _, a := range c.ProviderActions() {
		if strings.Contains(a.Path, "{") && a.Schema("path") == nil {
			t.Errorf("%s has path parameters but no path schema", a.ID)
		}
	}
}

const validDef = `
key: acme
name: Acme HR
categories: [hris]
logo: acme.svg
auth:
  type: oauth2
  grant_type: authorization_code
  environments:
    production: {authorize_url: https://acme.test/authorize, token_url: https://acme.test/token}
  scope_separator: " "
  scopes_in_authorize_request: true
  pkce: S256
  client_auth: client_secret_post
  access_token_lifetime: 15m
api:
  base_url: https://api.acme.test
scopes:
  - id: people:read
actions:
  - id: acme_get_person
    label: Get Person
    method: GET
    path: /people/{id}
    scopes: [people:read]
    inputs:
      path: {type: object, properties: {id: {type: string}}, required: [id]}
`

func TestLoadRejectsBrokenDefinitions(t *testing.T) {
	logo := &fstest.MapFile{Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}
	if _, err := connectors.Load(fstest.MapFS{"defs/acme.yaml": {Data: []byte(validDef)}, "defs/acme.svg": logo}, "defs"); err != nil {
		t.Fatalf("the valid definition fails: %v", err)
	}
	cases := []struct{ name, from, to, want string }{
		{"unknown field", "name: Acme HR", "name: Acme HR\nnmae: typo", "field nmae not found"},
		{"bad pkce", "pkce: S256", "pkce: plain", "auth.pkce"},
		{"bad lifetime", "access_token_lifetime: 15m", "access_token_lifetime: soon", "not a duration"},
		{"undefined scope", "scopes: [people:read]", "scopes: [people:write]", `action acme_get_person: scopes: "people:write" is not a defined scope`},
		{"bad method", "method: GET", "method: FETCH", "action acme_get_person: method"},
		{"undeclared path parameter", "path: /people/{id}", "path: /people/{person_id}", `action acme_get_person: inputs.path: path parameter "person_id"`},
		{"broken schema", "type: string}}", "type: strung}}", "action acme_get_person: inputs.path"},
		{"foreign action id", "id: acme_get_person", "id: other_get_person", "id: \"other_get_person\""},
		{"include of an unknown scope", "- id: people:read", "- id: people:read\n    includes: [people:list]", "includes"},
		{"paginated without pagination", "scopes: [people:read]\n", "scopes: [people:read]\n    paginated: true\n", "paginated"},
		{"missing logo file", "logo: acme.svg", "logo: gone.svg", "logo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def := strings.Replace(validDef, tc.from, tc.to, 1)
			if def == validDef {
				t.Fatalf("the mutation %q did not apply", tc.from)
			}
			_, err := connectors.Load(fstest.MapFS{"defs/acme.yaml": {Data: []byte(def)}, "defs/acme.svg": logo}, "defs")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "defs/acme.yaml") {
				t.Fatalf("got %v, want an error naming defs/acme.yaml and %q", err, tc.want)
			}
		})
	}
}

func TestFillFromSetup(t *testing.T) {
	c, ok := registry(t).Get("employmenthero")
	if !ok {
		t.Fatal("no employmenthero")
	}
	a, _ := c.Action("employmenthero_get_employee")
	setup := map[string]string{"organisation_id": "org-from-account"}

	path := map[string]any{"employee_id": "emp-1"}
	a.FillFromSetup(path, map[string]any{}, setup)
	if path["organisation_id"] != "org-from-account" {
		t.Fatalf("organisation_id not filled: %v", path)
	}
	if err := a.Schema("path").Validate(path); err != nil {
		t.Fatalf("the filled path does not validate: %v", err)
	}

	given := map[string]any{"employee_id": "emp-1", "organisation_id": "org-chosen"}
	a.FillFromSetup(given, map[string]any{}, setup)
	if given["organisation_id"] != "org-chosen" {
		t.Fatalf("the caller's organisation_id was replaced: %v", given)
	}

	orgs, _ := c.Action("employmenthero_list_organisations")
	empty := map[string]any{}
	orgs.FillFromSetup(empty, map[string]any{}, setup)
	if len(empty) != 0 {
		t.Fatalf("an action without setup defaults got %v", empty)
	}
}
