package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// The tests in this file each perform one attack of the second attack
// review, and are named after it.

// setupLink makes a setup link, as a start on a database without admins does.
func setupLink(t *testing.T, e *linkEnv) string {
	t.Helper()
	link, err := e.services.Admins.SetupLink(context.Background(), e.srv.URL)
	if err != nil || link == "" {
		t.Fatalf("setup link %q: %v", link, err)
	}
	return link
}

// signUp posts the setup form with a link's token.
func signUp(t *testing.T, c *consoleClient, link, email string) *http.Response {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := c.post(t, "/console/setup", url.Values{"token": {u.Query().Get("token")}, "email": {email},
		"password": {adminPassword}, "confirm": {adminPassword}})
	return resp
}

// TestOldSetupLinksCannotMakeASuperAdmin: each start on a database without
// admins prints a setup link; a link from an earlier start (read from old
// logs) no longer works, and once an admin exists no link does.
func TestOldSetupLinksCannotMakeASuperAdmin(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	ctx := context.Background()
	earlier, latest := setupLink(t, e), setupLink(t, e)
	c := newConsoleClient(t, e.srv.URL)
	if resp := signUp(t, c, earlier, "mallory@evil.test"); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a setup link from an earlier start still creates an admin")
	}
	// The operator creates the first admin with the CLI; the latest link dies.
	if _, err := e.services.Admins.Create(ctx, "alice@a.test", adminPassword, []string{e.projectA.ID}); err != nil {
		t.Fatal(err)
	}
	if resp := signUp(t, c, latest, "mallory@evil.test"); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a setup link made before the first admin creates a second one")
	}
	if e.services.Admins.Exists(ctx, "mallory@evil.test") {
		t.Fatal("the attacker is an admin")
	}
	if link, err := e.services.Admins.SetupLink(ctx, e.srv.URL); err != nil || link != "" {
		t.Fatalf("a start with an admin made a setup link %q, %v", link, err)
	}
}

// TestSignInLockoutDoesNotRevealAccounts: five wrong passwords lock an
// unknown email exactly as they lock a real admin's, so the sixth answer
// does not tell which emails are admins.
func TestSignInLockoutDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	answers := map[string][]string{}
	for _, email := range []string{adminEmail, "nobody@nowhere.test"} {
		c := newConsoleClient(t, e.srv.URL)
		for i := range 7 {
			resp, page := c.post(t, "/console/signin", url.Values{"email": {email}, "password": {"wrong password " + string(rune('a'+i))}})
			// The wait counts down in whole seconds from the fifth failure:
			// on a busy machine one email's attempts may reach it a second
			// later than the other's, which says nothing about the email.
			answers[email] = append(answers[email], resp.Status+" "+seconds.ReplaceAllString(errorMessage(page), "Ns"))
		}
	}
	real, unknown := answers[adminEmail], answers["nobody@nowhere.test"]
	for i := range real {
		if real[i] != unknown[i] {
			t.Errorf("attempt %d: a real admin gets %q, an unknown email %q", i+1, real[i], unknown[i])
		}
	}
	if !strings.HasPrefix(real[6], "429") {
		t.Fatalf("the seventh wrong password was not throttled: %q", real[6])
	}
}

// errorMessage is the error a console page shows.
var seconds = regexp.MustCompile(`\d+s\b`)

func errorMessage(page string) string {
	_, after, _ := strings.Cut(page, `role="alert"><p>`)
	msg, _, _ := strings.Cut(after, "</p>")
	return msg
}

// TestSignInFromAnotherSiteIsRefused: a form on another site cannot sign
// the victim's browser into the attacker's console (login CSRF), nor post
// the setup form.
func TestSignInFromAnotherSiteIsRefused(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	link := setupLink(t, e)
	u, _ := url.Parse(link)
	c := newConsoleClient(t, e.srv.URL)
	crossSite := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := crossSite("/console/setup", url.Values{"token": {u.Query().Get("token")}, "email": {"attacker@evil.test"},
		"password": {adminPassword}, "confirm": {adminPassword}})
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
		t.Fatalf("cross-site setup: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp := signUp(t, c, link, "attacker@evil.test"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the same setup from the console's own page: %d", resp.StatusCode)
	}
	resp = crossSite("/console/signin", url.Values{"email": {"attacker@evil.test"}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
		t.Fatalf("cross-site sign-in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp := c.signIn(t, "attacker@evil.test", adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in from the console's own page: %d", resp.StatusCode)
	}
}

// TestHubFramingCannotBeOpenedToEverySite: an allowed_origin with a wildcard
// would let any site frame the Hub; it is refused with a field error.
func TestHubFramingCannotBeOpenedToEverySite(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	for _, wild := range []string{"https://*", "https://*.com", "https://*.*", "https://a*b.com", "http://*:8080", "https://a.test,https://b.test"} {
		st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_id":"c","origin_owner_name":"C","allowed_origin":"`+wild+`"}`)
		wantError(t, st, body, http.StatusBadRequest)
		if msg, _ := body["message"].(string); !strings.Contains(msg, "allowed_origin") {
			t.Errorf("%s: %q names no field", wild, msg)
		}
	}
	for _, exact := range []string{"https://app.example.com", "http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:8080"} {
		if st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_id":"c","origin_owner_name":"C","allowed_origin":"`+exact+`"}`); st != http.StatusCreated {
			t.Errorf("%s: %d %v", exact, st, body)
		}
	}
}

// TestMCPBatchesCannotOutrunTheKeysQuota: one POST /mcp carrying many
// tools/call ran them all on one request of the key's quota. Batches are
// refused before any runs, so each tool call is a request the quota counts.
func TestMCPBatchesCannotOutrunTheKeysQuota(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := e.sb.Provider("justworks")
	jw.Stats.Reset()
	call := `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"justworks_get_company","arguments":{}}}`
	var batch []string
	for i := range 200 {
		batch = append(batch, fmt.Sprintf(call, i))
	}
	mcpPost := func(base, key, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", basic(key))
		req.Header.Set("X-Account-Id", acc)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	st, answer := mcpPost(e.srv.URL, e.keyA, "["+strings.Join(batch, ",")+"]")
	if st != http.StatusBadRequest || !strings.Contains(answer, "batches are not supported") {
		t.Fatalf("a batch of 200 tool calls: %d %.300s", st, answer)
	}
	if calls := jw.Stats.Snapshot(); len(calls) != 0 {
		t.Fatalf("a refused batch made %d provider calls", len(calls))
	}
	// One message per request: the key's quota counts every tool call.
	_, _, fresh := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"agent"}`)
	key := fresh["key"].(string)
	limited := httptest.NewServer(e.services.Server(api.Options{KeyRateLimit: 3, HubAddressLimit: 1 << 30}))
	t.Cleanup(limited.Close)
	for i := range 3 {
		if st, answer := mcpPost(limited.URL, key, fmt.Sprintf(call, i)); st != http.StatusOK {
			t.Fatalf("tool call %d: %d %s", i, st, answer)
		}
	}
	if st, _ := mcpPost(limited.URL, key, fmt.Sprintf(call, 3)); st != http.StatusTooManyRequests {
		t.Fatalf("the fourth tool call in a minute with a limit of 3: %d", st)
	}
}

// TestClientsThatNeverReadAreCutOff: clients that post requests and never
// read the answers held a node's memory without bound (there was no write
// deadline). An answer that cannot be written for the write idle time ends
// its connection.
func TestClientsThatNeverReadAreCutOff(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	closed := make(chan struct{})
	srv := httptest.NewUnstartedServer(e.services.Server(api.Options{KeyRateLimit: 1 << 30, WriteIdleTimeout: 200 * time.Millisecond}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateClosed {
			close(closed)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Pipelined requests for the action list: far more answer than the
	// sockets' buffers hold, none of it read.
	request := "GET /actions HTTP/1.1\r\nHost: patchbay\r\nAuthorization: " + basic(e.keyA) + "\r\n\r\n"
	go conn.Write([]byte(strings.Repeat(request, 400)))
	select {
	case <-closed:
	case <-time.After(testwait.Limit):
		t.Fatal("the node still holds a connection whose client reads nothing")
	}
}

// TestIdempotencyKeysOfTwoProjectsDoNotCollide: the Idempotency-Key became
// the provider's operation_id verbatim, so a second project linked to the
// same company and reusing another project's key was refused ("operation_id
// already used with different payload"). Keys are namespaced per project and
// account.
func TestIdempotencyKeysOfTwoProjectsDoNotCollide(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	other := *e
	other.fixture = &fixture{srv: e.srv, store: e.store, keyA: e.otherProjectKey(t)}
	demo := sandbox.DemoApp("justworks")
	if st, _, body := other.do(t, "POST", "/connector_profiles", basic(other.keyA), fmt.Sprintf(
		`{"connector_key":"justworks","client_id":%q,"client_secret":%q,"environment":"sandbox","default":true}`, demo.ClientID, demo.ClientSecret)); st != http.StatusCreated {
		t.Fatalf("the other project's profile: %d %v", st, body)
	}
	mine, theirs := e.linkProvider(t, "justworks", "admin@acme.test"), other.linkProvider(t, "justworks", "admin@acme.test")
	member := first(t, e.call(t, mine, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}}))["id"].(string)
	deduction := `{"individual_id":"` + member + `","type":"union_dues","frequency":"recurring","amount":{"amount":%d,"currency":"USD"},"start_date":"2026-12-01"}`
	ids := map[string]bool{}
	for _, c := range []struct {
		env     *linkEnv
		account string
		amount  int
	}{{e, mine, 4500}, {&other, theirs, 9900}} {
		st, _, created := c.env.do(t, "POST", "/unified/payroll/deductions", basic(c.env.keyA), fmt.Sprintf(deduction, c.amount),
			"X-Account-Id", c.account, "Idempotency-Key", "deduction-1")
		if st != http.StatusCreated {
			t.Fatalf("create with the key another project used: %d %v", st, created)
		}
		ids[created["data"].(map[string]any)["id"].(string)] = true
	}
	if len(ids) != 2 {
		t.Fatalf("two projects' creates gave the deductions %v", ids)
	}
}

// TestAnUnopenableProfileSecretCanBeReplaced: a profile whose sealed client
// secret this deployment cannot open (a lost key, a damaged row) could not be
// given a new one (409), so the only way out was to delete it and every
// account on it. Setting a new secret is the repair.
func TestAnUnopenableProfileSecretCanBeReplaced(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	account := e.linkProvider(t, "justworks", "admin@acme.test")
	profile := e.profileOf(t, "justworks")
	if _, err := e.store.DB().Exec(`UPDATE connector_profiles SET client_secret = 'v1:gone:AAAA' WHERE id = ?`, profile); err != nil {
		t.Fatal(err)
	}
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"name":"Renamed"}`); st != http.StatusConflict ||
		!strings.Contains(body["message"].(string), "give it a new client_secret") {
		t.Fatalf("a change that keeps the unopenable secret: %d %v", st, body)
	}
	demo := sandbox.DemoApp("justworks")
	st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"client_secret":"`+demo.ClientSecret+`"}`)
	if st != http.StatusOK || body["client_secret_set"] != true {
		t.Fatalf("a new secret: %d %v", st, body)
	}
	if st, _, body := e.do(t, "GET", "/connector_profiles/"+profile, basic(e.keyA), ""); st != http.StatusOK {
		t.Fatalf("the repaired profile: %d %v", st, body)
	}
	e.clk.Advance(2 * time.Hour) // the account's token has expired: a refresh uses the new secret
	if st, body := e.rpc(t, account, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("a call that refreshes with the repaired profile: %d %v", st, body)
	}
}

// TestOAuthStartsCannotPileUpStates: each request to an attempt's start
// stored another OAuth state (100 requests, 100 rows) until the hourly
// sweep. A new state replaces the attempt's earlier one, and the latest
// sign-in still completes.
func TestOAuthStartsCannotPileUpStates(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	b := newBrowserless(t)
	attempt, start := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
	for i := range 100 {
		if resp, _ := b.get(start); resp.StatusCode != http.StatusFound {
			t.Fatalf("start %d: %d", i, resp.StatusCode)
		}
	}
	var n int
	if err := e.store.DB().QueryRow(`SELECT COUNT(*) FROM oauth_states WHERE attempt_id = ?`, attempt).Scan(&n); err != nil || n != 1 {
		t.Fatalf("100 starts of one attempt left %d states (%v)", n, err)
	}
	resp, _ := b.get(e.authorize(t, b, start, "admin@acme.test", "approve"))
	if state := e.attempt(t, resp.Header.Get("Location"), attempt); state["status"] != "authenticated" {
		t.Fatalf("the latest sign-in: %v", state)
	}
}

// TestSimulatorControlsAreClosedOnPatchbaysOrigin: under demo and serve
// --sandbox, anyone could register an app with any redirect URI through the
// simulators' controls, and then have Patchbay's origin redirect a visitor
// there. The controls need an admin key; an unregistered app or redirect URI
// gets a page.
func TestSimulatorControlsAreClosedOnPatchbaysOrigin(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	register := `{"client_id":"evilapp","redirect_uris":["http://evil.example/cb"],"scopes":["company.detail:read"]}`
	for _, c := range []struct{ path, body string }{{"/_sim/apps", register}, {"/_sim/tokens", `{}`},
		{"/_sim/faults", `{"path_prefix":"/v1","count":1,"kind":"status","status":503}`}} {
		for _, auth := range []string{"", basic("not-a-key"), "Bearer " + e.keyA + "x"} {
			if st, _, _ := e.do(t, "POST", "/sandbox/justworks"+c.path, auth, c.body); st != http.StatusUnauthorized {
				t.Errorf("POST %s with %q: %d", c.path, auth, st)
			}
		}
	}
	b := newBrowserless(t)
	resp, _ := b.get(e.srv.URL + "/sandbox/justworks/oauth/authorize?client_id=evilapp&redirect_uri=" +
		url.QueryEscape("http://evil.example/cb") + "&response_type=bogus")
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 || loc != "" {
		t.Fatalf("authorize for an unregistered app redirected (%d) to %q", resp.StatusCode, loc)
	}
	// The admin key opens them.
	if st, _, body := e.do(t, "POST", "/sandbox/justworks/_sim/tokens", basic(e.keyA), `{}`); st != http.StatusCreated {
		t.Fatalf("minting with the admin key: %d %v", st, body)
	}
}

// TestNarrowingAProfileStopsTheProxy: with the profile narrowed to one read
// action, the passthrough proxy still created a deduction and read the
// company. The proxy is a capability of its own: off unless the profile
// turns it on (the environment's profiles were made without saying so), and
// read-only unless it allows writes.
func TestNarrowingAProfileStopsTheProxy(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	profile := e.profileOf(t, "justworks")
	member := first(t, e.call(t, acc, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}}))["id"].(string)
	jw, _ := e.sb.Provider("justworks")
	setProfile := func(body string) {
		t.Helper()
		if st, _, got := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), body); st != http.StatusOK {
			t.Fatalf("PATCH %s: %d %v", body, st, got)
		}
	}
	write := `{"method":"POST","path":"/v1/deductions","body":{"items":[{"member_id":"` + member + `","operation_id":"op-1","amount_type":"fixed",` +
		`"amount":100,"currency":"USD","deduction_type_code":"union_dues","frequency":"one_time","start_date":"2026-12-01"}]}}`
	read := `{"path":"/v1/company"}`
	for _, c := range []struct {
		settings        string
		readOK, writeOK bool
	}{
		{`{"enabled_actions":["justworks_list_members"]}`, false, false}, // the review's narrowing
		{`{"proxy":"read"}`, true, false},
		{`{"proxy":"read_write"}`, true, true},
		{`{"proxy":"off"}`, false, false},
	} {
		setProfile(c.settings)
		jw.Stats.Reset()
		st, body := e.proxyCall(t, acc, write)
		if c.writeOK != (st == http.StatusOK) || (!c.writeOK && st != http.StatusForbidden) {
			t.Errorf("%s: a write through the proxy: %d %v", c.settings, st, body)
		}
		if reached := jw.Stats.Snapshot()["api.POST /v1/deductions"] == 1; reached != c.writeOK {
			t.Errorf("%s: the write reached Justworks: %v", c.settings, reached)
		}
		if st, body := e.proxyCall(t, acc, read); c.readOK != (st == http.StatusOK) {
			t.Errorf("%s: a read through the proxy: %d %v", c.settings, st, body)
		}
	}
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"proxy":"everything"}`); st != http.StatusBadRequest ||
		!strings.Contains(body["message"].(string), "proxy:") {
		t.Fatalf("an unknown proxy setting: %d %v", st, body)
	}
}
