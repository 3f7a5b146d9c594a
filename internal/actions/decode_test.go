package actions

import (
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/rawjson"
)

// TestDecodeAnswer: a page is checked and its records read in one pass; the
// continuation comes back as the page holds it, and every way a page can be
// unreadable is an error naming it.
func TestDecodeAnswer(t *testing.T) {
	var ids []string
	readIDs := func(d *rawjson.Decoder) error {
		return d.Array(func() error {
			return d.Object(func(key string) error {
				if key != "id" {
					return d.Skip()
				}
				id, err := d.String()
				ids = append(ids, id)
				return err
			})
		})
	}
	found, err := decodeAnswer([]byte(`{"data":{"total_pages":3,"items":[{"id":"a","x":[1]},{"id":"b"}]},"meta":{}}`), []string{"data.items", "data.total_pages"}, readIDs)
	if err != nil || strings.Join(ids, ",") != "a,b" || string(found[1]) != "3" || found[0] != nil {
		t.Fatalf("read %v, found %q, %v", ids, found, err)
	}
	for doc, says := range map[string]string{
		`{"data":{"items":[{"id":5}]}}`:              `expected a string, found '5'`,
		`{"data":{"items":[],"items":[]}}`:           `the key "items" on a path repeats`,
		`{"data":{"items":[{"id":"a"}]}} {}`:         `unexpected data after the top-level value`,
		`{"data":{"items":[{"id":"a"}],"total":0x}}`: `invalid JSON`,
		`{"data":{"items":[{"id":"tr`:                `unterminated string`,
		`{"data":{"items":{"id":"a"}}}`:              `expected an array`,
	} {
		ids = nil
		if _, err := decodeAnswer([]byte(doc), []string{"data.items", "data.total_pages"}, readIDs); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: got %v, want an error saying %q", doc, err, says)
		}
	}
	// No records where the connector says they sit: nothing is read.
	ids = nil
	if _, err := decodeAnswer([]byte(`{"other":[{"id":"a"}]}`), []string{"data.items"}, readIDs); err != nil || ids != nil {
		t.Fatalf("read %v from a page without records: %v", ids, err)
	}
}
