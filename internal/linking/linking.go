// Package linking is how end users link accounts: connect sessions, connection
// attempts, the OAuth start and callback, the setup step (choosing one of
// several organisations) and the create-or-update rule, which the accounts
// service applies in one transaction. The Hub's handlers and the API call it;
// it is the only service that talks to a provider's authorization server for
// an authorization.
package linking

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/httpsec"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// stateTTL bounds the time between leaving for the provider and coming back;
// attemptTTL bounds a whole attempt, after which it reads as expired.
const (
	stateTTL   = 10 * time.Minute
	attemptTTL = 30 * time.Minute
)

// maxReturnTo bounds the return address an OAuth start may name; it is stored
// with the OAuth state.
const maxReturnTo = 2048

// Session lifetimes.
const (
	DefaultSessionTTL = 1800 * time.Second
	MaxSessionTTL     = 30 * 24 * time.Hour
)

// Options are what the service works with.
type Options struct {
	Store     store.Store
	Registry  *connectors.Registry
	Tokens    *tokens.Manager
	Actions   *actions.Executor
	Accounts  *accounts.Service
	Clock     clock.Clock
	Logger    *slog.Logger
	PublicURL string
}

// Service runs the connect flow. It is safe for concurrent use.
type Service struct {
	store     store.Store
	registry  *connectors.Registry
	tokens    *tokens.Manager
	actions   *actions.Executor
	accounts  *accounts.Service
	clock     clock.Clock
	log       *slog.Logger
	publicURL string
}

// New returns the service.
func New(o Options) *Service {
	return &Service{store: o.Store, registry: o.Registry, tokens: o.Tokens, actions: o.Actions, accounts: o.Accounts,
		clock: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default()), publicURL: strings.TrimRight(o.PublicURL, "/")}
}

// hashToken is how session tokens and states are stored: a fast hash suffices
// for 256 random bits.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// originOf returns the scheme://host of a URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// isHubPage reports whether raw is an address of this deployment's Hub page.
func (s *Service) isHubPage(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && originOf(raw) == s.Origin() && u.Path == "/hub" && u.User == nil
}

// Origin is this deployment's own origin, where the Hub posts its result when
// the session names none.
func (s *Service) Origin() string { return originOf(s.publicURL) }

var sessionCategories = []string{"ats", "hris", "hris-legacy", "hrisLegacy", "crm", "iam", "marketing", "lms", "stackone", "stackOne",
	"documents", "ticketing", "screening", "messaging", "accounting", "scheduling"}

// SessionInput is a request for a connect session, as POST /connect_sessions takes it.
type SessionInput struct {
	OriginOwnerID      string         `json:"origin_owner_id"`
	OriginOwnerName    string         `json:"origin_owner_name"`
	OriginUsername     string         `json:"origin_username"`
	Provider           string         `json:"provider"`
	ProviderVersion    string         `json:"provider_version"`
	ConnectorProfileID string         `json:"connector_profile_id"`
	IntegrationID      string         `json:"integration_id"`
	Categories         []string       `json:"categories"`
	AccountID          string         `json:"account_id"`
	ExpiresIn          *float64       `json:"expires_in"`
	Metadata           map[string]any `json:"metadata"`
	Multiple           bool           `json:"multiple"`
	Label              string         `json:"label"`
	Type               string         `json:"type"`
	Shared             *bool          `json:"shared"`
	Relink             *bool          `json:"relink"`
	Scopes             *bool          `json:"scopes"`
	// AllowedOrigin is where the Hub may post its result when embedded.
	AllowedOrigin string `json:"allowed_origin"`
}

// NewSession is a created session with the token only its creator ever sees.
type NewSession struct {
	store.ConnectSession
	Token       string
	AuthLinkURL string
}

// CreateSession validates in, reporting every problem at once, and opens a
// connect session for one of the project's customers.
func (s *Service) CreateSession(ctx context.Context, projectID string, in SessionInput) (NewSession, error) {
	errs, ttl, accountType := sessionRules(s.registry, &in)
	bad := func(msg string) { errs = append(errs, msg) }
	profileID := cmp.Or(in.ConnectorProfileID, in.IntegrationID)
	if profileID != "" {
		p, err := s.store.GetConnectorProfile(ctx, projectID, profileID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			bad("connector_profile_id: no profile " + profileID + " in this project")
		case err != nil:
			return NewSession{}, err
		case in.Provider != "" && p.ConnectorKey != in.Provider:
			bad("connector_profile_id: profile " + profileID + " is for " + p.ConnectorKey + ", not " + in.Provider)
		}
	}
	if in.AccountID != "" {
		if _, err := s.store.GetAccount(ctx, projectID, in.AccountID); errors.Is(err, store.ErrNotFound) {
			bad("account_id: no account " + in.AccountID + " in this project")
		}
	}
	if len(errs) > 0 {
		return NewSession{}, problem.New(problem.Invalid, "%s", strings.Join(errs, "; "))
	}
	extras := map[string]any{}
	for name, v := range map[string]*bool{"shared": in.Shared, "relink": in.Relink, "scopes": in.Scopes} {
		if v != nil {
			extras[name] = *v
		}
	}
	token := randomToken()
	cs, err := s.store.CreateConnectSession(ctx, store.ConnectSession{
		ProjectID: projectID, TokenHash: hashToken(token), OriginOwnerID: in.OriginOwnerID, OriginOwnerName: in.OriginOwnerName,
		OriginUsername: in.OriginUsername, Provider: in.Provider, ProfileID: profileID, Categories: in.Categories,
		AccountID: in.AccountID, Metadata: in.Metadata, Multiple: in.Multiple, Label: in.Label, Type: accountType,
		Extras: extras, AllowedOrigin: in.AllowedOrigin, ExternalTriggerToken: randomToken(),
		ExpiresAt: s.clock.Now().Add(ttl).UTC(),
	})
	if err != nil {
		return NewSession{}, err
	}
	return NewSession{ConnectSession: cs, Token: token, AuthLinkURL: s.publicURL + "/hub?token=" + url.QueryEscape(token)}, nil
}

// maxSessionField bounds the free-text fields of a session request.
const maxSessionField = 1024

// sessionRules checks what a session request says on its own, with no
// lookups, trimming the owner fields: it returns every problem, the session's
// lifetime and the account type.
func sessionRules(reg *connectors.Registry, in *SessionInput) (problems []string, ttl time.Duration, accountType string) {
	bad := func(msg string) { problems = append(problems, msg) }
	in.OriginOwnerID, in.OriginOwnerName = strings.TrimSpace(in.OriginOwnerID), strings.TrimSpace(in.OriginOwnerName)
	if in.OriginOwnerID == "" {
		bad("origin_owner_id: required, your customer's id")
	}
	if in.OriginOwnerName == "" {
		bad("origin_owner_name: required, your customer's name")
	}
	for name, v := range map[string]string{"origin_owner_id": in.OriginOwnerID, "origin_owner_name": in.OriginOwnerName,
		"origin_username": in.OriginUsername, "label": in.Label} {
		if len(v) > maxSessionField {
			bad(fmt.Sprintf("%s: at most %d characters", name, maxSessionField))
		}
	}
	if in.Provider != "" {
		if _, ok := reg.Get(in.Provider); !ok {
			bad("provider: unknown connector " + in.Provider)
		}
	}
	for _, c := range in.Categories {
		if !slices.Contains(sessionCategories, c) {
			bad("categories: unknown category " + c)
		}
	}
	ttl = DefaultSessionTTL
	if in.ExpiresIn != nil {
		secs := *in.ExpiresIn
		// Checked in seconds: a huge float overflows a Duration.
		if !(secs >= 1 && secs <= MaxSessionTTL.Seconds()) {
			bad("expires_in: must be between 1 and 2592000 seconds (30 days)")
		} else {
			ttl = time.Duration(secs * float64(time.Second))
		}
	}
	accountType = strings.ToLower(in.Type)
	if accountType != "" && accountType != "production" && accountType != "test" {
		bad("type: use PRODUCTION or TEST")
	}
	if strings.Contains(in.AllowedOrigin, "*") {
		bad("allowed_origin: wildcards are not allowed; give the one exact origin that embeds the Hub, such as https://app.example.com")
	} else if in.AllowedOrigin != "" && !httpsec.IsOrigin(in.AllowedOrigin) {
		bad("allowed_origin: must be an http(s) origin (scheme, host and optional port, nothing else), such as https://app.example.com")
	}
	return problems, ttl, accountType
}

// errLinkInvalid is the answer for an unknown or expired connect link.
var errLinkInvalid = problem.New(problem.NotFound, "This connect link is not valid.")

// Session returns the live session a Hub token opens: problem NotFound for an
// unknown token, Expired for one past its lifetime.
func (s *Service) Session(ctx context.Context, token string) (store.ConnectSession, error) {
	if token == "" {
		return store.ConnectSession{}, errLinkInvalid
	}
	cs, err := s.store.ConnectSessionByTokenHash(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.ConnectSession{}, errLinkInvalid
	}
	if err != nil {
		return store.ConnectSession{}, err
	}
	if s.clock.Now().After(cs.ExpiresAt) {
		return store.ConnectSession{}, problem.New(problem.Expired, "This connect link has expired.")
	}
	return cs, nil
}

// AuthenticateSession returns the project's live session for token.
func (s *Service) AuthenticateSession(ctx context.Context, projectID, token string) (store.ConnectSession, error) {
	cs, err := s.Session(ctx, token)
	if _, isProblem := errors.AsType[*problem.Error](err); isProblem || (err == nil && cs.ProjectID != projectID) {
		return store.ConnectSession{}, problem.New(problem.NotFound, "No live connect session for this token; create a new one with POST /connect_sessions")
	}
	return cs, err
}

// Choice is a connector a session may link, with the profile it uses.
type Choice struct {
	Connector *connectors.Connector
	Profile   store.ConnectorProfile
}

// Choices lists the connectors a session may link, each with the profile used:
// the session's profile, or each connector's default (else only) enabled profile.
func (s *Service) Choices(ctx context.Context, cs store.ConnectSession) ([]Choice, error) {
	enabled := true
	all, err := s.store.ListConnectorProfiles(ctx, cs.ProjectID, store.ProfileFilter{ConnectorKey: cs.Provider, Enabled: &enabled})
	if err != nil {
		return nil, err
	}
	chosen := map[string]store.ConnectorProfile{}
	for _, p := range all {
		if cs.ProfileID != "" && p.ID != cs.ProfileID {
			continue
		}
		if cur, ok := chosen[p.ConnectorKey]; !ok || (p.Default && !cur.Default) {
			chosen[p.ConnectorKey] = p
		}
	}
	out := []Choice{}
	for _, c := range s.registry.All() {
		p, ok := chosen[c.Key]
		if !ok || (len(cs.Categories) > 0 && !slices.ContainsFunc(c.Categories, func(cat string) bool { return slices.Contains(cs.Categories, cat) })) {
			continue
		}
		out = append(out, Choice{Connector: c, Profile: p})
	}
	return out, nil
}

// CreateAttempt starts an attempt to link with profileID, which must be one of
// the session's choices (or empty when there is only one).
func (s *Service) CreateAttempt(ctx context.Context, cs store.ConnectSession, profileID string) (store.ConnectionAttempt, error) {
	choices, err := s.Choices(ctx, cs)
	if err != nil {
		return store.ConnectionAttempt{}, err
	}
	i := slices.IndexFunc(choices, func(c Choice) bool {
		return c.Profile.ID == profileID || (profileID == "" && len(choices) == 1)
	})
	if i < 0 {
		return store.ConnectionAttempt{}, problem.New(problem.Invalid, "integration_id: not one this connect link may use")
	}
	a, err := s.store.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: cs.ProjectID, SessionID: cs.ID, ProfileID: choices[i].Profile.ID})
	if errors.Is(err, store.ErrLimit) {
		return a, problem.New(problem.Limit, "This connect link has been tried %d times; ask for a new one", store.MaxAttemptsPerSession)
	}
	return a, err
}

// AttemptState is an attempt as the Hub shows it.
type AttemptState struct {
	store.ConnectionAttempt
	// Provider and ProviderName are the linked account's provider (its key and
	// its name), once there is one.
	Provider, ProviderName string
	// SetupLabel names the choice the user must make, while there is one.
	SetupLabel string
}

// Attempt returns one of the session's attempts; a pending attempt past its
// lifetime is marked expired on the way.
func (s *Service) Attempt(ctx context.Context, cs store.ConnectSession, id string) (AttemptState, error) {
	a, err := s.sessionAttempt(ctx, cs, id)
	if err != nil {
		return AttemptState{}, err
	}
	if a.Status == store.AttemptPending && s.clock.Now().Sub(a.CreatedAt) > attemptTTL {
		a.Status, a.PendingCredentials = store.AttemptExpired, nil
		if updated, err := s.store.UpdateConnectionAttempt(ctx, a); err == nil {
			a = updated
		} else if a, err = s.sessionAttempt(ctx, cs, id); err != nil {
			return AttemptState{}, err
		}
	}
	return s.state(ctx, a), nil
}

func (s *Service) sessionAttempt(ctx context.Context, cs store.ConnectSession, id string) (store.ConnectionAttempt, error) {
	a, err := s.store.GetConnectionAttempt(ctx, cs.ProjectID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.SessionID != cs.ID) {
		return store.ConnectionAttempt{}, problem.New(problem.NotFound, "No connection attempt %s in this session", id)
	}
	return a, err
}

func (s *Service) state(ctx context.Context, a store.ConnectionAttempt) AttemptState {
	st := AttemptState{ConnectionAttempt: a}
	if a.AccountID != "" {
		if acc, err := s.store.GetAccount(ctx, a.ProjectID, a.AccountID); err == nil {
			st.Provider, st.ProviderName = acc.Provider, acc.Provider
			if c, ok := s.registry.Get(acc.Provider); ok {
				st.ProviderName = c.Name
			}
		}
	}
	if a.Status == store.AttemptPending && len(a.SetupOptions) > 0 {
		st.SetupLabel = a.SetupField
		if p, err := s.store.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID); err == nil {
			if c, ok := s.registry.Get(p.ConnectorKey); ok {
				for _, f := range c.AccountSetup {
					if f.Key == a.SetupField {
						st.SetupLabel = f.Label
					}
				}
			}
		}
	}
	return st
}

// CancelAttempt cancels a pending attempt; an attempt already decided stays as it is.
func (s *Service) CancelAttempt(ctx context.Context, cs store.ConnectSession, id string) error {
	a, err := s.sessionAttempt(ctx, cs, id)
	if err != nil {
		return err
	}
	a.Status, a.PendingCredentials = store.AttemptCancelled, nil
	if _, err := s.store.UpdateConnectionAttempt(ctx, a); err != nil && !errors.Is(err, store.ErrStale) {
		return err
	}
	return nil
}

// ChooseSetup finishes an attempt that waits for the user's choice (an organisation).
func (s *Service) ChooseSetup(ctx context.Context, cs store.ConnectSession, id, value string) (AttemptState, error) {
	a, err := s.sessionAttempt(ctx, cs, id)
	if err != nil {
		return AttemptState{}, err
	}
	if a.Status != store.AttemptPending || a.PendingCredentials == nil {
		return AttemptState{}, problem.New(problem.Conflict, "This connection attempt is not waiting for a choice (it is %s)", a.Status)
	}
	if !slices.ContainsFunc(a.SetupOptions, func(o store.SetupOption) bool { return o.Value == value }) {
		return AttemptState{}, problem.New(problem.Invalid, "value: not one of the offered choices")
	}
	a, err = s.link(ctx, a, *a.PendingCredentials, map[string]string{a.SetupField: value})
	if errors.Is(err, store.ErrStale) {
		return AttemptState{}, problem.New(problem.Conflict, "This connection attempt is already decided; reload to see its outcome")
	}
	if errors.Is(err, store.ErrExpired) {
		return AttemptState{}, problem.New(problem.Expired, "This connect link has expired; ask for a new one")
	}
	if err != nil {
		return AttemptState{}, err
	}
	return s.state(ctx, a), nil
}

var startAgain = "Start again from the application."

// StartOAuth binds a fresh state (and PKCE verifier) to a pending attempt and
// returns the provider's authorization URL. returnTo is where the browser goes
// once the attempt is decided: only this deployment's Hub page is honoured,
// since any other address (even another page of this origin, such as a
// simulator's redirecting endpoint) could pass the outcome on.
func (s *Service) StartOAuth(ctx context.Context, cs store.ConnectSession, sessionToken, attemptID, profileID, returnTo string) (string, error) {
	a, err := s.store.GetConnectionAttempt(ctx, cs.ProjectID, attemptID)
	if err != nil || a.SessionID != cs.ID || a.Status != store.AttemptPending || a.ProfileID != profileID {
		return "", problem.New(problem.Conflict, "This connection attempt is not waiting to start.").WithHint("Go back and pick the provider again.")
	}
	p, err := s.store.GetConnectorProfile(ctx, cs.ProjectID, a.ProfileID)
	c, ok := s.registry.Get(p.ConnectorKey)
	if err != nil || !ok || !p.Enabled {
		return "", problem.New(problem.Conflict, "This provider is not available right now.").WithHint("Ask the application that sent you here.")
	}
	if len(returnTo) > maxReturnTo {
		return "", problem.New(problem.Invalid, "The return address (redirect_uri) is too long.").WithHint("Go back and pick the provider again.")
	}
	if !s.isHubPage(returnTo) {
		returnTo = s.publicURL + "/hub?token=" + url.QueryEscape(sessionToken) + "&attempt=" + url.QueryEscape(a.ID)
	}
	server := s.tokens.AuthServer(c, p)
	verifier := ""
	if server.UsesPKCE() {
		verifier = randomToken()
	}
	state := randomToken()
	if _, err := s.store.CreateOAuthState(ctx, store.OAuthState{ProjectID: cs.ProjectID, StateHash: hashToken(state), AttemptID: a.ID,
		CodeVerifier: verifier, RedirectURI: returnTo, ExpiresAt: s.clock.Now().Add(stateTTL).UTC()}); err != nil {
		return "", err
	}
	return server.AuthCodeURL(state, verifier), nil
}

// Callback is what the provider sent back to /connect/oauth2/{provider}/callback.
type Callback struct {
	Provider                string
	State, Code             string
	Error, ErrorDescription string
}

// Finish handles the provider's callback: it exchanges the code, runs the setup
// step and links the account, and returns where to send the browser. A failure
// the end user can retry is recorded on the attempt (the Hub shows it); one
// that has no attempt to show it on is a problem for the page.
func (s *Service) Finish(ctx context.Context, cb Callback) (string, error) {
	if cb.State == "" {
		return "", problem.New(problem.Invalid, "This sign-in response has no state.").WithHint(startAgain)
	}
	st, err := s.store.ConsumeOAuthState(ctx, hashToken(cb.State), s.clock.Now().UTC())
	switch {
	case errors.Is(err, store.ErrUsed):
		return "", problem.New(problem.Conflict, "This sign-in response was already used.").WithHint(startAgain)
	case errors.Is(err, store.ErrExpired):
		return "", problem.New(problem.Expired, "This sign-in took too long and expired.").WithHint(startAgain)
	case err != nil:
		return "", problem.New(problem.Invalid, "This sign-in response is not one Patchbay started.").WithHint(startAgain)
	}
	a, err := s.store.GetConnectionAttempt(ctx, st.ProjectID, st.AttemptID)
	if err != nil {
		return "", err
	}
	p, err := s.store.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID)
	c, known := s.registry.Get(p.ConnectorKey)
	if err != nil || !known || p.ConnectorKey != cb.Provider {
		return "", problem.New(problem.Invalid, "This sign-in response came back to the wrong provider.").WithHint(startAgain)
	}
	if err := s.stillOpen(ctx, a); err != nil {
		return "", err
	}
	if a.Status != store.AttemptPending {
		return st.RedirectURI, nil // decided by another callback: the Hub shows how
	}
	fail := func(code, desc string) (string, error) {
		a.Status, a.ErrorCode, a.ErrorDescription = store.AttemptError, code, plainError(c.Name, code)
		if desc != "" && code != "access_denied" {
			a.ErrorDescription += " (" + desc + ")"
		}
		if _, err := s.store.UpdateConnectionAttempt(ctx, a); err != nil && !errors.Is(err, store.ErrStale) {
			return "", err
		}
		return st.RedirectURI, nil
	}
	if cb.Error != "" {
		return fail(cb.Error, cb.ErrorDescription)
	}
	creds, err := s.tokens.AuthServer(c, p).Exchange(ctx, cb.Code, st.CodeVerifier)
	if err != nil {
		s.log.WarnContext(ctx, "token exchange failed", "attempt_id", a.ID, "provider", c.Key, "err", err)
		return fail("token_exchange_failed", describe(err))
	}
	setup := map[string]string{}
	if len(c.AccountSetup) > 0 {
		f := c.AccountSetup[0]
		u := &actions.Unlinked{AttemptID: a.ID, Profile: p, Credentials: creds}
		options, err := s.setupOptions(ctx, u, f)
		if err != nil || len(options) == 0 {
			s.log.WarnContext(ctx, "account setup failed", "attempt_id", a.ID, "provider", c.Key, "err", err)
			return fail("setup_failed", "")
		}
		creds = u.Credentials // a refresh during the setup call may have rotated them
		if len(options) > 1 {
			// The Hub asks the user to choose; the tokens wait on the attempt, sealed.
			a.SetupField, a.SetupOptions, a.PendingCredentials = f.Key, options, &creds
			if _, err := s.store.UpdateConnectionAttempt(ctx, a); err != nil && !errors.Is(err, store.ErrStale) {
				return "", err
			}
			return st.RedirectURI, s.stillOpen(ctx, a)
		}
		setup[f.Key] = options[0].Value
	}
	if _, err := s.link(ctx, a, creds, setup); err != nil && !errors.Is(err, store.ErrStale) {
		if errors.Is(err, store.ErrExpired) {
			return "", expiredLink
		}
		return "", err
	}
	// Linked here, or by a concurrent callback for the same attempt, or
	// cancelled meanwhile: stillOpen tells the last apart.
	return st.RedirectURI, s.stillOpen(ctx, a)
}

var expiredLink = problem.New(problem.Expired, "This connect link expired before the sign-in finished. Nothing was connected.").
	WithHint("Ask the application that sent you here for a new link.")

// stillOpen re-reads the attempt and its session: a cancelled or expired
// attempt, or an expired session, gets a page that says so, and nothing is linked.
func (s *Service) stillOpen(ctx context.Context, a store.ConnectionAttempt) error {
	cur, err := s.store.GetConnectionAttempt(ctx, a.ProjectID, a.ID)
	if err != nil {
		return err
	}
	switch cur.Status {
	case store.AttemptCancelled:
		return problem.New(problem.Conflict, "This connection attempt was cancelled. Nothing was connected.").WithHint(startAgain)
	case store.AttemptExpired:
		return expiredLink
	case store.AttemptPending:
		cs, err := s.store.GetConnectSession(ctx, a.ProjectID, a.SessionID)
		if err != nil {
			return err
		}
		if now := s.clock.Now(); !cs.ExpiresAt.After(now) || now.Sub(cur.CreatedAt) > attemptTTL {
			return expiredLink
		}
	}
	return nil
}

// link applies the create-or-update rule through the accounts service, in one
// transaction with deciding the attempt.
func (s *Service) link(ctx context.Context, a store.ConnectionAttempt, creds store.Credentials, setup map[string]string) (store.ConnectionAttempt, error) {
	acc, att, _, err := s.accounts.Link(ctx, accounts.Link{ProjectID: a.ProjectID, AttemptID: a.ID, Credentials: creds,
		SetupInformation: setup, At: s.clock.Now()})
	if err != nil {
		return store.ConnectionAttempt{}, err
	}
	if c, ok := s.registry.Get(acc.Provider); ok {
		s.actions.Linked(c, a.ID, acc.ID)
	}
	return att, nil
}

// setupOptions lists the choices of a setup field by running its options action.
func (s *Service) setupOptions(ctx context.Context, u *actions.Unlinked, f connectors.SetupField) ([]store.SetupOption, error) {
	res, err := s.actions.RunUnlinked(ctx, actions.Caller{ProjectID: u.Profile.ProjectID, Source: store.SourceHub}, u, actions.Request{Action: f.OptionsAction})
	if err != nil {
		return nil, err
	}
	raw, _ := res.Data.(json.RawMessage)
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: the records are not a list of objects: %w", f.OptionsAction, err)
	}
	var out []store.SetupOption
	for _, m := range items {
		value, _ := m[f.OptionValue].(string)
		label, _ := m[f.OptionLabel].(string)
		if value != "" {
			out = append(out, store.SetupOption{Value: value, Label: cmp.Or(label, value)})
		}
	}
	return out, nil
}

// Sweep deletes OAuth states past their expiry and sessions (with their
// attempts) a day past theirs: the day lets a late visitor of an expired link
// read "expired" rather than "not valid".
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	states, err := s.store.DeleteOAuthStatesExpiredBefore(ctx, now)
	if err != nil {
		return err
	}
	sessions, err := s.store.DeleteConnectSessionsExpiredBefore(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if states+sessions > 0 {
		s.log.InfoContext(ctx, "swept expired connect data", "oauth_states", states, "connect_sessions", sessions)
	}
	return nil
}

// describe names a token-endpoint failure by its OAuth error code when it has one.
func describe(err error) string {
	var ee tokens.EndpointError
	if errors.As(err, &ee) && ee.ErrorCode() != "" {
		return ee.ErrorCode()
	}
	return err.Error()
}

// plainError turns provider and exchange failures into words the Hub shows.
func plainError(provider, code string) string {
	switch code {
	case "access_denied":
		return "You declined access on " + provider + ". Nothing was connected."
	case "token_exchange_failed":
		return provider + " did not accept the authorization. Please try again."
	case "setup_failed":
		return "Patchbay could not read your " + provider + " organisations. Please try again."
	default:
		return provider + " reported a problem (" + code + "). Please try again."
	}
}
