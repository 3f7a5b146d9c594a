package rawjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/bits"
	"strings"
	"testing"
	"testing/iotest"
)

// pick reads a whole document from memory.
func pick(doc []byte, paths ...string) ([]json.RawMessage, error) {
	_, values, err := Stream(bytes.NewReader(doc), len(doc)+1, nil, nil, paths...)
	return values, err
}

func TestRead(t *testing.T) {
	doc := []byte(` {"items":[{"id":1},{"id":2}], "meta":{"total":250,"page":{"n":3}},"next_cursor":"abc",` +
		`"dup":1,"dup":[2], "esc\u0061ped":true, "list":[{"meta":1}]} `)
	for _, tc := range []struct{ path, want string }{
		{"items", `[{"id":1},{"id":2}]`},
		{"meta.total", `250`},
		{"meta.page.n", `3`},
		{"meta.page", `{"n":3}`},
		{"next_cursor", `"abc"`},
		{"dup", `[2]`},        // the last value wins
		{"escaped", `true`},   // keys compare decoded
		{"missing", ``},       // absent
		{"items.id", ``},      // paths do not run through arrays
		{"next_cursor.x", ``}, // nor through strings
		{"list.meta", ``},
		{"", strings.TrimSpace(string(doc))},
	} {
		got, err := pick(doc, tc.path)
		if err != nil {
			t.Fatalf("%q: %v", tc.path, err)
		}
		if string(got[0]) != tc.want {
			t.Errorf("%q: got %s, want %s", tc.path, got[0], tc.want)
		}
	}
	// Several paths at once, sharing prefixes.
	got, err := pick(doc, "meta.total", "items", "meta.page.n", "meta")
	if err != nil || string(got[0]) != "250" || string(got[1]) != `[{"id":1},{"id":2}]` || string(got[2]) != "3" ||
		!strings.HasPrefix(string(got[3]), `{"total"`) {
		t.Fatalf("several paths: %q, %v", got, err)
	}
}

// malformed are documents encoding/json rejects, one for each way to go wrong.
var malformed = []string{
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
	`"abc`, "\"a\x01b\"", `"\x"`, `"\u12"`, `"\u12G4"`, `tru`, `nul`, `falsey`, `{"a":1}x`, `[1]]`, `{"a":1}}`, `[`, `{"a":[}`,
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
}

// wellFormed are documents at the edges of what encoding/json accepts.
var wellFormed = []string{
	`0`, `-0.5e-7`, `1E+2`, `"\u00e9\n\"\\\/"`, `[]`, `{}`, ` [ { } , [ ] , null , true , false ] `, "\"caf\xc3\xa9\"", "\"\xff\"",
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
}

func TestReadRejectsWhatJSONRejects(t *testing.T) {
	for _, doc := range malformed {
		_, err := pick([]byte(doc), "a")
		if json.Valid([]byte(doc)) {
			t.Fatalf("%q: the test expects encoding/json to reject it", doc)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, want a syntax error", doc, err)
		}
	}
	for _, doc := range wellFormed {
		if _, err := pick([]byte(doc), "a"); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

func TestReadLimitsPaths(t *testing.T) {
	if _, err := pick([]byte(`{}`), make([]string, maxPaths+1)...); err == nil {
		t.Fatal("more paths than the bit set holds were accepted")
	}
}

// reference finds path the slow way: json.Unmarshal into maps, level by level.
func reference(doc []byte, path string) json.RawMessage {
	if path == "" {
		return bytes.TrimSpace(doc)
	}
	value := json.RawMessage(doc)
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if json.Unmarshal(value, &obj) != nil || obj == nil {
			return nil
		}
		if value = obj[key]; value == nil {
			return nil
		}
	}
	return value
}

func FuzzRead(f *testing.F) {
	for _, seed := range []struct{ doc, path string }{
		{`{"items":[1,2],"next":"x"}`, "items"},
		{`{"a":{"b":{"c":null}}}`, "a.b"},
		{`{"a":{"b":1},"a":{"c":2}}`, "a.b"},
		{`{"\u0061":1}`, "a"},
		{"{\"\xff\":1}", "\uFFFD"},
		{`[{"a":1}]`, "a"},
		{`{"a":"b\"c"}`, "a"},
		{` {"a" : 1e5 } `, "a"},
		{`{"a":1,}`, "a"},
	} {
		f.Add([]byte(seed.doc), seed.path)
	}
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		got, err := pick(doc, path, "")
		if valid := json.Valid(doc); valid != (err == nil) {
			t.Fatalf("error %v, json.Valid %v", err, valid)
		}
		if err != nil {
			// What Stream sent before it found the fault is a piece of the document.
			var streamed bytes.Buffer
			if _, _, err := Stream(iotest.OneByteReader(bytes.NewReader(doc)), len(doc)+1, make([]byte, 3), &streamed, path); err == nil {
				t.Fatal("Stream with a writer accepted what it refused from memory")
			}
			if streamed.Len() > 0 && !bytes.Contains(doc, streamed.Bytes()) {
				t.Fatalf("Stream wrote %q, which the document does not hold", streamed.Bytes())
			}
			return
		}
		if want := reference(doc, path); !bytes.Equal(got[0], want) {
			t.Fatalf("path %q: got %q, want %q", path, got[0], want)
		}
		if want := bytes.TrimSpace(doc); !bytes.Equal(got[1], want) {
			t.Fatalf("whole document: got %q, want %q", got[1], want)
		}
		// Stream writes out exactly the value at path, however the document arrives.
		// (A repeated key on that path is an error: what went out cannot be taken back.)
		var streamed bytes.Buffer
		_, values, err := Stream(iotest.HalfReader(bytes.NewReader(doc)), len(doc)+1, nil, &streamed, path, "")
		var se *SyntaxError
		repeated := errors.As(err, &se) && strings.Contains(se.Reason, "repeats")
		want := got[0]
		if path == "" {
			want = nil // the whole document does not stream
		}
		if !repeated && (err != nil || !bytes.Equal(values[0], got[0]) || !bytes.Equal(streamed.Bytes(), want)) {
			t.Fatalf("Stream: wrote %q, found %q, %v; from memory %q", streamed.Bytes(), values, err, got[0])
		}
		// The same is found however the document arrives.
		for name, r := range map[string]io.Reader{
			"byte by byte": iotest.OneByteReader(bytes.NewReader(doc)),
			"in halves":    iotest.HalfReader(bytes.NewReader(doc)),
		} {
			read, values, err := Stream(r, len(doc)+1, nil, nil, path, "")
			if err != nil || !bytes.Equal(read, doc) || !bytes.Equal(values[0], got[0]) || !bytes.Equal(values[1], got[1]) {
				t.Fatalf("%s: %q %q, %v; from memory %q", name, read, values, err, got)
			}
		}
	})
}

func TestStream(t *testing.T) {
	doc := `{"meta":{"total":2},"items":[{"id":1},{"id":"two"}],"next":"x"}`
	var out bytes.Buffer
	_, values, err := Stream(iotest.OneByteReader(strings.NewReader(doc)), 1<<20, nil, &out, "items", "next")
	if err != nil || out.String() != `[{"id":1},{"id":"two"}]` || string(values[1]) != `"x"` {
		t.Fatalf("wrote %q, found %q, %v", out.String(), values, err)
	}
	// Malformed partway through the records: what went out is their valid start.
	out.Reset()
	_, _, err = Stream(iotest.OneByteReader(strings.NewReader(`{"items":[{"id":1},{"id":"tr`)), 1<<20, nil, &out, "items")
	var se *SyntaxError
	if !errors.As(err, &se) || out.String() != `[{"id":1},{"id":"tr` {
		t.Fatalf("wrote %q, %v", out.String(), err)
	}
	// A repeated key cannot take back what went out.
	out.Reset()
	if _, _, err := Stream(strings.NewReader(`{"items":[1],"items":[2]}`), 1<<20, nil, &out, "items"); !errors.As(err, &se) || out.String() != "[1]" {
		t.Fatalf("repeated key: wrote %q, %v", out.String(), err)
	}
	// Only the first path streams, and never the whole document.
	out.Reset()
	if _, values, err := Stream(strings.NewReader(`{"a":1,"b":2}`), 1<<20, make([]byte, 0, 8), &out, "", "b"); err != nil || out.Len() != 0 || string(values[1]) != "2" {
		t.Fatalf("whole document: wrote %q, %q, %v", out.String(), values, err)
	}
	// A failing writer stops the scan with its error.
	if _, _, err := Stream(strings.NewReader(doc), 1<<20, nil, failingWriter{}, "items"); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("failing writer: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestReadLimitsAndReadErrors(t *testing.T) {
	doc := []byte(`{"items":[1,2,3],"next":"x"}`)
	if _, values, err := Stream(bytes.NewReader(doc), len(doc), nil, nil, "items"); err != nil || string(values[0]) != "[1,2,3]" {
		t.Fatalf("a document of exactly the limit: %q, %v", values, err)
	}
	if _, _, err := Stream(bytes.NewReader(doc), len(doc)-1, nil, nil, "items"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a document over the limit: %v", err)
	}
	broken := io.MultiReader(bytes.NewReader(doc[:10]), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, _, err := Stream(broken, 1<<20, nil, nil, "items"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a connection cut mid-document: %v, want the read error", err)
	}
	var se *SyntaxError
	if _, _, err := Stream(strings.NewReader(`{"items":[1,}`), 1<<20, nil, nil, "items"); !errors.As(err, &se) {
		t.Fatalf("malformed: %v, want a syntax error", err)
	}
}

// page builds a provider-like page: a hundred records of about 1.6 KB each.
func page() []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"mem_0000000000000001","name":{"given_name":"Ada","family_name":"Lovelace"},"emails":[{"type":"work","address":"ada@acme.test"}],` +
			`"employment":{"start_date":"2021-03-01","status":"active","type":"full_time","title":"Engineer \"Lead\"","department":{"id":"dep_1","name":"R\u0026D"}},` +
			`"compensation":{"rate":125000.5,"currency":"USD","per":"year"},"addresses":[{"line1":"1 Main St","city":"Springfield","postal_code":"12345"}],` +
			`"custom_fields":[` + strings.Repeat(`{"id":"cf_1","value":"something long enough to matter"},`, 12) + `{"id":"cf_last","value":null}],"updated_at":"2026-02-19T10:00:00Z"}`)
	}
	b.WriteString(`],"next_cursor":"AAAAAAAAAGN3zMVLo376gL7E-VQ"}`)
	return b.Bytes()
}

// BenchmarkScan compares finding the records and cursor of a provider-like
// page: scanned into a buffer grown as the page arrives, streamed into a
// reused buffer with the records passed on (what an action call does), and
// decoded into maps with encoding/json (what Patchbay did before).
func BenchmarkScan(b *testing.B) {
	doc := page()
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Stream(bytes.NewReader(doc), 1<<20, nil, nil, "items", "next_cursor"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream_reused_buffer", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		buf := make([]byte, 0, 256<<10)
		for b.Loop() {
			if _, _, err := Stream(bytes.NewReader(doc), 1<<20, buf, io.Discard, "items", "next_cursor"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json_maps", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var top map[string]json.RawMessage
			if err := json.Unmarshal(doc, &top); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// specials finds the first byte a string cannot hold as it is, in every word
// of eight bytes: each special byte at each place, among every kind of
// neighbour (plain ASCII, UTF-8 bytes, other specials after it).
func TestSpecialsFindsTheFirstStop(t *testing.T) {
	first := func(w [8]byte) int {
		for i, c := range w {
			if !plain[c] {
				return i
			}
		}
		return 8
	}
	fillers := []byte{'a', ' ', '~', 0x7f, 0x80, 0xc3, 0xff, '!', '#', '[', ']'}
	stops := []byte{'"', '\\', 0x00, 0x01, 0x1f, '\n', '\t'}
	check := func(w [8]byte) {
		got := 8
		if m := specials(binary.LittleEndian.Uint64(w[:])); m != 0 {
			got = bits.TrailingZeros64(m) / 8
		}
		if want := first(w); got != want {
			t.Fatalf("% x: first stop at %d, want %d", w, got, want)
		}
	}
	for _, f := range fillers {
		var w [8]byte
		for i := range w {
			w[i] = f
		}
		check(w)
		for at := range 8 {
			for _, s := range stops {
				v := w
				v[at] = s
				check(v)
				for later := at + 1; later < 8; later++ {
					u := v
					u[later] = stops[(later+at)%len(stops)]
					check(u)
				}
			}
		}
	}
}
