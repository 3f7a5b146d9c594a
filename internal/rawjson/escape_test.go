package rawjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// AppendEscaped's output, quoted, decodes back to its input for every kind of
// byte a JSON text holds, in runs longer and shorter than eight bytes.
func TestAppendEscapedRoundTrips(t *testing.T) {
	for _, s := range []string{
		``, `plain`, `12345678`, `{"data":[{"name":"Zoë \"Z\" O'Neil","path":"C:\\temp"}],"next":null}`,
		"tab\there\nnewline\r\x00\x01\x1f\x7f end", "emoji 🙂 and \u2028 line separator, all eight-byte words",
		strings.Repeat(`{"a":"x\ty"},`, 2_000) + strings.Repeat("z", 10_000) + `"`,
	} {
		quoted := append(append([]byte{'"'}, AppendEscaped(nil, []byte(s))...), '"')
		var back string
		if err := json.Unmarshal(quoted, &back); err != nil {
			t.Fatalf("%q escaped as %s: %v", s, quoted, err)
		}
		if back != s {
			t.Fatalf("%q came back as %q", s, back)
		}
	}
}
