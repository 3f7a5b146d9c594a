// The raw proxy: one call to the account's provider API, that host only.

package actions

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// ProxyResult is a passthrough answer: the provider's status, headers and body.
type ProxyResult struct {
	Status         int                     `json:"status"`
	Headers        map[string]string       `json:"headers"`
	Data           any                     `json:"data"`
	ProviderErrors []problem.ProviderError `json:"provider_errors,omitempty"`
}

var proxyMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// ProxyRequest is one raw request: a path below the provider's API base URL,
// or a URL that starts with it (the path, when given too, follows it).
type ProxyRequest struct {
	URL, Method, Path string
	Body              any
}

// Proxy sends one raw request to the account's provider, on its API base URL
// only: a caller can never make Patchbay call another host with the account's
// token. It reaches the provider's whole API, beyond the profile's enabled
// actions, so the profile must allow it (store.ProxyAccess): reads, or reads
// and writes. The call is recorded in the request log as action "proxy".
func (e *Executor) Proxy(ctx context.Context, who Caller, accountID string, in ProxyRequest) (res ProxyResult, err error) {
	ctx, entry := e.begin(ctx, who, accountID, "proxy")
	defer func() { e.record(entry, err) }()
	a, c, p, err := e.account(ctx, who, accountID)
	if err != nil {
		return ProxyResult{}, err
	}
	entry.Provider = a.Provider
	method := strings.ToUpper(cmp.Or(in.Method, "GET"))
	if !slices.Contains(proxyMethods, method) {
		return ProxyResult{}, fail(problem.Invalid, "method: use one of %s", strings.Join(proxyMethods, ", "))
	}
	if err := proxyAllowed(p, method); err != nil {
		return ProxyResult{}, err
	}
	base := c.APIBaseFor(e.site, p.Environment == store.Sandbox)
	path := in.Path
	if in.URL != "" {
		below, ok := strings.CutPrefix(in.URL, strings.TrimRight(base, "/"))
		if !ok || (below != "" && !strings.HasPrefix(below, "/")) {
			return ProxyResult{}, fail(problem.Invalid, "url: must be %s's API, %s, or a URL below it", c.Name, base)
		}
		path = below + path
	}
	target, ok := proxyTarget(base, path)
	if !ok {
		return ProxyResult{}, fail(problem.Invalid, "path: must be a path on %s's API, such as /v1/company", c.Name)
	}
	entry.HTTPMethod, entry.Path = method, target.Path
	ans, err := e.call(ctx, c, &connectors.Action{ID: "proxy", Method: method}, target.String(), in.Body, &accountGrant{m: e.tokens, a: a}, entry, reading{})
	if err != nil {
		return ProxyResult{}, err
	}
	var data any = string(ans.body)
	if json.Valid(ans.body) {
		data = json.RawMessage(ans.body)
	}
	res = ProxyResult{Status: ans.status, Headers: map[string]string{"content-type": ans.header.Get("Content-Type")}, Data: data}
	if ans.status/100 != 2 {
		res.ProviderErrors = []problem.ProviderError{{Status: ans.status, URL: redactURL(target.String()), Raw: data}}
	}
	return res, nil
}

// proxyAllowed refuses a passthrough call the profile does not allow.
func proxyAllowed(p store.ConnectorProfile, method string) error {
	switch {
	case p.Proxy == store.ProxyReadWrite, p.Proxy == store.ProxyRead && method == "GET":
		return nil
	case p.Proxy == store.ProxyRead:
		return fail(problem.Forbidden, "Connector profile %s lets the proxy read only; %s needs \"proxy\": \"read_write\" on the profile, "+
			"or an enabled action that does this write", p.ID, method)
	}
	return fail(problem.Forbidden, "The proxy is off on connector profile %s: it reaches %s's whole API, beyond the enabled actions, "+
		"so an admin turns it on with \"proxy\": \"read\" or \"read_write\" on the profile", p.ID, p.ConnectorKey)
}

// proxyTarget is the URL a passthrough path names below the API base URL, and
// false when it would leave that host or climb out of the base path.
func proxyTarget(base, path string) (*url.URL, bool) {
	baseURL, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return nil, false
	}
	target, err := url.Parse(base + path)
	if err != nil || target.Scheme != baseURL.Scheme || target.Host != baseURL.Host || target.User != nil || !plainPath(target) {
		return nil, false
	}
	return target, true
}

// plainPath reports whether u's path, decoded, walks down only: no . or ..
// segment and no separator hidden in an escape (%2F, %5C) or a backslash.
func plainPath(u *url.URL) bool {
	escaped := strings.ToLower(u.EscapedPath())
	if strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`) {
		return false
	}
	for segment := range strings.SplitSeq(u.Path, "/") {
		if segment == "." || segment == ".." {
			return false
		}
	}
	return true
}
