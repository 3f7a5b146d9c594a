package connectors_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readReference reads a provider reference beside this checkout, or skips.
func readReference(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../../shared/reference/" + name)
	if os.IsNotExist(err) {
		t.Skip("the provider references are not beside this checkout")
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

// endpoint normalises "GET /a/{x}/b" so that parameter names do not matter.
func endpoint(method, path string) string {
	return method + " " + paramPattern.ReplaceAllString(path, "{}")
}

// TestEmploymentHeroActionsMapToReference checks that every Employment Hero action
// calls an endpoint of the reference's endpoint table, and that there are at least 25.
func TestEmploymentHeroActionsMapToReference(t *testing.T) {
	ref := readReference(t, "employmenthero.md")
	section := ref[strings.Index(ref, "## 7. Endpoint reference"):strings.Index(ref, "## 8. Data models")]
	known := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| (GET|POST|PUT|PATCH|DELETE) \\| `([^`]+)`").FindAllStringSubmatch(section, -1) {
		known[endpoint(m[1], m[2])] = true
	}
	if len(known) < 25 {
		t.Fatalf("read only %d endpoints from the reference", len(known))
	}
	c, ok := registry(t).Get("employmenthero")
	if !ok {
		t.Fatal("no employmenthero connector")
	}
	own := c.ProviderActions()
	if len(own) < 25 {
		t.Fatalf("%d actions, want at least 25", len(own))
	}
	for _, a := range own {
		if !known[endpoint(a.Method, a.Path)] {
			t.Errorf("%s: %s %s is not in the reference's endpoint table", a.ID, a.Method, a.Path)
		}
		if len(a.Scopes) == 0 {
			t.Errorf("%s has no scope", a.ID)
		}
		if strings.Contains(a.Path, "{organisation_id}") && a.SetupDefaults["organisation_id"] != "organisation_id" {
			t.Errorf("%s does not fill organisation_id from the account's setup", a.ID)
		}
		if a.Schema("path") == nil && strings.Contains(a.Path, "{") {
			t.Errorf("%s has path parameters but no path schema", a.ID)
		}
	}
}

// TestJustworksActionsMapToReference checks each action's method and path against
// the row for the same action id in the reference's operations table.
func TestJustworksActionsMapToReference(t *testing.T) {
	ref := readReference(t, "justworks.md")
	rows := regexp.MustCompile("(?m)^\\| \\d+ \\| `(justworks_[a-z_]+)` \\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)`").FindAllStringSubmatch(ref, -1)
	want := map[string]string{}
	for _, m := range rows {
		want[m[1]] = endpoint(m[2], m[3])
	}
	if len(want) != 21 {
		t.Fatalf("read %d operations from the reference, want 21", len(want))
	}
	for _, a := range justworks(t).ProviderActions() {
		if got := endpoint(a.Method, a.Path); got != want[a.ID] {
			t.Errorf("%s: %s, reference says %s", a.ID, got, want[a.ID])
		}
	}
}

// TestEveryInputSchemaCompiled checks that each declared input part has a compiled
// schema for every action of every connector.
func TestEveryInputSchemaCompiled(t *testing.T) {
	for _, c := range registry(t).All() {
		for _, a := range c.Actions {
			for part, schema := range map[string]map[string]any{"path": a.Inputs.Path, "query": a.Inputs.Query, "body": a.Inputs.Body} {
				if schema != nil && a.Schema(part) == nil {
					t.Errorf("%s %s: the %s schema was not compiled", c.Key, a.ID, part)
				}
			}
		}
	}
}
