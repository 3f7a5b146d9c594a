package rawjson

import (
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decoder reads a document held in memory one value at a time, for a caller
// that knows the shape it expects and decodes it by hand. The unified API reads
// its largest pages (employee records) this way: decoding them by reflection
// cost more than the rest of the call. Every value is checked as it is read or
// skipped, by the rules Stream applies; a string without escapes is a piece of
// the document rather than a copy of its own.
//
// Each read method takes the next value; null reads as the zero value (no
// members, no elements, "", 0, false). A value of another kind is an error that
// names what was expected and where.
type Decoder struct {
	s     scanner
	text  string // a copy of the document: the strings read are pieces of it
	depth int    // objects and arrays open around the next value
}

// NewDecoder returns a Decoder positioned before doc's top-level value. It
// copies doc once, as one string, and the strings it reads are pieces of that
// copy: they stay whole whatever becomes of doc (a pooled page buffer goes
// back to its pool), at the cost of one copy per document rather than one
// allocation per string.
func NewDecoder(doc []byte) *Decoder {
	return &Decoder{s: scanner{doc: doc, err: io.EOF, limit: len(doc)}, text: string(doc)}
}

// Kind returns the first byte of the next value: '{', '[', '"', 't', 'f',
// 'n', '-' or a digit when the value is one; 0 at the end of the document.
func (d *Decoder) Kind() byte {
	d.s.space()
	if d.s.pos < len(d.s.doc) {
		return d.s.doc[d.s.pos]
	}
	return 0
}

// Null moves past the next value and reports true when it is null; otherwise
// it leaves the value to be read.
func (d *Decoder) Null() bool {
	return d.Kind() == 'n' && d.s.literal("null") == nil
}

// Object reads an object, calling member with each key; member must read or
// skip the key's value.
func (d *Decoder) Object(member func(key string) error) error {
	if done, err := d.enter('{', '}', "an object"); done || err != nil {
		return err
	}
	defer d.leave()
	for {
		if d.Kind() != '"' {
			return d.s.fail("expected a string key")
		}
		start := d.s.pos
		if err := d.s.str(); err != nil {
			return err
		}
		key := d.text[start+1 : d.s.pos-1]
		if !asIs(key) {
			key = keyName(d.s.doc[start:d.s.pos])
		}
		if d.Kind() != ':' {
			return d.s.fail("expected ':' after an object key")
		}
		d.s.pos++
		at := d.s.pos
		if err := member(key); err != nil {
			return err
		}
		if d.s.pos == at {
			return fmt.Errorf("rawjson: the value of %q at byte %d was neither read nor skipped", key, at)
		}
		if done, err := d.s.separator('}', "an object"); done || err != nil {
			return err
		}
	}
}

// Array reads an array, calling element for each element, which it must read
// or skip.
func (d *Decoder) Array(element func() error) error {
	if done, err := d.enter('[', ']', "an array"); done || err != nil {
		return err
	}
	defer d.leave()
	for {
		at := d.s.pos
		if err := element(); err != nil {
			return err
		}
		if d.s.pos == at {
			return fmt.Errorf("rawjson: the element at byte %d was neither read nor skipped", at)
		}
		if done, err := d.s.separator(']', "an array"); done || err != nil {
			return err
		}
	}
}

// String reads a string. Escapes are decoded and invalid UTF-8 is replaced,
// as json.Unmarshal does.
func (d *Decoder) String() (string, error) {
	switch d.Kind() {
	case 'n':
		return "", d.s.literal("null")
	case '"':
	default:
		return "", d.expected("a string")
	}
	start := d.s.pos
	if err := d.s.str(); err != nil {
		return "", err
	}
	if s := d.text[start+1 : d.s.pos-1]; asIs(s) || utf8.ValidString(s) && strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var s string
	err := json.Unmarshal(d.s.doc[start:d.s.pos], &s) // checked by str: this only decodes
	return s, err
}

// Int reads a number that is a whole number within int64.
func (d *Decoder) Int() (int64, error) {
	switch c := d.Kind(); {
	case c == 'n':
		return 0, d.s.literal("null")
	case c != '-' && (c < '0' || c > '9'):
		return 0, d.expected("a number")
	}
	start := d.s.pos
	if err := d.s.number(); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(d.text[start:d.s.pos], 10, 64)
	if err != nil {
		return 0, &SyntaxError{Offset: start, Reason: d.text[start:d.s.pos] + " is not a whole number within 64 bits"}
	}
	return n, nil
}

// Bool reads true or false.
func (d *Decoder) Bool() (bool, error) {
	switch d.Kind() {
	case 't':
		return true, d.s.literal("true")
	case 'f':
		return false, d.s.literal("false")
	case 'n':
		return false, d.s.literal("null")
	}
	return false, d.expected("true or false")
}

// Raw checks the next value and returns it as the document holds it.
func (d *Decoder) Raw() ([]byte, error) {
	d.s.space()
	start := d.s.pos
	err := d.s.value(d.depth, 0)
	return d.s.doc[start:d.s.pos], err
}

// Find reads the next value, calling at with the index of each dotted path
// ("items", "meta.next"; "" is the value itself) it comes to, in the order the
// value holds them; at must read or skip the path's value. Everything else is
// checked and skipped. A path that runs through anything but an object is not
// come to. A key on a path that repeats is an error: what at read of the first
// value cannot be taken back.
func (d *Decoder) Find(paths []string, at func(i int) error) error {
	if len(paths) > maxPaths {
		return fmt.Errorf("rawjson: at most %d paths at once, got %d", maxPaths, len(paths))
	}
	split := make([][]string, len(paths))
	var live uint64
	for i, p := range paths {
		if p == "" {
			return at(i) // the value itself: the other paths are inside what at reads
		}
		split[i] = strings.Split(p, ".")
		live |= 1 << i
	}
	return d.find(split, 0, live, at)
}

// find reads a value that the live paths' first level keys led to.
func (d *Decoder) find(paths [][]string, level int, live uint64, at func(i int) error) error {
	if d.Kind() != '{' {
		return d.Skip()
	}
	var seen uint64 // the live paths whose key at this level has come
	return d.Object(func(key string) error {
		next, ends := follow(paths, level, key, live)
		if (next|ends)&seen != 0 {
			return d.s.fail(fmt.Sprintf("the key %q on a path repeats", key))
		}
		seen |= next | ends
		switch {
		case ends != 0:
			return at(bits.TrailingZeros64(ends))
		case next != 0:
			return d.find(paths, level+1, next, at)
		}
		return d.Skip()
	})
}

// Skip checks the next value and moves past it.
func (d *Decoder) Skip() error {
	_, err := d.Raw()
	return err
}

// enter moves into the object or array that comes next (opening with open,
// within the nesting Stream allows). It reports done, having moved past it, when
// the value is null or the container is empty.
func (d *Decoder) enter(open, closing byte, what string) (done bool, err error) {
	switch d.Kind() {
	case 'n':
		return true, d.s.literal("null")
	case open:
	default:
		return true, d.expected(what)
	}
	if d.depth+1 > maxDepth {
		return true, d.s.fail("nested too deeply")
	}
	d.s.pos++
	if d.Kind() == closing {
		d.s.pos++
		return true, nil
	}
	d.depth++
	return false, nil
}

func (d *Decoder) leave() { d.depth-- }

// End checks that nothing but whitespace follows the value read.
func (d *Decoder) End() error {
	if d.s.space(); d.s.pos < len(d.s.doc) {
		return d.s.fail("unexpected data after the top-level value")
	}
	return nil
}

func (d *Decoder) expected(what string) error {
	if d.s.pos >= len(d.s.doc) {
		return d.s.fail("unexpected end of input, expected " + what)
	}
	return d.s.fail(fmt.Sprintf("expected %s, found %q", what, d.s.doc[d.s.pos]))
}

// asIs reports whether a string's text is its bytes, eight at a time: no
// escape, and nothing at 0x80 or above (UTF-8 that would need checking).
func asIs(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		backslash := x ^ (ones * '\\')
		if (x|(backslash-ones)&^backslash)&(ones*0x80) != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] == '\\' || s[i] >= 0x80 {
			return false
		}
	}
	return true
}
