// Package rawjson finds values in a JSON document without decoding it. An action
// call passes a provider's page of records on as the provider's own bytes, and
// only needs to know where the records and the continuation value sit: decoding
// a page of a hundred records (and encoding it again) would cost more than
// everything else Patchbay does for the call.
package rawjson

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit, so that both accept the same documents.
const maxDepth = 10000

// ErrTooLarge reports a document longer than the limit it was read with.
var ErrTooLarge = errors.New("rawjson: document larger than the limit")

// maxPaths bounds the paths of one call: the live ones are tracked in a bit set.
const maxPaths = 64

// Stream reads r to the end (at most limit > 0 bytes), checking that it is
// valid JSON, accepting exactly what json.Valid accepts, and returns the
// document with the raw value at each dotted path ("items", "meta.total"; ""
// is the whole document). It scans what r has delivered while the rest is on
// its way, in one pass, so a large page costs little more than its transfer. A
// path that is absent, or that runs through something other than an object,
// gives nil. When a key repeats, its last value wins, as with json.Unmarshal.
// The values share the document's memory. The document is read into buf (from
// its start; it grows as needed, and may be nil), so that a caller can reuse
// its buffers.
//
// When w is not nil, the value at the first path also goes to w while it is
// being scanned: each piece goes out once the scan has checked it (every 16
// KB, and whenever the scan waits for more input), so a caller can pass a page
// on before its last byte has arrived or been checked. What reaches w is
// always the start of that value as the document holds it; when the document
// turns out malformed (or the key repeats, or w fails) partway through, Stream
// stops there and returns the error, and w has the part checked so far.
func Stream(r io.Reader, limit int, buf []byte, w io.Writer, paths ...string) ([]byte, []json.RawMessage, error) {
	if buf == nil {
		buf = make([]byte, 0, 64<<10)
	}
	s := scanner{doc: buf[:0], src: r, limit: limit, sink: w}
	values, err := s.pick(paths)
	return s.doc, values, err
}

type scanner struct {
	doc   []byte
	pos   int
	src   io.Reader // where more of doc comes from
	limit int       // the most src may deliver
	err   error     // why src stopped: io.EOF once it is read to the end

	paths [][]string // the non-empty paths, split at dots
	index []int      // paths[i] is the index[i]th path asked for
	spans [][2]int   // where each path's value sits in doc; doc may still move

	sink     io.Writer // receives the first path's value as it is scanned (Stream)
	sinkBit  uint64    // that path's bit among the live paths; 0 when nothing streams
	emitting bool      // the scan is inside that value
	emitted  int       // doc[:emitted] has gone to sink
	streamed bool      // the value has gone to sink whole
}

func (s *scanner) pick(paths []string) ([]json.RawMessage, error) {
	if len(paths) > maxPaths {
		return nil, fmt.Errorf("rawjson: at most %d paths at once, got %d", maxPaths, len(paths))
	}
	s.spans = make([][2]int, len(paths))
	var live uint64
	var whole []int
	for i, p := range paths {
		if p == "" {
			whole = append(whole, i)
			continue
		}
		s.paths = append(s.paths, strings.Split(p, "."))
		s.index = append(s.index, i)
		live |= 1 << (len(s.paths) - 1)
		if i == 0 && s.sink != nil {
			s.sinkBit = 1
		}
	}
	s.space()
	start := s.pos
	if err := s.value(0, live); err != nil {
		return nil, s.readFailure(err)
	}
	end := s.pos
	s.space()
	if s.ensure(1) {
		return nil, s.fail("unexpected data after the top-level value")
	}
	if s.err != nil && s.err != io.EOF {
		return nil, s.err
	}
	for _, i := range whole {
		s.spans[i] = [2]int{start, end}
	}
	out := make([]json.RawMessage, len(paths))
	for i, sp := range s.spans {
		if sp[1] > 0 {
			out[i] = s.doc[sp[0]:sp[1]]
		}
	}
	return out, nil
}

// readFailure prefers the reason src stopped early to the syntax error it caused.
func (s *scanner) readFailure(err error) error {
	if s.err != nil && s.err != io.EOF {
		return s.err
	}
	return err
}

// more reads what src has ready into doc, reporting whether anything arrived.
// It reads one byte past limit, to tell a document of exactly limit bytes from
// a longer one.
func (s *scanner) more() bool {
	if s.err != nil {
		return false
	}
	if s.emitting && !s.emit(s.pos) {
		return false
	}
	if len(s.doc) > s.limit {
		s.err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, s.limit)
		return false
	}
	if len(s.doc) == cap(s.doc) {
		s.doc = slices.Grow(s.doc, max(len(s.doc), 4<<10))
	}
	for {
		n, err := s.src.Read(s.doc[len(s.doc):min(cap(s.doc), s.limit+1)])
		s.doc = s.doc[:len(s.doc)+n]
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// emitEvery is how much of the streamed value the scan checks before passing it
// on, when the document arrives faster than it is scanned: the receiver starts
// on the first part while the scan does the rest.
const emitEvery = 16 << 10

// emit sends the streamed value's bytes up to end, which the scan has checked.
func (s *scanner) emit(end int) bool {
	if end > s.emitted {
		if _, err := s.sink.Write(s.doc[s.emitted:end]); err != nil {
			s.err = fmt.Errorf("rawjson: write the value: %w", err)
			return false
		}
		s.emitted = end
	}
	return true
}

// ensure reports whether n bytes from pos are in doc, reading them if needed.
func (s *scanner) ensure(n int) bool {
	return len(s.doc)-s.pos >= n || s.fill(n)
}

// fill is ensure's slow path, kept out of line so that ensure itself inlines.
//
//go:noinline
func (s *scanner) fill(n int) bool {
	for len(s.doc)-s.pos < n {
		if !s.more() {
			return false
		}
	}
	return true
}

// SyntaxError says where a document stops being JSON.
type SyntaxError struct {
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Reason)
}

func (s *scanner) fail(reason string) error { return &SyntaxError{Offset: s.pos, Reason: reason} }

// space skips whitespace. Compact JSON has none between most tokens, so the
// common case is one comparison, inlined; the loop is skipSpace.
func (s *scanner) space() {
	if s.pos < len(s.doc) && s.doc[s.pos] > ' ' {
		return
	}
	s.skipSpace()
}

func (s *scanner) skipSpace() {
	for {
		i, doc := s.pos, s.doc
		for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
			i++
		}
		s.pos = i
		if i < len(doc) || !s.more() {
			return
		}
	}
}

// value scans one value at nesting depth depth. live holds the paths whose
// first depth keys led here.
func (s *scanner) value(depth int, live uint64) error {
	if !s.ensure(1) {
		return s.fail("unexpected end of input")
	}
	switch c := s.doc[s.pos]; {
	case c == '{':
		return s.object(depth+1, live)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.fail(fmt.Sprintf("unexpected %q where a value should start", c))
	}
}

func (s *scanner) object(depth int, live uint64) error {
	if depth > maxDepth {
		return s.fail("nested too deeply")
	}
	s.pos++ // {
	s.space()
	if s.ensure(1) && s.doc[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		if !s.ensure(1) || s.doc[s.pos] != '"' {
			return s.fail("expected a string key")
		}
		keyStart := s.pos
		if err := s.str(); err != nil {
			return err
		}
		key := s.doc[keyStart:s.pos]
		s.space()
		if !s.ensure(1) || s.doc[s.pos] != ':' {
			return s.fail("expected ':' after an object key")
		}
		s.pos++
		s.space()
		var next, ends uint64
		if live != 0 {
			next, ends = follow(s.paths, depth-1, keyName(key), live)
		}
		for set := next | ends; set != 0; set &= set - 1 {
			s.spans[s.index[bits.TrailingZeros64(set)]] = [2]int{} // a repeated key replaces what its first value held
		}
		start := s.pos
		if (ends|next)&s.sinkBit != 0 && s.streamed {
			return s.fail("a key on the streamed value's path repeats")
		}
		stream := ends&s.sinkBit != 0
		if stream {
			s.emitting, s.emitted = true, start
		}
		if err := s.value(depth, next); err != nil {
			return err
		}
		if stream {
			s.emitting, s.streamed = false, true
			if !s.emit(s.pos) {
				return s.err
			}
		}
		for ; ends != 0; ends &= ends - 1 {
			i := bits.TrailingZeros64(ends)
			s.spans[s.index[i]] = [2]int{start, s.pos}
		}
		if done, err := s.separator('}', "an object"); done || err != nil {
			return err
		}
	}
}

// follow splits the live paths whose segment at level is name into those
// that continue below it and those that end at it.
func follow(paths [][]string, level int, name string, live uint64) (next, ends uint64) {
	for set := live; set != 0; set &= set - 1 {
		i := bits.TrailingZeros64(set)
		p := paths[i]
		if p[level] != name {
			continue
		}
		if len(p) == level+1 {
			ends |= 1 << i
		} else {
			next |= 1 << i
		}
	}
	return next, ends
}

// keyName returns a quoted key's text. Keys with escapes or non-ASCII bytes go
// through encoding/json, which also replaces invalid UTF-8 as json.Unmarshal does.
func keyName(quoted []byte) string {
	inner := quoted[1 : len(quoted)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			var name string
			json.Unmarshal(quoted, &name) // already checked by str
			return name
		}
	}
	return string(inner)
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.fail("nested too deeply")
	}
	s.pos++ // [
	s.space()
	if s.ensure(1) && s.doc[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth, 0); err != nil {
			return err
		}
		if done, err := s.separator(']', "an array"); done || err != nil {
			return err
		}
	}
}

// separator moves past what follows a member or an element: a comma, or the
// closing byte of the container, when it reports done.
func (s *scanner) separator(closing byte, container string) (done bool, err error) {
	if s.emitting && s.pos-s.emitted >= emitEvery && !s.emit(s.pos) {
		return false, s.err
	}
	s.space()
	if !s.ensure(1) {
		return false, s.fail("unexpected end of input in " + container)
	}
	switch s.doc[s.pos] {
	case ',':
		s.pos++
		s.space()
		return false, nil
	case closing:
		s.pos++
		return true, nil
	}
	return false, s.fail(fmt.Sprintf("expected ',' or '%c' in %s", closing, container))
}

// plain marks the bytes a string holds as they are: not a quote, a backslash or
// a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Eight bytes at a time: specials has the high bit set in each byte of x that
// a string cannot hold as it is (a quote, a backslash, a control character),
// and maybe in bytes after the first such one, never before it: the lowest set
// bit marks the first.
func specials(x uint64) uint64 {
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	// (v - ones) &^ v & highs marks v's zero bytes; x - ones*0x20, with &^ x,
	// x's bytes under 0x20. The highs of the bytes of x at 0x80 and above
	// are cleared last: those never stop a string.
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x - ones*0x20)) &^ x & (ones * 0x80)
}

// ones has a one in each byte.
const ones = 0x0101010101010101

// str scans a string, leaving pos after its closing quote.
func (s *scanner) str() error {
	s.pos++ // opening quote
	for {
		i, doc := s.pos, s.doc
		for {
			if i+8 > len(doc) {
				// The last few bytes, one at a time.
				for i < len(doc) && plain[doc[i]] {
					i++
				}
				break
			}
			if stop := specials(binary.LittleEndian.Uint64(doc[i:])); stop != 0 {
				i += bits.TrailingZeros64(stop) / 8
				break
			}
			i += 8
		}
		s.pos = i
		if i == len(doc) {
			if !s.more() {
				return s.fail("unterminated string")
			}
			continue
		}
		switch doc[i] {
		case '"':
			s.pos++
			return nil
		case '\\':
			if err := s.escape(); err != nil {
				return err
			}
		default:
			return s.fail("control character in a string")
		}
	}
}

func (s *scanner) escape() error {
	s.pos++ // backslash
	if !s.ensure(1) {
		return s.fail("unterminated string")
	}
	switch s.doc[s.pos] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos++
		return nil
	case 'u':
		s.pos++
		for range 4 {
			if !s.ensure(1) || !isHex(s.doc[s.pos]) {
				return s.fail(`\u needs four hex digits`)
			}
			s.pos++
		}
		return nil
	default:
		return s.fail("invalid escape in a string")
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) number() error {
	if s.doc[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.ensure(1) && s.doc[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		return s.fail("a number needs digits")
	}
	if s.ensure(1) && s.doc[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.fail("a number needs digits after '.'")
		}
	}
	if s.ensure(1) && (s.doc[s.pos] == 'e' || s.doc[s.pos] == 'E') {
		s.pos++
		if s.ensure(1) && (s.doc[s.pos] == '+' || s.doc[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.fail("a number needs digits in its exponent")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	start := s.pos
	for {
		i, doc := s.pos, s.doc
		for i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
			i++
		}
		s.pos = i
		if i < len(doc) || !s.more() {
			return s.pos - start
		}
	}
}

func (s *scanner) literal(word string) error {
	if !s.ensure(len(word)) || string(s.doc[s.pos:s.pos+len(word)]) != word {
		return s.fail("invalid literal, expected " + word)
	}
	s.pos += len(word)
	return nil
}
