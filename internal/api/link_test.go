package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

var (
	requestIDField = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	formActionAttr = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// browserless plays the end user with plain HTTP, one redirect at a time.
type browserless struct {
	t      testing.TB
	client *http.Client
}

func newBrowserless(t testing.TB) *browserless {
	return &browserless{t: t, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a URL and returns the response (body read) and the body.
func (b *browserless) get(raw string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Get(raw)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// submit posts the page's form to its action, resolved like a browser would.
func (b *browserless) submit(pageURL *url.URL, page string, form url.Values) *http.Response {
	b.t.Helper()
	m := formActionAttr.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no form on %s: %s", pageURL, page)
	}
	action, _ := pageURL.Parse(m[1])
	resp, err := b.client.PostForm(action.String(), form)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

// startAttempt creates a connection attempt for the session's only provider and
// returns the attempt id and the URL that starts the OAuth flow.
func (e *linkEnv) startAttempt(t testing.TB, link string) (string, string) {
	t.Helper()
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	req, _ := http.NewRequest("GET", e.srv.URL+"/hub/connectors", nil)
	req.Header.Set("X-Hub-Session-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Integrations []struct {
			IntegrationID string `json:"integration_id"`
		} `json:"integrations"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Integrations) != 1 {
		t.Fatalf("hub connectors: %+v", list)
	}
	profile := list.Integrations[0].IntegrationID
	req, _ = http.NewRequest("POST", e.srv.URL+"/hub/connection_attempts", strings.NewReader(`{"integration_id":"`+profile+`"}`))
	req.Header.Set("X-Hub-Session-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var att struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&att)
	resp.Body.Close()
	return att.ID, e.srv.URL + "/connect/oauth2/" + profile + "?token=" + url.QueryEscape(token) + "&connection_attempt_id=" + att.ID
}

// authorize walks start → provider login → consent and returns the callback URL
// the provider redirects to (not yet visited).
func (e *linkEnv) authorize(t testing.TB, b *browserless, start, email, decision string) string {
	t.Helper()
	resp, _ := b.get(start)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	loginURL, _ := url.Parse(resp.Header.Get("Location"))
	resp, page := b.get(loginURL.String())
	m := requestIDField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no login page at %s (%d): %s", loginURL, resp.StatusCode, page)
	}
	resp = b.submit(loginURL, page, url.Values{"request_id": {m[1]}, "email": {email}, "password": {"sandbox"}})
	consent, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp = b.submit(resp.Request.URL, string(consent), url.Values{"request_id": {m[1]}, "decision": {decision}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// link runs the whole flow for a Justworks session and returns the attempt's final JSON.
func (e *linkEnv) link(t *testing.T, sessionExtra string) map[string]any {
	t.Helper()
	b := newBrowserless(t)
	attempt, start := e.startAttempt(t, e.session(t, `,"provider":"justworks"`+sessionExtra))
	callback := e.authorize(t, b, start, "admin@acme.test", "approve")
	resp, _ := b.get(callback)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	return e.attempt(t, resp.Header.Get("Location"), attempt)
}

// attempt reads an attempt's state with the session token of the Hub URL.
func (e *linkEnv) attempt(t testing.TB, hubURL, id string) map[string]any {
	t.Helper()
	u, _ := url.Parse(hubURL)
	req, _ := http.NewRequest("GET", e.srv.URL+"/hub/connection_attempts/"+id, nil)
	req.Header.Set("X-Hub-Session-Token", u.Query().Get("token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func accountID(t testing.TB, attempt map[string]any) string {
	t.Helper()
	acc, _ := attempt["account"].(map[string]any)
	if attempt["status"] != "authenticated" || acc == nil {
		t.Fatalf("attempt %v did not authenticate", attempt)
	}
	return acc["id"].(string)
}

func TestLinkingTwiceUpdatesOneAccountUnlessMultiple(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	first := accountID(t, e.link(t, ""))
	second := accountID(t, e.link(t, ""))
	if first != second {
		t.Fatalf("linking the same owner twice made two accounts: %s, %s", first, second)
	}
	third := accountID(t, e.link(t, `,"multiple":true`))
	if third == first {
		t.Fatal("multiple:true reopened the existing account")
	}
	edited := accountID(t, e.link(t, `,"multiple":true,"account_id":"`+first+`"`))
	if edited != first {
		t.Fatalf("account_id edit mode linked %s, want %s", edited, first)
	}
	if n := len(listAccounts(t, e, "")); n != 2 {
		t.Fatalf("%d accounts, want 2", n)
	}
}

func TestCallbackStateProblems(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	b := newBrowserless(t)
	countAccounts := func() int { return len(listAccounts(t, e, "")) }
	expectProblem := func(name, raw, want string) {
		t.Helper()
		resp, page := b.get(raw)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) {
			t.Errorf("%s: %d, page lacks %q:\n%s", name, resp.StatusCode, want, page)
		}
	}

	attempt, start := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
	callback := e.authorize(t, b, start, "admin@acme.test", "approve")
	resp, _ := b.get(callback)
	hubURL := resp.Header.Get("Location")
	if accountID(t, e.attempt(t, hubURL, attempt)) == "" || countAccounts() != 1 {
		t.Fatal("the first callback did not link")
	}
	expectProblem("replayed callback", callback, "already used")
	expectProblem("forged state", e.srv.URL+"/connect/oauth2/justworks/callback?code=x&state=forged-state-value", "not one Patchbay started")
	expectProblem("missing state", e.srv.URL+"/connect/oauth2/justworks/callback?code=x", "no state")

	// A state that is past its time.
	lateHash := sha256.Sum256([]byte("late-state"))
	st, err := e.store.CreateOAuthState(context.Background(), store.OAuthState{ProjectID: e.projectA.ID, StateHash: lateHash[:],
		AttemptID: attempt, RedirectURI: e.srv.URL, ExpiresAt: time.Now().Add(-time.Minute)})
	if err != nil || st.ID == "" {
		t.Fatal(err)
	}
	expectProblem("expired state", e.srv.URL+"/connect/oauth2/justworks/callback?code=x&state=late-state", "expired")

	// Starting with another session's token: the attempt belongs to the first session.
	otherAttempt, _ := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
	_, otherStart := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
	mixed := strings.Replace(otherStart, "connection_attempt_id=", "connection_attempt_id="+otherAttempt+"&ignored=", 1)
	expectProblem("state from another session", mixed, "not waiting to start")

	// Denied consent ends the attempt with a plain-words error and no account.
	denyAttempt, denyStart := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
	callback = e.authorize(t, b, denyStart, "admin@acme.test", "deny")
	resp, _ = b.get(callback)
	decided := e.attempt(t, resp.Header.Get("Location"), denyAttempt)
	errBody, _ := decided["error"].(map[string]any)
	if decided["status"] != "error" || errBody["code"] != "access_denied" || !strings.Contains(errBody["description"].(string), "declined") {
		t.Fatalf("denied attempt: %v", decided)
	}
	if n := countAccounts(); n != 1 {
		t.Fatalf("%d accounts after the problem cases, want the 1 linked first", n)
	}
}

func TestHubLinkProblems(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	b := newBrowserless(t)
	resp, page := b.get(e.srv.URL + "/hub?token=not-a-real-token")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "not valid") || !strings.Contains(page, "new link") {
		t.Fatalf("unknown token: %d %s", resp.StatusCode, page)
	}
	st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_id":"c","origin_owner_name":"C","expires_in":1}`)
	if st != http.StatusCreated {
		t.Fatal(body)
	}
	e.clk.Advance(2 * time.Second)
	resp, page = b.get(body["auth_link_url"].(string))
	if resp.StatusCode != http.StatusGone || !strings.Contains(page, "expired") {
		t.Fatalf("expired link: %d %s", resp.StatusCode, page)
	}
	st, _, body = e.do(t, "POST", "/connect_sessions", basic(e.keyA), `{"origin_owner_name":" ","provider":"bamboohr","expires_in":99999999,"type":"STAGING"}`)
	wantError(t, st, body, http.StatusBadRequest)
	for _, field := range []string{"origin_owner_id", "origin_owner_name", "provider", "expires_in", "type"} {
		if !strings.Contains(body["message"].(string), field) {
			t.Errorf("session validation message lacks %s: %s", field, body["message"])
		}
	}
}

// TestNoSecretsInDatabaseDumps links an account, then searches the raw SQLite
// files and a PostgreSQL dump for the client secret and the tokens.
func TestNoSecretsInDatabaseDumps(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, backend)
			id := accountID(t, e.link(t, ""))
			acc, err := e.store.GetAccount(context.Background(), e.projectA.ID, id)
			if err != nil || acc.Credentials.AccessToken == "" || acc.Credentials.RefreshToken == "" {
				t.Fatalf("account %+v %v", acc.Credentials, err)
			}
			dump := rawDatabase(t, e.dbURL)
			if !bytes.Contains(dump, []byte("cust_42")) {
				t.Fatal("the dump does not hold the account at all; it proves nothing")
			}
			for _, secret := range []string{acc.Credentials.AccessToken, acc.Credentials.RefreshToken, "sandbox-justworks-secret"} {
				if bytes.Contains(dump, []byte(secret)) {
					t.Fatalf("the %s database holds a secret in clear text (%.6s…)", backend.Name, secret)
				}
			}
		})
	}
}

// rawDatabase returns every byte SQLite wrote, or a pg_dump of the test schema.
func rawDatabase(t *testing.T, dbURL string) []byte {
	t.Helper()
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		files, _ := filepath.Glob(path + "*")
		var all []byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	u, _ := url.Parse(dbURL)
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command("pg_dump", "--data-only", "--schema", schema, u.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	return out
}

func TestStaleAttemptsExpire(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	link := e.session(t, `,"provider":"justworks"`)
	attempt, _ := e.startAttempt(t, link)
	a, err := e.store.GetConnectionAttempt(context.Background(), e.projectA.ID, attempt)
	if err != nil {
		t.Fatal(err)
	}
	old, err := e.store.CreateConnectionAttempt(context.Background(), store.ConnectionAttempt{ProjectID: a.ProjectID, SessionID: a.SessionID,
		ProfileID: a.ProfileID, CreatedAt: time.Now().Add(-time.Hour), UpdatedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.attempt(t, link, old.ID); got["status"] != "expired" {
		t.Fatalf("an hour-old pending attempt reads %v", got)
	}
	if got := e.attempt(t, link, attempt); got["status"] != "pending" {
		t.Fatalf("a fresh attempt reads %v", got)
	}
}

func TestProviderFailuresEndTheAttemptInPlainWords(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw, _ := e.sb.Provider("justworks")
	b := newBrowserless(t)
	for _, fault := range []simctl.Fault{
		{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)},
		{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 503},
		{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindReset},
	} {
		attempt, start := e.startAttempt(t, e.session(t, `,"provider":"justworks"`))
		callback := e.authorize(t, b, start, "admin@acme.test", "approve")
		if err := jw.Faults.Add(fault); err != nil {
			t.Fatal(err)
		}
		resp, _ := b.get(callback)
		got := e.attempt(t, resp.Header.Get("Location"), attempt)
		errBody, _ := got["error"].(map[string]any)
		if got["status"] != "error" || errBody["code"] != "token_exchange_failed" || !strings.Contains(errBody["description"].(string), "did not accept") {
			t.Fatalf("%s fault: attempt %v", fault.Kind, got)
		}
	}
	if n := len(listAccounts(t, e, "")); n != 0 {
		t.Fatalf("%d accounts after failed exchanges", n)
	}
}

// The organisation step takes the path every provider call takes: a 503 from
// Employment Hero while Patchbay lists the user's organisations is retried, and
// the call is in the request log with both tries.
func TestSetupStepIsRetriedAndLogged(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	eh, _ := e.sb.Provider("employmenthero")
	if err := eh.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: "/api/v1/organisations", Count: 1, Kind: simctl.KindStatus, Status: 503}); err != nil {
		t.Fatal(err)
	}
	e.linkProvider(t, "employmenthero", "owner@acme.test")
	if n := eh.Stats.Get("fault.status"); n != 1 {
		t.Fatalf("the fault was met %d times, want 1", n)
	}
	st, _, body := e.do(t, "GET", "/requests/logs?filter[actions]=employmenthero_list_organisations&include=step_logs", basic(e.keyA), "")
	logs, _ := body["data"].([]any)
	if st != http.StatusOK || len(logs) != 1 {
		t.Fatalf("request logs of the setup step: %d %v", st, body)
	}
	entry := logs[0].(map[string]any)
	steps, _ := entry["step_requests"].([]any)
	if entry["source"] != "hub" || entry["status"] != float64(200) || len(steps) != 2 || steps[0].(map[string]any)["status"] != float64(503) {
		t.Fatalf("the setup step's entry: %v", entry)
	}
}

// A 401 during the organisation step makes Patchbay refresh the attempt's
// tokens once, as for any call. Employment Hero rotates the refresh token on
// that refresh, so the account must keep the new one: a later refresh works.
func TestSetupStepRefreshKeepsTheRotatedToken(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	eh, _ := e.sb.Provider("employmenthero")
	eh.Faults.Add(simctl.Fault{Method: "GET", PathPrefix: "/api/v1/organisations", Count: 1, Kind: simctl.KindStatus, Status: 401})
	acc := e.linkProvider(t, "employmenthero", "owner@acme.test")
	if n := eh.Stats.Get("token.refresh_token"); n != 1 {
		t.Fatalf("refreshes during linking: %d, want 1", n)
	}
	e.expire(t, acc)
	if st, body := e.rpc(t, acc, `{"action":"employmenthero_list_leave_categories"}`); st != http.StatusOK {
		t.Fatalf("a call that refreshes with the stored refresh token: %d %v", st, body)
	}
	if n := eh.Stats.Get("token.refresh_token"); n != 2 {
		t.Fatalf("refreshes: %d, want 2", n)
	}
}
