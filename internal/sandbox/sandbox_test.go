package sandbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"

	"golang.org/x/oauth2"

	"github.com/patchbayhq/patchbay/internal/sandbox"
)

type env struct {
	sb       *sandbox.Sandbox
	srv      *httptest.Server
	callback *httptest.Server // where the demo apps redirect to
}

func newEnv(t *testing.T, o sandbox.Options) *env {
	t.Helper()
	e := &env{}
	e.callback = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><title>callback</title><p id=done>callback reached</p>")
	}))
	t.Cleanup(e.callback.Close)
	o.RedirectURIs = []string{e.callback.URL + "/connect/oauth2/{key}/callback"}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.sb = sb
	e.srv = httptest.NewServer(sb.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) provider(t *testing.T, key string) *sandbox.Provider {
	t.Helper()
	p, ok := e.sb.Provider(key)
	if !ok {
		t.Fatalf("no %s simulator", key)
	}
	return p
}

// providerSetup is what differs between the providers for an OAuth client.
type providerSetup struct {
	key, authorizePath, tokenPath, apiPath string
	pkce                                   bool
}

var providers = []providerSetup{
	{key: "justworks", authorizePath: "/oauth/authorize", tokenPath: "/oauth/token", apiPath: "/v1/company"},
	{key: "employmenthero", authorizePath: "/oauth2/authorize", tokenPath: "/oauth2/token", apiPath: "/api/v1/organisations", pkce: true},
}

func (e *env) oauthConfig(t *testing.T, ps providerSetup) *oauth2.Config {
	p := e.provider(t, ps.key)
	base := e.srv.URL + "/" + ps.key
	return &oauth2.Config{
		ClientID: p.DemoApp.ClientID, ClientSecret: p.DemoApp.ClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: base + ps.authorizePath, TokenURL: base + ps.tokenPath, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: p.DemoApp.RedirectURIs[0],
	}
}

var requestID = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// submit posts a page's form the way a browser does: to its action, resolved
// against the page's URL.
func submit(t *testing.T, client *http.Client, pageURL *url.URL, page []byte, form url.Values) (*http.Response, []byte) {
	t.Helper()
	m := formAction.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form on %s: %s", pageURL, page)
	}
	action, err := pageURL.Parse(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

// signInAndApprove plays the user on the login and consent pages without a browser.
func signInAndApprove(t *testing.T, authURL, email string) *url.URL {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := requestID.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no login form (%d): %s", resp.StatusCode, page)
	}
	resp, page = submit(t, client, resp.Request.URL, page, url.Values{"request_id": {string(m[1])}, "email": {email}, "password": {"sandbox"}})
	resp, _ = submit(t, client, resp.Request.URL, page, url.Values{"request_id": {string(m[1])}, "decision": {"approve"}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent answered %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc
}

// TestGolangOAuth2Client runs a golang.org/x/oauth2 client through each provider:
// authorize (with PKCE for Employment Hero), exchange, call the API, refresh, and
// get refused when it reuses the rotated refresh token.
func TestGolangOAuth2Client(t *testing.T) {
	for _, ps := range providers {
		t.Run(ps.key, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{Seed: 7, Members: 20})
			p := e.provider(t, ps.key)
			cfg := e.oauthConfig(t, ps)
			ctx := context.Background()

			verifier := oauth2.GenerateVerifier()
			var opts []oauth2.AuthCodeOption
			if ps.pkce {
				opts = append(opts, oauth2.S256ChallengeOption(verifier))
			}
			loc := signInAndApprove(t, cfg.AuthCodeURL("state-xyz", opts...), p.DemoUser)
			if loc.Query().Get("state") != "state-xyz" || loc.Query().Get("code") == "" {
				t.Fatalf("redirect %s", loc)
			}
			var exOpts []oauth2.AuthCodeOption
			if ps.pkce {
				exOpts = append(exOpts, oauth2.VerifierOption(verifier))
			}
			tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), exOpts...)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			resp, err := cfg.Client(ctx, tok).Get(e.srv.URL + "/" + ps.key + ps.apiPath)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("API call with the new token: %d", resp.StatusCode)
			}

			expired := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
			fresh, err := cfg.TokenSource(ctx, expired).Token()
			if err != nil || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
				t.Fatalf("refresh: %v (rotated: %v)", err, fresh != nil && fresh.RefreshToken != tok.RefreshToken)
			}
			_, err = cfg.TokenSource(ctx, expired).Token()
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("reusing the rotated refresh token: %v, want invalid_grant", err)
			}
			if p.Stats.Get("token.authorization_code") != 1 || p.Stats.Get("token.refresh_token") != 1 {
				t.Fatalf("stats %v", p.Stats.Snapshot())
			}
		})
	}
}

func TestEmploymentHeroRefusesCodesWithoutPKCE(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 7, Members: 5})
	cfg := e.oauthConfig(t, providers[1])
	loc := signInAndApproveOrRedirect(t, cfg.AuthCodeURL("s"))
	if loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("authorize without PKCE: %s", loc)
	}
}

// signInAndApproveOrRedirect returns the authorize endpoint's own redirect, for
// requests it refuses before showing the login page.
func signInAndApproveOrRedirect(t *testing.T, authURL string) *url.URL {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want a redirect", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc
}

func TestShortAccessTokenLifetime(t *testing.T) {
	clk := &clock.Shifted{}
	e := newEnv(t, sandbox.Options{Seed: 7, Members: 5, AccessTTL: map[string]time.Duration{"justworks": 300 * time.Millisecond}, Clock: clk})
	p := e.provider(t, "justworks")
	tok, err := p.OAuth.MintToken(p.DemoApp.ClientID, p.DemoUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := func() int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/justworks/v1/company", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := call(); st != http.StatusOK {
		t.Fatalf("fresh token: %d", st)
	}
	clk.Advance(400 * time.Millisecond)
	if st := call(); st != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", st)
	}
}

func TestEmploymentHeroRateLimit(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 7, Members: 5})
	p := e.provider(t, "employmenthero")
	tok, err := p.OAuth.MintToken(p.DemoApp.ClientID, p.DemoUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	limited := 0
	var retryAfter string
	for range 25 {
		req, _ := http.NewRequest("GET", e.srv.URL+"/employmenthero/api/v1/organisations", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			retryAfter = resp.Header.Get("Retry-After")
			if !strings.Contains(string(body), `"code":429`) {
				t.Fatalf("429 body %s", body)
			}
		}
	}
	if limited != 5 || retryAfter == "" {
		t.Fatalf("%d of 25 requests in a burst were limited (Retry-After %q), want 5", limited, retryAfter)
	}
	if p.Stats.Get("rate_limited") != 5 {
		t.Fatalf("stats %v", p.Stats.Snapshot())
	}
}

func TestControls(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 7, Members: 5})
	send := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path, body string) (int, string) { return send(http.MethodPost, path, e.sb.ControlToken(), body) }
	// Without the control token every control is refused.
	for _, c := range []struct{ method, path string }{{"POST", "/_sim/apps"}, {"POST", "/_sim/tokens"}, {"GET", "/_sim/users"},
		{"GET", "/_sim/stats"}, {"DELETE", "/_sim/stats"}, {"POST", "/_sim/faults"}, {"DELETE", "/_sim/faults"}} {
		for _, token := range []string{"", "guess"} {
			if st, body := send(c.method, "/justworks"+c.path, token, `{}`); st != http.StatusUnauthorized || !strings.Contains(body, "control token") {
				t.Errorf("%s %s with %q: %d %s", c.method, c.path, token, st, body)
			}
		}
	}
	if st, body := post("/justworks/_sim/apps", `{"redirect_uris":["https://x.test/cb"],"scopes":["payroll:read"]}`); st != http.StatusCreated || !strings.Contains(body, "client_secret") {
		t.Fatalf("register app: %d %s", st, body)
	}
	if st, body := post("/justworks/_sim/apps", `{"redirect_uris":["https://x.test/cb"],"scopes":["root:write"]}`); st != http.StatusBadRequest || !strings.Contains(body, "scopes") {
		t.Fatalf("register app with an unknown scope: %d %s", st, body)
	}
	st, body := post("/justworks/_sim/tokens", `{}`)
	if st != http.StatusCreated || !strings.Contains(body, "access_token") {
		t.Fatalf("mint: %d %s", st, body)
	}
	if st, body := post("/justworks/_sim/faults", `{"path_prefix":"/v1/company","count":1,"kind":"status","status":503}`); st != http.StatusCreated {
		t.Fatalf("fault: %d %s", st, body)
	}
	if st, body := post("/justworks/_sim/faults", `{"path_prefix":"/v1","count":1,"kind":"explode"}`); st != http.StatusBadRequest || !strings.Contains(body, "kind") {
		t.Fatalf("bad fault: %d %s", st, body)
	}
	resp, err := http.Get(e.srv.URL + "/justworks/v1/company")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the injected fault did not fire: %d", resp.StatusCode)
	}
	if _, stats := send(http.MethodGet, "/justworks/_sim/stats", e.sb.ControlToken(), ""); !strings.Contains(stats, `"fault.status":1`) {
		t.Fatalf("stats %s", stats)
	}
}
