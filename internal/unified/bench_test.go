package unified

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// page100 is a provider page of 100 records built from the simulator's records.
func page100(b *testing.B, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	var one []json.RawMessage
	if err := json.Unmarshal(raw, &one); err != nil {
		b.Fatal(err)
	}
	var page []json.RawMessage
	for len(page) < 100 {
		page = append(page, one[len(page)%len(one)])
	}
	out, _ := json.Marshal(page)
	return out
}

// BenchmarkMapEmployeesPage measures the unified API's own work on a page of
// 100 employees, per step: decoding the provider's records, mapping them, and
// encoding the unified answer.
func BenchmarkMapEmployeesPage(b *testing.B) {
	for _, c := range []struct {
		provider, file string
		decode         func([]byte) (any, error)
		mapAll         func(any) any
	}{
		{"justworks", "justworks_members",
			func(raw []byte) (any, error) {
				var v []jwMember
				err := decodeRecords(raw, forEach(func(m *jwMember) { v = append(v, *m) }))
				return v, err
			},
			func(v any) any {
				members := v.([]jwMember)
				out := make([]Employee, 0, len(members))
				for _, m := range members {
					out = append(out, jwEmployee(m))
				}
				return out
			}},
		{"employmenthero", "employmenthero_employees",
			func(raw []byte) (any, error) {
				var v []ehEmployee
				err := decodeRecords(raw, forEach(func(e *ehEmployee) { v = append(v, *e) }))
				return v, err
			},
			func(v any) any {
				people := v.([]ehEmployee)
				out := make([]Employee, 0, len(people))
				for _, e := range people {
					out = append(out, ehEmployeeOf(e, "org"))
				}
				return out
			}},
	} {
		raw := page100(b, c.file)
		records, err := c.decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		mapped := c.mapAll(records)
		b.Run(c.provider+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				c.decode(raw)
			}
		})
		b.Run(c.provider+"/map", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.mapAll(records)
			}
		})
		b.Run(c.provider+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf, _ = Answer{Data: mapped, list: true}.AppendJSON(buf[:0])
			}
		})
	}
}
