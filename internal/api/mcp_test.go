package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// withHeaders adds the API key and account header to every request, as an
// agent's MCP configuration does.
type withHeaders struct {
	key, account string
	next         http.RoundTripper
}

func (h withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(h.key, "")
	if h.account != "" {
		r.Header.Set("X-Account-Id", h.account)
	}
	return h.next.RoundTrip(r)
}

// mcpSession connects the MCP Go SDK's client to base+"/mcp"+query for the account.
func mcpSession(t *testing.T, base, key, account, query string, rt http.RoundTripper) *sdk.ClientSession {
	t.Helper()
	if rt == nil {
		rt = http.DefaultTransport
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "1.0.0"}, nil)
	cs, err := client.Connect(context.Background(), &sdk.StreamableClientTransport{
		Endpoint: base + "/mcp" + query, HTTPClient: &http.Client{Transport: withHeaders{key, account, rt}}, DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatalf("connect MCP client: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// callTool calls a tool and decodes its JSON text; it fails the test on an
// error result unless wantError.
func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, wantError bool) map[string]any {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	text := res.Content[0].(*sdk.TextContent).Text
	if res.IsError != wantError {
		t.Fatalf("%s: isError %v, want %v: %s", name, res.IsError, wantError, text)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s: text is not JSON: %v: %s", name, err, text)
	}
	if !wantError {
		structured, _ := json.Marshal(res.StructuredContent)
		var same map[string]any
		json.Unmarshal(structured, &same)
		if a, b := mustJSON(same), mustJSON(out); a != b {
			t.Fatalf("%s: structuredContent %s differs from text %s", name, a, b)
		}
	}
	return out
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func toolNames(t *testing.T, cs *sdk.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
	}
	return names
}

func TestMCPServesAccountActionsAsTools(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	registry, _ := connectors.Embedded()

	t.Run("justworks", func(t *testing.T) {
		acc := e.linkProvider(t, "justworks", "admin@acme.test")
		cs := mcpSession(t, e.srv.URL, e.keyA, acc, "", nil)
		if got := cs.InitializeResult().ServerInfo.Name; got != "patchbay" {
			t.Fatalf("server name %q", got)
		}
		// The SDK's newest protocol version, which its client asks for.
		if got := cs.InitializeResult().ProtocolVersion; got != sdk.SupportedProtocolVersions()[0] {
			t.Fatalf("protocol version %q, want %q", got, sdk.SupportedProtocolVersions()[0])
		}
		names := toolNames(t, cs)
		c, _ := registry.Get("justworks")
		// Unified operations are endpoints, not tools: the provider's own actions are.
		if len(names) != len(c.ProviderActions()) {
			t.Fatalf("%d tools for %d enabled actions: %v", len(names), len(c.ProviderActions()), names)
		}
		tools := map[string]*sdk.Tool{}
		for tool := range cs.Tools(context.Background(), nil) {
			tools[tool.Name] = tool
		}
		if a := tools["justworks_list_members"].Annotations; a == nil || !a.ReadOnlyHint {
			t.Fatalf("list members not read-only: %+v", a)
		}
		if a := tools["justworks_cancel_deductions"].Annotations; a == nil || a.ReadOnlyHint || a.DestructiveHint == nil || !*a.DestructiveHint {
			t.Fatalf("cancel deductions not destructive: %+v", a)
		}
		schema := mustJSON(tools["justworks_get_member"].InputSchema)
		if !strings.Contains(schema, `"path":{`) || !strings.Contains(schema, `"member_id"`) || !strings.Contains(schema, `"required":["path"]`) {
			t.Fatalf("get member's nested schema: %s", schema)
		}

		members := callTool(t, cs, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 3}}, false)
		member := first(t, members["data"])
		got := callTool(t, cs, "justworks_get_member", map[string]any{"path": map[string]any{"member_id": member["id"]}}, false)
		if got["data"].(map[string]any)["id"] != member["id"] {
			t.Fatalf("get member answered %v", got)
		}
		dtype := first(t, callTool(t, cs, "justworks_list_deduction_types", nil, false)["data"])
		// Top-level keys that are not locations are body fields.
		created := callTool(t, cs, "justworks_create_deductions", map[string]any{"items": []any{map[string]any{
			"operation_id": "op-mcp-1", "member_id": member["id"], "deduction_type_code": dtype["code"], "amount_type": "fixed",
			"amount": 1234, "currency": "USD", "frequency": "every_paycheck", "start_date": "2026-11-01"}}}, false)
		dedID := deductionID(t, first(t, created["data"]))
		st, list := e.rpc(t, acc, `{"action":"justworks_list_deductions","query":{"member_id":"`+member["id"].(string)+`"}}`)
		if st != http.StatusOK || !strings.Contains(mustJSON(list), dedID) || !strings.Contains(mustJSON(list), "1234") {
			t.Fatalf("the deduction made through MCP is not in the provider's list: %d %v", st, list)
		}

		// Errors come back as error results with the RPC's message.
		bad := callTool(t, cs, "justworks_get_member", map[string]any{"path": map[string]any{"member_id": "mbr_nobody"}}, true)
		_, rpcBad := e.rpc(t, acc, `{"action":"justworks_get_member","path":{"member_id":"mbr_nobody"}}`)
		if bad["message"] != rpcBad["message"] || bad["statusCode"] != rpcBad["statusCode"] {
			t.Fatalf("MCP error %v, RPC error %v", bad, rpcBad)
		}
		if msg := callTool(t, cs, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 500}}, true)["message"]; !strings.Contains(msg.(string), "query.limit") {
			t.Fatalf("validation error %q does not name the field", msg)
		}

		// Every tool call is in the request log, from source mcp.
		st, _, logs := e.do(t, "GET", "/requests/logs?filter[account_ids]="+acc+"&page_size=100", basic(e.keyA), "")
		bySource := map[string]int{}
		for _, entry := range logs["data"].([]any) {
			bySource[entry.(map[string]any)["source"].(string)]++
		}
		if st != http.StatusOK || bySource["mcp"] != 6 || bySource["api"] != 2 {
			t.Fatalf("request logs by source: %d %v", st, bySource)
		}
	})

	t.Run("employmenthero", func(t *testing.T) {
		acc := e.linkProvider(t, "employmenthero", "owner@acme.test")
		// The account header may also come as a query parameter.
		cs := mcpSession(t, e.srv.URL, e.keyA, "", "?account_id="+acc, nil)
		names := toolNames(t, cs)
		if !slices.Contains(names, "employmenthero_list_employees") || slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "justworks_") }) {
			t.Fatalf("tools %v", names)
		}
		emp := first(t, callTool(t, cs, "employmenthero_list_employees", map[string]any{"page_size": 2}, false)["data"])
		got := callTool(t, cs, "employmenthero_get_employee", map[string]any{"path": map[string]any{"employee_id": emp["id"]}}, false)
		if got["data"].(map[string]any)["id"] != emp["id"] {
			t.Fatalf("get employee answered %v", got)
		}
	})
}

func TestMCPToolsFollowProfileAndGrant(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	cs := mcpSession(t, e.srv.URL, e.keyA, acc, "", nil)
	if names := toolNames(t, cs); !slices.Contains(names, "justworks_list_members") || !slices.Contains(names, "justworks_list_payrolls") {
		t.Fatalf("tools before: %v", names)
	}
	a, _ := e.store.GetAccount(context.Background(), e.projectA.ID, acc)
	e.do(t, "PATCH", "/connector_profiles/"+a.ProfileID, basic(e.keyA), `{"enabled_actions":["justworks_get_company","justworks_list_payrolls","justworks_list_deductions"]}`)
	if names := toolNames(t, cs); !slices.Equal(names, []string{"justworks_get_company", "justworks_list_deductions", "justworks_list_payrolls"}) {
		t.Fatalf("tools after disabling: %v", names)
	}
	a.Credentials.Scopes = []string{"company.basic:read", "deductions:read"}
	if _, err := e.store.UpdateCredentials(context.Background(), a.ProjectID, a.ID, a.CredentialVersion, a.Credentials); err != nil {
		t.Fatal(err)
	}
	if names := toolNames(t, cs); !slices.Equal(names, []string{"justworks_get_company", "justworks_list_deductions"}) {
		t.Fatalf("tools after narrowing the grant: %v", names)
	}
	// A tool the agent still remembers is gone, as the SDK says of unknown tools.
	if _, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "justworks_list_payrolls"}); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Fatalf("a removed tool: %v", err)
	}
}

func TestMCPRequestErrors(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`
	otherKey := e.otherProjectKey(t)
	accept := []string{"Accept", "application/json, text/event-stream"}
	onAccount := append([]string{"X-Account-Id", acc}, accept...)
	for _, tc := range []struct {
		name, path, auth, body string
		headers                []string
		status                 int
		want                   string
	}{
		{"no key", "/mcp", "", initialize, onAccount, 401, ""},
		{"no account", "/mcp", basic(e.keyA), initialize, accept, 400, "x-account-id"},
		{"unknown account", "/mcp", basic(e.keyA), initialize, append([]string{"X-Account-Id", "acc_nobody"}, accept...), 404, "acc_nobody"},
		{"other project's account", "/mcp", basic(otherKey), initialize, onAccount, 404, acc},
		{"bad tool mode", "/mcp?tool-mode=all", basic(e.keyA), initialize, onAccount, 400, "tool-mode"},
		{"bad param style", "/mcp?param-style=flat", basic(e.keyA), initialize, onAccount, 400, "param-style"},
		{"account in the query", "/mcp?x-account-id=" + acc, basic(e.keyA), initialize, accept, 200, "patchbay"},
		{"header wins over query", "/mcp?x-account-id=acc_nobody", basic(e.keyA), initialize, onAccount, 200, "patchbay"},
		{"protocol 2025-06-18", "/mcp", basic(e.keyA), strings.Replace(initialize, "2025-03-26", "2025-06-18", 1), onAccount, 200, `"protocolVersion":"2025-06-18"`},
		// The SDK answers 400 where the hosted product documents 406.
		{"no event-stream accept", "/mcp", basic(e.keyA), initialize, []string{"X-Account-Id", acc, "Accept", "application/json"}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := e.do(t, "POST", tc.path, tc.auth, tc.body, tc.headers...)
			if st != tc.status || !strings.Contains(mustJSON(body), tc.want) {
				t.Fatalf("%d %v, want %d with %q", st, body, tc.status, tc.want)
			}
		})
	}
	if st, _, _ := e.do(t, "DELETE", "/mcp", basic(e.keyA), ""); st != http.StatusNoContent {
		t.Fatalf("DELETE /mcp: %d", st)
	}
	if st, _, _ := e.do(t, "GET", "/mcp", basic(e.keyA), ""); st != http.StatusMethodNotAllowed {
		t.Fatalf("GET /mcp: %d", st)
	}
}

func TestMCPSearchExecuteMode(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	cs := mcpSession(t, e.srv.URL, e.keyA, acc, "?tool-mode=search_execute", nil)
	if names := toolNames(t, cs); !slices.Equal(names, []string{"justworks_execute_action", "justworks_search_actions"}) {
		t.Fatalf("tools %v", names)
	}
	found := callTool(t, cs, "justworks_search_actions", map[string]any{"query": "who works here", "top_k": 3}, false)
	best := first(t, found["data"])
	if best["action_id"] != "justworks_list_members" || best["score"].(float64) <= 0 || best["description"] == "" {
		t.Fatalf("best match %v", best)
	}
	if n := len(found["data"].([]any)); n > 3 {
		t.Fatalf("top_k 3 gave %d matches", n)
	}
	members := callTool(t, cs, "justworks_execute_action", map[string]any{"action_id": best["action_id"], "query": map[string]any{"limit": 2}}, false)
	if n := len(members["data"].([]any)); n != 2 {
		t.Fatalf("execute gave %d members", n)
	}
	if msg := callTool(t, cs, "justworks_execute_action", map[string]any{"action_id": "justworks_fly"}, true)["message"]; !strings.Contains(msg.(string), "justworks_fly") {
		t.Fatalf("unknown action: %v", msg)
	}
	if msg := callTool(t, cs, "justworks_search_actions", map[string]any{}, true)["message"]; !strings.Contains(msg.(string), "query") {
		t.Fatalf("missing query: %v", msg)
	}
}

func TestMCPFlatParamStyles(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	memberID := first(t, e.call(t, acc, "justworks_list_members", nil))["id"]
	for style, arg := range map[string]string{"flat_prefixed": "path_member_id", "flat_smart": "member_id"} {
		t.Run(style, func(t *testing.T) {
			cs := mcpSession(t, e.srv.URL, e.keyA, acc, "?param-style="+style, nil)
			var schema string
			for tool := range cs.Tools(context.Background(), nil) {
				if tool.Name == "justworks_get_member" {
					schema = mustJSON(tool.InputSchema)
				}
			}
			if !strings.Contains(schema, `"`+arg+`":{`) || !strings.Contains(schema, `"required":["`+arg+`"]`) {
				t.Fatalf("schema %s lacks %s", schema, arg)
			}
			got := callTool(t, cs, "justworks_get_member", map[string]any{arg: memberID}, false)
			if got["data"].(map[string]any)["id"] != memberID {
				t.Fatalf("get member answered %v", got)
			}
			if msg := callTool(t, cs, "justworks_get_member", map[string]any{"colour": "red"}, true)["message"]; !strings.Contains(msg.(string), "colour") {
				t.Fatalf("unknown parameter: %v", msg)
			}
		})
	}
}

// alternate sends each request to the next of the nodes in turn, as a load
// balancer without sticky sessions does, and counts what each one served.
type alternate struct {
	nodes  []*url.URL
	served []int
	next   int
}

func (a *alternate) RoundTrip(r *http.Request) (*http.Response, error) {
	i := a.next % len(a.nodes)
	a.next++
	a.served[i]++
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = a.nodes[i].Scheme, a.nodes[i].Host, ""
	return http.DefaultTransport.RoundTrip(r)
}

func TestMCPSessionMovesBetweenNodes(t *testing.T) {
	t.Parallel()
	e := newLinkEnvOn(t, backendtest.Postgres)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	second := e.secondNode(t)

	a, _ := url.Parse(e.srv.URL)
	b, _ := url.Parse(second.URL)
	lb := &alternate{nodes: []*url.URL{a, b}, served: make([]int, 2)}
	cs := mcpSession(t, e.srv.URL, e.keyA, acc, "", lb) // initialize on the first node, initialized on the second
	for range 2 {
		if names := toolNames(t, cs); !slices.Contains(names, "justworks_list_members") {
			t.Fatalf("tools %v", names)
		}
		first(t, callTool(t, cs, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}}, false)["data"])
	}
	if lb.served[0] < 2 || lb.served[1] < 2 {
		t.Fatalf("requests per node %v: the session did not move between nodes", lb.served)
	}
}

// Accounts with the same tools share one server inside Patchbay; each call
// must still reach its own account.
func TestMCPAccountsWithTheSameToolsStayApart(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acme := e.linkProvider(t, "justworks", "admin@acme.test")
	globex := e.linkFor(t, "justworks", "admin@globex.test", "cust_globex")
	if acme == globex {
		t.Fatal("one account for two companies")
	}
	names := map[string]string{}
	for _, acc := range []string{acme, globex, acme} {
		cs := mcpSession(t, e.srv.URL, e.keyA, acc, "", nil)
		company := callTool(t, cs, "justworks_get_company", nil, false)["data"].(map[string]any)["display_name"].(string)
		if prev, ok := names[acc]; ok && prev != company {
			t.Fatalf("account %s answered %s, then %s", acc, prev, company)
		}
		names[acc] = company
	}
	if names[acme] == names[globex] {
		t.Fatalf("both accounts answered %s", names[acme])
	}
}

// otherProjectKey creates another project and returns an API key of it.
func (e *linkEnv) otherProjectKey(t testing.TB) string {
	t.Helper()
	other, err := e.store.CreateProject(context.Background(), store.Project{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := apikeys.Issue(context.Background(), e.store, other.ID, "other")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// The tools parameter narrows an account's tools by glob patterns over
// action ids, includes and !excludes: what is left out is neither listed nor
// callable, in either tool mode.
func TestMCPToolFilters(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	filter := "?tools=" + url.QueryEscape("justworks_*,!*_deductions,!*_custom_*")
	names := toolNames(t, mcpSession(t, e.srv.URL, e.keyA, acc, filter, nil))
	if !slices.Contains(names, "justworks_list_members") || len(names) < 5 {
		t.Fatalf("filtered tools %v", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "justworks_") || strings.HasSuffix(n, "_deductions") || strings.Contains(n, "_custom_") {
			t.Fatalf("the filter let %s through: %v", n, names)
		}
	}
	cs := mcpSession(t, e.srv.URL, e.keyA, acc, filter+"&tool-mode=search_execute", nil)
	got := callTool(t, cs, "justworks_execute_action", map[string]any{"action_id": "justworks_create_deductions", "body": map[string]any{"items": []any{}}}, true)
	if msg, _ := got["message"].(string); got["error_category"] != "not_permitted" || !strings.Contains(msg, "not among this connection's tools") {
		t.Fatalf("an excluded action through execute: %v", got)
	}
	if members := callTool(t, cs, "justworks_execute_action", map[string]any{"action_id": "justworks_list_members", "query": map[string]any{"limit": 1}}, false); len(members["data"].([]any)) != 1 {
		t.Fatalf("an included action through execute: %v", members)
	}
	if st, body := e.onAccount(t, "/mcp?tools=%5B", acc, `{}`); st != http.StatusBadRequest {
		t.Fatalf("a malformed pattern: %d %v", st, body)
	}
}
