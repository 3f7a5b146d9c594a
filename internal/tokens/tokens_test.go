package tokens_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// world is a database, the simulators served over HTTP, and one linked
// Employment Hero account whose stored access token expires after one second.
// Tokens the simulator issues on refresh live a minute, so a slow storm (the
// race detector) still sees exactly one expiry.
type world struct {
	dbURL     string
	keys      *secrets.Keyring
	registry  *connectors.Registry
	publicURL string
	eh        *sandbox.Provider
	account   store.Account
	// clk is every node's clock; tests move it past an expiry.
	clk *clock.Manual
}

func newWorld(t *testing.T, backend backendtest.Backend) *world {
	t.Helper()
	return newWorldAt(t, backend.URL(t))
}

// newWorldAt builds the world on the database at dbURL.
func newWorldAt(t *testing.T, dbURL string) *world {
	t.Helper()
	w := &world{dbURL: dbURL, keys: backendtest.TestKeys(t), clk: clock.NewManual(time.Now())}
	var err error
	if w.registry, err = connectors.Embedded(); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Seed: 5, Members: 5, NoRateLimit: true,
		AccessTTL: map[string]time.Duration{"employmenthero": time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.publicURL = srv.URL
	w.eh, _ = sb.Provider("employmenthero")

	s := backendtest.OpenURL(t, w.dbURL, w.keys)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "employmenthero", Name: "EH",
		ClientID: w.eh.DemoApp.ClientID, ClientSecret: w.eh.DemoApp.ClientSecret, Environment: "sandbox", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := w.eh.OAuth.MintToken(w.eh.DemoApp.ClientID, w.eh.DemoUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := w.clk.Now().UTC()
	w.account, err = s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "employmenthero",
		OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			Obtained: now, Expiry: now.Add(time.Second)}}, store.EventAccountCreated)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// node is one Patchbay process: its own database connections and token manager.
type node struct {
	*tokens.Manager
	store   store.Store
	account store.Account
}

func (w *world) node(t *testing.T) *node { return w.nodeWith(t, 0) }

// nodeWith is a node whose manager refreshes tokens expiring within buffer
// (0: the default minute).
func (w *world) nodeWith(t *testing.T, buffer time.Duration) *node {
	t.Helper()
	s := backendtest.OpenURL(t, w.dbURL, w.keys)
	m := mustApp(app.New(app.Options{Store: s, Registry: w.registry, PublicURL: w.publicURL, Clock: w.clk,
		TokenBackoff: 10 * time.Millisecond, TokenBuffer: buffer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})).Tokens
	return &node{Manager: m, store: s, account: w.account}
}

// token reads the account, as an action call does, and asks for a valid token.
func (n *node) token() (store.Account, error) {
	ctx := context.Background()
	a, err := n.store.GetAccount(ctx, n.account.ProjectID, n.account.ID)
	if err != nil {
		return a, err
	}
	return n.Valid(ctx, a)
}

// storm has every node ask for a token n times at once and checks they all
// succeed with the same new access token.
func (w *world) storm(t *testing.T, nodes []*node, n int) {
	t.Helper()
	w.clk.Advance(2 * time.Second) // the access token has expired
	w.eh.Stats.Reset()
	var wg sync.WaitGroup
	got := make(chan string, n*len(nodes))
	errs := make(chan error, n*len(nodes))
	for _, m := range nodes {
		for range n {
			wg.Go(func() {
				a, err := m.token()
				if err != nil {
					errs <- err
					return
				}
				got <- a.Credentials.AccessToken
			})
		}
	}
	wg.Wait()
	close(got)
	close(errs)
	for err := range errs {
		t.Fatalf("a caller failed: %v", err)
	}
	seen := map[string]bool{}
	for tok := range got {
		seen[tok] = true
	}
	if len(seen) != 1 || seen[w.account.Credentials.AccessToken] {
		t.Fatalf("callers got %d distinct tokens (old one among them: %v), want one new token", len(seen), seen[w.account.Credentials.AccessToken])
	}
	if refreshes := w.eh.Stats.Get("token.refresh_token"); refreshes != 1 {
		t.Fatalf("the provider saw %d refreshes, want exactly 1", refreshes)
	}
}

func TestRefreshStormOneNode(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.storm(t, []*node{w.node(t)}, 1000)
		})
	}
}

func TestRefreshStormTwoNodes(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.storm(t, []*node{w.node(t), w.node(t)}, 500)
		})
	}
}

func TestInvalidGrantNeedsReauthorization(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	m := w.node(t)
	w.clk.Advance(2 * time.Second)
	if err := w.eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 1, Kind: simctl.KindStatus, Status: 400,
		Body: []byte(`{"error":"invalid_grant"}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := m.token()
	if !errors.Is(err, tokens.ErrReauthorize) {
		t.Fatalf("got %v, want ErrReauthorize", err)
	}
	a, _ := backendtest.OpenURL(t, w.dbURL, w.keys).GetAccount(context.Background(), w.account.ProjectID, w.account.ID)
	if a.Status != store.StatusError || len(a.StatusReasons) != 1 || a.StatusReasons[0].Code != tokens.ReasonRefreshFailed {
		t.Fatalf("account after invalid_grant: %s %+v", a.Status, a.StatusReasons)
	}
	w.eh.Stats.Reset()
	if _, err := m.token(); !errors.Is(err, tokens.ErrReauthorize) {
		t.Fatalf("second call: %v", err)
	}
	if calls := w.eh.Stats.Snapshot(); len(calls) != 0 {
		t.Fatalf("a dead account still calls the provider: %v", calls)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	m := w.node(t)
	w.clk.Advance(2 * time.Second)
	w.eh.Stats.Reset()
	w.eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 1, Kind: simctl.KindStatus, Status: 503})
	w.eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 1, Kind: simctl.KindReset})
	a, err := m.token()
	if err != nil || a.Credentials.AccessToken == w.account.Credentials.AccessToken {
		t.Fatalf("after two transient failures: %v", err)
	}
	if w.eh.Stats.Get("token.refresh_token") != 1 || w.eh.Stats.Get("fault.status") != 1 || w.eh.Stats.Get("fault.reset") != 1 {
		t.Fatalf("stats %v", w.eh.Stats.Snapshot())
	}
}

func TestFailingProviderKeepsAStillValidToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	m := w.nodeWith(t, time.Hour) // always "due", though the token has not expired yet
	w.eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 10, Kind: simctl.KindStatus, Status: 502})
	a, err := m.token()
	if err != nil || a.Credentials.AccessToken != w.account.Credentials.AccessToken || a.Status != store.StatusActive {
		t.Fatalf("got %v / %s, want the current token and an active account", err, a.Status)
	}
}

func TestAfterUnauthorizedRefreshesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	m := w.node(t)
	old := w.account.Credentials.AccessToken
	fresh, err := m.AfterUnauthorized(context.Background(), w.account.ProjectID, w.account.ID, old)
	if err != nil || fresh.Credentials.AccessToken == old {
		t.Fatalf("forced refresh: %v", err)
	}
	w.eh.Stats.Reset()
	again, err := m.AfterUnauthorized(context.Background(), w.account.ProjectID, w.account.ID, old)
	if err != nil || again.Credentials.AccessToken != fresh.Credentials.AccessToken || w.eh.Stats.Get("token.refresh_token") != 0 {
		t.Fatalf("a second 401 for the already replaced token refreshed again: %v %v", err, w.eh.Stats.Snapshot())
	}
}

func TestOutageIsRecordedAndClearsItself(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	m := w.node(t)
	w.clk.Advance(2 * time.Second) // the stored token has expired
	w.eh.Faults.Add(simctl.Fault{PathPrefix: "/oauth2/token", Count: 3, Kind: simctl.KindStatus, Status: 503})
	_, err := m.token()
	if err == nil || errors.Is(err, tokens.ErrReauthorize) {
		t.Fatalf("during the outage: %v", err)
	}
	s := backendtest.OpenURL(t, w.dbURL, w.keys)
	a, _ := s.GetAccount(context.Background(), w.account.ProjectID, w.account.ID)
	if a.Status != store.StatusError || len(a.StatusReasons) != 1 || a.StatusReasons[0].Code != tokens.ReasonProviderUnavailable {
		t.Fatalf("account during the outage: %s %+v", a.Status, a.StatusReasons)
	}
	if _, err := m.token(); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	a, _ = s.GetAccount(context.Background(), w.account.ProjectID, w.account.ID)
	if a.Status != store.StatusActive || len(a.StatusReasons) != 0 {
		t.Fatalf("account after the outage: %s %+v", a.Status, a.StatusReasons)
	}
	cs := m.Collectors() // refreshes, failures, lock waits
	refreshes := testutil.ToFloat64(cs[0].(*prometheus.CounterVec).WithLabelValues("employmenthero"))
	failures := testutil.ToFloat64(cs[1].(*prometheus.CounterVec).WithLabelValues("employmenthero"))
	if failures != 3 || refreshes != 1 {
		t.Fatalf("metrics: %v failures, %v refreshes; want 3 and 1", failures, refreshes)
	}
}

// An account whose connector this version does not ship (a retired one) is
// skipped and logged; the pass goes on to the accounts it can refresh.
func TestKeepAliveSkipsUnknownConnectors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backendtest.SQLite)
	s := backendtest.OpenURL(t, w.dbURL, w.keys)
	ctx := context.Background()
	long := w.clk.Now().Add(-40 * 24 * time.Hour).UTC()
	retired, err := s.CreateAccount(ctx, store.Account{ProjectID: w.account.ProjectID, ProfileID: w.account.ProfileID, Provider: "retired_hr",
		OriginOwnerID: "r", OriginOwnerName: "R", Credentials: store.Credentials{AccessToken: "a", RefreshToken: "r", Obtained: long, Expiry: long}}, store.EventAccountCreated)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	m := mustApp(app.New(app.Options{Store: s, Registry: w.registry, PublicURL: w.publicURL, Clock: w.clk,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})).Tokens
	if _, err := m.KeepAlive(ctx, 100, 0); err != nil {
		t.Fatalf("keep-alive with an unknown connector: %v", err)
	}
	if !strings.Contains(logged.String(), "unknown connector") || !strings.Contains(logged.String(), retired.ID) {
		t.Fatalf("the skipped account was not logged:\n%s", logged.String())
	}
	if a, _ := s.GetAccount(ctx, retired.ProjectID, retired.ID); a.Status != store.StatusActive || a.CredentialVersion != retired.CredentialVersion {
		t.Fatalf("the unknown connector's account was touched: %s v%d", a.Status, a.CredentialVersion)
	}
}

// TestManyAccountsRefreshAtOnce expires more accounts than a node has database
// connections and asks for a token on each at the same time: every refresh
// holds its account's lock while it calls the provider, so none may need a
// second connection under it, or the pool runs dry and they all wait.
func TestManyAccountsRefreshAtOnce(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			n := w.node(t)
			ctx := context.Background()
			accounts := make([]store.Account, 60)
			for i := range accounts {
				tok, err := w.eh.OAuth.MintToken(w.eh.DemoApp.ClientID, w.eh.DemoUser, nil)
				if err != nil {
					t.Fatal(err)
				}
				a := w.account
				a.ID, a.OriginOwnerID = "", fmt.Sprintf("owner-%d", i)
				a.Credentials = store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
					Obtained: w.clk.Now().UTC(), Expiry: w.clk.Now().UTC().Add(time.Second)}
				if accounts[i], err = n.store.CreateAccount(ctx, a, store.EventAccountCreated); err != nil {
					t.Fatal(err)
				}
			}
			w.clk.Advance(2 * time.Second)
			w.eh.Stats.Reset()
			errs := make(chan error, len(accounts))
			var wg sync.WaitGroup
			for _, a := range accounts {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
					defer cancel()
					got, err := n.Valid(ctx, a)
					if err == nil && got.Credentials.AccessToken == a.Credentials.AccessToken {
						err = errors.New("the expired token came back")
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("a refresh failed: %v", err)
				}
			}
			if got := w.eh.Stats.Get("token.refresh_token"); got != int64(len(accounts)) {
				t.Fatalf("the provider saw %d refreshes, want %d", got, len(accounts))
			}
		})
	}
}

// mustApp is app.New's App; wiring fails only on a bad configuration.
func mustApp(a *app.App, err error) *app.App {
	if err != nil {
		panic(err)
	}
	return a
}
