package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// Finding 1: a provider answer that redirects to another origin (here the
// simulator's authorize endpoint, bouncing to a registered "internal" URL) is
// not followed, so the account's token never reaches that origin.
func TestProviderRedirectsToAnotherOriginAreNotFollowed(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.allowProxy(t, "justworks")
	var reached, withToken atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.Header.Get("Authorization") != "" {
			withToken.Add(1)
		}
		w.Write([]byte(`{"internal":"secret"}`))
	}))
	t.Cleanup(sink.Close)
	jw, _ := e.sb.Provider("justworks")
	evil, err := jw.OAuth.RegisterApp(oauthserver.App{RedirectURIs: []string{sink.URL + "/internal-admin"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/oauth/authorize?client_id=" + url.QueryEscape(evil.ClientID) + "&redirect_uri=" + url.QueryEscape(sink.URL+"/internal-admin") + "&response_type=x"
	st, body := e.proxyCall(t, acc, `{"path":"`+path+`"}`)
	if reached.Load() != 0 || withToken.Load() != 0 {
		t.Fatalf("Patchbay followed the provider's redirect to another origin (%d requests, %d with the token)", reached.Load(), withToken.Load())
	}
	if st != http.StatusOK || body["status"] != float64(http.StatusFound) || strings.Contains(body["data"].(string)+"", "secret") {
		t.Fatalf("the proxy's answer: %d %v", st, body)
	}
}

// Finding 4: path parameters are single segments; ".", ".." and separators are
// refused, and the proxy checks its path after decoding.
func TestPathParametersAndProxyPathsCannotTraverse(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "employmenthero", "owner@acme.test")
	for _, bad := range []string{"..", ".", "", "a/b", `a\b`} {
		st, body := e.rpc(t, acc, `{"action":"employmenthero_get_employee","path":{"employee_id":"`+strings.ReplaceAll(bad, `\`, `\\`)+`"}}`)
		wantRPCError(t, st, body, http.StatusBadRequest, "employee_id")
		st, body = e.rpc(t, acc, `{"action":"employmenthero_list_team_employees","path":{"team_id":"`+strings.ReplaceAll(bad, `\`, `\\`)+`"}}`)
		wantRPCError(t, st, body, http.StatusBadRequest, "team_id")
	}
	jwAcc := e.linkProvider(t, "justworks", "admin@acme.test")
	e.allowProxy(t, "justworks")
	for _, bad := range []string{"/v1/%2e%2e/%2e%2e/x", "/v1/%2E%2E/x", "/v1/members/%2f..%2f..", `/v1/..%5c..`} {
		st, body := e.proxyCall(t, jwAcc, `{"path":"`+bad+`"}`)
		wantError(t, st, body, http.StatusBadRequest)
	}
}

// Finding 3: a form on another origin cannot run an action. Browsers send
// forms as text/plain or form encodings, which JSON endpoints refuse with 415
// before anything runs; and a 401 to a browser's navigation carries no Basic
// challenge, so a browser never learns to replay a key.
func TestCrossSiteFormsCannotRunActions(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	// What <form enctype="text/plain"> sends: name=value, the "=" hidden in a
	// header value, so that the whole is a valid RPC body.
	form := `{"action":"justworks_get_company","headers":{"x-account-id":"` + acc + `","pad":"="}}`
	for _, contentType := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		st, _, body := e.do(t, "POST", "/actions/rpc", basic(e.keyA), form, "Content-Type", contentType)
		wantError(t, st, body, http.StatusUnsupportedMediaType)
	}
	if calls := jw.Stats.Snapshot(); len(calls) != 0 {
		t.Fatalf("a cross-site form reached the provider: %v", calls)
	}
	st, h, body := e.do(t, "GET", "/accounts", "", "", "Sec-Fetch-Mode", "navigate")
	wantError(t, st, body, http.StatusUnauthorized)
	if h.Get("WWW-Authenticate") != "" {
		t.Fatalf("a 401 challenges the browser: %q", h.Get("WWW-Authenticate"))
	}
}

// Finding 5: request methods nobody uses do not become metric labels, so
// random ones cannot grow /metrics and the heap without bound.
func TestMetricLabelsComeFromClosedSets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	for i := range 50 {
		req, _ := http.NewRequest(fmt.Sprintf("RANDOM%d", i), f.srv.URL+fmt.Sprintf("/nowhere/%d", i), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(metrics), "RANDOM") {
		t.Fatal("/metrics holds a label for every made-up method")
	}
	if !strings.Contains(string(metrics), `patchbay_http_requests_total{method="other",route="unmatched",status="404"} 50`) {
		t.Fatalf("the made-up methods are not counted as other:\n%s", grepLines(string(metrics), "patchbay_http_requests_total"))
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Finding 10: another project's profile is simply not found, whether or not
// accounts use it: an answer must not tell that it exists.
func TestAnotherProjectsProfileIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	ctx := context.Background()
	prof, err := f.store.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: f.projectA.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: "id", ClientSecret: "secret", Environment: store.Sandbox, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CreateAccount(ctx, store.Account{ProjectID: f.projectA.ID, ProfileID: prof.ID, Provider: "justworks",
		OriginOwnerID: "o", OriginOwnerName: "O"}, store.EventAccountCreated); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "PATCH", "DELETE"} {
		body := ""
		if method == "PATCH" {
			body = `{"name":"mine now"}`
		}
		st, _, answer := f.do(t, method, "/connector_profiles/"+prof.ID, basic(f.keyB), body)
		wantError(t, st, answer, http.StatusNotFound)
	}
	if _, err := f.store.GetConnectorProfile(ctx, f.projectA.ID, prof.ID); err != nil {
		t.Fatalf("project A's profile after project B's tries: %v", err)
	}
}

// Finding 12: a connect session's allowed_origin is an http(s) origin, nothing else.
func TestAllowedOriginIsAnOrigin(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	for _, bad := range []string{"javascript://x", "data://x", "http://evil.test:99999", `https://a.test\"`, "https://a.test?x=1", "https://a.test#f"} {
		st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_id":"c","origin_owner_name":"C","allowed_origin":"`+bad+`"}`)
		wantError(t, st, body, http.StatusBadRequest)
		if !strings.Contains(body["message"].(string), "allowed_origin") {
			t.Errorf("%s: %v", bad, body["message"])
		}
	}
}

// Finding 11: pages cannot be sniffed or framed, except the Hub by its
// session's allowed_origin.
func TestPagesRefuseFramingAndSniffing(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw, _ := e.sb.Provider("justworks")
	framed := e.session(t, "") // allowed_origin is the embedding test page
	st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_id":"c","origin_owner_name":"C"}`)
	if st != http.StatusCreated {
		t.Fatal(body)
	}
	unframed := body["auth_link_url"].(string)
	for _, tc := range []struct{ url, ancestors string }{
		{framed, "frame-ancestors " + e.embed.URL},
		{unframed, "frame-ancestors 'none'"},
		{e.srv.URL + "/hub?token=unknown", "frame-ancestors 'none'"},
		{e.srv.URL + "/guides/justworks", "frame-ancestors 'none'"},
		{e.srv.URL + "/connect/oauth2/justworks/callback", "frame-ancestors 'none'"},
		{e.srv.URL + "/sandbox/justworks/oauth/authorize?client_id=" + jw.DemoApp.ClientID, "frame-ancestors 'none'"},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Security-Policy"); got != tc.ancestors || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: CSP %q, nosniff %q; want %q", tc.url, got, resp.Header.Get("X-Content-Type-Options"), tc.ancestors)
		}
	}
}

// Finding 14: a filter with too many values is a clear 400, not a 500 from the database.
func TestFilterListsAreCapped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	ids := make([]string, 40000)
	for i := range ids {
		ids[i] = fmt.Sprintf("acc_%d", i)
	}
	list := strings.Join(ids, ",")
	for _, path := range []string{"/accounts?account_ids=" + list, "/requests/logs?filter[account_ids]=" + list} {
		st, _, body := f.do(t, "GET", path, basic(f.keyA), "")
		wantError(t, st, body, http.StatusBadRequest)
		if !strings.Contains(body["message"].(string), "account_ids") || !strings.Contains(body["message"].(string), "at most") {
			t.Errorf("%.40s…: %v", path, body["message"])
		}
	}
	st, _, body := f.do(t, "GET", "/requests/logs?filter[account_ids]="+strings.Join(ids[:100], ","), basic(f.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("100 ids: %d %v", st, body)
	}
}

// Finding 15: the auth scheme is case-insensitive (RFC 7235), and a project
// cannot lose its last key.
func TestBearerSchemeAndTheLastKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		if st, _, body := f.do(t, "GET", "/api_keys", scheme+" "+f.keyA, ""); st != http.StatusOK {
			t.Fatalf("%s scheme: %d %v", scheme, st, body)
		}
	}
	// Project B has one key: revoking it would lock the project out.
	st, _, body := f.do(t, "DELETE", "/api_keys/"+f.keyBID, basic(f.keyB), "")
	wantError(t, st, body, http.StatusConflict)
	if !strings.Contains(body["message"].(string), "last") {
		t.Fatalf("refusal: %v", body["message"])
	}
	if st, _, _ := f.do(t, "GET", "/api_keys", basic(f.keyB), ""); st != http.StatusOK {
		t.Fatalf("project B's only key stopped working: %d", st)
	}
	st, _, created := f.do(t, "POST", "/api_keys", basic(f.keyB), `{"name":"second"}`)
	if st != http.StatusCreated {
		t.Fatalf("create a second key: %d %v", st, created)
	}
	if st, _, body := f.do(t, "DELETE", "/api_keys/"+f.keyBID, basic(f.keyB), ""); st != http.StatusOK {
		t.Fatalf("revoking one of two keys: %d %v", st, body)
	}
}

// Finding 7: a client that sends its body a byte at a time is cut off once the
// body deadline passes, authenticated or not, instead of holding a connection
// and a goroutine for as long as it likes.
func TestSlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	registry, _ := connectors.Embedded()
	srv := httptest.NewServer(mustApp(app.New(app.Options{Store: s, Registry: registry, PublicURL: "http://x",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{BodyTimeout: 300 * time.Millisecond}))
	t.Cleanup(srv.Close)
	for _, auth := range []string{"", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("pb_unknown:")) + "\r\n"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /connect_sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n%s\r\n{", auth)
		stop := make(chan struct{})
		go func() { // one more byte every 100 ms, as a slow-loris client does
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					conn.Write([]byte(" "))
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(conn) // whatever the answer, the server must end the connection
		close(stop)
		conn.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("with auth %q: the server kept a slow body's connection open for 10 s", auth)
		}
	}
}

// The body deadline ends with the body: an action call that takes longer than
// it (a slow provider) still answers.
func TestLongCallsOutliveTheBodyDeadline(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	slow := httptest.NewServer(e.services.Server(api.Options{Sandbox: e.sb, KeyRateLimit: 1 << 30, BodyTimeout: 100 * time.Millisecond}))
	t.Cleanup(slow.Close)
	jw, _ := e.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/company", Count: 1, Kind: simctl.KindDelay, DelayMS: 600})
	req, _ := http.NewRequest("POST", slow.URL+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
	req.SetBasicAuth(e.keyA, "")
	req.Header.Set("X-Account-Id", acc)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a call slower than the body deadline: %d", resp.StatusCode)
	}
}

// Finding 8: the Hub session token is never stored in clear, not even inside
// the address the browser returns to after the provider.
func TestHubTokensAreNotStoredInClear(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, backend)
			b := newBrowserless(t)
			link := e.session(t, `,"provider":"justworks"`)
			token := mustQuery(t, link, "token")
			_, start := e.startAttempt(t, link)
			if resp, _ := b.get(start); resp.StatusCode != http.StatusFound {
				t.Fatalf("start: %d", resp.StatusCode)
			}
			dump := rawDatabase(t, e.dbURL)
			if !bytes.Contains(dump, []byte("cust_42")) {
				t.Fatal("the dump does not hold the session at all; it proves nothing")
			}
			if bytes.Contains(dump, []byte(token)) {
				t.Fatalf("the %s database holds a Hub session token in clear text", backend.Name)
			}
		})
	}
}

// Finding 6: a Hub link cannot fill the database: an oversized return
// address is refused, a session takes a bounded number of attempts, and
// expired sessions (with their attempts and states) are swept.
func TestHubLinksCannotFillTheDatabase(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	b := newBrowserless(t)
	link := e.session(t, `,"provider":"justworks"`)
	_, start := e.startAttempt(t, link)
	resp, page := b.get(start + "&redirect_uri=" + url.QueryEscape(e.srv.URL+"/hub?pad="+strings.Repeat("x", 500<<10)))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "too long") {
		t.Fatalf("a 500 KB redirect_uri: %d", resp.StatusCode)
	}
	token := mustQuery(t, link, "token")
	refused := 0
	for range 60 {
		st, _, _ := e.do(t, "POST", "/hub/connection_attempts", "", `{}`, "X-Hub-Session-Token", token)
		if st == http.StatusTooManyRequests {
			refused++
		} else if st != http.StatusCreated {
			t.Fatalf("attempt: %d", st)
		}
	}
	if refused == 0 {
		t.Fatal("a session took 60 connection attempts")
	}
	e.clk.Advance(25 * time.Hour) // the session (valid an hour) is long gone
	if err := e.services.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs, err := e.store.ConnectSessionByTokenHash(context.Background(), sha256Of(token))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired session survived the sweep: %+v %v", cs.ID, err)
	}
}

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// Finding 13: the address a browser returns to after the provider can only be
// the Hub page: not another page of this origin, such as a simulator's
// authorize endpoint that would bounce the browser (and the outcome) off-site.
func TestTheReturnAddressIsTheHub(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	b := newBrowserless(t)
	jw, _ := e.sb.Provider("justworks")
	evil, err := jw.OAuth.RegisterApp(oauthserver.App{RedirectURIs: []string{"https://evil.test/collect"}})
	if err != nil {
		t.Fatal(err)
	}
	bounce := e.srv.URL + "/sandbox/justworks/oauth/authorize?response_type=x&client_id=" + url.QueryEscape(evil.ClientID) +
		"&redirect_uri=" + url.QueryEscape("https://evil.test/collect")
	for _, back := range []string{bounce, e.srv.URL + "/guides/justworks", "https://evil.test/hub"} {
		link := e.session(t, `,"provider":"justworks"`)
		_, start := e.startAttempt(t, link)
		callback := e.authorize(t, b, start+"&redirect_uri="+url.QueryEscape(back), "admin@acme.test", "approve")
		resp, _ := b.get(callback)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Path != "/hub" || originOf(loc) != e.srv.URL {
			t.Fatalf("return address %s: the callback sent the browser to %s", back, loc)
		}
	}
}

func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// Finding 15: a runtime key runs the product (accounts, actions, sessions,
// logs) but cannot manage keys, profiles or the project; and the last admin
// key cannot be revoked, however many runtime keys there are.
func TestRuntimeKeysCannotAdminister(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	st, _, created := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"backend","role":"runtime"}`)
	if st != http.StatusCreated || created["role"] != "runtime" {
		t.Fatalf("create a runtime key: %d %v", st, created)
	}
	runtime := created["key"].(string)
	for _, allowed := range []struct{ method, path, body string }{
		{"GET", "/accounts/" + acc, ""},
		{"POST", "/connect_sessions", `{"origin_owner_id":"c","origin_owner_name":"C"}`},
		{"GET", "/requests/logs", ""},
		{"GET", "/connectors", ""},
	} {
		if st, _, body := e.do(t, allowed.method, allowed.path, basic(runtime), allowed.body); st >= 400 {
			t.Errorf("runtime key, %s %s: %d %v", allowed.method, allowed.path, st, body)
		}
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
	req.SetBasicAuth(runtime, "")
	req.Header.Set("X-Account-Id", acc)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("runtime key, an action: %v %v", resp, err)
	}
	for _, refused := range []struct{ method, path, body string }{
		{"GET", "/api_keys", ""},
		{"POST", "/api_keys", `{"name":"escalate","role":"admin"}`},
		{"DELETE", "/api_keys/" + created["id"].(string), ""},
		{"GET", "/connector_profiles", ""},
		{"POST", "/connector_profiles", `{"connector_key":"justworks","client_id":"x","client_secret":"y"}`},
		{"GET", "/projects/" + e.projectA.ID, ""},
	} {
		st, _, body := e.do(t, refused.method, refused.path, basic(runtime), refused.body)
		wantError(t, st, body, http.StatusForbidden)
	}
	st, _, keys := e.do(t, "GET", "/api_keys", basic(e.keyA), "")
	var adminID string
	for _, k := range keys["data"].([]any) {
		if k := k.(map[string]any); k["role"] == "admin" {
			adminID = k["id"].(string)
		}
	}
	st, _, body := e.do(t, "DELETE", "/api_keys/"+adminID, basic(e.keyA), "")
	wantError(t, st, body, http.StatusConflict)
	if st, _, body := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"x","role":"owner"}`); st != http.StatusBadRequest || !strings.Contains(body["message"].(string), "role") {
		t.Fatalf("an unknown role: %d %v", st, body)
	}
}

// Finding 6: the Hub's endpoints answer one client address a bounded number
// of times a minute, so one client cannot flood them (sessions, attempts,
// OAuth starts) from a leaked link.
func TestHubEndpointsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	registry, _ := connectors.Embedded()
	srv := httptest.NewServer(mustApp(app.New(app.Options{Store: s, Registry: registry, PublicURL: "http://x",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{HubAddressLimit: 20}))
	t.Cleanup(srv.Close)
	limited := 0
	for range 30 {
		resp, err := http.Get(srv.URL + "/hub?token=not-a-real-token")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited != 10 {
		t.Fatalf("%d of 30 Hub requests limited, want the 10 past the limit of 20", limited)
	}
}
