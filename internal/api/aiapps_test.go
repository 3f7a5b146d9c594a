package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/oauth2"

	"github.com/patchbayhq/patchbay/internal/store"
)

// aiApp is an AI app as an MCP client sees the flow: it registers, sends the
// admin to the consent page, and exchanges the code with golang.org/x/oauth2
// (PKCE S256 and the resource indicator).
type aiApp struct {
	conf     oauth2.Config
	resource string
	verifier string
	state    string
}

const aiRedirect = "http://127.0.0.1:9/callback" // never reached: the test reads the redirect

// registerAIApp registers a public client and returns it, ready to authorize.
func registerAIApp(t *testing.T, base, name string) *aiApp {
	t.Helper()
	var meta struct {
		Resource string   `json:"resource"`
		Servers  []string `json:"authorization_servers"`
	}
	getJSON(t, base+"/.well-known/oauth-protected-resource/mcp", &meta)
	if meta.Resource != base+"/mcp" || len(meta.Servers) != 1 {
		t.Fatalf("protected resource metadata: %+v", meta)
	}
	var as map[string]any
	getJSON(t, meta.Servers[0]+"/.well-known/oauth-authorization-server", &as)
	if !slices.Contains(toStrings(as["code_challenge_methods_supported"].([]any)), "S256") ||
		!slices.Contains(toStrings(as["token_endpoint_auth_methods_supported"].([]any)), "none") {
		t.Fatalf("authorization server metadata: %v", as)
	}
	body := `{"client_name":"` + name + `","redirect_uris":["` + aiRedirect + `"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"logo_uri":"https://app.example/logo.png"}`
	resp, err := http.Post(as["registration_endpoint"].(string), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reg map[string]any
	json.NewDecoder(resp.Body).Decode(&reg)
	if resp.StatusCode != http.StatusCreated || reg["client_id"] == "" || reg["client_secret"] != nil {
		t.Fatalf("registration: %d %v", resp.StatusCode, reg)
	}
	return &aiApp{resource: meta.Resource, verifier: oauth2.GenerateVerifier(), state: "st-" + name, conf: oauth2.Config{
		ClientID:    reg["client_id"].(string),
		RedirectURL: aiRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: as["authorization_endpoint"].(string), TokenURL: as["token_endpoint"].(string),
			AuthStyle: oauth2.AuthStyleInParams},
	}}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// authURL is where the app sends the admin's browser.
func (a *aiApp) authURL(extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), oauth2.SetAuthURLParam("resource", a.resource)}, extra...)
	return a.conf.AuthCodeURL(a.state, opts...)
}

// consent answers the consent page at authURL as the signed-in admin, and
// returns where the browser was sent.
func consent(t *testing.T, c *consoleClient, authURL string, form url.Values) *url.URL {
	t.Helper()
	u := mustURL(t, authURL)
	resp, page := c.get(t, u.RequestURI())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page: %d %s", resp.StatusCode, errorMessage(page))
	}
	if !strings.Contains(page, "nobody checked") {
		t.Fatal("the consent page does not warn that the app's name is self-asserted")
	}
	form.Set("csrf", csrfField.FindStringSubmatch(page)[1])
	for k, v := range u.Query() {
		form[k] = v
	}
	resp, page = c.post(t, "/console/oauth/authorize", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d %s", resp.StatusCode, errorMessage(page))
	}
	return mustURL(t, resp.Header.Get("Location"))
}

// grant consents and exchanges the code for tokens.
func (a *aiApp) grant(t *testing.T, c *consoleClient, form url.Values) *oauth2.Token {
	t.Helper()
	back := consent(t, c, a.authURL(), form)
	if back.Query().Get("state") != a.state || back.Query().Get("code") == "" || back.Query().Get("iss") == "" {
		t.Fatalf("redirect after consent: %s", back)
	}
	tok, err := a.conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(a.verifier),
		oauth2.SetAuthURLParam("resource", a.resource))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// bearer connects the MCP Go SDK's client with an access token.
func bearer(t *testing.T, base, token, query string) *sdk.ClientSession {
	t.Helper()
	client := sdk.NewClient(&sdk.Implementation{Name: "ai-app", Version: "1.0.0"}, nil)
	cs, err := client.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: base + "/mcp" + query,
		HTTPClient: oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})), DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect MCP client: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// mcpStatus posts an initialize to an MCP endpoint with the token and returns
// the status and WWW-Authenticate.
func mcpStatus(t *testing.T, endpoint, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// tokenRequest posts a form to the token endpoint.
func tokenRequest(t *testing.T, a *aiApp, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("client_id", a.conf.ClientID)
	resp, err := http.PostForm(a.conf.Endpoint.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestAIAppConnectsWithOAuth walks the MCP authorization flow: a 401 that
// points to the metadata, registration, consent with two accounts and
// read-only access, the code exchange, tools/list and tools/call with the
// account as an argument, the request log, a refresh, and revocation.
func TestAIAppConnectsWithOAuth(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	eh := e.linkProvider(t, "employmenthero", "owner@acme.test")
	c, base := signedInConsole(t, e)

	st, challenge := mcpStatus(t, e.srv.URL+"/mcp", "")
	if st != http.StatusUnauthorized || !strings.HasPrefix(challenge, `Bearer resource_metadata="`+e.srv.URL+`/.well-known/oauth-protected-resource/mcp"`) {
		t.Fatalf("without credentials: %d %q", st, challenge)
	}
	app := registerAIApp(t, e.srv.URL, "Claude")
	tok := app.grant(t, c, url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {jw, eh},
		"action": {"justworks_list_members", "justworks_create_deductions", "employmenthero_list_employees"}, "read_only": {"on"}})
	if tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("token answer: %+v", tok)
	}

	cs := bearer(t, e.srv.URL, tok.AccessToken, "")
	names := toolNames(t, cs)
	for _, want := range []string{"list_linked_accounts", "justworks_list_members", "employmenthero_list_employees"} {
		if !slices.Contains(names, want) {
			t.Fatalf("tools %v lack %s", names, want)
		}
	}
	for _, refused := range []string{"justworks_create_deductions", "justworks_get_company"} {
		if slices.Contains(names, refused) {
			t.Fatalf("tools %v offer %s: it writes on a read-only grant, or was not granted", names, refused)
		}
	}
	linked := callTool(t, cs, "list_linked_accounts", nil, false)["data"].([]any)
	if len(linked) != 2 {
		t.Fatalf("linked accounts %v", linked)
	}
	members := callTool(t, cs, "justworks_list_members", map[string]any{"account_id": jw, "query": map[string]any{"limit": 2}}, false)
	if len(members["data"].([]any)) != 2 {
		t.Fatalf("members %v", members)
	}
	wrong := callTool(t, cs, "justworks_list_members", map[string]any{"account_id": eh}, true)
	if !strings.Contains(wrong["message"].(string), "account_id") {
		t.Fatalf("a Justworks tool on the Employment Hero account: %v", wrong)
	}
	callTool(t, cs, "employmenthero_list_employees", map[string]any{"account_id": eh}, false)
	// A write the grant names is still refused on a read-only grant, however it is asked for.
	search := bearer(t, e.srv.URL, tok.AccessToken, "?tool-mode=search_execute")
	write := callTool(t, search, "justworks_execute_action", map[string]any{"account_id": jw, "action_id": "justworks_create_deductions",
		"body": map[string]any{"items": []any{}}}, true)
	if write["error_category"] != "not_permitted" || !strings.Contains(write["message"].(string), "read-only") {
		t.Fatalf("a write on a read-only grant: %v", write)
	}

	// Narrowed to one account by the header, as with an API key.
	one := bearerWithAccount(t, e.srv.URL, tok.AccessToken, jw)
	if names := toolNames(t, one); slices.Contains(names, "list_linked_accounts") || !slices.Contains(names, "justworks_list_members") {
		t.Fatalf("one account's tools: %v", names)
	}

	logs := e.logsOf(t, "source=mcp")
	var sawCall, sawToken bool
	for _, l := range logs {
		sawCall = sawCall || (l["action"] == "justworks_list_members" && l["client_id"] == app.conf.ClientID)
		sawToken = sawToken || (l["action"] == "oauth_token" && l["client_id"] == app.conf.ClientID)
	}
	if !sawCall || !sawToken {
		t.Fatalf("the request log lacks the app's call or grant: %v", logs)
	}

	// Refresh rotates; the console lists the app; disconnecting ends its tokens.
	st, fresh := tokenRequest(t, app, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "resource": {app.resource}})
	if st != http.StatusOK || fresh["refresh_token"] == tok.RefreshToken {
		t.Fatalf("refresh: %d %v", st, fresh)
	}
	resp, page := c.get(t, base+"/ai-apps")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Claude") || !strings.Contains(page, adminEmail) || !strings.Contains(page, "read only") {
		t.Fatalf("connected AI apps page: %d", resp.StatusCode)
	}
	grantID := regexp.MustCompile(`data-grant="([^"]+)"`).FindStringSubmatch(page)[1]
	resp, _ = c.post(t, base+"/ai-apps/"+grantID+"/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disconnect: %d", resp.StatusCode)
	}
	if st, challenge := mcpStatus(t, e.srv.URL+"/mcp", fresh["access_token"].(string)); st != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Fatalf("after disconnecting: %d %q", st, challenge)
	}

	// RFC 7009: revoking the refresh token ends the grant.
	// Glob patterns on the consent page narrow the actions ticked.
	u := mustURL(t, app.authURL())
	_, page = c.get(t, u.RequestURI())
	badGlob := url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {jw},
		"action": {"justworks_list_members"}, "tools": {"[oops"}, "csrf": {csrfField.FindStringSubmatch(page)[1]}}
	for k, v := range u.Query() {
		badGlob[k] = v
	}
	if resp, page := c.post(t, "/console/oauth/authorize", badGlob); resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(page), "tools:") {
		t.Fatalf("a broken pattern: %d %s", resp.StatusCode, errorMessage(page))
	}
	second := app.grant(t, c, url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {jw},
		"action": {"justworks_list_members", "justworks_list_deductions"}, "tools": {"justworks_*, !*_deductions"}})
	if names := toolNames(t, bearer(t, e.srv.URL, second.AccessToken, "")); !slices.Equal(names, []string{"justworks_list_members"}) {
		t.Fatalf("tools after the consent's patterns: %v", names)
	}
	resp, err := http.PostForm(e.srv.URL+"/oauth/revoke", url.Values{"token": {second.RefreshToken}, "client_id": {app.conf.ClientID}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	if st, _ := mcpStatus(t, e.srv.URL+"/mcp", second.AccessToken); st != http.StatusUnauthorized {
		t.Fatalf("after revocation: %d", st)
	}
}

// bearerWithAccount is bearer narrowed to one account by the header.
func bearerWithAccount(t *testing.T, base, token, account string) *sdk.ClientSession {
	return bearer(t, base, token, "?x-account-id="+url.QueryEscape(account))
}

// logsOf reads the project's request logs with the API key.
func (e *linkEnv) logsOf(t *testing.T, query string) []map[string]any {
	t.Helper()
	e.services.Logs.Flush(context.Background())
	st, _, body := e.do(t, "GET", "/requests/logs?page_size=100&"+query, basic(e.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("logs: %d %v", st, body)
	}
	var out []map[string]any
	for _, l := range body["data"].([]any) {
		out = append(out, l.(map[string]any))
	}
	return out
}

// TestAIAppRefusals: each way an app or an admin can go wrong is refused, and
// a stolen code or refresh token ends the grant.
func TestAIAppRefusals(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	other := e.linkFor(t, "justworks", "admin@acme.test", "someone-else")
	c, _ := signedInConsole(t, e)
	app := registerAIApp(t, e.srv.URL, "Cursor")
	justMembers := func() url.Values {
		return url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {jw}, "action": {"justworks_list_members"}}
	}
	backError := func(t *testing.T, authURL, want string) {
		t.Helper()
		resp, page := c.get(t, mustURL(t, authURL).RequestURI())
		back := mustURL(t, resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || back.Host != "127.0.0.1:9" || back.Query().Get("error") != want {
			t.Fatalf("%s: %d %s %s", authURL, resp.StatusCode, back, errorMessage(page))
		}
	}

	t.Run("a plain PKCE challenge, or none", func(t *testing.T) {
		backError(t, app.authURL(oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request")
		noPKCE := app.conf.AuthCodeURL(app.state, oauth2.SetAuthURLParam("resource", app.resource))
		backError(t, noPKCE, "invalid_request")
	})
	t.Run("another resource", func(t *testing.T) {
		backError(t, app.authURL(oauth2.SetAuthURLParam("resource", "https://elsewhere.example/mcp")), "invalid_target")
	})
	t.Run("a redirect URI not registered", func(t *testing.T) {
		bad := app.authURL(oauth2.SetAuthURLParam("redirect_uri", "https://attacker.example/cb"))
		resp, page := c.get(t, mustURL(t, bad).RequestURI())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, "not one Cursor registered") {
			t.Fatalf("unregistered redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("a code without its verifier, then used twice", func(t *testing.T) {
		back := consent(t, c, app.authURL(), justMembers())
		code := back.Query().Get("code")
		if st, body := tokenRequest(t, app, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {aiRedirect}}); st != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Fatalf("no verifier: %d %v", st, body)
		}
		if st, body := tokenRequest(t, app, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {aiRedirect}, "code_verifier": {oauth2.GenerateVerifier()}}); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("wrong verifier: %d %v", st, body)
		}
		replayRevokes(t, app, e.srv.URL, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {aiRedirect}, "code_verifier": {app.verifier}})
	})
	t.Run("a refresh token used after rotation", func(t *testing.T) {
		tok := app.grant(t, c, justMembers())
		replayRevokes(t, app, e.srv.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	})
	t.Run("a token for another resource", func(t *testing.T) {
		tok := app.grant(t, c, justMembers())
		second := e.secondNode(t) // the same database, another public URL: another /mcp
		if st, challenge := mcpStatus(t, second.URL+"/mcp", tok.AccessToken); st != http.StatusUnauthorized || !strings.Contains(challenge, second.URL) {
			t.Fatalf("a token for %s/mcp at %s/mcp: %d %q", e.srv.URL, second.URL, st, challenge)
		}
	})
	t.Run("an account or action outside the grant", func(t *testing.T) {
		tok := app.grant(t, c, justMembers())
		if st, _ := mcpStatus(t, e.srv.URL+"/mcp?x-account-id="+other, tok.AccessToken); st != http.StatusForbidden {
			t.Fatalf("another account of the project: %d", st)
		}
		cs := bearer(t, e.srv.URL, tok.AccessToken, "?tool-mode=search_execute")
		refused := callTool(t, cs, "justworks_execute_action", map[string]any{"action_id": "justworks_get_company"}, true)
		if refused["error_category"] != "not_permitted" || !strings.Contains(refused["message"].(string), "not among the actions this AI app was granted") {
			t.Fatalf("an action outside the grant: %v", refused)
		}
	})
	t.Run("an admin not given the project", func(t *testing.T) {
		project, err := e.store.CreateProject(context.Background(), store.Project{Name: "Not hers"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.services.Admins.Create(context.Background(), "narrow@acme.test", adminPassword, []string{e.projectA.ID}); err != nil {
			t.Fatal(err)
		}
		narrow := newConsoleClient(t, e.srv.URL)
		narrow.signIn(t, "narrow@acme.test", adminPassword)
		form := justMembers()
		form.Set("project", project.ID)
		u := mustURL(t, app.authURL())
		_, page := narrow.get(t, u.RequestURI())
		form.Set("csrf", csrfField.FindStringSubmatch(page)[1])
		for k, v := range u.Query() {
			form[k] = v
		}
		resp, page := narrow.post(t, "/console/oauth/authorize", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(errorMessage(page), "not an admin of") {
			t.Fatalf("consent for another project: %d %s", resp.StatusCode, errorMessage(page))
		}
	})
	t.Run("a grant whose accounts were deleted", func(t *testing.T) {
		tok := app.grant(t, c, justMembers())
		if st, _, body := e.do(t, "DELETE", "/accounts/"+jw, basic(e.keyA), ""); st != http.StatusOK && st != http.StatusNoContent {
			t.Fatalf("delete account: %d %v", st, body)
		}
		if st, _ := mcpStatus(t, e.srv.URL+"/mcp", tok.AccessToken); st != http.StatusForbidden {
			t.Fatalf("a grant of deleted accounts: %d", st)
		}
	})
}

// replayRevokes uses a code or refresh token twice: the second use is refused,
// and the tokens the first one got stop working, since the grant is revoked.
func replayRevokes(t *testing.T, app *aiApp, base string, form url.Values) {
	t.Helper()
	st, first := tokenRequest(t, app, form)
	if st != http.StatusOK {
		t.Fatalf("first use: %d %v", st, first)
	}
	if st, body := tokenRequest(t, app, form); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("second use: %d %v", st, body)
	}
	if st, _ := mcpStatus(t, base+"/mcp", first["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("the grant survived a replay: the first use's token answers %d", st)
	}
}
