package actions

import (
	"slices"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// status is a named string type, as Go callers' enums are.
type status string

// TestValidateTakesGoValuesAsJSON: an input made of Go types (ints, typed
// slices and maps, as the CLI and Go callers pass) is checked exactly as the
// same input decoded from JSON is; only the latter skips the round trip.
func TestValidateTakesGoValuesAsJSON(t *testing.T) {
	reg, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("justworks")
	action, _ := c.Action("justworks_list_members")
	for _, tc := range []struct {
		name           string
		decoded, typed map[string]any
		problems       int
	}{
		{"valid", map[string]any{"limit": float64(100), "status": "active"}, map[string]any{"limit": 100, "status": "active"}, 0},
		{"out of range", map[string]any{"limit": float64(101)}, map[string]any{"limit": int64(101)}, 1},
		{"not an integer", map[string]any{"limit": 2.5}, map[string]any{"limit": float32(2.5)}, 1},
		{"wrong type", map[string]any{"status": []any{"active"}}, map[string]any{"status": []string{"active"}}, 1},
		{"not in the enum", map[string]any{"status": "gone"}, map[string]any{"status": status("gone")}, 1},
		{"unknown member", map[string]any{"x": map[string]any{"a": "b"}}, map[string]any{"x": map[string]string{"a": "b"}}, 1},
	} {
		if !decodedJSON(tc.decoded) || decodedJSON(tc.typed) {
			t.Fatalf("%s: decodedJSON says %v for the decoded input and %v for the Go one", tc.name, decodedJSON(tc.decoded), decodedJSON(tc.typed))
		}
		fromJSON := validate(action, Request{Query: tc.decoded})
		fromGo := validate(action, Request{Query: tc.typed})
		if len(fromJSON) != tc.problems || !slices.Equal(fromJSON, fromGo) {
			t.Fatalf("%s: decoded %q, Go values %q; want %d problems from both", tc.name, fromJSON, fromGo, tc.problems)
		}
	}
}
