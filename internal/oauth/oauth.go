// Package oauth is Patchbay's OAuth 2.0 client side: where a connector profile's
// provider endpoints are, the authorization-code exchange with PKCE where the
// connector needs it, and token revocation. It builds on golang.org/x/oauth2.
package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
)

// SandboxEnvironment points a profile at the simulators mounted under /sandbox/.
const SandboxEnvironment = "sandbox"

// Endpoints are where one profile's provider lives.
type Endpoints struct {
	AuthorizeURL, TokenURL, RevokeURL string
	APIBaseURL                        string
}

// Site is where this deployment and its simulators are reached.
type Site struct {
	PublicURL string
	// SandboxURL is where profiles in the sandbox environment reach the
	// simulators; empty means the ones mounted at {PublicURL}/sandbox.
	SandboxURL string
}

func (s Site) sandboxBase() string {
	if s.SandboxURL != "" {
		return strings.TrimRight(s.SandboxURL, "/")
	}
	return strings.TrimRight(s.PublicURL, "/") + "/sandbox"
}

// EndpointsFor returns the provider endpoints of a profile's environment. The
// sandbox environment keeps each production path but moves it onto the
// simulator of the connector, {sandbox URL}/{key}.
func EndpointsFor(c *connectors.Connector, environment string, site Site) Endpoints {
	prod := c.Auth.Environments["production"]
	e := Endpoints{AuthorizeURL: prod.AuthorizeURL, TokenURL: prod.TokenURL, RevokeURL: prod.RevokeURL, APIBaseURL: c.API.BaseURL}
	if environment != SandboxEnvironment {
		return e
	}
	base := site.sandboxBase() + "/" + c.Key
	rebase := func(raw string) string {
		if raw == "" {
			return ""
		}
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		return base + u.Path
	}
	return Endpoints{AuthorizeURL: rebase(e.AuthorizeURL), TokenURL: rebase(e.TokenURL), RevokeURL: rebase(e.RevokeURL), APIBaseURL: base}
}

// Client is the OAuth client of one connector profile.
type Client struct {
	Connector *connectors.Connector
	Endpoints Endpoints
	config    *oauth2.Config
	http      *http.Client
}

// NewClient builds the OAuth client of profile p for the deployment at site.
func NewClient(c *connectors.Connector, p store.ConnectorProfile, site Site, httpClient *http.Client) *Client {
	e := EndpointsFor(c, p.Environment, site)
	style := oauth2.AuthStyleInParams
	if c.Auth.ClientAuth == "client_secret_basic" {
		style = oauth2.AuthStyleInHeader
	}
	cfg := &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: c.RedirectURI(site.PublicURL),
		Endpoint: oauth2.Endpoint{AuthURL: e.AuthorizeURL, TokenURL: e.TokenURL, AuthStyle: style},
	}
	if c.Auth.ScopesInAuthorizeRequest {
		if res, err := c.Calculate(connectors.Selection{Actions: p.EnabledActions, ExtraScopes: p.ExtraScopes}); err == nil {
			cfg.Scopes = res.Scopes
		}
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{Connector: c, Endpoints: e, config: cfg, http: httpClient}
}

// UsesPKCE reports whether authorization requests carry an S256 challenge.
func (cl *Client) UsesPKCE() bool { return cl.Connector.Auth.PKCE == "S256" }

// AuthorizeURL is where to send the user; verifier is empty without PKCE.
func (cl *Client) AuthorizeURL(state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if len(cl.config.Scopes) > 0 && cl.Connector.Auth.ScopeSeparator != " " {
		// x/oauth2 joins scopes with spaces; honour the provider's separator.
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(cl.config.Scopes, cl.Connector.Auth.ScopeSeparator)))
	}
	return cl.config.AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code for credentials.
func (cl *Client) Exchange(ctx context.Context, code, verifier string) (store.Credentials, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, cl.http)
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := cl.config.Exchange(ctx, code, opts...)
	if err != nil {
		return store.Credentials{}, err
	}
	return credentialsOf(tok), nil
}

// Refresh trades a refresh token for new credentials. Where the provider sends
// no new refresh token, the old one is kept.
func (cl *Client) Refresh(ctx context.Context, refreshToken string) (store.Credentials, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, cl.http)
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	tok, err := cl.config.TokenSource(ctx, expired).Token()
	if err != nil {
		return store.Credentials{}, err
	}
	return credentialsOf(tok), nil
}

// credentialsOf keeps what Patchbay stores of a token response.
func credentialsOf(tok *oauth2.Token) store.Credentials {
	c := store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType,
		Expiry: tok.Expiry.UTC(), Obtained: time.Now().UTC()}
	if scope, ok := tok.Extra("scope").(string); ok && scope != "" {
		c.Scopes = strings.Fields(scope)
	}
	return c
}

// Revoke revokes a token where the provider has a revocation endpoint (RFC 7009);
// it does nothing where the provider has none.
func (cl *Client) Revoke(ctx context.Context, token string) error {
	if cl.Endpoints.RevokeURL == "" || token == "" {
		return nil
	}
	form := url.Values{"token": {token}, "client_id": {cl.config.ClientID}, "client_secret": {cl.config.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, "POST", cl.Endpoints.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cl.http.Do(req)
	if err != nil {
		return fmt.Errorf("revoke at %s: %w", cl.Connector.Name, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("revoke at %s: status %d", cl.Connector.Name, resp.StatusCode)
	}
	return nil
}

// Get calls an API path with the account's access token and returns the body.
func (cl *Client) Get(ctx context.Context, accessToken, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", cl.Endpoints.APIBaseURL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return body, nil
}

// RevokeAccount revokes an account's provider token where the provider supports
// revocation, using the account's connector profile.
func RevokeAccount(ctx context.Context, reg *connectors.Registry, st store.Store, site Site, httpClient *http.Client, a store.Account) error {
	c, ok := reg.Get(a.Provider)
	if !ok {
		return nil
	}
	p, err := st.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID)
	if err != nil {
		return fmt.Errorf("revoke account %s: %w", a.ID, err)
	}
	token := a.Credentials.RefreshToken
	if token == "" {
		token = a.Credentials.AccessToken
	}
	return NewClient(c, p, site, httpClient).Revoke(ctx, token)
}
