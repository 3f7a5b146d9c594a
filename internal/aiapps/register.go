package aiapps

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/patchbayhq/patchbay/internal/store"
)

// Registration is an app's RFC 7591 client metadata; fields Patchbay does not
// use are ignored, as the RFC allows.
type Registration struct {
	RedirectURIs            []string `json:"redirect_uris"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope"`
}

// Registered is the registration answer: the metadata as stored, with the
// client's id and, for a confidential client, its secret (shown once).
type Registered struct {
	ClientID              string   `json:"client_id"`
	ClientSecret          string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64   `json:"client_secret_expires_at,omitempty"`
	RedirectURIs          []string `json:"redirect_uris"`
	ClientName            string   `json:"client_name"`
	ClientURI             string   `json:"client_uri,omitempty"`
	AuthMethod            string   `json:"token_endpoint_auth_method"`
	GrantTypes            []string `json:"grant_types"`
	ResponseTypes         []string `json:"response_types"`
	Scope                 string   `json:"scope"`
}

// Limits of a registration.
const (
	maxRedirectURIs = 10
	maxName         = 100
	maxURI          = 2000
)

// Register stores a new AI app. Anyone may register (the MCP specification
// expects it); registering grants nothing until an admin consents.
func (s *Service) Register(ctx context.Context, r Registration) (Registered, error) {
	if len(r.RedirectURIs) == 0 || len(r.RedirectURIs) > maxRedirectURIs {
		return Registered{}, oauthError("invalid_redirect_uri", "redirect_uris: 1 to %d URIs where the app receives the authorization code", maxRedirectURIs)
	}
	for _, uri := range r.RedirectURIs {
		if err := checkRedirectURI(uri); err != "" {
			return Registered{}, oauthError("invalid_redirect_uri", "redirect_uris: %q %s", uri, err)
		}
	}
	name := strings.TrimSpace(r.ClientName)
	switch {
	case name == "":
		name = "Unnamed app"
	case utf8.RuneCountInString(name) > maxName || strings.ContainsFunc(name, func(c rune) bool { return c < ' ' }):
		return Registered{}, oauthError("invalid_client_metadata", "client_name: at most %d characters, on one line", maxName)
	}
	if r.ClientURI != "" {
		if u, err := url.Parse(r.ClientURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || len(r.ClientURI) > maxURI {
			return Registered{}, oauthError("invalid_client_metadata", "client_uri: an http or https URL of at most %d characters", maxURI)
		}
	}
	method := r.TokenEndpointAuthMethod
	if method == "" {
		method = "client_secret_basic" // RFC 7591 §2's default
	}
	if !slices.Contains(authMethods, method) {
		return Registered{}, oauthError("invalid_client_metadata", "token_endpoint_auth_method: %q is not supported; use none (with PKCE), client_secret_basic or client_secret_post", method)
	}
	grants := r.GrantTypes
	if len(grants) == 0 {
		grants = []string{"authorization_code"}
	}
	for _, g := range grants {
		if g != "authorization_code" && g != "refresh_token" {
			return Registered{}, oauthError("invalid_client_metadata", "grant_types: %q is not supported; use authorization_code and refresh_token", g)
		}
	}
	responses := r.ResponseTypes
	if len(responses) == 0 {
		responses = []string{"code"}
	}
	if len(responses) != 1 || responses[0] != "code" {
		return Registered{}, oauthError("invalid_client_metadata", "response_types: only code is supported")
	}
	c := store.AIClient{ID: store.NewID("aic"), Name: name, RedirectURIs: r.RedirectURIs, ClientURI: r.ClientURI, AuthMethod: method,
		CreatedAt: s.clock.Now().UTC()}
	var secret string
	if method != "none" {
		secret, c.SecretHash = newSecret(secretPrefix)
	}
	if err := s.store.CreateAIClient(ctx, c); err != nil {
		return Registered{}, err
	}
	out := Registered{ClientID: c.ID, ClientSecret: secret, ClientIDIssuedAt: c.CreatedAt.Unix(), RedirectURIs: c.RedirectURIs,
		ClientName: c.Name, ClientURI: c.ClientURI, AuthMethod: method, GrantTypes: grants, ResponseTypes: responses, Scope: Scope}
	if secret != "" {
		never := int64(0)
		out.ClientSecretExpiresAt = &never
	}
	return out, nil
}

// checkRedirectURI says what is wrong with a redirect URI, or "": an absolute
// https URL, a loopback http URL (RFC 8252 §7.3), or an app's private scheme
// (RFC 8252 §7.1, "com.example.app:/callback"); never a fragment.
func checkRedirectURI(uri string) string {
	u, err := url.Parse(uri)
	switch {
	case err != nil || len(uri) > maxURI:
		return "is not a URL of at most 2000 characters"
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return "has a fragment, which OAuth forbids"
	case u.Scheme == "https" && u.Host != "":
		return ""
	case u.Scheme == "http" && loopback(u):
		return ""
	case u.Scheme == "http":
		return "uses http to a host other than the app's own machine; use https, or http://127.0.0.1"
	case u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "file" || u.Scheme == "":
		return "has no usable scheme"
	case strings.Contains(u.Scheme, "."):
		return "" // a private-use scheme, reverse domain name style
	}
	return "is neither https, loopback http, nor an app's reverse-domain scheme"
}
