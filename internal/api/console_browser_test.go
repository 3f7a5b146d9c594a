package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patchbayhq/patchbay/internal/browsertest"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

const adminEmail, adminPassword = "admin@integrator.test", "correct horse battery staple"

// consoleEnv is a linkEnv with a console admin and a signed-in Chromium tab.
type consoleEnv struct {
	*linkEnv
	tab context.Context
}

// newConsoleEnv signs an admin in to the console in Chromium. The env's
// ready-made profiles are deleted: the console creates its own.
func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	e := newLinkEnv(t)
	_, _, list := e.do(t, "GET", "/connector_profiles", basic(e.keyA), "")
	for _, p := range list["data"].([]any) {
		if st, _, body := e.do(t, "DELETE", "/connector_profiles/"+p.(map[string]any)["id"].(string), basic(e.keyA), ""); st != http.StatusNoContent {
			t.Fatalf("delete profile: %d %v", st, body)
		}
	}
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	tab := browsertest.New(t)
	c := &consoleEnv{linkEnv: e, tab: tab}
	c.run(t, chromedp.Navigate(e.srv.URL+"/console"))
	waitFor(t, tab, `location.pathname === '/console/signin'`)
	c.shot(t, "signin")
	c.run(t,
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), adminPassword),
		chromedp.Click(`//button[text()="Sign in"]`),
	)
	waitFor(t, tab, `location.pathname.endsWith('/profiles') && document.querySelector('h1')?.textContent.includes('Connector Profiles')`)
	return c
}

func (c *consoleEnv) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		text, _ := chromedp.Run(c.tab, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
		t.Fatalf("%v; page:\n%s", err, text)
	}
}

// navigate runs action, which leaves the page, and waits until a new page
// has loaded on which arrived holds. The page left is marked first, so a
// condition that held on it too (the same page loaded again) is not taken
// for the arrival.
func (c *consoleEnv) navigate(t *testing.T, action chromedp.Action[chromedp.Void], arrived string) {
	t.Helper()
	c.run(t, chromedp.Evaluate[chromedp.Void](`window.patchbayLeaving = true`))
	c.run(t, action)
	waitFor(t, c.tab, `!window.patchbayLeaving && (`+arrived+`)`)
}

// text is the page's visible text.
func (c *consoleEnv) text(t *testing.T) string {
	t.Helper()
	s, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shot saves a screenshot when PATCHBAY_SCREENSHOTS names a directory (for
// looking at the pages while working on them).
func (c *consoleEnv) shot(t *testing.T, name string) {
	dir := os.Getenv("PATCHBAY_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(c.tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// acceptConfirms answers yes to the page's confirmation dialogs.
func (c *consoleEnv) acceptConfirms(t *testing.T) {
	if _, err := chromedp.Run(c.tab, chromedp.Evaluate[bool](`(window.confirm = () => true, true)`)); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleFollowsTheSetupGuide walks the setup guides' last step word for
// word, per provider: Connector Profiles → + Connector Profile → search for
// and select the connector → Type OAuth 2.0 → Client ID and Client Secret →
// select Actions → Create profile; the profile is listed with its redirect URI
// and scopes. Then Link account, the Hub flow on the simulator, the account
// active in the console, an action through the API, and that call in the
// console's request logs.
func TestConsoleFollowsTheSetupGuide(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	for _, tc := range []struct{ key, search string }{{"justworks", "Justworks"}, {"employmenthero", "Employment"}} {
		t.Run(tc.key, func(t *testing.T) {
			conn, _ := c.services.Registry.Get(tc.key)
			demo := sandbox.DemoApp(tc.key)
			actions := []string{conn.Actions[0].ID, conn.Actions[1].ID}
			// The list may be the page already open: the click loads it again,
			// and the next click must land on the new page, not the old.
			c.navigate(t, chromedp.Click(`//nav//a[text()="Connector Profiles"]`), `document.querySelector('h1')?.textContent.includes('Connector Profiles')`)
			c.navigate(t, chromedp.Click(`//a[contains(., "+ Connector Profile")]`), `document.getElementById('connector-search') !== null`)
			c.run(t, chromedp.SendKeys(chromedp.CSS(`#connector-search`), tc.search))
			waitFor(t, c.tab, `document.querySelectorAll('.connectors li:not([hidden])').length === 1`)
			c.shot(t, "profile-search-"+tc.key)
			c.run(t,
				chromedp.Click(chromedp.CSS(`.connectors li:not([hidden]) a`)),
				chromedp.WaitVisible(chromedp.CSS(`#type`)),
				chromedp.SetValue(chromedp.CSS(`#type`), "oauth2"),
				chromedp.SendKeys(chromedp.CSS(`input[name=client_id]`), demo.ClientID),
				chromedp.SendKeys(chromedp.CSS(`input[name=client_secret]`), demo.ClientSecret),
				chromedp.SetValue(chromedp.CSS(`select[name=environment]`), "sandbox"),
			)
			for _, a := range actions {
				c.run(t, chromedp.Click(chromedp.CSS(`input[name=actions][value="`+a+`"]`)))
			}
			want, err := conn.Calculate(connectors.Selection{Actions: actions})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, c.tab, `document.getElementById('scopes-preview').textContent === `+jsString(want.Text))
			c.shot(t, "profile-form-"+tc.key)
			c.run(t, chromedp.Click(`//button[text()="Create profile"]`))
			waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
			c.shot(t, "profiles")
			redirect := c.srv.URL + "/connect/oauth2/" + tc.key + "/callback"
			card := `[...document.querySelectorAll('.profile')].find(p => p.querySelector('[data-redirect-uri]').textContent === ` + jsString(redirect) + `)`
			waitFor(t, c.tab, card+` !== undefined && `+card+`.querySelector('[data-scopes]').textContent === `+jsString(strings.Join(want.Scopes, " ")))
			profilePage, err := chromedp.Run(c.tab, chromedp.Evaluate[string](card+`.querySelector('h2 a').href`))
			if err != nil {
				t.Fatal(err)
			}
			c.run(t, chromedp.Navigate(profilePage))
			waitFor(t, c.tab, `document.body.innerText.includes('Disable profile')`)
			c.shot(t, "profile-"+tc.key)

			// Link an account with this profile (the profile page's link
			// chooses it on the form), then the Hub flow on the simulator.
			c.run(t,
				chromedp.Click(chromedp.CSS(`[data-link-with-profile]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=origin_owner_id]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=origin_owner_id]`), "tenant_"+tc.key),
				chromedp.SendKeys(chromedp.CSS(`input[name=origin_owner_name]`), "Tenant of "+conn.Name),
			)
			chosen, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('select[name=profile]').selectedOptions[0].textContent`))
			if err != nil || !strings.HasPrefix(chosen, conn.Name+" · ") {
				t.Fatalf("the link form chose %q, %v", chosen, err)
			}
			c.run(t,
				chromedp.Click(`//button[text()="Create Hub link"]`),
				chromedp.WaitVisible(chromedp.CSS(`[data-hub-link]`)),
			)
			c.shot(t, "link-"+tc.key)
			hubLink, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('[data-hub-link]').textContent`))
			if err != nil || !strings.HasPrefix(hubLink, c.srv.URL+"/hub?") {
				t.Fatalf("hub link %q, %v", hubLink, err)
			}
			p, _ := c.sb.Provider(tc.key)
			c.run(t, chromedp.Navigate(hubLink))
			waitFor(t, c.tab, `document.querySelector('.provider[data-provider="`+tc.key+`"]') !== null || document.getElementById('email') !== null`)
			if ok, _ := chromedp.Run(c.tab, chromedp.Evaluate[bool](`document.getElementById('email') === null`)); ok {
				c.run(t, chromedp.Click(chromedp.CSS(`.provider[data-provider="`+tc.key+`"]`)))
			}
			waitFor(t, c.tab, `document.getElementById('email') !== null`)
			c.run(t,
				chromedp.SendKeys(chromedp.CSS(`#email`), p.DemoUser),
				chromedp.SendKeys(chromedp.CSS(`#password`), "sandbox"),
				chromedp.Click(chromedp.CSS(`#sign-in`)),
			)
			waitFor(t, c.tab, `document.getElementById('approve') !== null`)
			c.run(t, chromedp.Click(chromedp.CSS(`#approve`)))
			if tc.key == "employmenthero" {
				waitFor(t, c.tab, `document.querySelectorAll('#setup-options input').length === 2 && !document.getElementById('setup').hidden`)
				c.run(t, chromedp.Click(chromedp.CSS(`#setup-options input`)), chromedp.Click(chromedp.CSS(`#setup-form button[type=submit]`)))
			}
			waitFor(t, c.tab, `document.getElementById('done') !== null && !document.getElementById('done').hidden`)

			// The account is active in the console.
			c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/accounts?provider="+tc.key))
			waitFor(t, c.tab, `document.querySelector('tr[data-account]') !== null`)
			c.shot(t, "accounts")
			row := c.text(t)
			if !strings.Contains(row, "Tenant of "+conn.Name) || !strings.Contains(row, "active") {
				t.Fatalf("accounts page:\n%s", row)
			}
			accountID, _ := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('tr[data-account]').dataset.account`))

			// An action through the API shows in the console's request logs.
			if st, body := c.rpc(t, accountID, `{"action":"`+actions[0]+`"}`); st != http.StatusOK {
				t.Fatalf("rpc %s: %d %v", actions[0], st, body)
			}
			c.run(t, chromedp.Click(`//nav//a[text()="Request logs"]`))
			waitFor(t, c.tab, `[...document.querySelectorAll('tr[data-log] code')].some(c => c.textContent === `+jsString(actions[0])+`)`)
			c.shot(t, "logs")
			// Open the call's page by its link (a click can land while the
			// list is still being laid out).
			entry, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('tr[data-log] a').href`))
			if err != nil {
				t.Fatal(err)
			}
			c.run(t, chromedp.Navigate(entry))
			waitFor(t, c.tab, `document.body.innerText.includes('Provider calls')`)
			c.shot(t, "log")
			if page := c.text(t); strings.Contains(page, "Bearer") || strings.Contains(page, "access_token") {
				t.Fatalf("the log page shows a token:\n%s", page)
			}
			c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/accounts/"+accountID))
			waitFor(t, c.tab, `document.body.innerText.includes('Granted scopes')`)
			c.shot(t, "account-"+tc.key)
		})
	}
}

func jsString(s string) string {
	b := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s)
	return "'" + b + "'"
}

// TestConsoleAPIKeys: a created key is shown once and works; revoking it works.
func TestConsoleAPIKeys(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.run(t,
		chromedp.Click(`//nav//a[text()="API keys"]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "billing-service"),
		chromedp.SetValue(chromedp.CSS(`select[name=role]`), "runtime"),
		chromedp.Click(`//button[text()="Create key"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-new-key]`)),
	)
	c.shot(t, "keys")
	key, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('[data-new-key]').textContent`))
	if err != nil || !strings.HasPrefix(key, "v1.local.") {
		t.Fatalf("new key %q, %v", key, err)
	}
	if st, _, _ := c.do(t, "GET", "/requests/logs", basic(key), ""); st != http.StatusOK {
		t.Fatalf("the new key answers %d", st)
	}
	c.run(t, chromedp.Reload())
	waitFor(t, c.tab, `document.querySelector('tr[data-key]') !== null`)
	if strings.Contains(c.text(t), key) {
		t.Fatal("the key is shown again after a reload")
	}
	c.acceptConfirms(t)
	c.run(t, chromedp.Click(`//tr[td[text()="billing-service"]]//button[text()="Revoke"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
	if st, _, _ := c.do(t, "GET", "/requests/logs", basic(key), ""); st != http.StatusUnauthorized {
		t.Fatalf("the revoked key answers %d", st)
	}
	if !strings.Contains(c.text(t), "revoked") {
		t.Fatalf("keys page after revoking:\n%s", c.text(t))
	}
	// Both changes are in the audit trail as the admin's, on the page and through the API.
	c.run(t, chromedp.Click(`//nav//a[text()="Audit trail"]`))
	waitFor(t, c.tab, `document.querySelectorAll('tr[data-audit]').length > 0`)
	c.shot(t, "audit")
	for _, action := range []string{"api_key.created", "api_key.revoked"} {
		n := 0
		for _, e := range c.auditEntries(t, "filter[action]="+action) {
			if e["actor"] == "admin:"+adminEmail {
				n++
			}
		}
		if n != 1 || !strings.Contains(c.text(t), action) {
			t.Fatalf("%s by the admin: %d entries; the page shows:\n%s", action, n, c.text(t))
		}
	}
	c.run(t, chromedp.SendKeys(chromedp.CSS(`input[name=action]`), "api_key.revoked"), chromedp.Click(`//button[text()="Filter"]`))
	waitFor(t, c.tab, `document.querySelectorAll('tr[data-audit]').length === 1`)
}

// TestConsoleDeletesAnAccount: delete asks first, then the account is gone.
func TestConsoleDeletesAnAccount(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	// A profile through the API (the guide test covers the console's form), an account through the Hub.
	c.sandboxProfile(t, "justworks")
	acc := c.linkProvider(t, "justworks", "admin@acme.test")
	c.run(t,
		chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/accounts/"+acc),
		chromedp.WaitVisible(`//a[contains(., "Delete account")]`),
		chromedp.Click(`//a[contains(., "Delete account")]`),
		chromedp.WaitVisible(`//h1[text()="Delete this account?"]`),
	)
	c.shot(t, "account-delete")
	c.run(t, chromedp.Click(`//button[text()="Delete account"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null && location.pathname.endsWith('/accounts')`)
	if st, _, _ := c.do(t, "GET", "/accounts/"+acc, basic(c.keyA), ""); st != http.StatusNotFound {
		t.Fatalf("the deleted account answers %d", st)
	}
}

// TestConsoleWebhookPages adds a webhook in the console and opens it.
func TestConsoleWebhookPages(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.deliver(t)
	r := newReceiver(t)
	c.run(t,
		chromedp.Click(`//nav//a[text()="Webhooks"]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=url]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=url]`), r.URL+"/hooks"),
		chromedp.SendKeys(chromedp.CSS(`input[name=description]`), "CRM sync"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="account.created"]`)),
		chromedp.Click(`//button[text()="Add webhook"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-new-secret]`)),
	)
	c.shot(t, "webhooks")
	c.run(t, chromedp.Click(`//a[text()="Open the webhook"]`), chromedp.WaitVisible(`//button[text()="Send test event"]`),
		chromedp.Click(`//button[text()="Send test event"]`))
	r.await(t, 1)
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
	testwait.For(t, "the test delivery shown as succeeded", func() bool {
		if strings.Contains(c.text(t), "succeeded") {
			return true
		}
		c.run(t, chromedp.Reload())
		return false
	})
	c.shot(t, "webhook")

	// The delivery's page: what was sent, and the start of the answer.
	c.run(t, chromedp.Click(chromedp.CSS(`tr[data-delivery] a`)))
	waitFor(t, c.tab, `document.querySelector('[data-payload]') !== null`)
	c.shot(t, "delivery")
	if text := c.text(t); !strings.Contains(text, `"type": "webhook.test"`) || !strings.Contains(text, "thanks for evt_") {
		t.Fatalf("the delivery page:\n%s", text)
	}
	// Editing the endpoint: its events and description.
	c.run(t, chromedp.Click(`//a[contains(@class, "url") or contains(., "/hooks")]`))
	waitFor(t, c.tab, `document.querySelector('details#edit') !== null`)
	c.run(t,
		chromedp.Click(chromedp.CSS(`details#edit summary`)))
	c.shot(t, "webhook-edit")
	c.run(t, chromedp.Click(chromedp.CSS(`details#edit input[name=events][value="account.deleted"]`)),
		chromedp.SetValue(chromedp.CSS(`details#edit input[name=description]`), "CRM sync, deletions too"),
		chromedp.Click(`//details[@id="edit"]//button[text()="Save"]`),
	)
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
	_, _, list := c.do(t, "GET", "/webhooks", basic(c.keyA), "")
	hook := list["data"].([]any)[0].(map[string]any)
	if hook["description"] != "CRM sync, deletions too" || mustJSON(hook["events"]) != `["account.created","account.deleted"]` {
		t.Fatalf("the edited webhook: %v", hook)
	}
}

// TestConsoleRefusesAStaleProfileForm: an admin opens a profile; another
// changes it through the API meanwhile; the first admin's save is refused
// with "changed by someone else" and the page shows the profile as it now is,
// instead of silently overwriting the other change.
func TestConsoleRefusesAStaleProfileForm(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	st, _, body := c.do(t, "POST", "/connector_profiles", basic(c.keyA), `{"connector_key":"justworks","client_id":"cid","client_secret":"sec","name":"Payroll"}`)
	if st != http.StatusCreated {
		t.Fatalf("profile: %d %v", st, body)
	}
	id := body["id"].(string)
	c.run(t,
		chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/profiles/"+id),
		chromedp.WaitVisible(`//h2[text()="Edit"]`),
	)
	if st, _, body := c.do(t, "PATCH", "/connector_profiles/"+id, basic(c.keyA), `{"name":"Renamed by the other admin"}`); st != http.StatusOK {
		t.Fatalf("the other admin's change: %d %v", st, body)
	}
	c.run(t,
		chromedp.SetValue(`form.profile-form input[name=name]`, "Mine"),
		chromedp.Click(`//button[text()="Save changes"]`),
	)
	waitFor(t, c.tab, `document.body.innerText.includes('changed by someone else')`)
	c.shot(t, "profile-stale")
	if text := c.text(t); !strings.Contains(text, "Reload the page") || !strings.Contains(text, "Renamed by the other admin") {
		t.Fatalf("the stale page does not show the profile as it now is:\n%s", text)
	}
	if _, _, body := c.do(t, "GET", "/connector_profiles/"+id, basic(c.keyA), ""); body["name"] != "Renamed by the other admin" {
		t.Fatalf("the stale form overwrote the other change: %v", body["name"])
	}
}

// TestConsoleShowsAgentFeedback: what agents said about the tools is listed
// in the console, with the tools and accounts named.
func TestConsoleShowsAgentFeedback(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	for _, text := range []string{"list_members missed the contractors", "the payslip tool worked well"} {
		if _, err := c.store.CreateToolFeedback(context.Background(), store.ToolFeedback{ProjectID: c.projectA.ID, Feedback: text,
			AccountIDs: []string{"acc_demo"}, ToolNames: []string{"justworks_list_members", "hris_list_employees"}}); err != nil {
			t.Fatal(err)
		}
	}
	c.navigate(t, chromedp.Click(`//nav//a[text()="Agent feedback"]`), `document.querySelector('h1')?.textContent === 'Agent feedback'`)
	c.shot(t, "feedback")
	page := c.text(t)
	for _, want := range []string{"list_members missed the contractors", "the payslip tool worked well", "justworks_list_members", "acc_demo"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the feedback page lacks %q:\n%s", want, page)
		}
	}
}

// A wrong password shows the sign-in form again with the email as typed and
// the password field ready for another try (papercut 11).
func TestConsoleSignInKeepsTheEmail(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	if _, err := e.services.Admins.Create(context.Background(), adminEmail, adminPassword, nil); err != nil {
		t.Fatal(err)
	}
	c := &consoleEnv{linkEnv: e, tab: browsertest.New(t)}
	c.run(t, chromedp.Navigate(e.srv.URL+"/console/signin"))
	waitFor(t, c.tab, `document.querySelector('input[name=email]') !== null`)
	c.run(t, chromedp.SendKeys(chromedp.CSS(`input[name=email]`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "not the password"))
	c.navigate(t, chromedp.Click(`//button[text()="Sign in"]`), `document.querySelector('[role=alert]') !== null`)
	got, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('input[name=email]').value + "|" + document.activeElement.name`))
	if err != nil {
		t.Fatal(err)
	}
	if got != adminEmail+"|password" {
		t.Fatalf("after a wrong password: email and focus %q, want %q", got, adminEmail+"|password")
	}
	c.run(t, chromedp.SendKeys(chromedp.CSS(`input[name=password]`), adminPassword))
	c.navigate(t, chromedp.Click(`//button[text()="Sign in"]`), `location.pathname.endsWith('/profiles')`)
}

// TestConsoleFindsAFailedCall: the log page's summary charts the calls, a
// search for the provider's error code finds the failed call, and its
// reason is on the row and on the entry's page.
func TestConsoleFindsAFailedCall(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.sandboxProfile(t, "justworks")
	acc := c.linkProvider(t, "justworks", "admin@acme.test")
	jw, _ := c.sb.Provider("justworks")
	jw.Faults.Add(simctl.Fault{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindStatus, Status: 422, Body: []byte(`{"error":"member_locked"}`)})
	c.rpc(t, acc, `{"action":"justworks_list_members"}`)
	c.call(t, acc, "justworks_get_company", nil)
	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/logs"))
	waitFor(t, c.tab, `document.querySelectorAll('svg.chart rect.failed').length === 1 && document.querySelectorAll('tr[data-log]').length >= 2`)
	// Per provider and per account too, each with its own small chart.
	waitFor(t, c.tab, `document.querySelectorAll('tr[data-provider-summary="justworks"] svg.spark rect.failed').length === 1 && document.querySelectorAll('svg.spark').length === 2`)
	c.shot(t, "logs")
	if text := c.text(t); !strings.Contains(text, "failed (") || !strings.Contains(text, "Justworks") || !strings.Contains(text, "Customer 42") {
		t.Fatalf("the summary and the calls, accounts by their end user's name:\n%s", text)
	}
	// Durations to the microsecond, not "0 ms".
	took, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`[...document.querySelectorAll('tr[data-log] td:last-child')].map(td => td.textContent.trim()).join('|')`))
	if err != nil || !regexp.MustCompile(`^((\d+ µs|\d+\.\d\d ms|\d+ ms)\|?)+$`).MatchString(took) {
		t.Fatalf("durations %q (%v)", took, err)
	}
	c.run(t,
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "MEMBER_LOCKED"),
		chromedp.SetValue(chromedp.CSS(`select[name=status]`), "4"),
		chromedp.Click(`//button[text()="Filter"]`),
	)
	waitFor(t, c.tab, `document.querySelectorAll('tr[data-log]').length === 1 && location.search.includes('q=')`)
	reason, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('tr[data-log] .reason').textContent`))
	if err != nil || !strings.Contains(reason, "the provider said (422) error: member_locked") {
		t.Fatalf("the row's reason %q (%v)", reason, err)
	}
	c.run(t, chromedp.Click(chromedp.CSS(`tr[data-log] td a`)))
	waitFor(t, c.tab, `document.querySelector('dd.reason') !== null`)
	if text := c.text(t); !strings.Contains(text, "Why it failed") || !strings.Contains(text, "member_locked") || !strings.Contains(text, "took") {
		t.Fatalf("the entry's page:\n%s", text)
	}
	// The profile's page says how its accounts are doing.
	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/profiles/"+c.profileOf(t, "justworks")))
	waitFor(t, c.tab, `document.querySelector('tr[data-overview="`+acc+`"]') !== null`)
	c.shot(t, "profile-overview")
	row, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('tr[data-overview="`+acc+`"]').innerText`))
	if err != nil || !strings.Contains(row, "justworks_get_company") || !strings.Contains(row, "member_locked") || !strings.Contains(row, "active") {
		t.Fatalf("the account's overview row: %q (%v)", row, err)
	}
}

// TestConsoleInvitesAnAdmin: an admin creates a project and invites a
// colleague to the first one only; the colleague joins through the link in
// another browser and sees that project alone; given the second, they see
// both; removed, they are signed out. Each step is in the audit trail.
func TestConsoleInvitesAnAdmin(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.run(t, chromedp.Click(`//nav//a[text()="Projects"]`), chromedp.WaitVisible(`//h2[text()="New project"]`))
	c.shot(t, "projects")
	c.run(t, chromedp.SendKeys(chromedp.CSS(`input[placeholder="e.g. Acme production"]`), "Second"),
		chromedp.Click(`//button[text()="Create project"]`))
	waitFor(t, c.tab, `location.pathname.endsWith('/keys')`)
	c.run(t, chromedp.Click(`//nav//a[text()="People"]`), chromedp.WaitVisible(`//h2[text()="Invite an admin"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "dana@acme.test"),
		chromedp.Click(`//section//label[contains(., "Integrator")]/input`),
		chromedp.Click(`//button[text()="Create invitation link"]`))
	waitFor(t, c.tab, `document.querySelector('[data-invite-link]') !== null`)
	c.shot(t, "people")
	link, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('[data-invite-link]').textContent`))
	if err != nil || !strings.Contains(link, "/console/invite?token=") {
		t.Fatalf("the invitation link %q (%v)", link, err)
	}

	dana := &consoleEnv{linkEnv: c.linkEnv, tab: browsertest.New(t)}
	dana.run(t, chromedp.Navigate(link), chromedp.WaitVisible(`//h1[text()="Join Patchbay"]`))
	dana.shot(t, "invite")
	dana.run(t, chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "dana-password-1"),
		chromedp.SendKeys(chromedp.CSS(`input[name=confirm]`), "dana-password-1"),
		chromedp.Click(`//button[text()="Join and sign in"]`))
	waitFor(t, dana.tab, `location.pathname.endsWith('/profiles') && document.querySelectorAll('#project-switch option').length === 1`)
	if text := dana.text(t); !strings.Contains(text, "dana@acme.test") {
		t.Fatalf("dana's console:\n%s", text)
	}
	var second string
	for _, p := range c.projects(t) {
		if p.Name == "Second" {
			second = p.ID
		}
	}
	dana.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+second+"/profiles"))
	waitFor(t, dana.tab, `document.body.innerText.includes('There is no such project')`)

	// Given the second project too, dana sees both. The page says who has been active.
	c.run(t, chromedp.Reload())
	waitFor(t, c.tab, `document.querySelector('tr[data-admin="dana@acme.test"]')?.innerText.includes('last active')`)
	c.run(t, chromedp.Click(`//tr[@data-admin="dana@acme.test"]//label[contains(., "Second")]/input`),
		chromedp.Click(`//tr[@data-admin="dana@acme.test"]//button[text()="Save projects"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
	dana.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+second+"/profiles"))
	waitFor(t, dana.tab, `document.querySelectorAll('#project-switch option').length === 2`)

	// Removed, dana is signed out at the next page.
	c.acceptConfirms(t)
	c.run(t, chromedp.Click(`//tr[@data-admin="dana@acme.test"]//button[text()="Remove"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null && !document.querySelector('tr[data-admin="dana@acme.test"]')`)
	dana.run(t, chromedp.Reload())
	waitFor(t, dana.tab, `location.pathname === '/console/signin'`)

	// Giving dana the second project is in that project's trail; its
	// creation says who got it then.
	given, err := c.services.Audit.List(context.Background(), store.AuditFilter{ProjectID: second, Action: "admin.projects_changed", Limit: 10})
	created, _ := c.services.Audit.List(context.Background(), store.AuditFilter{ProjectID: second, Action: "project.created", Limit: 10})
	if err != nil || len(given) != 1 || given[0].Actor != "admin:"+adminEmail ||
		len(created) != 1 || !strings.Contains(string(created[0].Changes), `"admins"`) {
		t.Fatalf("the grant in the second project's audit trail: %+v %v", given, err)
	}
	for _, want := range []struct{ action, actor string }{
		{"admin.invited", "admin:" + adminEmail}, {"admin.created", "admin:dana@acme.test"}, {"admin.removed", "admin:" + adminEmail},
	} {
		if got := c.auditEntries(t, "filter[action]="+want.action+"&filter[actor]="+url.QueryEscape(want.actor)); len(got) != 1 {
			t.Fatalf("%s by %s in the audit trail: %v", want.action, want.actor, got)
		}
	}
}

// projects lists every project of the deployment.
func (c *consoleEnv) projects(t *testing.T) []store.Project {
	t.Helper()
	list, err := c.services.Keys.Projects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestConsoleBrandsTheHub: the project's display name, accent colour and
// support link, saved in the console, show in its preview and in the Hub
// an end user opens; a colour that is not one is refused with its field.
func TestConsoleBrandsTheHub(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.run(t, chromedp.Click(`//nav//a[text()="Hub branding"]`), chromedp.WaitVisible(`//h2[text()="Preview"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Acme Payroll"),
		chromedp.SetValue(chromedp.CSS(`input[name=accent]`), "#d9480f"),
		chromedp.Click(chromedp.CSS(`input[name=accent_set]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=support_url]`), "mailto:help@acme.test"),
		chromedp.Click(`//button[text()="Save"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null && document.querySelector('iframe.hub-preview').contentDocument?.querySelector('[data-brand]') !== null`)
	c.shot(t, "branding")
	preview, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`document.querySelector('iframe.hub-preview').contentDocument.body.innerText`))
	if err != nil || !strings.Contains(preview, "Acme Payroll") || !strings.Contains(preview, "Contact support") {
		t.Fatalf("the preview: %q (%v)", preview, err)
	}

	// The Hub an end user opens, with the providers of the project's profiles.
	for _, key := range []string{"justworks", "employmenthero"} {
		c.sandboxProfile(t, key)
	}
	link := c.session(t, "")
	hubTab := &consoleEnv{linkEnv: c.linkEnv, tab: browsertest.New(t)}
	hubTab.run(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-brand]`)), chromedp.WaitVisible(chromedp.CSS(`button.provider`)))
	hubTab.shot(t, "hub-branded")
	got, err := chromedp.Run(hubTab.tab, chromedp.Evaluate[string](`document.querySelector('[data-brand]').innerText + '|' +
		getComputedStyle(document.querySelector('main')).getPropertyValue('--accent').trim() + '|' + document.querySelector('[data-support]').href`))
	if err != nil || got != "Acme Payroll|#d9480f|mailto:help@acme.test" {
		t.Fatalf("the Hub shows %q (%v)", got, err)
	}

	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/branding"),
		chromedp.SetValue(chromedp.CSS(`input[name=support_url]`), "javascript:alert(1)"),
		chromedp.Click(`//button[text()="Save"]`))
	waitFor(t, c.tab, `document.body.innerText.includes('support link: an https:// address or a mailto: link')`)
	// Unticking "use this colour" brings back Patchbay's own, whatever the picker shows.
	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/branding"), chromedp.WaitVisible(chromedp.CSS(`input[name=accent_set]`)),
		chromedp.Click(chromedp.CSS(`input[name=accent_set]`)), chromedp.Click(`//button[text()="Save"]`))
	waitFor(t, c.tab, `document.querySelector('.flash.ok') !== null`)
	if p, err := c.services.Keys.Project(context.Background(), c.projectA.ID); err != nil || p.Branding.Accent != "" || p.Branding.Name != "Acme Payroll" {
		t.Fatalf("the branding after unticking the colour: %+v %v", p.Branding, err)
	}
	if got := c.auditEntries(t, "filter[action]=project.branding_changed"); len(got) != 2 || got[1]["actor"] != "admin:"+adminEmail ||
		!strings.Contains(mustJSON(got[1]["changes"]), `"accent":{"after":"#d9480f"}`) {
		t.Fatalf("the branding change in the audit trail: %v", got)
	}
}

// TestConsoleShowsFieldErrorsBesideTheirFields: a profile saved with a blank
// client ID and secret is refused, and each field says why in words, beside
// it; what was typed stays.
func TestConsoleShowsFieldErrorsBesideTheirFields(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/profiles/new?connector=justworks"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=client_id]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=name]`), "Payroll team"),
		chromedp.SendKeys(chromedp.CSS(`input[name=client_id]`), "   "),
		chromedp.SendKeys(chromedp.CSS(`input[name=client_secret]`), " "),
		chromedp.Click(`//button[text()="Create profile"]`))
	waitFor(t, c.tab, `document.querySelector('[data-field-error=client_secret]') !== null`)
	c.shot(t, "profile-field-errors")
	got, err := chromedp.Run(c.tab, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-field-error]')].map(e => e.dataset.fieldError + '=' + e.textContent).join('|') +
		'|' + document.querySelector('input[name=name]').value + '|' + document.querySelector('.flash.error, .error, [role=alert]')?.textContent`))
	if err != nil || !strings.Contains(got, "client_id=The client ID is required, as the provider issued it.") ||
		!strings.Contains(got, "client_secret=The client secret is required") || !strings.Contains(got, "|Payroll team|") || strings.Contains(got, "client_id:") {
		t.Fatalf("the refused form: %q (%v)", got, err)
	}
}

// sandboxProfile creates, through the API, the default profile of the
// connector on its simulator's demo app (newConsoleEnv starts with none).
func (c *consoleEnv) sandboxProfile(t *testing.T, key string) {
	t.Helper()
	demo := sandbox.DemoApp(key)
	if st, _, body := c.do(t, "POST", "/connector_profiles", basic(c.keyA),
		`{"connector_key":"`+key+`","client_id":"`+demo.ClientID+`","client_secret":"`+demo.ClientSecret+`","environment":"sandbox","default":true}`); st != http.StatusCreated {
		t.Fatalf("profile: %d %v", st, body)
	}
}

// TestConsoleSyncSettingsAndPanel turns sync on in a profile's form, then
// follows an account's first run on its page and runs it again.
func TestConsoleSyncSettingsAndPanel(t *testing.T) {
	t.Parallel()
	c := newConsoleEnv(t)
	c.sandboxProfile(t, "justworks")
	prof := c.profileOf(t, "justworks")
	c.run(t, chromedp.Navigate(c.srv.URL+"/console/p/"+c.projectA.ID+"/profiles/"+prof),
		chromedp.WaitVisible(chromedp.CSS(`input[data-sync]`)),
		chromedp.Click(chromedp.CSS(`input[data-sync]`)),
		chromedp.Click(chromedp.CSS(`input[name=sync_models][value="hris.employees"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=sync_interval_minutes]`), "5"))
	c.shot(t, "profile-sync")
	c.navigate(t, chromedp.Click(`//button[text()="Save changes"]`), `document.querySelector('.flash.ok') !== null`)
	_, _, body := c.do(t, "GET", "/connector_profiles/"+prof, basic(c.keyA), "")
	if got, _ := json.Marshal(body["sync"]); string(got) != `{"enabled":true,"interval_seconds":300,"models":["hris.employees"]}` {
		t.Fatalf("the saved sync: %s", got)
	}

	c.deliver(t)
	acc := c.linkProvider(t, "justworks", "admin@acme.test")
	page := c.srv.URL + "/console/p/" + c.projectA.ID + "/accounts/" + acc
	ran := `document.querySelector('[data-sync-model="hris.employees"] [data-sync-records]')?.dataset.syncRecords > 0 &&
		document.querySelector('[data-sync-model="hris.employees"]').textContent.includes('idle')`
	testwait.For(t, "the first run on the account's page", func() bool {
		c.run(t, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-sync-panel]`)))
		done, err := chromedp.Run(c.tab, chromedp.Evaluate[bool](ran))
		return err == nil && done
	})
	c.shot(t, "account-sync")
	if text := c.text(t); !strings.Contains(text, "hris.employees") || !strings.Contains(text, "every 5 minutes") {
		t.Fatalf("the sync panel:\n%s", text)
	}
	// The first run's job may still be closing in the queue: then the page
	// says a run is under way, which is as right.
	c.navigate(t, chromedp.Click(chromedp.CSS(`button[data-sync-now]`)),
		`/is queued|already queued or running/.test(document.querySelector('.flash.ok')?.textContent ?? '')`)
}
