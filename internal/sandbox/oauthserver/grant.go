package oauthserver

import (
	"errors"
	"net/http"
	"strings"
)

// Tenant is a company (Justworks) or organisation (Employment Hero) a user can
// grant access to.
type Tenant struct {
	ID   string
	Name string
	// SSOEnforced marks an Employment Hero organisation that enforces SSO; a token
	// reaches at most one such organisation.
	SSOEnforced bool
}

// User is a person who can sign in on the sandbox's login page.
type User struct {
	ID       string
	Email    string
	Password string
	Name     string
	Role     string // e.g. "admin", "owner", "employee"
	Tenants  []Tenant
}

// Grant is what an access token stands for: who authorized which app, with which
// scopes, for which tenants.
type Grant struct {
	ClientID string
	UserID   string
	Role     string
	Scopes   []string
	// Tenants are the company or organisation ids the token reaches.
	Tenants []string
	// Family is the authorization code the grant came from; refreshed tokens
	// keep it, so that a reused code can revoke every token it led to.
	Family string
}

// HasTenant reports whether the grant reaches the tenant.
func (g Grant) HasTenant(id string) bool {
	for _, t := range g.Tenants {
		if t == id {
			return true
		}
	}
	return false
}

// Errors Authenticate returns; providers turn both into their own 401 body.
var (
	ErrNoToken      = errors.New("no bearer token")
	ErrInvalidToken = errors.New("the access token is invalid, expired or revoked")
)

// Authenticator checks the bearer token of an API request.
type Authenticator interface {
	Authenticate(r *http.Request) (Grant, error)
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}
