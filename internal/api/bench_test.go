package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// benchProject creates a project and an API key for it.
func benchProject(b *testing.B, s store.Store) (store.Project, string) {
	b.Helper()
	p, err := s.CreateProject(context.Background(), store.Project{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	key, _, err := apikeys.Issue(context.Background(), s, p.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return p, key
}

// BenchmarkAuthenticatedRequest measures one authenticated request through the full
// handler chain (request id, access log, metrics, key check, one store read) on
// each backend: serially (latency) and from all cores at once (throughput).
func BenchmarkAuthenticatedRequest(b *testing.B) {
	for _, backend := range backendtest.All {
		b.Run(backend.Name, func(b *testing.B) {
			s := backend.Open(b, backendtest.TestKeys(b))
			p, key := benchProject(b, s)
			registry, err := connectors.Embedded()
			if err != nil {
				b.Fatal(err)
			}
			h := mustApp(app.New(app.Options{Store: s, Registry: registry, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{KeyRateLimit: 1 << 30})
			request := func() {
				req := httptest.NewRequest("GET", "/projects/"+p.ID, nil)
				req.SetBasicAuth(key, "")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Errorf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					request()
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						request()
					}
				})
			})
		})
	}
}

// BenchmarkRPC measures one POST /actions/rpc for justworks_list_members (a
// page of 100) through the whole server on SQLite: key check, account, profile
// and token, validation, the request to the simulator over loopback HTTP,
// finding the records and the cursor, the answer, and the request log.
func BenchmarkRPC(b *testing.B) {
	e := newBenchAccount(b, "justworks_list_members")
	b.ReportAllocs()
	for b.Loop() {
		e.post(b, "/actions/rpc", `{"action":"justworks_list_members","query":{"limit":100}}`, 100_000)
	}
}

// BenchmarkMCP measures the MCP server next to the same call through
// /actions/rpc, on an account with every Justworks action enabled: tools/list
// (the account, profile and grant read, and every tool's schema), and
// tools/call of a page of 100 members and of one small record.
func BenchmarkMCP(b *testing.B) {
	reg, _ := connectors.Embedded()
	c, _ := reg.Get("justworks")
	var all []string
	for _, a := range c.Actions {
		all = append(all, a.ID)
	}
	e := newBenchAccount(b, all...)
	b.Run("tools-list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.post(b, "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, 10_000)
		}
	})
	// A page of 100 members (about 110 KB) and one small record.
	for _, call := range []struct{ name, action, input string }{
		{"page", "justworks_list_members", `{"query":{"limit":100}}`},
		{"record", "justworks_get_company", `{"path":{}}`},
	} {
		min := int64(100)
		if call.name == "page" {
			min = 100_000
		}
		b.Run("tools-call-"+call.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.post(b, "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+call.action+`","arguments":`+call.input+`}}`, min)
			}
		})
		b.Run("rpc-"+call.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.post(b, "/actions/rpc", `{"action":"`+call.action+`",`+strings.TrimPrefix(call.input, "{"), min)
			}
		})
	}
}

// benchAccount is a Patchbay on SQLite with the simulators and a linked
// account of 1000 people.
type benchAccount struct {
	srv *httptest.Server
	key string
	// accounts are linked accounts of one person; requests take them in turn.
	accounts []string
	turn     int
}

// newBenchAccount links a Justworks account with the given actions enabled.
func newBenchAccount(b *testing.B, enabled ...string) *benchAccount {
	return newBenchAccountOn(b, "justworks", 1, enabled...)
}

// newBenchAccountOn links n accounts on the provider. Employment Hero's
// published limit (20 a second, 100 a minute per grant) would make Patchbay
// wait between calls on one account; requests spread over enough accounts
// measure the work instead.
func newBenchAccountOn(b *testing.B, provider string, n int, enabled ...string) *benchAccount {
	ctx := context.Background()
	s := backendtest.SQLite.Open(b, backendtest.TestKeys(b))
	reg, err := connectors.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Seed: 1, Members: 1000, NoRateLimit: true})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	b.Cleanup(srv.Close)
	srv.Config.Handler = mustApp(app.New(app.Options{Store: s, Registry: reg, PublicURL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{Sandbox: sb, KeyRateLimit: 1 << 30})
	p, key := benchProject(b, s)
	sim, _ := sb.Provider(provider)
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: provider, Name: provider,
		ClientID: sim.DemoApp.ClientID, ClientSecret: sim.DemoApp.ClientSecret, Environment: "sandbox", Enabled: true,
		EnabledActions: enabled})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchAccount{srv: srv, key: key}
	for range n {
		tok, err := sim.OAuth.MintToken(sim.DemoApp.ClientID, sim.DemoUser, nil)
		if err != nil {
			b.Fatal(err)
		}
		var setup map[string]string
		if provider == "employmenthero" {
			// Every call but the organisation list is scoped to the account's organisation.
			req, _ := http.NewRequest("GET", srv.URL+"/sandbox/employmenthero/api/v1/organisations", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var orgs struct {
				Data struct{ Items []struct{ ID string } }
			}
			json.NewDecoder(resp.Body).Decode(&orgs)
			resp.Body.Close()
			setup = map[string]string{"organisation_id": orgs.Data.Items[0].ID}
		}
		acc, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: provider, OriginOwnerID: "o",
			OriginOwnerName: "O", SetupInformation: setup, Credentials: store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
				Expiry: time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second), Obtained: time.Now(), Scopes: strings.Fields(tok.Scope)}}, store.EventAccountCreated)
		if err != nil {
			b.Fatal(err)
		}
		e.accounts = append(e.accounts, acc.ID)
	}
	return e
}

// post sends body to path for the account and wants 200 with at least min bytes.
func (e *benchAccount) post(b *testing.B, path, body string, min int64) {
	e.send(b, "POST", path, body, min)
}

// send makes one request for the account and wants 200 with at least min bytes.
func (e *benchAccount) send(b *testing.B, method, path, body string, min int64) {
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.SetBasicAuth(e.key, "")
	req.Header.Set("X-Account-Id", e.accounts[e.turn%len(e.accounts)])
	e.turn++
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n < min {
		b.Fatalf("%s: status %d, %d bytes", path, resp.StatusCode, n)
	}
}

// BenchmarkListAccounts measures GET /accounts?page_size=25 in a project of
// 100,000 accounts on each backend: the first page, a middle page, one
// customer's accounts, and a provider and status filter.
func BenchmarkListAccounts(b *testing.B) {
	const n = 100_000
	for _, backend := range backendtest.All {
		b.Run(backend.Name, func(b *testing.B) {
			s := backend.Open(b, backendtest.TestKeys(b))
			p, key := benchProject(b, s)
			prof, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks",
				Name: "JW", ClientID: "c", ClientSecret: "s", Environment: "sandbox", Enabled: true})
			if err != nil {
				b.Fatal(err)
			}
			seedAccounts(b, s, backend.Name, p.ID, prof.ID, n)
			reg, _ := connectors.Embedded()
			h := mustApp(app.New(app.Options{Store: s, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Server(api.Options{KeyRateLimit: 1 << 30})
			// The middle page once more, reached by next from the page before.
			req := httptest.NewRequest("GET", fmt.Sprintf("/accounts?page_size=25&page=%d", n/25/2-1), nil)
			req.SetBasicAuth(key, "")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			next, _ := url.ParseQuery(strings.TrimSuffix(strings.SplitN(rec.Header().Get("Link"), "?", 2)[1], `>; rel="next"`))
			for _, tc := range []struct{ name, query string }{
				{"first-page", "page_size=25"},
				{"middle-page", fmt.Sprintf("page_size=25&page=%d", n/25/2)},
				{"middle-page-by-next", next.Encode()},
				{"owner", "page_size=25&origin_owner_id=owner-4242"},
				{"provider-status", "page_size=25&providers=justworks&status=active"},
			} {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						req := httptest.NewRequest("GET", "/accounts?"+tc.query, nil)
						req.SetBasicAuth(key, "")
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), `[{`) {
							b.Fatalf("status %d: %.200s", rec.Code, rec.Body)
						}
					}
				})
			}
		})
	}
}

// seedAccounts inserts n accounts in one transaction, straight into the table:
// listing never reads their credentials, so these hold none that open.
func seedAccounts(b *testing.B, s *sqlstore.Store, backend, projectID, profileID string, n int) {
	b.Helper()
	query := `INSERT INTO accounts (id, project_id, profile_id, provider, status, origin_owner_id, origin_owner_name, credentials, created_at, updated_at)
		VALUES (?, ?, ?, 'justworks', 'active', ?, 'Owner', 'unreadable', ?, ?)`
	if backend == "postgres" {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	tx, err := s.DB().Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(query)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		if _, err := stmt.Exec(fmt.Sprintf("acc_seed%07d", i), projectID, profileID, fmt.Sprintf("owner-%d", i), at, at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// Statistics, as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) gather
	// them after a bulk load.
	analyze := map[string]string{"postgres": "ANALYZE accounts", "sqlite": "PRAGMA optimize=0x10002"}[backend]
	if _, err := s.DB().Exec(analyze); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkUnifiedEmployees measures one page of 100 employees through the
// unified API next to the raw action for the same page, per provider: what
// decoding the provider's records, mapping them and encoding the unified
// answer add to the call.
func BenchmarkUnifiedEmployees(b *testing.B) {
	for _, c := range []struct{ provider, action, query string }{
		{"justworks", "justworks_list_members", `{"limit":100}`},
		{"employmenthero", "employmenthero_list_employees", `{"item_per_page":100}`},
	} {
		e := newBenchAccountOn(b, c.provider, 64, c.action, "hris_list_employees")
		b.Run(c.provider+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.post(b, "/actions/rpc", `{"action":"`+c.action+`","query":`+c.query+`}`, 100_000)
			}
		})
		b.Run(c.provider+"/unified", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.send(b, "GET", "/unified/hris/employees?page_size=100", "", 50_000)
			}
		})
	}
}
