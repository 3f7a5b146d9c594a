package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/browsertest"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// linkEnv is Patchbay with the simulators mounted, a project key, and an
// integrator's page on another origin that embeds the Hub with hub.js.
type linkEnv struct {
	*fixture
	dbURL    string
	keys     *secrets.Keyring
	sb       *sandbox.Sandbox
	embed    *httptest.Server
	services *app.App
	// clk is Patchbay's clock: the real time, which the simulators keep, that
	// tests move ahead instead of sleeping.
	clk *clock.Shifted
}

func newLinkEnv(t testing.TB) *linkEnv { return newLinkEnvOn(t, backendtest.SQLite) }

func newLinkEnvOn(t testing.TB, backend backendtest.Backend) *linkEnv {
	return newLinkEnvWith(t, backend, sandbox.Options{Members: 12})
}

// newLinkEnvWith builds the environment with the given simulator settings.
func newLinkEnvWith(t testing.TB, backend backendtest.Backend, o sandbox.Options) *linkEnv {
	t.Helper()
	return newLinkEnvWrapped(t, backend, o, nil)
}

// newLinkEnvWrapped is newLinkEnvWith with the database connections wrapped,
// and the services' options changed by each of change.
func newLinkEnvWrapped(t testing.TB, backend backendtest.Backend, o sandbox.Options, wrap sqlstore.Wrap, change ...func(*app.Options)) *linkEnv {
	t.Helper()
	dbURL := backend.URL(t)
	keys := backendtest.TestKeys(t)
	s := backendtest.OpenWrapped(t, dbURL, keys, wrap)
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	o.Seed, o.RedirectURIs = 3, []string{srv.URL + "/connect/oauth2/{key}/callback"}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock.Shifted{}
	ao := app.Options{Store: s, Registry: registry, PublicURL: srv.URL, Clock: clk,
		RetryBackoff: 20 * time.Millisecond, // retries give up after five quick attempts
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Receivers are local test servers; deliver() starts the delivery.
		WebhookAllowPrivate: true, WebhookPoll: 50 * time.Millisecond, WebhookTimeout: time.Second}
	for _, c := range change {
		c(&ao)
	}
	services := mustApp(app.New(ao))
	srv.Config.Handler = services.Server(api.Options{Sandbox: sb,
		KeyRateLimit:    1 << 30, // load tests here send far more than 1000 calls a minute
		HubAddressLimit: 1 << 30, // and every test client speaks from 127.0.0.1
	})
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Integrator"})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := apikeys.Issue(ctx, s, p.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	e := &linkEnv{fixture: &fixture{srv: srv, store: s, projectA: p, keyA: key}, dbURL: dbURL, keys: keys, sb: sb, services: services, clk: clk}
	e.embed = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Integrator app</title>
<script src="%s/hub.js"></script>
<button id="connect">Connect HR</button>
<script>
document.getElementById('connect').onclick = () => PatchbayHub.open(new URLSearchParams(location.search).get('link'))
  .then((a) => { document.body.dataset.account = JSON.stringify(a); })
  .catch((e) => { document.body.dataset.error = e.message; });
</script>`, srv.URL)
	}))
	t.Cleanup(e.embed.Close)
	for _, c := range registry.All() {
		demo := sandbox.DemoApp(c.Key)
		st, _, body := e.do(t, "POST", "/connector_profiles", basic(key), fmt.Sprintf(
			`{"connector_key":%q,"client_id":%q,"client_secret":%q,"environment":"sandbox","default":true}`, c.Key, demo.ClientID, demo.ClientSecret))
		if st != http.StatusCreated {
			t.Fatalf("profile for %s: %d %v", c.Key, st, body)
		}
	}
	return e
}

// session creates a connect session through the API and returns its Hub link.
func (e *linkEnv) session(t testing.TB, extra string) string {
	t.Helper()
	st, _, body := e.do(t, "POST", "/connect_sessions", basic(e.keyA),
		`{"origin_owner_id":"cust_42","origin_owner_name":"Customer 42","allowed_origin":"`+e.embed.URL+`"`+extra+`}`)
	if st != http.StatusCreated {
		t.Fatalf("connect session: %d %v", st, body)
	}
	return body["auth_link_url"].(string)
}

// secondNode starts another Patchbay on the environment's database, as a
// second node would run: its own connection pools and kept reads, calling the
// first node's simulators.
func (e *linkEnv) secondNode(t *testing.T) *httptest.Server {
	t.Helper()
	second := httptest.NewServer(nil)
	t.Cleanup(second.Close)
	second.Config.Handler = mustApp(app.New(app.Options{Store: backendtest.OpenURL(t, e.dbURL, e.keys), Registry: e.services.Registry,
		PublicURL: second.URL, SandboxURL: e.srv.URL + "/sandbox", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{
		KeyRateLimit: 1 << 30, // as the first node: nodes share one per-key count
	})
	return second
}

// waitFor polls a JavaScript condition across navigations until it holds on
// a loaded page: a condition that names something unique to the page the
// test expects. Waiting for the load too means that the next click finds
// the page's own nodes, not those of the page a navigation is replacing.
func waitFor(t *testing.T, ctx context.Context, condition string) {
	t.Helper()
	loaded := `document.readyState === 'complete' && (` + condition + `)`
	holds := testwait.Try(testwait.Limit, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](loaded))
		return err == nil && ok
	})
	if !holds {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
		t.Fatalf("timed out waiting for %s; page:\n%s", condition, text)
	}
}

// TestLinkAccountThroughTheHub is the whole story in Chromium, per provider: an
// integrator's page opens the Hub with hub.js, the user picks the provider, signs
// in and approves on the simulator (Employment Hero: picks the second of two
// organisations), the Hub shows success and posts AccountConnected to the page,
// and the account is active in GET /accounts.
func TestLinkAccountThroughTheHub(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	browser := browsertest.New(t)
	for _, provider := range []string{"justworks", "employmenthero"} {
		t.Run(provider, func(t *testing.T) {
			p, _ := e.sb.Provider(provider)
			link := e.session(t, `,"provider":"`+provider+`"`)
			page, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(page, chromedp.Navigate(e.embed.URL+"/?link="+url.QueryEscape(link))); err != nil {
				t.Fatal(err)
			}
			popupID := chromedp.WaitNewTarget(page, func(info *target.Info) bool { return strings.HasPrefix(info.URL, e.srv.URL+"/hub") })
			if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#connect"))); err != nil {
				t.Fatal(err)
			}
			var id target.ID
			select {
			case id = <-popupID:
			case <-time.After(15 * time.Second):
				t.Fatal("hub.js opened no Hub window")
			}
			popup, cancelPopup := chromedp.NewContext(page, chromedp.WithTargetID(id))
			defer cancelPopup()
			waitFor(t, popup, `document.querySelector('.provider[data-provider="`+provider+`"]') !== null`)
			if err := chromedp.Do(popup, chromedp.Click(chromedp.CSS(`.provider[data-provider="`+provider+`"]`))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, popup, `document.getElementById('email') !== null`)
			if err := chromedp.Do(popup,
				chromedp.SendKeys(chromedp.CSS("#email"), p.DemoUser),
				chromedp.SendKeys(chromedp.CSS("#password"), "sandbox"),
				chromedp.Click(chromedp.CSS("#sign-in")),
			); err != nil {
				t.Fatal(err)
			}
			waitFor(t, popup, `document.getElementById('approve') !== null`)
			if err := chromedp.Do(popup, chromedp.Click(chromedp.CSS("#approve"))); err != nil {
				t.Fatal(err)
			}
			chosenOrg := ""
			if provider == "employmenthero" {
				waitFor(t, popup, `document.querySelectorAll('#setup-options input').length === 2 && !document.getElementById('setup').hidden`)
				v, err := chromedp.Run(popup, chromedp.Evaluate[string](`(() => { const i = document.querySelectorAll('#setup-options input')[1]; i.checked = true; return i.value })()`))
				if err != nil {
					t.Fatal(err)
				}
				chosenOrg = v
				// Submitted twice at once, like a double click faster than the
				// button's disabling: one post links, the other loses, and the page
				// still ends on the linked account.
				if _, err := chromedp.Run(popup, chromedp.Evaluate[bool](`(() => { const f = document.getElementById('setup-form'); f.requestSubmit(); f.requestSubmit(); return true })()`)); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, popup, `!document.getElementById('done').hidden`)
			// The done page names the provider as people know it, not by its key.
			name, _ := e.services.Registry.Get(provider)
			waitFor(t, popup, `document.getElementById('done-provider').textContent === `+strconv.Quote(name.Name))
			waitFor(t, page, `(document.body.dataset.account || '').includes('"provider":"`+provider+`"')`)

			accounts := listAccounts(t, e, "?provider="+provider)
			if len(accounts) != 1 || accounts[0]["status"] != "active" || accounts[0]["origin_owner_id"] != "cust_42" {
				t.Fatalf("accounts after linking: %v", accounts)
			}
			if chosenOrg != "" && accounts[0]["setup_information"].(map[string]any)["organisation_id"] != chosenOrg {
				t.Fatalf("setup_information %v, want organisation %s", accounts[0]["setup_information"], chosenOrg)
			}
		})
	}
}

func listAccounts(t *testing.T, e *linkEnv, query string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/accounts"+query, nil)
	req.SetBasicAuth(e.keyA, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /accounts%s: %d", query, resp.StatusCode)
	}
	var out []map[string]any
	if err := jsonDecode(resp.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Pages have an icon, and the Hub's card keeps a margin on a phone-sized
// screen (newcomer finding 10). The screenshot lands in the test's temp dir.
func TestHubOnANarrowScreen(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	resp, err := http.Get(e.srv.URL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("/favicon.ico: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	browser := browsertest.New(t)
	page, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(page, chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.session(t, "")), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	left, err := chromedp.Run(page, chromedp.Evaluate[float64](`document.querySelector('main').getBoundingClientRect().left`))
	if err != nil {
		t.Fatal(err)
	}
	if shot, err := chromedp.Run(page, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(os.TempDir(), "patchbay-hub-390.png"), shot, 0o600)
	}
	if left < 8 {
		t.Fatalf("the Hub's card starts %.0f px from the edge of a 390 px screen", left)
	}
}
