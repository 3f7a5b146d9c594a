// Package aiapps makes Patchbay the OAuth 2.1 authorization server of the AI
// apps (MCP clients such as ChatGPT, Claude or Cursor) that call its MCP server,
// as the MCP specification's authorization section asks: protected resource
// and authorization server metadata (RFC 9728, RFC 8414), dynamic client
// registration (RFC 7591), the authorization code flow with PKCE S256 and
// resource indicators (RFC 8707), rotating refresh tokens, and revocation
// (RFC 7009). An admin's consent is a grant on one project: the accounts and
// actions the app may use, optionally read-only. The actions executor
// enforces the grant on every call.
package aiapps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Lifetimes of what the authorization server issues.
const (
	CodeTTL    = 5 * time.Minute
	AccessTTL  = time.Hour
	RefreshTTL = 30 * 24 * time.Hour
)

// Scope is the one scope Patchbay's MCP server knows: calling the tools a
// grant allows. What the app may do is chosen on the consent page, not by
// scope strings the app asks for.
const Scope = "mcp"

// Prefixes make the kind of a credential visible where it leaks (logs, a
// pasted config) and let /mcp tell an app's token from an API key.
const (
	accessPrefix  = "pbat_"
	refreshPrefix = "pbrt_"
	codePrefix    = "pbac_"
	secretPrefix  = "pbcs_"
)

// IsAccessToken reports whether a bearer token is one this server issues to AI
// apps (rather than an API key).
func IsAccessToken(token string) bool { return strings.HasPrefix(token, accessPrefix) }

// Service is the authorization server.
type Service struct {
	store     store.Store
	registry  *connectors.Registry
	clock     clock.Clock
	logs      *requestlog.Writer
	publicURL string
}

// Config configures a Service.
type Config struct {
	Store store.Store
	// Registry is the connectors whose actions a consent may grant.
	Registry *connectors.Registry
	// PublicURL is where apps reach this deployment; the issuer and the MCP
	// resource are named from it.
	PublicURL string
	Clock     clock.Clock
	// Logs records grants and token refreshes, as calls are recorded.
	Logs *requestlog.Writer
}

// New returns the service.
func New(c Config) *Service {
	return &Service{store: c.Store, registry: c.Registry, clock: clock.Or(c.Clock), logs: c.Logs, publicURL: strings.TrimRight(c.PublicURL, "/")}
}

// Issuer is the authorization server's identifier.
func (s *Service) Issuer() string { return s.publicURL }

// Resource is the canonical URL of the MCP server, the one protected
// resource: tokens are issued for it alone.
func (s *Service) Resource() string { return s.publicURL + "/mcp" }

// ResourceMetadataURL is where the MCP server's protected resource metadata
// is served; a 401 from /mcp points to it.
func (s *Service) ResourceMetadataURL() string {
	return s.publicURL + "/.well-known/oauth-protected-resource/mcp"
}

// ProtectedResource is the RFC 9728 metadata of the MCP server.
func (s *Service) ProtectedResource() map[string]any {
	return map[string]any{
		"resource":                 s.Resource(),
		"resource_name":            "Patchbay MCP server",
		"authorization_servers":    []string{s.Issuer()},
		"scopes_supported":         []string{Scope},
		"bearer_methods_supported": []string{"header"},
	}
}

// AuthorizationServer is the RFC 8414 metadata.
func (s *Service) AuthorizationServer() map[string]any {
	return map[string]any{
		"issuer":                                         s.Issuer(),
		"authorization_endpoint":                         s.publicURL + "/console/oauth/authorize",
		"token_endpoint":                                 s.publicURL + "/oauth/token",
		"registration_endpoint":                          s.publicURL + "/oauth/register",
		"revocation_endpoint":                            s.publicURL + "/oauth/revoke",
		"scopes_supported":                               []string{Scope},
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"authorization_response_iss_parameter_supported": true,
	}
}

var authMethods = []string{"none", "client_secret_basic", "client_secret_post"}

// Error is an OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2).
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
	// Status is the HTTP status of a JSON answer: 400 unless said.
	Status int `json:"-"`
	// RedirectTo, on an authorization request, is where the browser goes to
	// tell the app; empty when the app's redirect URI cannot be trusted, and
	// the error is shown on the page instead.
	RedirectTo string `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func oauthError(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: 400}
}

// newSecret returns a random credential with its kind's prefix, and its hash.
func newSecret(prefix string) (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	v := prefix + base64.RawURLEncoding.EncodeToString(b)
	return v, hash(v)
}

func hash(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}

// record notes an OAuth event of a grant in the request log, as calls are.
func (s *Service) record(g store.AIGrant, action string, started time.Time) {
	if s.logs == nil {
		return
	}
	now := s.clock.Now().UTC()
	s.logs.Record(store.RequestLog{ProjectID: g.ProjectID, RequestID: store.NewID("req"), Source: store.SourceMCP, ClientID: g.ClientID, Action: action,
		Status: 200, Success: true, StartTime: started.UTC(), EndTime: now, DurationMS: now.Sub(started).Milliseconds()})
}

// Grant is the part of a grant the executor enforces.
func Grant(g store.AIGrant) *actions.Grant {
	return &actions.Grant{ID: g.ID, ClientID: g.ClientID, AccountIDs: g.AccountIDs, OwnerID: g.OwnerID, Actions: g.Actions, ReadOnly: g.ReadOnly}
}

// ErrInvalidToken means a bearer token is unknown, expired, revoked or for
// another resource; /mcp answers 401.
var ErrInvalidToken = errors.New("the access token is invalid, expired, revoked or meant for another resource")

// Authenticate returns the grant an access token carries.
func (s *Service) Authenticate(ctx context.Context, token string) (store.AIGrant, error) {
	g, err := s.store.AIAccess(ctx, hash(token), s.clock.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExpired) {
		return store.AIGrant{}, ErrInvalidToken
	}
	if err != nil {
		return store.AIGrant{}, err
	}
	if g.Resource != s.Resource() {
		return store.AIGrant{}, ErrInvalidToken
	}
	return g, nil
}

// Accounts lists the live accounts a grant reaches, oldest first. A grant
// whose accounts were all deleted reaches none, and is refused.
func (s *Service) Accounts(ctx context.Context, g store.AIGrant) ([]store.Account, error) {
	f := store.AccountFilter{AccountIDs: g.AccountIDs}
	if g.OwnerID != "" {
		f = store.AccountFilter{OriginOwnerIDs: []string{g.OwnerID}}
	}
	list, err := s.store.ListAccounts(ctx, g.ProjectID, f)
	if err != nil {
		return nil, fmt.Errorf("accounts of grant %s: %w", g.ID, err)
	}
	if len(list) == 0 {
		return nil, problem.New(problem.Forbidden, "The accounts %s was granted no longer exist; an admin must connect it again", g.ClientName)
	}
	return list, nil
}

// RevokedKept is how long a revoked grant stays before Sweep deletes it.
const RevokedKept = 30 * 24 * time.Hour

// Sweep deletes expired codes and tokens, and grants revoked more than
// RevokedKept ago: expired ones are refused anyway, and must not pile up.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	_, err := s.store.SweepAI(ctx, now, now.Add(-RevokedKept))
	return err
}

// List lists the project's connected AI apps.
func (s *Service) List(ctx context.Context, projectID string) ([]store.AIGrant, error) {
	return s.store.ListAIGrants(ctx, projectID)
}

// Revoke ends a grant: its tokens stop working at once.
func (s *Service) Revoke(ctx context.Context, projectID, grantID string) error {
	e := audit.Entry(ctx, projectID, "ai_grant.revoked", "ai_grant", grantID)
	err := s.store.RevokeAIGrant(store.WithAudit(ctx, e), projectID, grantID, s.clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "No connected AI app %s in this project", grantID)
	}
	return err
}

// sameSecret compares a presented client secret with the stored hash.
func sameSecret(presented string, stored []byte) bool {
	return subtle.ConstantTimeCompare(hash(presented), stored) == 1
}

// redirectWith adds query parameters to a redirect URI.
func redirectWith(uri string, params url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// loopback reports whether a redirect URI points at the app's own machine
// (RFC 8252 §7.3): such URIs match whatever port the app listens on now.
func loopback(u *url.URL) bool {
	h := u.Hostname()
	return u.Scheme == "http" && (h == "127.0.0.1" || h == "::1" || h == "localhost")
}

// matchRedirect finds the registered redirect URI a request names: exactly,
// or, for a loopback URI, with any port.
func matchRedirect(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || !loopback(u) {
		return false
	}
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err == nil && loopback(ru) && ru.Hostname() == u.Hostname() && ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}
