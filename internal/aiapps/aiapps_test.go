package aiapps_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func newService(t *testing.T) *aiapps.Service {
	return aiapps.New(aiapps.Config{Store: backendtest.SQLite.Open(t, backendtest.TestKeys(t)), Registry: mustRegistry(t), PublicURL: "https://pb.example"})
}

// Registration takes what OAuth allows for a redirect URI and names the
// field and the reason for what it refuses.
func TestRegistrationChecksItsMetadata(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	for _, ok := range []aiapps.Registration{
		{RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}, ClientName: "Claude"},
		{RedirectURIs: []string{"http://127.0.0.1:33418/callback", "http://localhost/cb", "http://[::1]:9/cb"}, TokenEndpointAuthMethod: "none"},
		{RedirectURIs: []string{"com.example.agent:/oauth"}, TokenEndpointAuthMethod: "client_secret_post", GrantTypes: []string{"authorization_code", "refresh_token"}},
	} {
		got, err := s.Register(ctx, ok)
		if err != nil {
			t.Fatalf("%+v refused: %v", ok, err)
		}
		if (got.ClientSecret == "") != (got.AuthMethod == "none") || got.ClientID == "" {
			t.Fatalf("%+v: %+v", ok, got)
		}
	}
	for _, c := range []struct {
		reg  aiapps.Registration
		code string
		says string
	}{
		{aiapps.Registration{}, "invalid_redirect_uri", "redirect_uris"},
		{aiapps.Registration{RedirectURIs: []string{"http://attacker.example/cb"}}, "invalid_redirect_uri", "http to a host other than"},
		{aiapps.Registration{RedirectURIs: []string{"https://app.example/cb#frag"}}, "invalid_redirect_uri", "fragment"},
		{aiapps.Registration{RedirectURIs: []string{"javascript:alert(1)"}}, "invalid_redirect_uri", "scheme"},
		{aiapps.Registration{RedirectURIs: []string{"https://a.example/cb"}, TokenEndpointAuthMethod: "private_key_jwt"}, "invalid_client_metadata", "token_endpoint_auth_method"},
		{aiapps.Registration{RedirectURIs: []string{"https://a.example/cb"}, GrantTypes: []string{"client_credentials"}}, "invalid_client_metadata", "grant_types"},
		{aiapps.Registration{RedirectURIs: []string{"https://a.example/cb"}, ClientName: "two\nlines"}, "invalid_client_metadata", "client_name"},
	} {
		_, err := s.Register(ctx, c.reg)
		e, ok := errors.AsType[*aiapps.Error](err)
		if !ok || e.Code != c.code || !strings.Contains(e.Description, c.says) {
			t.Errorf("%+v: %v, want %s naming %q", c.reg, err, c.code, c.says)
		}
	}
}

// A loopback redirect URI matches on any port (RFC 8252), never on another
// host or path; other URIs match exactly.
func TestAuthorizationMatchesRedirectURIs(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	reg, err := s.Register(ctx, aiapps.Registration{RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example/cb"}, TokenEndpointAuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	request := func(redirect string) url.Values {
		return url.Values{"client_id": {reg.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"},
			"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}, "resource": {"https://pb.example/mcp"}}
	}
	for redirect, allowed := range map[string]bool{
		"http://127.0.0.1:53682/callback": true, "http://127.0.0.1/callback": true, "https://app.example/cb": true,
		"http://127.0.0.1:53682/other": false, "http://localhost:53682/callback": false, "https://app.example:8443/cb": false, "https://app.example/cb/": false,
	} {
		_, err := s.Authorization(ctx, request(redirect))
		if (err == nil) != allowed {
			t.Errorf("%s: %v, allowed %v", redirect, err, allowed)
		}
		if e, ok := errors.AsType[*aiapps.Error](err); ok && e.RedirectTo != "" {
			t.Errorf("%s: an unregistered redirect URI was told the error", redirect)
		}
	}
}

func mustRegistry(t *testing.T) *connectors.Registry {
	t.Helper()
	r, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
