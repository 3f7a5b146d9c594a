// Package oauth is the client side of OAuth 2.0 as Patchbay's providers speak
// it: the authorization URL (with a PKCE challenge where required), the code
// exchange, refresh, and revocation (RFC 7009). Like golang.org/x/oauth2, on
// which it builds, it knows nothing of Patchbay's records: a Config in, a Token out.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"golang.org/x/oauth2"
)

// Config is one OAuth client registered with one authorization server.
type Config struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
	RevokeURL              string // empty where the server cannot revoke
	RedirectURL            string
	// Scopes go in the authorization URL, joined with ScopeSeparator (a space when empty).
	Scopes         []string
	ScopeSeparator string
	// PKCE sends an S256 code challenge; the caller keeps the verifier.
	PKCE bool
	// BasicAuth sends the client credentials in the Authorization header
	// (client_secret_basic) instead of the form (client_secret_post).
	BasicAuth bool
	// HTTPClient makes the requests; nil means one with a 30-second timeout.
	HTTPClient *http.Client
	// Now dates a token's expiry; nil means the system clock.
	Now func() time.Time
}

// Token is what a token endpoint granted.
type Token struct {
	AccessToken  string
	RefreshToken string // empty when the server sent none
	TokenType    string
	Expiry       time.Time // zero when the server gave no lifetime
	Scopes       []string  // empty when the server did not say
	Obtained     time.Time
}

// Error is an error answer from a token or revocation endpoint.
type Error struct {
	Status      int
	Code        string // the OAuth error code, e.g. invalid_grant
	Description string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("status %d", e.Status)
	}
	return fmt.Sprintf("status %d %s", e.Status, e.Code)
}

// StatusCode is the HTTP status of the answer.
func (e *Error) StatusCode() int { return e.Status }

// ErrorCode is the OAuth error code of the answer, empty when it had none.
func (e *Error) ErrorCode() string { return e.Code }

// GenerateVerifier returns a new PKCE code verifier.
func GenerateVerifier() string { return oauth2.GenerateVerifier() }

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return clock.System.Now()
}

func (c *Config) client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Config) x() *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if c.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL, Scopes: c.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: style}}
}

// AuthCodeURL is where to send the user; verifier is the PKCE verifier when PKCE is on.
func (c *Config) AuthCodeURL(state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if c.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if len(c.Scopes) > 0 && c.ScopeSeparator != "" && c.ScopeSeparator != " " {
		// x/oauth2 joins scopes with spaces; honour the server's separator.
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(c.Scopes, c.ScopeSeparator)))
	}
	return c.x().AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code for a token.
func (c *Config) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	var opts []oauth2.AuthCodeOption
	if c.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.x().Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.client()), code, opts...)
	return c.token(tok, err)
}

// Refresh trades a refresh token for a new token. The new token's RefreshToken
// is empty when the server did not rotate it.
func (c *Config) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	tok, err := c.x().TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.client()), expired).Token()
	if err == nil && tok.RefreshToken == refreshToken {
		tok.RefreshToken = "" // x/oauth2 carries the old one over; say what the server sent
	}
	return c.token(tok, err)
}

// token keeps what the caller needs of an x/oauth2 answer, dating the expiry
// by the config's clock rather than the library's.
func (c *Config) token(tok *oauth2.Token, err error) (Token, error) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return Token{}, &Error{Status: status, Code: re.ErrorCode, Description: re.ErrorDescription}
	}
	if err != nil {
		return Token{}, err
	}
	now := c.now().UTC()
	t := Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Obtained: now}
	switch {
	case tok.ExpiresIn > 0:
		t.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		t.Expiry = tok.Expiry.UTC()
	}
	if scope, ok := tok.Extra("scope").(string); ok && scope != "" {
		t.Scopes = strings.Fields(scope)
	}
	return t, nil
}

// Revoke revokes a token (RFC 7009); it does nothing without a RevokeURL.
func (c *Config) Revoke(ctx context.Context, token string) error {
	if c.RevokeURL == "" || token == "" {
		return nil
	}
	form := url.Values{"token": {token}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, "POST", c.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client().Do(req)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("revoke: %w", &Error{Status: resp.StatusCode})
	}
	return nil
}
