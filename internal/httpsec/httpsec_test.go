package httpsec_test

import (
	"testing"

	"github.com/patchbayhq/patchbay/internal/httpsec"
)

// Finding 12: allowed_origin takes http(s) origins only.
func TestIsOrigin(t *testing.T) {
	for _, good := range []string{"https://app.example.com", "http://localhost:3000", "http://127.0.0.1:65535", "https://[::1]:8443"} {
		if !httpsec.IsOrigin(good) {
			t.Errorf("%q refused", good)
		}
	}
	for _, bad := range []string{"javascript://x", "data://x", "http://evil.test:99999", `https://a.test"`, "https://a.test/", "https://a.test/path",
		"https://a.test?x=1", "https://a.test#f", "https://user@a.test", "ftp://a.test", "https://", "a.test", "https://a.test:", "https://a.test:0",
		"https://a.test:08080", "HTTPS://a.test", "https://a test", "https://*", "https://*.com", "https://*.*", "https://a*b.com",
		"https://a.test,https://b.test", "https://a..test", "https://-a.test", "https://a.test;x"} {
		if httpsec.IsOrigin(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
