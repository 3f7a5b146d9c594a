// Package oauthserver is the sandbox's OAuth 2.0 authorization server: app
// registration, a login page for seeded users, a consent page, single-use codes,
// PKCE, opaque tokens with rotating refresh tokens, and revocation. One Config per
// provider reproduces that provider's documented behaviour.
package oauthserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

// Config is one provider's authorization-server behaviour.
type Config struct {
	// Name is shown on the login and consent pages, e.g. "Justworks".
	Name string
	// AuthorizePath and TokenPath are where the endpoints live; RevokePaths may
	// be empty when the provider has no revocation endpoint.
	AuthorizePath string
	TokenPath     string
	RevokePaths   []string
	// PKCERequired refuses authorize requests without an S256 challenge. Without
	// it, PKCE is still checked whenever a challenge was sent.
	PKCERequired bool
	// BasicAuth also accepts client credentials by HTTP Basic.
	BasicAuth bool
	// RequestScopes narrows the grant to the requested scopes; otherwise the scope
	// parameter is ignored and the app's registered scopes are granted.
	RequestScopes bool
	// KnownScopes, when set, makes an unknown requested scope an invalid_scope error.
	KnownScopes []string
	// SensitiveScopes are granted only when the user ticks the consent checkbox.
	SensitiveScopes []string
	// ScopeInResponse reports the granted scopes in token responses.
	ScopeInResponse bool
	// TokenType is the token_type value ("Bearer", "bearer").
	TokenType string
	// AccessTTL and RefreshTTL are token lifetimes; a zero RefreshTTL never expires.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// ReuseRefreshTokens returns the same refresh token on refresh instead of
	// rotating it (a lenient mode some clients report).
	ReuseRefreshTokens bool
	// RotationGrace keeps a rotated refresh token usable for a short while.
	RotationGrace time.Duration
	// OneSSOTenant limits a grant to one SSO-enforcing tenant (Employment Hero).
	OneSSOTenant bool
	// Clock dates codes and tokens; nil means the system clock.
	Clock clock.Clock
	// StateFile, when set, keeps apps and tokens on disk (see savedState), so
	// that they outlive a restart and are shared by processes naming the file.
	StateFile string
}

// App is a registered OAuth client.
type App struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
}

// Server is one provider's authorization server. It is safe for concurrent use.
type Server struct {
	cfg   Config
	stats *simctl.Stats
	users []User
	now   func() time.Time

	mu       sync.Mutex
	apps     map[string]App
	pending  map[string]*pendingAuth // authorize requests awaiting login and consent
	codes    map[string]*codeGrant
	access   map[string]*accessToken
	refreshs map[string]*refreshToken
	sweepAt  int // pending authorizations and codes that trigger the next sweep
}

// InFlight counts the sign-ins under way: pending authorizations and codes not
// yet exchanged.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) + len(s.codes)
}

// sweepLocked drops expired pending authorizations and codes once their number
// has doubled since the last sweep, so abandoned sign-ins cannot pile up.
func (s *Server) sweepLocked() {
	if len(s.pending)+len(s.codes) < s.sweepAt {
		return
	}
	now := s.now()
	for id, p := range s.pending {
		if now.After(p.expires) {
			delete(s.pending, id)
		}
	}
	for code, c := range s.codes {
		if !now.Before(c.expires) {
			delete(s.codes, code)
		}
	}
	s.sweepAt = max(2*(len(s.pending)+len(s.codes)), minSweep)
}

// minSweep is the fewest sign-ins in flight that make a sweep worth it.
const minSweep = 1024

type pendingAuth struct {
	app                App
	redirectURI, state string
	scopes             []string
	requested          string // the authorize request's scope parameter
	challenge, method  string
	user               *User
	expires            time.Time
}

type codeGrant struct {
	grant             Grant
	requested         string // the authorize request's scope parameter
	redirectURI       string
	challenge, method string
	expires           time.Time
	used              bool
}

type accessToken struct {
	grant   Grant
	expires time.Time
	refresh string // the refresh token it was issued with
	revoked bool
}

type refreshToken struct {
	grant     Grant
	expires   time.Time // zero: never
	rotatedAt time.Time // zero: current
	revoked   bool
}

// New returns a server for cfg with the given users; stats counts token grants.
func New(cfg Config, users []User, stats *simctl.Stats) *Server {
	s := &Server{
		cfg: cfg, users: users, stats: stats, now: clock.Or(cfg.Clock).Now,
		apps: map[string]App{}, pending: map[string]*pendingAuth{}, codes: map[string]*codeGrant{},
		access: map[string]*accessToken{}, refreshs: map[string]*refreshToken{}, sweepAt: minSweep,
	}
	s.reloadLocked() // nothing else can hold s yet
	return s
}

// RegisterApp registers (or replaces) a client. Empty credentials are generated.
func (s *Server) RegisterApp(app App) (App, error) {
	if len(app.RedirectURIs) == 0 {
		return App{}, errors.New("redirect_uris: at least one is required")
	}
	for _, sc := range app.Scopes {
		if s.cfg.KnownScopes != nil && !slices.Contains(s.cfg.KnownScopes, sc) {
			return App{}, fmt.Errorf("scopes: %q is not a scope of %s", sc, s.cfg.Name)
		}
	}
	if app.ClientID == "" {
		app.ClientID = "app_" + randomToken(12)
	}
	if app.ClientSecret == "" {
		app.ClientSecret = randomToken(24)
	}
	s.mu.Lock()
	s.apps[app.ClientID] = app
	s.persistLocked()
	s.mu.Unlock()
	return app, nil
}

// Users returns the users who can sign in.
func (s *Server) Users() []User { return slices.Clone(s.users) }

// Authenticate implements Authenticator.
func (s *Server) Authenticate(r *http.Request) (Grant, error) {
	tok, ok := bearer(r)
	if !ok {
		return Grant{}, ErrNoToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.access[tok]
	if !ok {
		s.reloadLocked() // another process sharing the state file may have issued it
		a, ok = s.access[tok]
	}
	if !ok || a.revoked || !s.now().Before(a.expires) {
		return Grant{}, ErrInvalidToken
	}
	return a.grant, nil
}

// TokenResponse is the JSON body of a successful token request.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope,omitempty"`
}

// MintToken issues tokens for a user and app without the browser flow, for
// developers and tests that need a token quickly. scopes defaults to the app's.
func (s *Server) MintToken(clientID, email string, scopes []string) (TokenResponse, error) {
	s.mu.Lock()
	app, ok := s.apps[clientID]
	s.mu.Unlock()
	if !ok {
		return TokenResponse{}, fmt.Errorf("client_id: no app %q", clientID)
	}
	u := s.userByEmail(email)
	if u == nil {
		return TokenResponse{}, fmt.Errorf("email: no user %q", email)
	}
	granted := app.Scopes
	if scopes != nil {
		granted = intersect(app.Scopes, scopes)
	}
	g := s.newGrant(app, u, granted)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(g, ""), nil
}

func (s *Server) newGrant(app App, u *User, scopes []string) Grant {
	g := Grant{ClientID: app.ClientID, UserID: u.ID, Role: u.Role, Scopes: scopes}
	sso := false
	for _, t := range u.Tenants {
		if t.SSOEnforced && s.cfg.OneSSOTenant {
			if sso {
				continue // a token reaches at most one SSO-enforcing organisation
			}
			sso = true
		}
		g.Tenants = append(g.Tenants, t.ID)
	}
	return g
}

// issueLocked creates an access token and, unless reuse is set, a refresh token.
func (s *Server) issueLocked(g Grant, reuseRefresh string) TokenResponse {
	now := s.now()
	refresh := reuseRefresh
	if refresh == "" {
		refresh = randomToken(32)
		rt := &refreshToken{grant: g}
		if s.cfg.RefreshTTL > 0 {
			rt.expires = now.Add(s.cfg.RefreshTTL)
		}
		s.refreshs[refresh] = rt
	}
	access := randomToken(32)
	s.access[access] = &accessToken{grant: g, expires: now.Add(s.cfg.AccessTTL), refresh: refresh}
	s.persistLocked()
	resp := TokenResponse{AccessToken: access, TokenType: s.cfg.TokenType, ExpiresIn: int(s.cfg.AccessTTL.Seconds()), RefreshToken: refresh}
	if resp.ExpiresIn == 0 {
		resp.ExpiresIn = 1 // sub-second test lifetimes still expire "in a second"
	}
	if s.cfg.ScopeInResponse {
		resp.Scope = joinScopes(g.Scopes)
	}
	return resp
}

func (s *Server) userByEmail(email string) *User {
	for i := range s.users {
		if s.users[i].Email == email {
			return &s.users[i]
		}
	}
	return nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func intersect(have, want []string) []string {
	out := []string{}
	for _, s := range have {
		if slices.Contains(want, s) {
			out = append(out, s)
		}
	}
	return out
}

func joinScopes(scopes []string) string {
	out := ""
	for i, s := range scopes {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

// verifyPKCE checks a code_verifier against the stored challenge.
func verifyPKCE(challenge, method, verifier string) bool {
	if challenge == "" {
		return true
	}
	if verifier == "" {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
