package unified

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// records reads provider records the simulators returned (testdata/*.json,
// captured through POST /actions/rpc from a patchbay demo).
func records[T any](t *testing.T, name string) T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// same fails the test with both values as JSON when got is not want.
func same(t *testing.T, name string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n got %s\nwant %s", name, g, w)
	}
}

func ptr[T any](v T) *T { return &v }
