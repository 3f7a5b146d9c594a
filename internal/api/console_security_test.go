package api_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// consoleClient is a browser without JavaScript: a cookie jar, no redirects followed.
type consoleClient struct {
	*http.Client
	base string
}

func newConsoleClient(t *testing.T, base string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: base}
}

func (c *consoleClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (c *consoleClient) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(c.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (c *consoleClient) signIn(t *testing.T, email, password string) *http.Response {
	t.Helper()
	resp, _ := c.post(t, "/console/signin", url.Values{"email": {email}, "password": {password}, "next": {"/console"}})
	return resp
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token from a console page.
func (c *consoleClient) csrf(t *testing.T, path string) string {
	t.Helper()
	_, page := c.get(t, path)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on %s:\n%s", path, page)
	}
	return m[1]
}

// TestConsoleRoutesNeedASession: every console route that shows or changes
// a project answers a visitor without a session with the sign-in page.
func TestConsoleRoutesNeedASession(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	visitor := newConsoleClient(t, e.srv.URL)
	open := map[string]bool{"GET /console/signin": true, "POST /console/signin": true, "GET /console/setup": true,
		"POST /console/setup": true, "GET /console/invite": true, "POST /console/invite": true, "GET /static/console/": true, "/console/": true}
	checked := 0
	for _, pattern := range e.services.Console.Patterns() {
		if open[pattern] {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{project}", e.projectA.ID, "{id}", "x1", "{delivery}", "d1", "{$}", "").Replace(path)
		var resp *http.Response
		if method == http.MethodPost {
			resp, _ = visitor.post(t, path, url.Values{"name": {"sneaky"}})
		} else {
			resp, _ = visitor.get(t, path)
		}
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
			t.Errorf("%s without a session: %d → %q", pattern, resp.StatusCode, resp.Header.Get("Location"))
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("checked %d routes; the console has more", checked)
	}
	if keys, _ := e.store.ListAPIKeys(context.Background(), e.projectA.ID, store.Window{}); len(keys) != 1 {
		t.Fatalf("a visitor created keys: %v", keys)
	}
}

// TestConsoleFormsNeedTheirCSRFToken: a post without the session's token is
// refused and changes nothing; with it, it works.
func TestConsoleFormsNeedTheirCSRFToken(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	c := newConsoleClient(t, e.srv.URL)
	if resp := c.signIn(t, adminEmail, adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	keys := "/console/p/" + e.projectA.ID + "/keys"
	for _, token := range []string{"", "forged"} {
		resp, page := c.post(t, keys, url.Values{"name": {"cross-site"}, "role": {"admin"}, "csrf": {token}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "did not come from this console") {
			t.Fatalf("post with csrf %q: %d\n%s", token, resp.StatusCode, page)
		}
	}
	if list, _ := e.store.ListAPIKeys(context.Background(), e.projectA.ID, store.Window{}); len(list) != 1 {
		t.Fatalf("a forged post created a key: %v", list)
	}
	resp, _ := c.post(t, keys, url.Values{"name": {"from the console"}, "role": {"runtime"}, "csrf": {c.csrf(t, keys)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("post with the token: %d", resp.StatusCode)
	}
	// The key is shown once, on the page the form's answer leads to:
	// reloading that page shows it no more, and creates nothing.
	_, page := c.get(t, resp.Header.Get("Location"))
	if !strings.Contains(page, `data-new-key>v1.local.`) {
		t.Fatalf("the new key is not shown after the redirect:\n%s", page)
	}
	if _, again := c.get(t, resp.Header.Get("Location")); strings.Contains(again, "data-new-key") {
		t.Fatal("reloading the page shows the key again")
	}
	if list, _ := e.store.ListAPIKeys(context.Background(), e.projectA.ID, store.Window{}); len(list) != 2 {
		t.Fatalf("%d keys after one created", len(list))
	}
	// The session cookie is HttpOnly, SameSite=Lax and scoped to the console.
	fresh := newConsoleClient(t, e.srv.URL)
	cookie := fresh.signIn(t, adminEmail, adminPassword).Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/console"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
}

// TestConsoleKeepsProjectsApart: an admin of project B never sees project A.
func TestConsoleKeepsProjectsApart(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	ctx := context.Background()
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	b, err := e.store.CreateProject(ctx, store.Project{Name: "Other integrator"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.services.Admins.Create(ctx, "b@other.test", adminPassword, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	c := newConsoleClient(t, e.srv.URL)
	if resp := c.signIn(t, "b@other.test", adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, "/console"); resp.Header.Get("Location") != "/console/p/"+b.ID+"/profiles" {
		t.Fatalf("home sends admin B to %q", resp.Header.Get("Location"))
	}
	for _, section := range []string{"profiles", "accounts", "accounts/" + acc, "logs", "keys", "webhooks"} {
		resp, page := c.get(t, "/console/p/"+e.projectA.ID+"/"+section)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(page, acc) || strings.Contains(page, "Customer 42") || strings.Contains(page, e.projectA.Name) {
			t.Fatalf("admin B on project A's %s: %d\n%s", section, resp.StatusCode, page)
		}
	}
	if resp, _ := c.get(t, "/console/switch?project="+e.projectA.ID); strings.Contains(resp.Header.Get("Location"), e.projectA.ID) {
		t.Fatalf("the switcher leads admin B into project A: %q", resp.Header.Get("Location"))
	}
	resp, page := c.post(t, "/console/p/"+e.projectA.ID+"/accounts/"+acc+"/delete", url.Values{"csrf": {c.csrf(t, "/console/p/"+b.ID+"/profiles")}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("admin B deletes project A's account: %d\n%s", resp.StatusCode, page)
	}
	if _, err := e.services.Accounts.Get(ctx, e.projectA.ID, acc); err != nil {
		t.Fatalf("project A's account is gone: %v", err)
	}
}

// TestConsoleSignInThrottled: after five wrong passwords the account waits,
// even for the right password, until the wait is over.
func TestConsoleSignInThrottled(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	c := newConsoleClient(t, e.srv.URL)
	for i := 1; i <= 10; i++ {
		resp := c.signIn(t, adminEmail, "wrong password number "+string(rune('0'+i)))
		want := http.StatusBadRequest
		if i > 5 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("wrong password %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if resp := c.signIn(t, adminEmail, adminPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right password while throttled: %d", resp.StatusCode)
	}
	e.clk.Advance(31 * time.Second)
	if resp := c.signIn(t, adminEmail, adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password after the wait: %d", resp.StatusCode)
	}
	// An unknown email gets the same answer as a wrong password.
	resp, page := c.post(t, "/console/signin", url.Values{"email": {"nobody@nowhere.test"}, "password": {"whatever it is"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "The email or the password is wrong") {
		t.Fatalf("unknown email: %d", resp.StatusCode)
	}
	// A session idle for longer than its limit ends.
	if resp, _ := c.get(t, "/console/p/"+e.projectA.ID+"/profiles"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	e.clk.Advance(13 * time.Hour)
	if resp, _ := c.get(t, "/console/p/"+e.projectA.ID+"/profiles"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 13 idle hours: %d", resp.StatusCode)
	}
}

// TestConsoleSessionsAcrossNodes: on PostgreSQL a session started on one node
// works on another, and signing out on either ends it on both.
func TestConsoleSessionsAcrossNodes(t *testing.T) {
	t.Parallel()
	e := newLinkEnvOn(t, backendtest.Postgres)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	second := e.secondNode(t)
	a := newConsoleClient(t, e.srv.URL)
	if resp := a.signIn(t, adminEmail, adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on node A: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, ck := range a.Jar.Cookies(mustURL(t, e.srv.URL+"/console")) {
		cookie = ck
	}
	b := newConsoleClient(t, second.URL)
	b.Jar.SetCookies(mustURL(t, second.URL+"/console"), []*http.Cookie{cookie})
	resp, page := b.get(t, "/console/p/"+e.projectA.ID+"/profiles")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, adminEmail) {
		t.Fatalf("node B with node A's session: %d", resp.StatusCode)
	}
	if resp, _ := b.post(t, "/console/signout", url.Values{"csrf": {b.csrf(t, "/console/p/"+e.projectA.ID+"/profiles")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on node B: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, "/console/p/"+e.projectA.ID+"/profiles"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("node A after signing out on node B: %d", resp.StatusCode)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestGuideOpensTheConsoleForm: the setup guide's link opens "+ Connector
// Profile" with the connector and the chosen actions selected.
func TestGuideOpensTheConsoleForm(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	c := newConsoleClient(t, e.srv.URL)
	_, guide := c.get(t, "/guides/justworks")
	if !strings.Contains(guide, `href="/console/new-profile?connector=justworks"`) {
		t.Fatal("the guide does not link to the console")
	}
	resp, _ := c.get(t, "/console/new-profile?connector=justworks&actions=justworks_get_company")
	if next := resp.Header.Get("Location"); !strings.HasPrefix(next, "/console/signin?next=") {
		t.Fatalf("signed out, the guide's link goes to %q", next)
	}
	c.signIn(t, adminEmail, adminPassword)
	resp, _ = c.get(t, "/console/new-profile?connector=justworks&actions=justworks_get_company")
	form := resp.Header.Get("Location")
	if !strings.HasPrefix(form, "/console/p/"+e.projectA.ID+"/profiles/new?") {
		t.Fatalf("the guide's link goes to %q", form)
	}
	_, page := c.get(t, form)
	if !regexp.MustCompile(`value="justworks_get_company" checked`).MatchString(page) || regexp.MustCompile(`value="justworks_list_members" checked`).MatchString(page) {
		t.Fatal("the form does not have exactly the guide's actions checked")
	}
}

// signedInConsole is an admin signed in through the form, and the project's base path.
func signedInConsole(t *testing.T, e *linkEnv) (*consoleClient, string) {
	t.Helper()
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	c := newConsoleClient(t, e.srv.URL)
	if resp := c.signIn(t, adminEmail, adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c, "/console/p/" + e.projectA.ID
}

// TestConsoleProfileStates: disabling a profile makes its accounts inactive
// and enabling brings them back; deleting it is refused, with the count,
// while accounts use it.
func TestConsoleProfileStates(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	a, _ := e.services.Accounts.Get(context.Background(), e.projectA.ID, acc)
	c, base := signedInConsole(t, e)
	profile := base + "/profiles/" + a.ProfileID
	status := func() store.AccountStatus {
		got, _ := e.services.Accounts.Get(context.Background(), e.projectA.ID, acc)
		return got.Status
	}
	for _, step := range []struct {
		enabled string
		want    store.AccountStatus
	}{{"false", store.StatusInactive}, {"true", store.StatusActive}} {
		resp, _ := c.post(t, profile+"/enabled", url.Values{"enabled": {step.enabled}, "csrf": {c.csrf(t, profile)}})
		if resp.StatusCode != http.StatusSeeOther || status() != step.want {
			t.Fatalf("enabled=%s: %d, account %s", step.enabled, resp.StatusCode, status())
		}
	}
	resp, page := c.post(t, profile+"/delete", url.Values{"csrf": {c.csrf(t, profile)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "is used by 1 linked account: delete it first, or disable the profile instead.") {
		t.Fatalf("delete a profile in use: %d\n%s", resp.StatusCode, page)
	}
	// Names, not keys and ids: the provider's name in the list, the profile's
	// name on the account's page.
	if _, list := c.get(t, base+"/accounts"); !strings.Contains(list, `18"> Justworks</td>`) {
		t.Fatalf("the accounts list does not name the provider:\n%s", list)
	}
	prof, _ := e.services.Profiles.Get(context.Background(), e.projectA.ID, a.ProfileID)
	if _, account := c.get(t, base+"/accounts/"+acc); !strings.Contains(account, a.ProfileID+`">`+html.EscapeString(prof.Name)+`</a>`) {
		t.Fatalf("the account page does not name its profile %q:\n%s", prof.Name, account)
	}
	// A new profile's form starts with the one type chosen and, where the
	// simulators run with this deployment, the sandbox environment.
	if _, form := c.get(t, base+"/profiles/new?connector=justworks"); !strings.Contains(form, `<option value="oauth2" selected>`) ||
		!strings.Contains(form, `<option value="sandbox" selected>`) {
		t.Fatalf("the new profile form's defaults:\n%s", form)
	}
	// The profile page links to the connector's setup guide, which opens.
	guide := regexp.MustCompile(`href="([^"]+)" data-guide`).FindStringSubmatch(page)
	if guide == nil {
		t.Fatalf("no link to the setup guide:\n%s", page)
	}
	if resp, err := http.Get(e.srv.URL + guide[1]); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the setup guide %s: %v %v", guide[1], err, resp)
	}
	// Disabling asks first, saying what it does to the profile's one account.
	if !strings.Contains(page, `data-confirm="Disable this profile? Its linked account becomes inactive until you enable it again."`) {
		t.Fatalf("disabling asks no confirmation naming the account:\n%s", page)
	}
	// The page links to the accounts using the profile, and only those are listed there.
	using := regexp.MustCompile(`href="([^"]+)" data-profile-accounts`).FindStringSubmatch(page)
	if using == nil {
		t.Fatalf("no link to the accounts using the profile:\n%s", page)
	}
	if resp, list := c.get(t, html.UnescapeString(using[1])); resp.StatusCode != http.StatusOK || !strings.Contains(list, acc) {
		t.Fatalf("the profile's accounts: %d\n%s", resp.StatusCode, list)
	}
	if _, list := c.get(t, base+"/accounts?profile=cp_nothing"); strings.Contains(list, acc) || !strings.Contains(list, "use this profile") {
		t.Fatalf("another profile's accounts list this one:\n%s", list)
	}
	// The page shows the proxy setting with its warning.
	if _, page := c.get(t, profile); !strings.Contains(page, `<option value="off" selected>`) || !strings.Contains(page, "data-proxy-warning") {
		t.Fatalf("the profile page does not show the proxy setting:\n%s", page)
	}
	// Saving the form without typing the secret keeps it; the proxy follows the form.
	resp, _ = c.post(t, profile, url.Values{"name": {"Renamed"}, "client_id": {"sandbox-justworks"}, "environment": {"sandbox"},
		"actions": {"justworks_get_company"}, "default": {"on"}, "proxy": {"read"}, "csrf": {c.csrf(t, profile)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if p, err := e.store.GetConnectorProfile(context.Background(), e.projectA.ID, a.ProfileID); err != nil || p.Name != "Renamed" || p.ClientSecret == "" ||
		p.Proxy != store.ProxyRead {
		t.Fatalf("after saving: %+v, %v", p, err)
	}
}

// TestConsoleWebhooks: a webhook added in the console shows its secret once,
// a test event shows in its delivery log, and the secret can be rotated.
func TestConsoleWebhooks(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.deliver(t)
	r := newReceiver(t)
	c, base := signedInConsole(t, e)
	resp, _ := c.post(t, base+"/webhooks", url.Values{"url": {r.URL}, "events": {"webhook.test", "account.created"}, "csrf": {c.csrf(t, base+"/webhooks")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add webhook: %d", resp.StatusCode)
	}
	_, page := c.get(t, resp.Header.Get("Location")) // the secret is shown once, after the redirect
	secret := regexp.MustCompile(`data-new-secret>(whsec_[^<]+)<`).FindStringSubmatch(page)
	if secret == nil {
		t.Fatalf("add webhook: no secret shown\n%s", page)
	}
	if _, again := c.get(t, base+"/webhooks"); strings.Contains(again, secret[1]) {
		t.Fatal("the secret is shown again")
	}
	id := regexp.MustCompile(`/webhooks/(wh_[a-z0-9]+)`).FindStringSubmatch(page)[1]
	hook := base + "/webhooks/" + id
	if resp, _ := c.post(t, hook+"/test", url.Values{"csrf": {c.csrf(t, hook)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("test: %d", resp.StatusCode)
	}
	got := r.await(t, 1)[0]
	if got.header.Get("x-stackone-signature") != stackOneSignature(html.UnescapeString(secret[1]), got.body) {
		t.Fatal("the test delivery is not signed with the secret the console showed")
	}
	testwait.For(t, "the test delivery in the console's delivery log", func() bool {
		_, page = c.get(t, hook)
		return strings.Contains(page, "succeeded")
	})
	resp, page = c.post(t, hook+"/rotate", url.Values{"csrf": {c.csrf(t, hook)}})
	if fresh := regexp.MustCompile(`data-new-secret>(whsec_[^<]+)<`).FindStringSubmatch(page); resp.StatusCode != http.StatusOK || fresh == nil || fresh[1] == secret[1] {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
}
