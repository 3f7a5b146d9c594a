package actions

import (
	"net/url"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// FuzzPathParameter: whatever a caller puts in a path parameter, the request
// goes to the action's own path on the provider's host, with the value as one
// segment, or it is refused.
func FuzzPathParameter(f *testing.F) {
	for _, seed := range []string{"emp_1", "..", ".", "", "a/b", `a\b`, "%2e%2e", "%2f", "?x=1", "#f", "a b", "ü", "//evil.test", "@evil.test"} {
		f.Add(seed)
	}
	action := &connectors.Action{ID: "get", Method: "GET", Path: "/api/v1/items/{id}/details"}
	f.Fuzz(func(t *testing.T, value string) {
		raw, err := buildURL("https://api.provider.test/base", action, Request{Path: map[string]any{"id": value}})
		if err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%q built an unparsable URL %q", value, raw)
		}
		segments := strings.Split(u.EscapedPath(), "/")
		if u.Host != "api.provider.test" || u.RawQuery != "" || u.Fragment != "" || len(segments) != 7 ||
			strings.Join(segments[:5], "/") != "/base/api/v1/items" || segments[6] != "details" {
			t.Fatalf("%q built %q", value, raw)
		}
		if got, err := url.PathUnescape(segments[5]); err != nil || got != value || got == "." || got == ".." {
			t.Fatalf("%q became the segment %q", value, segments[5])
		}
	})
}

// FuzzProxyPath: a passthrough path either stays below the API base URL on its
// host, with no . or .. segment once decoded, or is refused.
func FuzzProxyPath(f *testing.F) {
	for _, seed := range []string{"/v1/company", "/v1/members?limit=2", "//evil.test/x", "@evil.test/x", "/../x", "/v1/%2e%2e/x",
		"/v1/%2f..%2f..", `/v1/..\..`, "/v1/./x", "/%2E%2E/", "/v1#frag", "/v1?x=//evil"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		target, ok := proxyTarget("https://api.provider.test/base", path)
		if !ok {
			return
		}
		if target.Scheme != "https" || target.Host != "api.provider.test" || target.User != nil || !strings.HasPrefix(target.Path, "/base/") {
			t.Fatalf("%q reaches %s", path, target)
		}
		for segment := range strings.SplitSeq(target.Path, "/") {
			if segment == "." || segment == ".." {
				t.Fatalf("%q keeps the segment %q in %s", path, segment, target.Path)
			}
		}
	})
}
