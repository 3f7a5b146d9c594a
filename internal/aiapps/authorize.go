package aiapps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Request is an authorization request that passed every check: what the
// consent page shows and, with the admin's choices, approves.
type Request struct {
	Client      store.AIClient
	RedirectURI string
	State       string
	Challenge   string // PKCE S256 code challenge
	Resource    string
	Scope       string
}

// Query is the request as the authorization endpoint's query string, for a
// consent form to carry it to the approval.
func (r Request) Query() url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {r.Client.ID}, "redirect_uri": {r.RedirectURI},
		"code_challenge": {r.Challenge}, "code_challenge_method": {"S256"}, "resource": {r.Resource}}
	if r.State != "" {
		q.Set("state", r.State)
	}
	if r.Scope != "" {
		q.Set("scope", r.Scope)
	}
	return q
}

// Authorization checks an authorization request. An unknown client or a
// redirect URI it did not register is shown to the person (the app cannot be
// told safely); anything else wrong is sent back to the app (Error.RedirectTo).
func (s *Service) Authorization(ctx context.Context, q url.Values) (Request, error) {
	id := q.Get("client_id")
	if id == "" {
		return Request{}, oauthError("invalid_request", "client_id is missing: the app must register first")
	}
	c, err := s.store.GetAIClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Request{}, oauthError("invalid_client", "No app is registered as %s; it must register again", id)
	}
	if err != nil {
		return Request{}, err
	}
	r := Request{Client: c, RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Challenge: q.Get("code_challenge"),
		Resource: q.Get("resource"), Scope: q.Get("scope")}
	switch {
	case r.RedirectURI == "" && len(c.RedirectURIs) == 1:
		r.RedirectURI = c.RedirectURIs[0]
	case r.RedirectURI == "":
		return Request{}, oauthError("invalid_request", "redirect_uri is missing, and %s registered several", c.Name)
	case !matchRedirect(c.RedirectURIs, r.RedirectURI):
		return Request{}, oauthError("invalid_request", "redirect_uri %s is not one %s registered", r.RedirectURI, c.Name)
	}
	back := func(code, format string, args ...any) (Request, error) {
		e := oauthError(code, format, args...)
		e.RedirectTo = s.errorRedirect(r, e)
		return Request{}, e
	}
	switch {
	case q.Get("response_type") != "code":
		return back("unsupported_response_type", "response_type must be code")
	case r.Challenge == "":
		return back("invalid_request", "code_challenge is missing: PKCE with S256 is required")
	case q.Get("code_challenge_method") != "S256":
		return back("invalid_request", "code_challenge_method must be S256; plain is not accepted")
	case len(r.Challenge) != 43:
		return back("invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the verifier")
	case r.Resource == "":
		return back("invalid_target", "resource is missing: name the MCP server, %s", s.Resource())
	case !sameResource(r.Resource, s.Resource()):
		return back("invalid_target", "resource %s is not this server's MCP endpoint, %s", r.Resource, s.Resource())
	}
	r.Resource = s.Resource()
	for _, scope := range strings.Fields(r.Scope) {
		if scope != Scope {
			return back("invalid_scope", "scope %q is unknown; the only scope is %s (what the app may do is chosen on the consent page)", scope, Scope)
		}
	}
	return r, nil
}

// sameResource compares resource indicators, ignoring one trailing slash.
func sameResource(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }

func (s *Service) errorRedirect(r Request, e *Error) string {
	params := url.Values{"error": {e.Code}, "error_description": {e.Description}, "iss": {s.Issuer()}}
	if r.State != "" {
		params.Set("state", r.State)
	}
	return redirectWith(r.RedirectURI, params)
}

// Deny is where the browser goes when the admin refuses.
func (s *Service) Deny(r Request) string {
	return s.errorRedirect(r, &Error{Code: "access_denied", Description: "An admin declined to connect " + r.Client.Name})
}

// Consent is what an admin chose on the consent page.
type Consent struct {
	ProjectID string
	// AccountIDs are the accounts granted; OwnerID instead grants every
	// account of one end user (origin_owner_id), those linked later too.
	AccountIDs []string
	OwnerID    string
	Actions    []string
	// Tools, glob patterns over action ids ("justworks_*,!*_delete_*"),
	// narrows Actions further.
	Tools    string
	ReadOnly bool
}

// Approve records the admin's consent as a grant and returns where the
// browser goes next: the app's redirect URI with the code. The admin must be
// given the project; the accounts must be the project's, and the actions
// enabled on its connector profiles.
func (s *Service) Approve(ctx context.Context, admin store.Admin, r Request, c Consent) (string, error) {
	started := s.clock.Now()
	projects, err := s.store.AdminProjects(ctx, admin.ID)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(projects, func(p store.Project) bool { return p.ID == c.ProjectID }) {
		return "", problem.New(problem.Forbidden, "You are not an admin of project %s", c.ProjectID)
	}
	g := store.AIGrant{ID: store.NewID("aig"), ProjectID: c.ProjectID, ClientID: r.Client.ID, ClientName: r.Client.Name, AdminEmail: admin.Email,
		AccountIDs: c.AccountIDs, OwnerID: c.OwnerID, Actions: c.Actions, ReadOnly: c.ReadOnly, Resource: r.Resource, CreatedAt: started.UTC()}
	if c.OwnerID != "" {
		g.AccountIDs = nil
	}
	filter, err := connectors.ParseActionFilter("tools", c.Tools)
	if err != nil {
		return "", problem.New(problem.Invalid, "%s", err)
	}
	g.Actions = slices.DeleteFunc(slices.Clone(c.Actions), func(id string) bool { return !filter.Allows(id) })
	if err := s.checkConsent(ctx, g); err != nil {
		return "", err
	}
	code, codeHash := newSecret(codePrefix)
	t := store.AIToken{Hash: codeHash, GrantID: g.ID, Kind: store.AICode, ExpiresAt: started.Add(CodeTTL), RedirectURI: r.RedirectURI, CodeChallenge: r.Challenge}
	e := audit.Entry(audit.As(ctx, "admin:"+admin.Email), g.ProjectID, "ai_grant.created", "ai_grant", g.ID)
	e.Changes = audit.Changes{}.Created("client_id", g.ClientID).Created("client_name", g.ClientName).Created("account_ids", g.AccountIDs).
		Created("owner_id", g.OwnerID).Created("actions", g.Actions).Created("read_only", g.ReadOnly).JSON()
	if err := s.store.CreateAIGrant(store.WithAudit(ctx, e), g, t); err != nil {
		return "", err
	}
	s.record(g, "oauth_consent", started)
	params := url.Values{"code": {code}, "iss": {s.Issuer()}}
	if r.State != "" {
		params.Set("state", r.State)
	}
	return redirectWith(r.RedirectURI, params), nil
}

// checkConsent checks a grant's accounts and actions against the project.
func (s *Service) checkConsent(ctx context.Context, g store.AIGrant) error {
	if len(g.AccountIDs) == 0 && g.OwnerID == "" {
		return problem.New(problem.Invalid, "accounts: choose at least one linked account, or every account of one end user")
	}
	if len(g.Actions) == 0 {
		return problem.New(problem.Invalid, "actions: choose at least one action the app may call (that the tools patterns, if any, let through)")
	}
	accounts, err := s.Accounts(ctx, g)
	if err != nil {
		if p, ok := errors.AsType[*problem.Error](err); ok && p.Kind == problem.Forbidden {
			return problem.New(problem.Invalid, "accounts: no linked account of this project matches your choice")
		}
		return err
	}
	if g.OwnerID == "" && len(accounts) != len(g.AccountIDs) {
		return problem.New(problem.Invalid, "accounts: %s names an account this project does not have", strings.Join(g.AccountIDs, ", "))
	}
	grantable, err := s.Grantable(ctx, g.ProjectID)
	if err != nil {
		return err
	}
	for _, id := range g.Actions {
		if !slices.ContainsFunc(grantable, func(a GrantableAction) bool { return a.ID == id }) {
			return problem.New(problem.Invalid, "actions: %s is not an action enabled on a connector profile of this project", id)
		}
	}
	return nil
}

// GrantableAction is an action a consent may grant, with its connector.
type GrantableAction struct {
	*connectors.Action
	Connector *connectors.Connector
}

// Grantable lists the actions a consent in the project may grant, in the
// profiles' order: those enabled on any of its connector profiles (a grant
// of every account of an end user reaches the accounts they link later, on
// other providers too), unified operations left out since they are not MCP
// tools.
func (s *Service) Grantable(ctx context.Context, projectID string) ([]GrantableAction, error) {
	profiles, err := s.store.ListConnectorProfiles(ctx, projectID, store.ProfileFilter{})
	if err != nil {
		return nil, fmt.Errorf("profiles of project %s: %w", projectID, err)
	}
	var out []GrantableAction
	for _, p := range profiles {
		c, ok := s.registry.Get(p.ConnectorKey)
		if !ok {
			continue
		}
		for _, id := range p.EnabledActions {
			if a, ok := c.Action(id); ok && a.Unified == nil && !slices.ContainsFunc(out, func(g GrantableAction) bool { return g.ID == id }) {
				out = append(out, GrantableAction{Action: a, Connector: c})
			}
		}
	}
	return out, nil
}
