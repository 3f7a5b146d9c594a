package unified

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/patchbayhq/patchbay/internal/rawjson"
)

// records reads provider records the simulators returned (testdata/*.json,
// captured through POST /actions/rpc from a patchbay demo), decoded as the
// operations decode them.
func records[T any](t *testing.T, name string) T {
	t.Helper()
	var v T
	if err := decodeRecords(testdata(t, name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// recordList is records for a list of records that read themselves.
func recordList[T any, P interface {
	*T
	decoder
}](t *testing.T, name string) []T {
	t.Helper()
	var v []T
	if err := decodeRecords(testdata(t, name), forEach[T, P](func(r *T) { v = append(v, *r) })); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
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

// decodeRecords decodes raw into dst as the operations do: by hand when dst
// reads itself, otherwise with encoding/json/v2.
func decodeRecords(raw []byte, dst any) error {
	h, ok := dst.(decoder)
	if !ok {
		return jsonv2.Unmarshal(raw, dst)
	}
	d := rawjson.NewDecoder(raw)
	if err := h.decode(d); err != nil {
		return err
	}
	return d.End()
}
