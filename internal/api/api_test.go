package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

type fixture struct {
	srv          *httptest.Server
	store        *sqlstore.Store
	projectA     store.Project
	keyA         string
	projectB     store.Project
	keyB, keyBID string
}

func newFixture(t *testing.T, s *sqlstore.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: s}
	var err error
	if f.projectA, err = s.CreateProject(ctx, store.Project{Name: "A"}); err != nil {
		t.Fatal(err)
	}
	if f.projectB, err = s.CreateProject(ctx, store.Project{Name: "B"}); err != nil {
		t.Fatal(err)
	}
	if f.keyA, _, err = apikeys.Issue(ctx, s, f.projectA.ID, "a"); err != nil {
		t.Fatal(err)
	}
	var kb store.APIKey
	if f.keyB, kb, err = apikeys.Issue(ctx, s, f.projectB.ID, "b"); err != nil {
		t.Fatal(err)
	}
	f.keyBID = kb.ID
	f.srv = newServer(t, s)
	return f
}

// newServer serves the API over real HTTP with the embedded connectors.
func newServer(t *testing.T, s app.Store) *httptest.Server {
	t.Helper()
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	srv.Config.Handler = mustApp(app.New(app.Options{Store: s, Registry: registry, PublicURL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{Version: "test"})
	return srv
}

// do sends a request with the given Authorization header value ("" for none).
func (f *fixture) do(t testing.TB, method, path, authorization, body string, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func basic(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}

// wantError checks the standard error body.
func wantError(t *testing.T, status int, body map[string]any, wantStatus int) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d (body %v)", status, wantStatus, body)
	}
	if body["statusCode"] != float64(wantStatus) {
		t.Fatalf("statusCode %v, want %d", body["statusCode"], wantStatus)
	}
	if msg, _ := body["message"].(string); msg == "" {
		t.Fatalf("no message in %v", body)
	}
	ts, _ := body["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
}

func TestAuthRejectsEveryBadKeyAlike(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		revokedKey, revoked, err := apikeys.Issue(context.Background(), s, f.projectA.ID, "old")
		if err != nil {
			t.Fatal(err)
		}
		if st, _, _ := f.do(t, "DELETE", "/api_keys/"+revoked.ID, basic(f.keyA), ""); st != http.StatusOK {
			t.Fatalf("revoke: status %d", st)
		}
		cases := []struct {
			name, path, authorization string
			headers                   []string
		}{
			{"missing", "/api_keys", "", nil},
			{"empty basic user", "/api_keys", basic(""), nil},
			{"basic not base64", "/api_keys", "Basic !!!", nil},
			{"unknown scheme", "/api_keys", "Token " + f.keyA, nil},
			{"empty bearer", "/api_keys", "Bearer ", nil},
			{"not a patchbay key", "/api_keys", basic("sk_live_123"), nil},
			{"unknown key", "/api_keys", basic("v1.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), nil},
			{"truncated key", "/api_keys", basic(f.keyA[:len(f.keyA)-1]), nil},
			{"oversized key", "/api_keys", basic(f.keyA + strings.Repeat("x", 200)), nil},
			{"revoked key", "/api_keys", basic(revokedKey), nil},
			{"revoked key as bearer", "/api_keys", "Bearer " + revokedKey, nil},
			{"another project's id in the path", "/projects/" + f.projectB.ID, basic(f.keyA), nil},
			{"another project in x-project-id", "/api_keys", basic(f.keyA), []string{"X-Project-Id", f.projectB.ID}},
		}
		var messages []string
		for _, tc := range cases {
			st, h, body := f.do(t, "GET", tc.path, tc.authorization, "", tc.headers...)
			wantError(t, st, body, http.StatusUnauthorized)
			if got := h.Get("WWW-Authenticate"); got != `Basic realm="patchbay"` {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, got)
			}
			messages = append(messages, body["message"].(string))
		}
		for i, m := range messages {
			if m != messages[0] {
				t.Errorf("case %q answers %q, case %q answers %q: the messages must not differ", cases[i].name, m, cases[0].name, messages[0])
			}
		}
	})
}

func TestAuthAcceptsBasicAndBearer(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		for _, authorization := range []string{basic(f.keyA), "Bearer " + f.keyA} {
			st, _, body := f.do(t, "GET", "/projects/"+f.projectA.ID, authorization, "", "X-Project-Id", f.projectA.ID)
			if st != http.StatusOK || body["id"] != f.projectA.ID || body["name"] != "A" {
				t.Fatalf("%s: status %d body %v", authorization[:6], st, body)
			}
		}
	})
}

func TestProjectIsolation(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		st, _, body := f.do(t, "GET", "/api_keys", basic(f.keyA), "")
		if st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		data := body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("project A sees %d keys, want its own 1: %v", len(data), data)
		}
		for _, k := range data {
			k := k.(map[string]any)
			if k["project_id"] != f.projectA.ID {
				t.Fatalf("project A sees key %v", k)
			}
			if _, has := k["key"]; has {
				t.Fatal("listing returns a plaintext key")
			}
		}
		st, _, body = f.do(t, "DELETE", "/api_keys/"+f.keyBID, basic(f.keyA), "")
		wantError(t, st, body, http.StatusNotFound)
		if st, _, _ := f.do(t, "GET", "/api_keys", basic(f.keyB), ""); st != http.StatusOK {
			t.Fatalf("project A's delete attempt broke project B's key: status %d", st)
		}
	})
}

func TestCreateAndRevokeKeys(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		st, _, body := f.do(t, "POST", "/api_keys", basic(f.keyA), `{"name":"ci"}`)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %v", st, body)
		}
		newKey, _ := body["key"].(string)
		if !strings.HasPrefix(newKey, body["prefix"].(string)) {
			t.Fatalf("key %q does not start with its prefix %q", newKey, body["prefix"])
		}
		if st, _, _ := f.do(t, "GET", "/api_keys", basic(newKey), ""); st != http.StatusOK {
			t.Fatalf("new key rejected: %d", st)
		}
		// A key can revoke itself; the very next request fails.
		if st, _, _ := f.do(t, "DELETE", "/api_keys/"+body["id"].(string), basic(newKey), ""); st != http.StatusOK {
			t.Fatalf("revoke: %d", st)
		}
		st, _, errBody := f.do(t, "GET", "/api_keys", basic(newKey), "")
		wantError(t, st, errBody, http.StatusUnauthorized)

		for _, bad := range []string{`{}`, `{"name":"  "}`, `{"name":1}`, `not json`, `{"name":"x","extra":true}`} {
			st, _, body := f.do(t, "POST", "/api_keys", basic(f.keyA), bad)
			wantError(t, st, body, http.StatusBadRequest)
		}
	})
}

func TestRevocationSeenByEveryNode(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			keys := backendtest.TestKeys(t)
			// Two servers, each with its own connection pool, stand in for two nodes.
			var nodes []*fixture
			first := backendtest.OpenURL(t, url, keys)
			f := newFixture(t, first)
			nodes = append(nodes, f, &fixture{srv: newServer(t, backendtest.OpenURL(t, url, keys))})
			for _, n := range nodes {
				if st, _, _ := n.do(t, "GET", "/api_keys", basic(f.keyB), ""); st != http.StatusOK {
					t.Fatalf("before revocation: %d", st)
				}
			}
			if st, _, _ := nodes[0].do(t, "POST", "/api_keys", basic(f.keyB), `{"name":"kept"}`); st != http.StatusCreated {
				t.Fatalf("a second key: %d", st) // the last key cannot be revoked
			}
			if st, _, _ := nodes[0].do(t, "DELETE", "/api_keys/"+f.keyBID, basic(f.keyB), ""); st != http.StatusOK {
				t.Fatalf("revoke: %d", st)
			}
			for i, n := range nodes {
				if st, _, _ := n.do(t, "GET", "/api_keys", basic(f.keyB), ""); st != http.StatusUnauthorized {
					t.Fatalf("node %d still accepts the revoked key: %d", i, st)
				}
				// A call on an account reads the key with the account, in one query.
				if st, _, _ := n.do(t, "POST", "/actions/rpc", basic(f.keyB), `{"action":"justworks_get_company"}`, "X-Account-Id", "acc_any"); st != http.StatusUnauthorized {
					t.Fatalf("node %d still makes calls with the revoked key: %d", i, st)
				}
			}
		})
	}
}

// TestKeysAndProfilesArePaged: GET /api_keys and GET /connector_profiles take
// page_size and next; following next lists each item once, filters apply
// before the page, and a bad value is a 400 naming it.
func TestKeysAndProfilesArePaged(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		for i := range 4 {
			if st, _, body := f.do(t, "POST", "/api_keys", basic(f.keyA), fmt.Sprintf(`{"name":"k%d"}`, i)); st != http.StatusCreated {
				t.Fatalf("create key: %d %v", st, body)
			}
			for _, c := range []string{"justworks", "employmenthero"} {
				if st, _, body := f.do(t, "POST", "/connector_profiles", basic(f.keyA),
					fmt.Sprintf(`{"connector_key":%q,"name":"%s %d","client_id":"id","client_secret":"secret"}`, c, c, i)); st != http.StatusCreated {
					t.Fatalf("create profile: %d %v", st, body)
				}
			}
		}
		walk := func(path string) []string {
			var ids []string
			next := ""
			for range 20 {
				st, _, body := f.do(t, "GET", path+"&next="+url.QueryEscape(next), basic(f.keyA), "")
				if st != http.StatusOK {
					t.Fatalf("GET %s: %d %v", path, st, body)
				}
				data, _ := body["data"].([]any)
				for _, item := range data {
					ids = append(ids, item.(map[string]any)["id"].(string))
				}
				if next, _ = body["next"].(string); next == "" {
					return ids
				}
			}
			t.Fatalf("GET %s: no end to the pages", path)
			return nil
		}
		all := func(path string) []string {
			st, _, body := f.do(t, "GET", path, basic(f.keyA), "")
			if st != http.StatusOK || body["next"] != nil {
				t.Fatalf("GET %s: %d %v", path, st, body)
			}
			var ids []string
			for _, item := range body["data"].([]any) {
				ids = append(ids, item.(map[string]any)["id"].(string))
			}
			return ids
		}
		if got, want := walk("/api_keys?page_size=2"), all("/api_keys"); !slices.Equal(got, want) || len(want) != 5 {
			t.Fatalf("keys two at a time: %v, want %v", got, want)
		}
		jw := all("/connector_profiles?connector_key=justworks")
		if got := walk("/connector_profiles?connector_key=justworks&page_size=3"); !slices.Equal(got, jw) || len(jw) != 4 {
			t.Fatalf("Justworks profiles three at a time: %v, want %v", got, jw)
		}
		for _, bad := range []struct{ path, field string }{
			{"/api_keys?page_size=0", "page_size"}, {"/api_keys?page_size=101", "page_size"}, {"/api_keys?page_size=x", "page_size"},
			{"/api_keys?next=nonsense", "next"}, {"/connector_profiles?enabled=maybe", "enabled"},
		} {
			st, _, body := f.do(t, "GET", bad.path, basic(f.keyA), "")
			wantError(t, st, body, http.StatusBadRequest)
			if msg, _ := body["message"].(string); !strings.Contains(msg, bad.field) {
				t.Fatalf("GET %s: %q does not name %s", bad.path, msg, bad.field)
			}
		}
	})
}

func TestErrorsAreJSON(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		st, _, body := f.do(t, "GET", "/no/such/thing", "", "")
		wantError(t, st, body, http.StatusNotFound)
		st, h, body := f.do(t, "POST", "/healthz", "", "")
		wantError(t, st, body, http.StatusMethodNotAllowed)
		if !strings.Contains(h.Get("Allow"), "GET") {
			t.Fatalf("Allow = %q", h.Get("Allow"))
		}
	})
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		_, h, _ := f.do(t, "GET", "/healthz", "", "", "X-Request-Id", "trace-123")
		if h.Get("X-Request-Id") != "trace-123" {
			t.Fatalf("incoming request id not kept: %q", h.Get("X-Request-Id"))
		}
		_, h1, _ := f.do(t, "GET", "/healthz", "", "", "X-Request-Id", "bad\tid")
		_, h2, _ := f.do(t, "GET", "/healthz", "", "")
		if id1, id2 := h1.Get("X-Request-Id"), h2.Get("X-Request-Id"); id1 == "" || id1 == "bad\tid" || id1 == id2 {
			t.Fatalf("generated ids %q and %q", id1, id2)
		}
	})
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		if st, _, body := f.do(t, "GET", "/healthz", "", ""); st != http.StatusOK || body["status"] != "ok" {
			t.Fatalf("healthz: %d %v", st, body)
		}
		if st, _, _ := f.do(t, "GET", "/readyz", "", ""); st != http.StatusOK {
			t.Fatalf("readyz: %d", st)
		}
		resp, err := http.Get(f.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(metrics), "patchbay_token_lock_wait_seconds") {
			t.Fatal("the token manager's metrics are not exported")
		}
		if !strings.Contains(string(metrics), `patchbay_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`) {
			t.Fatalf("metrics do not count the readyz request:\n%s", metrics)
		}
		s.Close() // the database goes away
		st, _, body := f.do(t, "GET", "/readyz", "", "")
		wantError(t, st, body, http.StatusServiceUnavailable)
		if st, _, _ := f.do(t, "GET", "/healthz", "", ""); st != http.StatusOK {
			t.Fatalf("healthz must not depend on the database: %d", st)
		}
	})
}

// minuteStart is a clock standing at the start of a clock minute: the per-key
// limit counts per clock minute, and the tests must not see one turn.
func minuteStart() *clock.Manual {
	return clock.NewManual(time.Now().Truncate(time.Minute).Add(time.Second))
}

// limitedServer is a node with its own per-key limit on store s.
func limitedServer(t *testing.T, s app.Store, registry *connectors.Registry, clk clock.Clock, limit int) *httptest.Server {
	srv := httptest.NewServer(mustApp(app.New(app.Options{Store: s, Registry: registry, PublicURL: "http://x", Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{KeyRateLimit: limit}))
	t.Cleanup(srv.Close)
	return srv
}

// The key runs down its minute's allowance: every answer, the refusal
// included, says in the RateLimit headers how much is left and when it comes
// back, and the numbers are the quota's (45 a minute, taken in leases of 2).
func TestAPIKeyRateLimit(t *testing.T) {
	t.Parallel()
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	f := newFixture(t, s)
	clk := minuteStart()
	clk.Advance(14 * time.Second) // 15 s into the minute
	const limit = 45
	limited := limitedServer(t, s, f.registry(t), clk, limit)
	g := &fixture{srv: limited}
	checkHeaders := func(h http.Header, remaining int) {
		t.Helper()
		if got, want := h.Get("RateLimit-Policy"), `"per-minute";q=45;w=60`; got != want {
			t.Fatalf("RateLimit-Policy %q, want %q", got, want)
		}
		if got, want := h.Get("RateLimit"), fmt.Sprintf(`"per-minute";r=%d;t=45`, remaining); got != want {
			t.Fatalf("RateLimit %q, want %q", got, want)
		}
	}
	for i := range limit {
		// Reads, writes and failures alike count and carry the headers.
		method, path, want := "GET", "/api_keys", http.StatusOK
		switch i % 3 {
		case 1:
			path, want = "/accounts/acc_missing", http.StatusNotFound
		case 2:
			method, path, want = "DELETE", "/api_keys/key_missing", http.StatusNotFound
		}
		st, h, body := g.do(t, method, path, basic(f.keyA), "")
		if st != want {
			t.Fatalf("request %d: %d %s", i, st, body)
		}
		checkHeaders(h, limit-1-i)
	}
	st, h, body := g.do(t, "GET", "/api_keys", basic(f.keyA), "")
	wantError(t, st, body, http.StatusTooManyRequests)
	checkHeaders(h, 0)
	if h.Get("Retry-After") != "45" {
		t.Fatalf("429 with Retry-After %q, want 45 (the seconds to the next minute)", h.Get("Retry-After"))
	}
	if st, h, _ := g.do(t, "GET", "/api_keys", basic(f.keyB), ""); st != http.StatusOK || !strings.Contains(h.Get("RateLimit"), "r=44;") {
		t.Fatalf("another key shares the limit: %d, RateLimit %q", st, h.Get("RateLimit"))
	}
	clk.Advance(45 * time.Second) // the next minute brings a new allowance
	st, h, _ = g.do(t, "GET", "/api_keys", basic(f.keyA), "")
	if st != http.StatusOK || h.Get("RateLimit") != `"per-minute";r=44;t=60` {
		t.Fatalf("the next minute: %d, RateLimit %q", st, h.Get("RateLimit"))
	}
}

// Two nodes on one database share each key's limit: between them they let
// exactly the limit through in a minute, and then both refuse.
func TestAPIKeyRateLimitIsSharedByNodes(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			keys := backendtest.TestKeys(t)
			url := backend.URL(t)
			f := newFixture(t, backendtest.OpenURL(t, url, keys))
			clk := minuteStart()
			var nodes []*fixture
			for range 2 {
				nodes = append(nodes, &fixture{srv: limitedServer(t, backendtest.OpenURL(t, url, keys), f.registry(t), clk, 40)})
			}
			allowed, refused := 0, map[int]bool{}
			for i := 0; len(refused) < 2; i++ {
				if i > 200 {
					t.Fatalf("the nodes never both refused; %d allowed", allowed)
				}
				switch st, _, _ := nodes[i%2].do(t, "GET", "/api_keys", basic(f.keyA), ""); st {
				case http.StatusOK:
					if refused[i%2] {
						t.Fatalf("node %d allowed a request after refusing one", i%2)
					}
					allowed++
				case http.StatusTooManyRequests:
					refused[i%2] = true
				default:
					t.Fatalf("request %d: %d", i, st)
				}
			}
			if allowed != 40 {
				t.Fatalf("the two nodes allowed %d requests, want exactly the limit of 40", allowed)
			}
		})
	}
}

func (f *fixture) registry(t *testing.T) *connectors.Registry {
	t.Helper()
	r, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustApp is app.New's App; wiring fails only on a bad configuration.
func mustApp(a *app.App, err error) *app.App {
	if err != nil {
		panic(err)
	}
	return a
}
