package oauthserver_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"

	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

const redirectURI = "https://client.test/callback"

var users = []oauthserver.User{
	{ID: "u1", Email: "admin@acme.test", Password: "sandbox", Role: "admin", Tenants: []oauthserver.Tenant{{ID: "acme", Name: "Acme"}}},
	{ID: "u2", Email: "multi@acme.test", Password: "sandbox", Role: "owner", Tenants: []oauthserver.Tenant{
		{ID: "o1", Name: "One"}, {ID: "o2", Name: "Two", SSOEnforced: true}, {ID: "o3", Name: "Three", SSOEnforced: true}}},
}

type harness struct {
	srv   *httptest.Server
	oauth *oauthserver.Server
	stats *simctl.Stats
	app   oauthserver.App
}

// newHarness serves an authorization server plus one protected endpoint that
// echoes the grant of its bearer token.
func newHarness(t *testing.T, cfg oauthserver.Config) *harness {
	t.Helper()
	if cfg.AuthorizePath == "" {
		cfg.AuthorizePath, cfg.TokenPath, cfg.RevokePaths = "/oauth/authorize", "/oauth/token", []string{"/oauth/revoke"}
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = time.Hour
	}
	h := &harness{stats: simctl.NewStats()}
	h.oauth = oauthserver.New(cfg, users, h.stats)
	mux := http.NewServeMux()
	h.oauth.Register(mux)
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		g, err := h.oauth.Authenticate(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(g)
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	var err error
	h.app, err = h.oauth.RegisterApp(oauthserver.App{RedirectURIs: []string{redirectURI}, Scopes: []string{"a:read", "b:read", "secret:read"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var requestIDPattern = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// authorize walks the browser flow: authorize, sign in, then approve or deny.
// It returns the final redirect's URL.
func (h *harness) authorize(t *testing.T, params url.Values, email string, decision string, sensitive bool) *url.URL {
	t.Helper()
	resp, err := noRedirects.Get(h.srv.URL + "/oauth/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc
	}
	m := requestIDPattern.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"request_id": {string(m[1])}, "email": {email}, "password": {"sandbox"}}
	resp, err = noRedirects.PostForm(h.srv.URL+"/oauth/authorize/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Allow access?") {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	consent := url.Values{"request_id": {string(m[1])}, "decision": {decision}}
	if sensitive {
		consent.Set("sensitive", "on")
	}
	resp, err = noRedirects.PostForm(h.srv.URL+"/oauth/authorize/consent", consent)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc
}

func (h *harness) authParams(extra ...string) url.Values {
	v := url.Values{"client_id": {h.app.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "state": {"st-123"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// post sends a form to the token endpoint and decodes the JSON answer.
func (h *harness) post(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(h.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (h *harness) exchange(t *testing.T, code string, extra ...string) (int, map[string]any) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return h.post(t, "/oauth/token", form)
}

func (h *harness) refresh(t *testing.T, rt string) (int, map[string]any) {
	return h.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}})
}

func (h *harness) me(t *testing.T, access string) (int, oauthserver.Grant) {
	req, _ := http.NewRequest("GET", h.srv.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var g oauthserver.Grant
	json.NewDecoder(resp.Body).Decode(&g)
	return resp.StatusCode, g
}

func wantOAuthError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantCode {
		t.Fatalf("got %d %v, want %d %s", status, body, wantStatus, wantCode)
	}
}

func TestCodeFlowRefreshAndRotation(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", ScopeInResponse: true, TokenType: "Bearer"})
	loc := h.authorize(t, h.authParams(), "admin@acme.test", "approve", true)
	if loc.Query().Get("state") != "st-123" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	st, tok := h.exchange(t, loc.Query().Get("code"))
	if st != http.StatusOK || tok["token_type"] != "Bearer" || tok["scope"] != "a:read b:read secret:read" {
		t.Fatalf("exchange: %d %v", st, tok)
	}
	if st, g := h.me(t, tok["access_token"].(string)); st != http.StatusOK || g.UserID != "u1" || !g.HasTenant("acme") {
		t.Fatalf("me: %d %+v", st, g)
	}
	// The code is single use: TestReusedCodeRevokesItsTokens.

	rt1 := tok["refresh_token"].(string)
	st, tok2 := h.refresh(t, rt1)
	if st != http.StatusOK || tok2["refresh_token"] == rt1 {
		t.Fatalf("refresh: %d %v", st, tok2)
	}
	st, body := h.refresh(t, rt1)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_grant")
	if st, _ := h.refresh(t, tok2["refresh_token"].(string)); st != http.StatusOK {
		t.Fatalf("the newest refresh token is refused: %d", st)
	}
	// Earlier access tokens stay valid until they expire.
	if st, _ := h.me(t, tok["access_token"].(string)); st != http.StatusOK {
		t.Fatalf("old access token: %d", st)
	}
	if h.stats.Get("token.refresh_token") != 2 || h.stats.Get("token.authorization_code") != 1 {
		t.Fatalf("stats %v", h.stats.Snapshot())
	}
}

func TestConcurrentRefreshRotatesOnce(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"})
	loc := h.authorize(t, h.authParams(), "admin@acme.test", "approve", false)
	_, tok := h.exchange(t, loc.Query().Get("code"))
	rt := tok["refresh_token"].(string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 20 {
		wg.Go(func() {
			if st, _ := h.refresh(t, rt); st == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d of 20 concurrent refreshes with one token succeeded, want exactly 1", ok)
	}
}

func TestRotationGraceAndReuse(t *testing.T) {
	grace := newHarness(t, oauthserver.Config{Name: "Test", RotationGrace: time.Hour})
	_, tok := grace.exchange(t, grace.authorize(t, grace.authParams(), "admin@acme.test", "approve", false).Query().Get("code"))
	rt := tok["refresh_token"].(string)
	grace.refresh(t, rt)
	if st, _ := grace.refresh(t, rt); st != http.StatusOK {
		t.Fatalf("within the grace window the rotated token is refused: %d", st)
	}

	reuse := newHarness(t, oauthserver.Config{Name: "Test", ReuseRefreshTokens: true})
	_, tok = reuse.exchange(t, reuse.authorize(t, reuse.authParams(), "admin@acme.test", "approve", false).Query().Get("code"))
	_, again := reuse.refresh(t, tok["refresh_token"].(string))
	if again["refresh_token"] != tok["refresh_token"] {
		t.Fatalf("reuse mode rotated the refresh token")
	}
}

func TestAccessTokensExpire(t *testing.T) {
	clk := &clock.Shifted{}
	h := newHarness(t, oauthserver.Config{Name: "Test", AccessTTL: 50 * time.Millisecond, Clock: clk})
	_, tok := h.exchange(t, h.authorize(t, h.authParams(), "admin@acme.test", "approve", false).Query().Get("code"))
	if tok["expires_in"] != float64(1) {
		t.Fatalf("expires_in %v", tok["expires_in"])
	}
	clk.Advance(80 * time.Millisecond)
	if st, _ := h.me(t, tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("expired token accepted: %d", st)
	}
}

func TestPKCE(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", PKCERequired: true})
	loc := h.authorize(t, h.authParams(), "admin@acme.test", "approve", false)
	if loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "st-123" {
		t.Fatalf("no challenge: %s", loc)
	}
	loc = h.authorize(t, h.authParams("code_challenge", "abc", "code_challenge_method", "plain"), "admin@acme.test", "approve", false)
	if loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("plain challenge where S256 is required: %s", loc)
	}
	verifier := "a-very-long-random-verifier-string-of-at-least-43-chars-xyz"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	for _, bad := range []string{"", "wrong-verifier"} {
		code := h.authorize(t, h.authParams("code_challenge", challenge, "code_challenge_method", "S256"), "admin@acme.test", "approve", false).Query().Get("code")
		st, body := h.exchange(t, code, "code_verifier", bad)
		wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_grant")
	}
	code := h.authorize(t, h.authParams("code_challenge", challenge, "code_challenge_method", "S256"), "admin@acme.test", "approve", false).Query().Get("code")
	if st, body := h.exchange(t, code, "code_verifier", verifier); st != http.StatusOK {
		t.Fatalf("right verifier: %d %v", st, body)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", RequestScopes: true, KnownScopes: []string{"a:read", "b:read", "secret:read", "c:read"}})
	for name, params := range map[string]url.Values{
		"unknown client":           h.authParams("client_id", "nobody"),
		"unregistered redirect":    h.authParams("redirect_uri", "https://evil.test/cb"),
		"redirect with extra path": h.authParams("redirect_uri", redirectURI+"/x"),
	} {
		resp, err := noRedirects.Get(h.srv.URL + "/oauth/authorize?" + params.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q, want a 400 page and no redirect", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if loc := h.authorize(t, h.authParams("response_type", "token"), "", "", false); loc.Query().Get("error") != "unsupported_response_type" {
		t.Fatalf("response_type token: %s", loc)
	}
	if loc := h.authorize(t, h.authParams("scope", "a:read nope:write"), "", "", false); loc.Query().Get("error") != "invalid_scope" {
		t.Fatalf("unknown scope: %s", loc)
	}
	if loc := h.authorize(t, h.authParams(), "admin@acme.test", "deny", false); loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-123" || loc.Query().Get("code") != "" {
		t.Fatalf("deny: %s", loc)
	}
	// Requested scopes narrow the grant; unregistered ones are dropped silently.
	_, tok := h.exchange(t, h.authorize(t, h.authParams("scope", "a:read c:read"), "admin@acme.test", "approve", false).Query().Get("code"))
	if _, g := h.me(t, tok["access_token"].(string)); strings.Join(g.Scopes, " ") != "a:read" {
		t.Fatalf("granted %v, want [a:read]", g.Scopes)
	}
}

func TestSensitiveScopesNeedTheCheckbox(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", SensitiveScopes: []string{"secret:read"}})
	for _, ticked := range []bool{false, true} {
		_, tok := h.exchange(t, h.authorize(t, h.authParams(), "admin@acme.test", "approve", ticked).Query().Get("code"))
		_, g := h.me(t, tok["access_token"].(string))
		has := strings.Contains(strings.Join(g.Scopes, " "), "secret:read")
		if has != ticked {
			t.Fatalf("checkbox ticked=%v, granted %v", ticked, g.Scopes)
		}
	}
}

func TestOneSSOTenantPerToken(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", OneSSOTenant: true})
	_, tok := h.exchange(t, h.authorize(t, h.authParams(), "multi@acme.test", "approve", false).Query().Get("code"))
	if _, g := h.me(t, tok["access_token"].(string)); strings.Join(g.Tenants, ",") != "o1,o2" {
		t.Fatalf("tenants %v, want o1,o2 (one SSO organisation at most)", g.Tenants)
	}
}

func TestTokenRequestRules(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test", BasicAuth: true})
	code := h.authorize(t, h.authParams(), "admin@acme.test", "approve", false).Query().Get("code")
	creds := "client_id=" + h.app.ClientID + "&client_secret=" + h.app.ClientSecret

	send := func(ct, query, body string, basic bool) (int, map[string]any) {
		req, _ := http.NewRequest("POST", h.srv.URL+"/oauth/token"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if basic {
			req.SetBasicAuth(h.app.ClientID, h.app.ClientSecret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	form := "application/x-www-form-urlencoded"
	st, body := send("application/json", "", `{"grant_type":"authorization_code"}`, false)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_request")
	st, body = send(form, "?"+creds, "grant_type=authorization_code&code="+code+"&redirect_uri="+url.QueryEscape(redirectURI), false)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_request")
	st, body = send(form, "", "grant_type=authorization_code&grant_type=refresh_token&"+creds, false)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_request")
	st, body = send(form, "", "grant_type=authorization_code&code="+code+"&"+creds, true)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_request")
	st, body = send(form, "", "grant_type=authorization_code&client_id="+h.app.ClientID+"&client_secret=wrong", false)
	wantOAuthError(t, st, body, http.StatusUnauthorized, "invalid_client")
	st, body = send(form, "", "grant_type=password&"+creds, false)
	wantOAuthError(t, st, body, http.StatusBadRequest, "unsupported_grant_type")
	st, body = send(form, "", "grant_type=authorization_code&code="+code+"&redirect_uri="+url.QueryEscape("https://client.test/other")+"&"+creds, false)
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_grant")
	// Basic client authentication, where the provider allows it.
	if st, body := send(form, "", "grant_type=authorization_code&code="+code+"&redirect_uri="+url.QueryEscape(redirectURI), true); st != http.StatusOK {
		t.Fatalf("basic auth exchange: %d %v", st, body)
	}

	bodyOnly := newHarness(t, oauthserver.Config{Name: "Test"})
	req, _ := http.NewRequest("POST", bodyOnly.srv.URL+"/oauth/token", strings.NewReader("grant_type=refresh_token&refresh_token=x"))
	req.Header.Set("Content-Type", form)
	req.SetBasicAuth(bodyOnly.app.ClientID, bodyOnly.app.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("basic auth where only body credentials are allowed: %d", resp.StatusCode)
	}
}

func TestRevokingARefreshTokenRevokesItsAccessTokens(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"})
	_, tok := h.exchange(t, h.authorize(t, h.authParams(), "admin@acme.test", "approve", false).Query().Get("code"))
	st, _ := h.post(t, "/oauth/revoke", url.Values{"token": {tok["refresh_token"].(string)}, "client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}})
	if st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	if st, _ := h.me(t, tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("access token still works after its refresh token was revoked: %d", st)
	}
	st, body := h.refresh(t, tok["refresh_token"].(string))
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_grant")
	if st, _ := h.post(t, "/oauth/revoke", url.Values{"token": {"unknown"}, "client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}}); st != http.StatusOK {
		t.Fatalf("revoking an unknown token: %d, want 200 (RFC 7009)", st)
	}
}

func TestWrongPasswordStaysOnLogin(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"})
	resp, _ := noRedirects.Get(h.srv.URL + "/oauth/authorize?" + h.authParams().Encode())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := requestIDPattern.FindSubmatch(body)[1]
	resp, _ = noRedirects.PostForm(h.srv.URL+"/oauth/authorize/login", url.Values{"request_id": {string(id)}, "email": {"admin@acme.test"}, "password": {"nope"}})
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Wrong email or password") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// Finding 13: abandoned sign-ins do not pile up in the simulator's memory, and
// a state too long to keep is refused.
func TestAbandonedSignInsAreSwept(t *testing.T) {
	clk := &clock.Shifted{}
	h := newHarness(t, oauthserver.Config{Name: "Test", Clock: clk})
	open := func(params url.Values) int {
		resp, err := noRedirects.Get(h.srv.URL + "/oauth/authorize?" + params.Encode())
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 1500 {
		open(h.authParams())
	}
	if n := h.oauth.InFlight(); n != 1500 {
		t.Fatalf("%d sign-ins in flight, want 1500", n)
	}
	clk.Advance(11 * time.Minute) // every one of them has expired
	for range 600 {
		open(h.authParams())
	}
	if n := h.oauth.InFlight(); n > 1000 {
		t.Fatalf("%d sign-ins in flight after the first 1500 expired: they were never swept", n)
	}
	if st := open(h.authParams("state", strings.Repeat("s", 4096))); st == http.StatusOK {
		t.Fatal("a 4 KB state was kept")
	}
}

// After a wrong password the sign-in form still posts where the first one did,
// so the person can simply try again (newcomer finding 1).
func TestSignInAfterAWrongPassword(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"})
	action := regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	page, _ := url.Parse(h.srv.URL + "/oauth/authorize?" + h.authParams().Encode())
	resp, err := noRedirects.Get(page.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := string(requestIDPattern.FindSubmatch(body)[1])
	for _, password := range []string{"wrong", "sandbox"} {
		target, _ := page.Parse(string(action.FindSubmatch(body)[1]))
		resp, err = noRedirects.PostForm(target.String(), url.Values{"request_id": {id}, "email": {"admin@acme.test"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		page = target
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Allow access?") {
		t.Fatalf("the second try, after a wrong password: %d %s", resp.StatusCode, body)
	}
}

// RFC 6749 §4.1.2: a code used twice is refused, and the tokens already issued
// from it stop working, refreshed ones included. Token answers are never
// cached (§5.1: Cache-Control: no-store and Pragma: no-cache).
func TestReusedCodeRevokesItsTokens(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"})
	code := h.authorize(t, h.authParams(), "admin@acme.test", "approve", false).Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}}
	resp, err := http.PostForm(h.srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.Header.Get("Pragma") != "no-cache" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token answer headers: %v", resp.Header)
	}
	st, refreshed := h.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)},
		"client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}})
	if st != http.StatusOK {
		t.Fatalf("refresh: %d %v", st, refreshed)
	}
	if st, _ := h.post(t, "/oauth/token", form); st != http.StatusBadRequest {
		t.Fatalf("the code used again: %d", st)
	}
	for _, access := range []string{tok["access_token"].(string), refreshed["access_token"].(string)} {
		if st, _ := h.me(t, access); st != http.StatusUnauthorized {
			t.Fatalf("a token issued from a reused code still works: %d", st)
		}
	}
	if st, _ := h.post(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed["refresh_token"].(string)},
		"client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}}); st != http.StatusBadRequest {
		t.Fatalf("a refresh token descended from a reused code still refreshes: %d", st)
	}
}

// RFC 6749 §5.1: a server that leaves scope out of token answers (Employment
// Hero) still names it when the grant differs from what was requested.
func TestScopeNamedWhenTheGrantDiffers(t *testing.T) {
	h := newHarness(t, oauthserver.Config{Name: "Test"}) // ScopeInResponse off; the request's scope is ignored
	for _, tc := range []struct {
		requested string
		want      any
	}{
		{"", nil},
		{"a:read b:read secret:read", nil},
		{"a:read", "a:read b:read secret:read"},
	} {
		params := h.authParams()
		if tc.requested != "" {
			params.Set("scope", tc.requested)
		}
		st, tok := h.exchange(t, h.authorize(t, params, "admin@acme.test", "approve", true).Query().Get("code"))
		if st != http.StatusOK || tok["scope"] != tc.want {
			t.Fatalf("requested %q: %d, scope %v, want %v", tc.requested, st, tok["scope"], tc.want)
		}
	}
}
