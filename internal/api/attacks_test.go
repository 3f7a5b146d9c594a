package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The tests in this file each perform one attack of the second attack
// review, and are named after it.

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
	earlier, err := e.services.Admins.SetupLink(ctx, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := e.services.Admins.SetupLink(ctx, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
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
			answers[email] = append(answers[email], resp.Status+" "+errorMessage(page))
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
	ctx := context.Background()
	link, err := e.services.Admins.SetupLink(ctx, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
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
