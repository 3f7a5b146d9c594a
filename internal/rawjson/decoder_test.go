package rawjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// anyOf reads the next value with the Decoder into what json.Unmarshal gives
// with UseNumber: maps, slices, strings, json.Number, bools and nil.
func anyOf(d *Decoder) (any, error) {
	switch c := d.Kind(); c {
	case '{':
		m := map[string]any{}
		err := d.Object(func(key string) error {
			v, err := anyOf(d)
			m[key] = v
			return err
		})
		return m, err
	case '[':
		s := []any{}
		err := d.Array(func() error {
			v, err := anyOf(d)
			s = append(s, v)
			return err
		})
		return s, err
	case '"':
		return d.String()
	case 't', 'f':
		return d.Bool()
	case 'n':
		if !d.Null() {
			return nil, d.s.fail("invalid literal")
		}
		return nil, nil
	default:
		start := d.s.pos
		err := d.Skip()
		return json.Number(d.text[start:d.s.pos]), err
	}
}

// decodeAll reads doc's one value with the Decoder, as anyOf does.
func decodeAll(doc []byte) (any, error) {
	d := NewDecoder(doc)
	v, err := anyOf(d)
	if err == nil {
		err = d.End()
	}
	return v, err
}

// unmarshal is json.Unmarshal into any, numbers kept as written.
func unmarshal(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func TestDecoderReadsWhatJSONReads(t *testing.T) {
	doc := []byte(` {"id":"m_1","esc\u0061ped":"a\"b\\c\u00e9\n","bad":"caf` + "\xff" + `","n":-42,"big":12345678901234,` +
		`"t":true,"f":false,"z":null,"nested":{"list":[1,"two",[3],{"four":4}],"empty":{}},"arr":[],"dup":1,"dup":2, ` +
		`"` + "k\xff" + `":1, "deep":[[[[{"x":[{}]}]]]]} `)
	got, err := decodeAll(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := unmarshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	for _, doc := range wellFormed {
		if _, err := decodeAll([]byte(doc)); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
	for _, doc := range malformed {
		if _, err := decodeAll([]byte(doc)); err == nil {
			t.Errorf("%q: accepted", doc)
		}
	}
}

// A string without escapes is a piece of the decoder's one copy of the
// document: reading it allocates nothing, and it stays whole when the
// document's buffer is reused (as a pooled page buffer is).
func TestDecoderStringsOutliveTheBuffer(t *testing.T) {
	doc := []byte(`{"a":"plain text","b":"more"}`)
	d := NewDecoder(doc)
	var a, b string
	allocs := testing.AllocsPerRun(1, func() {
		d.s.pos = 0
		d.Object(func(key string) (err error) {
			if key == "a" {
				a, err = d.String()
			} else {
				b, err = d.String()
			}
			return err
		})
	})
	if a != "plain text" || b != "more" || allocs != 0 {
		t.Fatalf("read %q and %q with %v allocations", a, b, allocs)
	}
	copy(doc, bytes.Repeat([]byte("x"), len(doc)))
	if a != "plain text" || b != "more" {
		t.Fatalf("reusing the buffer changed what was read: %q, %q", a, b)
	}
}

func TestDecoderNamesWhatItExpected(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		read func(d *Decoder) error
		want string
	}{
		{`5`, func(d *Decoder) error { _, err := d.String(); return err }, `byte 0: expected a string, found '5'`},
		{`"5"`, func(d *Decoder) error { _, err := d.Int(); return err }, `expected a number, found '"'`},
		{`1.5`, func(d *Decoder) error { _, err := d.Int(); return err }, `1.5 is not a whole number`},
		{`1e3`, func(d *Decoder) error { _, err := d.Int(); return err }, `1e3 is not a whole number`},
		{`99999999999999999999`, func(d *Decoder) error { _, err := d.Int(); return err }, `not a whole number within 64 bits`},
		{`[1]`, func(d *Decoder) error { return d.Object(func(string) error { return nil }) }, `expected an object, found '['`},
		{`{"a":1}`, func(d *Decoder) error { return d.Array(func() error { return nil }) }, `expected an array, found '{'`},
		{`"x"`, func(d *Decoder) error { _, err := d.Bool(); return err }, `expected true or false`},
		{``, func(d *Decoder) error { _, err := d.String(); return err }, `unexpected end of input, expected a string`},
		{`{"a":1}`, func(d *Decoder) error { return d.Object(func(string) error { return nil }) }, `the value of "a" at byte 5 was neither read nor skipped`},
		{`[1]`, func(d *Decoder) error { return d.Array(func() error { return nil }) }, `the element at byte 1 was neither read nor skipped`},
	} {
		err := tc.read(NewDecoder([]byte(tc.doc)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.doc, err, tc.want)
		}
	}
	// null reads as the zero value.
	var s string
	var n int64
	var b bool
	d := NewDecoder([]byte(`{"s":null,"n":null,"b":null,"o":null,"a":null}`))
	err := d.Object(func(key string) (err error) {
		switch key {
		case "s":
			s, err = d.String()
		case "n":
			n, err = d.Int()
		case "b":
			b, err = d.Bool()
		case "o":
			err = d.Object(func(string) error { t.Error("a member of null"); return nil })
		case "a":
			err = d.Array(func() error { t.Error("an element of null"); return nil })
		}
		return err
	})
	if err != nil || s != "" || n != 0 || b {
		t.Fatalf("null read as %q, %d, %v: %v", s, n, b, err)
	}
}

func FuzzDecoder(f *testing.F) {
	for _, doc := range append(wellFormed[:len(wellFormed)-1], `{"a":[1,{"b":"c\u0041"}],"a":null}`, "{\"\xff\":\"\xfe\"}", `[1,]`, `{"a":1}x`) {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := decodeAll(doc)
		if valid := json.Valid(doc); valid != (err == nil) {
			t.Fatalf("Decoder error %v, json.Valid %v", err, valid)
		}
		if err != nil {
			return
		}
		want, err := unmarshal(doc)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v (%v)", got, want, err)
		}
	})
}

// asIs finds an escape or a byte at 0x80 and above wherever it sits: in an
// eight-byte word or in the last bytes.
func TestAsIs(t *testing.T) {
	for n := range 20 {
		plain := strings.Repeat("a~ \x7f", 5)[:n]
		if !asIs(plain) {
			t.Fatalf("%q: not as is", plain)
		}
		for at := range n + 1 {
			for _, other := range []string{"é", "\x80", "\xff", `\`} {
				if s := plain[:at] + other + plain[at:]; asIs(s) {
					t.Fatalf("%q: as is", s)
				}
			}
		}
	}
}

// find reads doc with Find, each path's value read with Raw.
func find(doc []byte, paths ...string) ([][]byte, error) {
	d := NewDecoder(doc)
	found := make([][]byte, len(paths))
	err := d.Find(paths, func(i int) (err error) {
		found[i], err = d.Raw()
		return err
	})
	if err == nil {
		err = d.End()
	}
	return found, err
}

func TestFind(t *testing.T) {
	doc := []byte(` {"items":[{"id":1}], "meta":{"total":250,"page":{"n":3}},"next":"abc","esc\u0061ped":true,"list":[{"meta":1}]} `)
	got, err := find(doc, "items", "meta.total", "meta.page.n", "next", "escaped", "missing", "items.id", "next.x", "list.meta")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`[{"id":1}]`, `250`, `3`, `"abc"`, `true`, ``, ``, ``, ``}
	for i, w := range want {
		if string(got[i]) != w {
			t.Errorf("path %d: got %s, want %s", i, got[i], w)
		}
	}
	if got, err := find(doc, ""); err != nil || string(got[0]) != strings.TrimSpace(string(doc)) {
		t.Errorf("the whole document: %s, %v", got[0], err)
	}
	if _, err := find([]byte(`{"items":[1],"items":[2]}`), "items"); err == nil || !strings.Contains(err.Error(), `the key "items" on a path repeats`) {
		t.Errorf("a repeated key on a path: %v", err)
	}
	if _, err := find([]byte(`{"meta":{"n":1},"meta":{"n":2}}`), "meta.n"); err == nil {
		t.Error("a repeated key above a path was accepted")
	}
	if got, err := find([]byte(`{"other":1,"other":2,"items":[]}`), "items"); err != nil || string(got[0]) != `[]` {
		t.Errorf("a repeated key off the paths: %s, %v", got[0], err)
	}
	for _, doc := range malformed {
		if _, err := find([]byte(doc), "a"); err == nil {
			t.Errorf("%q: accepted", doc)
		}
	}
}

func FuzzFind(f *testing.F) {
	f.Add([]byte(`{"items":[1,2],"next":"x"}`), "items")
	f.Add([]byte(`{"a":{"b":{"c":null}}}`), "a.b")
	f.Add([]byte(`{"\u0061":1}`), "a")
	f.Add([]byte(`{"a":1,}`), "a")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		got, err := find(doc, path)
		if !json.Valid(doc) {
			if err == nil {
				t.Fatal("Find accepted what json.Valid refuses")
			}
			return
		}
		if err != nil {
			if !strings.Contains(err.Error(), "repeats") {
				t.Fatalf("Find refused a valid document: %v", err)
			}
			return
		}
		if want := reference(doc, path); !bytes.Equal(got[0], want) {
			t.Fatalf("path %q: got %q, want %q", path, got[0], want)
		}
	})
}
