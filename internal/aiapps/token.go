package aiapps

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"

	"github.com/patchbayhq/patchbay/internal/store"
)

// ClientCredentials are how a client identified itself to the token or
// revocation endpoint: HTTP Basic (client_secret_basic) or form fields.
type ClientCredentials struct {
	ID, Secret string
	Basic      bool
}

// TokenAnswer is the token endpoint's success answer (RFC 6749 §5.1).
type TokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// client authenticates the client of a token or revocation request.
func (s *Service) client(ctx context.Context, cc ClientCredentials) (store.AIClient, error) {
	unknown := &Error{Code: "invalid_client", Description: "client authentication failed: unknown client_id or wrong secret", Status: 401}
	if cc.ID == "" {
		unknown.Description = "client_id is missing"
		return store.AIClient{}, unknown
	}
	c, err := s.store.GetAIClient(ctx, cc.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AIClient{}, unknown
	}
	if err != nil {
		return store.AIClient{}, err
	}
	if c.SecretHash != nil && !sameSecret(cc.Secret, c.SecretHash) {
		return store.AIClient{}, unknown
	}
	return c, nil
}

// Token answers a token request: an authorization code exchange or a refresh.
func (s *Service) Token(ctx context.Context, form url.Values, cc ClientCredentials) (TokenAnswer, error) {
	c, err := s.client(ctx, cc)
	if err != nil {
		return TokenAnswer{}, err
	}
	if res := form.Get("resource"); res != "" && !sameResource(res, s.Resource()) {
		return TokenAnswer{}, oauthError("invalid_target", "resource %s is not this server's MCP endpoint, %s", res, s.Resource())
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		return s.exchange(ctx, c, form)
	case "refresh_token":
		return s.refresh(ctx, c, form)
	case "":
		return TokenAnswer{}, oauthError("invalid_request", "grant_type is missing")
	default:
		return TokenAnswer{}, oauthError("unsupported_grant_type", "grant_type %q is not supported; use authorization_code or refresh_token", gt)
	}
}

// exchange trades a code for tokens. A code presented twice revokes its grant
// (RFC 6749 §4.1.2): one of the two presenters stole it.
func (s *Service) exchange(ctx context.Context, c store.AIClient, form url.Values) (TokenAnswer, error) {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		return TokenAnswer{}, oauthError("invalid_request", "code is missing")
	}
	if verifier == "" {
		return TokenAnswer{}, oauthError("invalid_request", "code_verifier is missing: PKCE is required")
	}
	return s.redeem(ctx, c, code, store.AICode, "oauth_token", "the code was used before; the grant it carried is revoked",
		func(t store.AIToken) error {
			switch {
			case form.Get("redirect_uri") != "" && form.Get("redirect_uri") != t.RedirectURI:
				return oauthError("invalid_grant", "redirect_uri differs from the authorization request's")
			case !verifies(verifier, t.CodeChallenge):
				return oauthError("invalid_grant", "code_verifier does not match the code_challenge")
			}
			return nil
		})
}

// refresh rotates a refresh token. Presenting one already rotated away
// revokes the grant (OAuth 2.1 §4.3.1): the token leaked.
func (s *Service) refresh(ctx context.Context, c store.AIClient, form url.Values) (TokenAnswer, error) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return TokenAnswer{}, oauthError("invalid_request", "refresh_token is missing")
	}
	return s.redeem(ctx, c, rt, store.AIRefreshToken, "oauth_refresh",
		"the refresh token was used before and rotated away; the grant is revoked, authorize again", func(store.AIToken) error { return nil })
}

// redeem uses a code or refresh token of client c once, for a new access
// and refresh token: unless it belongs to another client, expired, or fails
// check; a second use revokes the grant (replayed says so). The request log
// notes it as action.
func (s *Service) redeem(ctx context.Context, c store.AIClient, secret, kind, action, replayed string, check func(store.AIToken) error) (TokenAnswer, error) {
	what := map[string]string{store.AICode: "code", store.AIRefreshToken: "refresh token"}[kind]
	started := s.clock.Now()
	var answer TokenAnswer
	var failure error
	g, err := s.store.RedeemAIToken(ctx, hash(secret), kind, func(g store.AIGrant, t store.AIToken) (store.AIRedemption, error) {
		switch {
		case g.ClientID != c.ID:
			return store.AIRedemption{}, oauthError("invalid_grant", "the %s was issued to another client", what)
		case !t.UsedAt.IsZero():
			failure = oauthError("invalid_grant", "%s", replayed)
			return store.AIRedemption{RevokeGrant: true}, nil
		case !t.ExpiresAt.After(s.clock.Now()):
			return store.AIRedemption{}, oauthError("invalid_grant", "the %s expired; authorize again", what)
		}
		if err := check(t); err != nil {
			return store.AIRedemption{}, err
		}
		var issue []store.AIToken
		answer, issue = s.issue(g)
		return store.AIRedemption{Issue: issue}, nil
	})
	if err = redeemed(err, failure); err != nil {
		return TokenAnswer{}, err
	}
	s.record(g, action, started)
	return answer, nil
}

// redeemed maps a redemption's outcome to the token endpoint's error.
func redeemed(err, failure error) error {
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	if errors.Is(err, store.ErrNotFound) {
		return oauthError("invalid_grant", "the code or refresh token is unknown, or its grant was revoked")
	}
	if err != nil {
		return err
	}
	return failure
}

// issue makes a new access and refresh token for the grant.
func (s *Service) issue(g store.AIGrant) (TokenAnswer, []store.AIToken) {
	now := s.clock.Now()
	access, accessHash := newSecret(accessPrefix)
	refresh, refreshHash := newSecret(refreshPrefix)
	return TokenAnswer{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(AccessTTL.Seconds()), RefreshToken: refresh, Scope: Scope},
		[]store.AIToken{
			{Hash: accessHash, GrantID: g.ID, Kind: store.AIAccessToken, ExpiresAt: now.Add(AccessTTL)},
			{Hash: refreshHash, GrantID: g.ID, Kind: store.AIRefreshToken, ExpiresAt: now.Add(RefreshTTL)},
		}
}

// verifies checks a PKCE verifier (RFC 7636: 43 to 128 characters) against
// its S256 challenge.
func verifies(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// RevokeToken answers RFC 7009 revocation: an unknown token is no error, so
// the answer never tells whether a token existed.
func (s *Service) RevokeToken(ctx context.Context, token string, cc ClientCredentials) error {
	c, err := s.client(ctx, cc)
	if err != nil {
		return err
	}
	if token == "" {
		return oauthError("invalid_request", "token is missing")
	}
	return s.store.RevokeAIToken(ctx, c.ID, hash(token), s.clock.Now())
}
