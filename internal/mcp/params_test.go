package mcp

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

func TestFlatStylesPrefixWhereNeeded(t *testing.T) {
	obj := func(required []any, names ...string) map[string]any {
		props := map[string]any{}
		for _, n := range names {
			props[n] = map[string]any{"type": "string"}
		}
		return map[string]any{"type": "object", "properties": props, "required": required}
	}
	a := &connectors.Action{ID: "x_update", Method: "PUT", Inputs: connectors.Inputs{
		Path: obj([]any{"id"}, "id"),
		Body: obj(nil, "id", "amount"),
	}}
	for style, want := range map[ParamStyle][]string{
		FlatSmart:    {"amount", "body_id", "idempotency_key", "path_id"}, // a write takes a key
		FlatPrefixed: {"body_amount", "body_id", "idempotency_key", "path_id"},
	} {
		l := newLayout(a, style)
		var names []string
		for n := range propertiesOf(l.schema) {
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("%s: parameters %v, want %v", style, names, want)
		}
		args := map[string]any{want[0]: "10", "body_id": "b", "path_id": "p"}
		req, err := l.request(a.ID, args)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal([]any{req.Path, req.Body})
		if string(got) != `[{"id":"p"},{"amount":"10","id":"b"}]` {
			t.Errorf("%s: request %s", style, got)
		}
	}
}

func TestNestedStyleTakesLooseKeysAsBody(t *testing.T) {
	a := &connectors.Action{ID: "x_create", Paginated: true}
	req, err := newLayout(a, Nested).request(a.ID, map[string]any{"items": []any{1}, "body": map[string]any{"note": "n"}, "query": map[string]any{"q": "1"}, "page_size": float64(5)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(req)
	if string(got) != `{"action":"x_create","path":null,"query":{"q":"1"},"body":{"items":[1],"note":"n"},"page_size":5}` {
		t.Fatalf("request %s", got)
	}
	if _, err := newLayout(a, Nested).request(a.ID, map[string]any{"query": "limit=5"}); err == nil {
		t.Fatal("a query that is not an object was taken")
	}
}

func TestSetupFilledParametersAreOptional(t *testing.T) {
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := registry.Get("employmenthero")
	a, _ := c.Action("employmenthero_get_employee")
	for _, style := range []ParamStyle{Nested, FlatSmart} {
		got, _ := json.Marshal(newLayout(a, style).schema)
		if !strings.Contains(string(got), `"organisation_id"`) || !strings.Contains(string(got), `"required":["employee_id"]`) {
			t.Errorf("%s: %s", style, got)
		}
	}
	if required := requiredOf(a.Inputs.Path); !slices.Contains(required, "organisation_id") {
		t.Fatalf("the connector's own schema changed: %v", required)
	}
}
