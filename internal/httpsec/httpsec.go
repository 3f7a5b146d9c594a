// Package httpsec holds the response headers every Patchbay page and answer
// carries against content sniffing and framing, for the API server and the
// simulators alike.
package httpsec

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Headers sets nosniff and forbids framing on every response of next; a
// handler that may be framed (the Hub) narrows it with AllowFraming.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// AllowFraming lets only origin frame the response; an empty origin lets nobody.
func AllowFraming(w http.ResponseWriter, origin string) {
	if origin == "" {
		origin = "'none'"
	}
	w.Header().Set("Content-Security-Policy", "frame-ancestors "+origin)
}

// IsOrigin reports whether s is an http(s) origin and nothing else: a scheme,
// a host and an optional valid port, with no path, query, fragment or user.
func IsOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || s != u.Scheme+"://"+u.Host {
		return false
	}
	if host := u.Hostname(); net.ParseIP(host) == nil && !dnsName.MatchString(host) {
		return false // a wildcard, or anything else a browser would not send as an origin's host
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
	}
	return !strings.HasSuffix(u.Host, ":")
}

// dnsName is a host name of letters, digits and hyphens in dot-separated labels.
var dnsName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
