package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/api"
)

// goTypes matches what a Go type name looks like in a message: "Go value of
// type", "struct {", "map[string]interface {}", "int64", "actions.Request".
var goTypes = regexp.MustCompile(`Go (value|struct)|struct \{|map\[|interface \{|\[\][a-z]|\b(u?int|float)(8|16|32|64)\b|\b[a-z]+\.[A-Z][A-Za-z]+\b`)

// FuzzJSONEndpointsNameNoGoTypes posts bodies of every shape to every
// endpoint that takes a JSON body (the API's, the Hub's and MCP's): no answer
// is a 5xx, and none names a Go type (the review's `[]` to /actions/rpc
// answered "cannot unmarshal array into Go value of type struct { actions.Request; …").
func FuzzJSONEndpointsNameNoGoTypes(f *testing.F) {
	e := newLinkEnv(f)
	account := e.linkProvider(f, "justworks", "admin@acme.test")
	link, _ := url.Parse(e.session(f, `,"provider":"justworks"`))
	hubToken := link.Query().Get("token")
	_, _, profiles := e.do(f, "GET", "/connector_profiles", basic(e.keyA), "")
	profile := profiles["data"].([]any)[0].(map[string]any)["id"].(string)
	_, _, hook := e.do(f, "POST", "/webhooks", basic(e.keyA), `{"url":"https://hooks.example.com/x","events":["account.created"]}`)
	ids := strings.NewReplacer("{id}", "x1", "{integration_id}", profile, "{delivery_id}", "d1")
	server := e.srv.Config.Handler.(*api.Server)
	type endpoint struct{ method, path string }
	var endpoints []endpoint
	for _, pattern := range server.Patterns() {
		method, path, _ := strings.Cut(pattern, " ")
		if method != http.MethodPost && method != http.MethodPatch && method != http.MethodPut {
			continue
		}
		switch {
		case strings.HasPrefix(path, "/connector_profiles/"):
			path = strings.Replace(path, "{id}", profile, 1)
		case strings.HasPrefix(path, "/webhooks/"):
			path = strings.Replace(path, "{id}", hook["id"].(string), 1)
		case strings.HasPrefix(path, "/accounts/"):
			path = strings.Replace(path, "{id}", account, 1)
		}
		endpoints = append(endpoints, endpoint{method, ids.Replace(path)})
	}
	if len(endpoints) < 15 {
		f.Fatalf("found %d JSON endpoints; the API has more", len(endpoints))
	}

	for _, body := range []string{``, `[]`, `null`, `"x"`, `1`, `true`, `{}`, `[{}]`, `{`, `{"a":1}`, `1e999`, `{"a":`} {
		f.Add(body)
	}
	kinds := []string{`[]`, `{}`, `"s"`, `-1`, `1.5`, `true`, `null`, `1e999`, `[1,"x"]`, `{"x":[]}`}
	for _, field := range []string{"action", "body", "query", "path", "headers", "method", "name", "connector_key", "client_id",
		"client_secret", "enabled_actions", "default", "environment", "url", "events", "enabled", "expires_in", "origin_owner_id",
		"origin_owner_name", "metadata", "categories", "provider", "value", "role", "label", "account_id", "data", "employee_id",
		"amount", "jsonrpc", "id", "params", "arguments"} {
		for _, kind := range kinds {
			f.Add(`{"` + field + `":` + kind + `}`)
		}
	}
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}`)
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"justworks_get_company","arguments":[]}}`)
	f.Add(`{"jsonrpc":"2.0","id":{},"method":7}`)
	f.Add(`{"action":"justworks_list_members","query":[],"path":"x"}`)

	f.Fuzz(func(t *testing.T, body string) {
		for _, ep := range endpoints {
			req := httptest.NewRequest(ep.method, ep.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", basic(e.keyA))
			req.Header.Set("X-Account-Id", account)
			req.Header.Set("X-Hub-Session-Token", hubToken)
			rec := httptest.NewRecorder()
			server.ServeHTTP(rec, req)
			if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
				t.Errorf("%s %s %q: %d %s", ep.method, ep.path, body, rec.Code, rec.Body)
			}
			if m := goTypes.FindString(messages(rec.Body.Bytes())); m != "" {
				t.Errorf("%s %s %q names a Go type (%q): %s", ep.method, ep.path, body, m, rec.Body)
			}
		}
	})
}

// messages is what an answer tells a person: every "message" in a JSON
// answer (an error's, a JSON-RPC error's, a tool result's text), or the whole
// of any other answer.
func messages(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "message" || k == "text") {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
