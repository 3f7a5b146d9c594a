// Package sandbox runs faithful local simulators of the providers Patchbay
// connects to: each has its OAuth 2.0 authorization server, its API over
// generated data, and test controls (stats, faults) under /_sim/. They serve the
// demo, every test, and integrators waiting for partner access.
package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/httpsec"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
	"github.com/patchbayhq/patchbay/internal/sandbox/employmenthero"
	"github.com/patchbayhq/patchbay/internal/sandbox/justworks"
	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

// Options configures both simulators.
type Options struct {
	// Seed and Members shape the generated data; the same values give the same data.
	Seed    int64
	Members int
	// AccessTTL overrides the providers' access-token lifetimes (by connector key);
	// tests set a second to make tokens expire quickly.
	AccessTTL map[string]time.Duration
	// RotationGrace keeps a rotated refresh token usable this long.
	RotationGrace time.Duration
	// RedirectURIs are registered for the demo app of each provider; "{key}" is
	// replaced by the connector key.
	RedirectURIs []string
	// NoRateLimit turns off Employment Hero's request limits (for load tests).
	NoRateLimit bool
	// Clock dates the simulators' codes and tokens; nil means the system clock.
	Clock clock.Clock
	// ControlToken is the bearer token the test controls (/_sim/) require;
	// empty makes a random one (Sandbox.ControlToken).
	ControlToken string
	// StateDir, when set, keeps each simulator's apps and tokens in a file
	// there (sandbox-<key>.json), so that linked accounts outlive a restart and
	// several processes in one folder accept each other's tokens.
	StateDir string
}

// Sandbox holds one simulator per provider.
type Sandbox struct {
	Providers    []*Provider
	controlToken string
}

// ControlToken is the bearer token the simulators' test controls require.
func (s *Sandbox) ControlToken() string { return s.controlToken }

// Provider is one running simulator.
type Provider struct {
	Key     string
	Name    string
	OAuth   *oauthserver.Server
	Stats   *simctl.Stats
	Faults  *simctl.Faults
	DemoApp oauthserver.App
	// DemoUser is the email of the seeded admin who can sign in (password "sandbox").
	DemoUser string
	handler  http.Handler
	change   changeFunc
	clock    clock.Clock
}

// changeFunc adds, edits and removes people of the demo company, returning
// their ids.
type changeFunc func(add, update, remove int, now time.Time) (added, updated, removed []string)

// ServeHTTP serves the simulator rooted at "/".
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Provider returns the simulator for a connector key.
func (s *Sandbox) Provider(key string) (*Provider, bool) {
	i := slices.IndexFunc(s.Providers, func(p *Provider) bool { return p.Key == key })
	if i < 0 {
		return nil, false
	}
	return s.Providers[i], true
}

// New generates the data and builds both simulators.
func New(o Options) (*Sandbox, error) {
	registry, err := connectors.Embedded()
	if err != nil {
		return nil, err
	}
	scopes := func(key string) []string {
		c, _ := registry.Get(key)
		var out []string
		for _, s := range c.Scopes {
			out = append(out, s.ID)
		}
		return out
	}
	ttl := func(key string, def time.Duration) time.Duration {
		if d, ok := o.AccessTTL[key]; ok && d > 0 {
			return d
		}
		return def
	}

	if o.ControlToken == "" {
		o.ControlToken = rand.Text()
	}
	jw := justworks.Generate(justworks.Options{Seed: o.Seed, Members: o.Members})
	jwCfg := oauthserver.Config{
		Name: "Justworks", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token",
		RevokePaths: []string{"/v1/oauth/revoke", "/oauth/revoke"},
		BasicAuth:   true, RequestScopes: true, KnownScopes: scopes("justworks"),
		SensitiveScopes: []string{"member.dob:read", "member.sex:read"},
		ScopeInResponse: true, TokenType: "Bearer",
		AccessTTL: ttl("justworks", 24*time.Hour), RefreshTTL: 30 * 24 * time.Hour, RotationGrace: o.RotationGrace, Clock: o.Clock,
	}
	jwProvider, err := newProvider("justworks", jwCfg, jw.Users(), justworks.DemoAdminEmail, scopes("justworks"), o,
		func(auth oauthserver.Authenticator) http.Handler {
			return justworks.NewAPI(jw, auth, justworks.APIOptions{})
		}, nil, func(add, update, remove int, now time.Time) ([]string, []string, []string) {
			return jw.Change(justworks.DemoCompanyID, add, update, remove, now)
		})
	if err != nil {
		return nil, err
	}

	eh := employmenthero.Generate(employmenthero.Options{Seed: o.Seed, Members: o.Members})
	ehCfg := oauthserver.Config{
		Name: "Employment Hero", AuthorizePath: "/oauth2/authorize", TokenPath: "/oauth2/token",
		PKCERequired: true, TokenType: "bearer", OneSSOTenant: true,
		AccessTTL: ttl("employmenthero", 15*time.Minute), RotationGrace: o.RotationGrace, Clock: o.Clock,
	}
	var limiter *ratelimit.Limiter
	if !o.NoRateLimit {
		// 20 requests a second and 100 a minute per grant, as Employment Hero documents.
		limiter = ratelimit.New(ratelimit.Limit{Requests: 20, Window: time.Second}, ratelimit.Limit{Requests: 100, Window: time.Minute})
	}
	demoOrg := eh.Organisations()[0].ID
	ehProvider, err := newProvider("employmenthero", ehCfg, eh.Users(), employmenthero.DemoOwnerEmail, scopes("employmenthero"), o,
		func(auth oauthserver.Authenticator) http.Handler {
			return employmenthero.NewAPI(eh, auth, employmenthero.APIOptions{})
		},
		limiter, func(add, update, remove int, now time.Time) ([]string, []string, []string) {
			return eh.Change(demoOrg, add, update, remove, now)
		})
	if err != nil {
		return nil, err
	}
	return &Sandbox{Providers: []*Provider{ehProvider, jwProvider}, controlToken: o.ControlToken}, nil
}

func newProvider(key string, cfg oauthserver.Config, users []oauthserver.User, demoUser string, scopes []string, o Options,
	api func(oauthserver.Authenticator) http.Handler, limiter *ratelimit.Limiter, change changeFunc) (*Provider, error) {
	stats := simctl.NewStats()
	p := &Provider{Key: key, Name: cfg.Name, Stats: stats, Faults: simctl.NewFaults(stats), DemoUser: demoUser,
		change: change, clock: clock.Or(o.Clock)}
	if o.StateDir != "" {
		cfg.StateFile = filepath.Join(o.StateDir, "sandbox-"+key+".json")
	}
	p.OAuth = oauthserver.New(cfg, users, stats)
	var redirects []string
	for _, u := range o.RedirectURIs {
		redirects = append(redirects, strings.ReplaceAll(u, "{key}", key))
	}
	if len(redirects) == 0 {
		redirects = []string{"http://localhost:8080/connect/oauth2/" + key + "/callback"}
	}
	var err error
	demo := DemoApp(key)
	demo.RedirectURIs, demo.Scopes = redirects, scopes
	p.DemoApp, err = p.OAuth.RegisterApp(demo)
	if err != nil {
		return nil, fmt.Errorf("%s demo app: %w", key, err)
	}

	var apiHandler http.Handler = countCalls(stats, api(p.OAuth))
	if limiter != nil {
		apiHandler = simctl.RateLimit(limiter, grantKey(p.OAuth), stats, func(w http.ResponseWriter) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429, "error": "Too many requests"})
		}, apiHandler)
	}
	mux := http.NewServeMux()
	p.OAuth.Register(mux)
	p.registerControls(mux, o.ControlToken)
	mux.Handle("/", apiHandler)
	p.handler = p.Faults.Middleware(mux)
	return p, nil
}

// DemoApp returns the credentials of the demo app every simulator registers at
// start; they are fixed so that a demo profile keeps working across restarts.
func DemoApp(key string) oauthserver.App {
	return oauthserver.App{ClientID: "sandbox-" + key, ClientSecret: "sandbox-" + key + "-secret"}
}

// grantKey rate-limits per grant (client and user); unauthenticated requests pass
// through to the API, which answers 401.
func grantKey(auth oauthserver.Authenticator) func(*http.Request) string {
	return func(r *http.Request) string {
		g, err := auth.Authenticate(r)
		if err != nil {
			return ""
		}
		return g.ClientID + "|" + g.UserID
	}
}

// countCalls counts API calls by route, e.g. "api.GET /v1/members".
func countCalls(stats *simctl.Stats, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		route := r.Pattern
		if route == "" {
			route = r.Method + " (unmatched)"
		}
		stats.Inc("api." + route)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Handler serves every simulator under /{key}/, e.g. /justworks/oauth/authorize.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range s.Providers {
		mux.Handle("/"+p.Key+"/", http.StripPrefix("/"+p.Key, p))
	}
	return httpsec.Headers(mux)
}
