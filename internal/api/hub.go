package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/hub"
	"github.com/patchbayhq/patchbay/internal/oauth"
	"github.com/patchbayhq/patchbay/internal/store"
)

// stateTTL bounds the time between leaving for the provider and coming back;
// attemptTTL bounds a whole attempt, after which it reads as expired.
const (
	stateTTL   = 10 * time.Minute
	attemptTTL = 30 * time.Minute
)

// hubSession finds the live connect session of a Hub request (header
// x-hub-session-token, or the token query parameter for page loads).
func (s *Server) hubSession(r *http.Request) (store.ConnectSession, error) {
	token := r.Header.Get("X-Hub-Session-Token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		return store.ConnectSession{}, store.ErrNotFound
	}
	cs, err := s.store.ConnectSessionByTokenHash(r.Context(), hashToken(token))
	if err != nil {
		return store.ConnectSession{}, err
	}
	if time.Now().After(cs.ExpiresAt) {
		return store.ConnectSession{}, store.ErrExpired
	}
	return cs, nil
}

// requireHubSession wraps Hub JSON endpoints.
func (s *Server) requireHubSession(next func(http.ResponseWriter, *http.Request, store.ConnectSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cs, err := s.hubSession(r)
		switch {
		case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExpired):
			writeError(w, http.StatusUnauthorized, "This connect link is unknown or has expired; ask for a new one")
		case err != nil:
			s.internalError(w, r, err)
		default:
			next(w, r, cs)
		}
	}
}

// hubOptions lists the connectors a session may link, each with the profile used:
// the session's profile, or each connector's default (else only) enabled profile.
func (s *Server) hubOptions(ctx context.Context, cs store.ConnectSession) ([]hub.Provider, error) {
	all, err := s.store.ListConnectorProfiles(ctx, cs.ProjectID)
	if err != nil {
		return nil, err
	}
	chosen := map[string]store.ConnectorProfile{}
	for _, p := range all {
		if !p.Enabled || (cs.ProfileID != "" && p.ID != cs.ProfileID) || (cs.Provider != "" && p.ConnectorKey != cs.Provider) {
			continue
		}
		if cur, ok := chosen[p.ConnectorKey]; !ok || (p.Default && !cur.Default) {
			chosen[p.ConnectorKey] = p
		}
	}
	out := []hub.Provider{}
	for _, c := range s.registry.All() {
		p, ok := chosen[c.Key]
		if !ok || (len(cs.Categories) > 0 && !slices.ContainsFunc(c.Categories, func(cat string) bool { return slices.Contains(cs.Categories, cat) })) {
			continue
		}
		out = append(out, hub.Provider{Key: c.Key, Name: c.Name, ProfileID: p.ID, LogoURL: s.iconURL(c)})
	}
	return out, nil
}

// hubPage serves the Hub: the page at auth_link_url.
func (s *Server) hubPage(w http.ResponseWriter, r *http.Request) {
	cs, err := s.hubSession(r)
	if err != nil {
		status, msg := http.StatusNotFound, "This connect link is not valid."
		if errors.Is(err, store.ErrExpired) {
			status, msg = http.StatusGone, "This connect link has expired."
		}
		hub.RenderProblem(w, status, msg, "Ask the application that sent you here for a new link.")
		return
	}
	options, err := s.hubOptions(r.Context(), cs)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	allowed := cs.AllowedOrigin
	if allowed == "" {
		allowed = originOf(s.publicURL)
	}
	hub.RenderPage(w, hub.Page{Token: r.URL.Query().Get("token"), OwnerName: cs.OriginOwnerName, Options: options,
		AllowedOrigin: allowed, AttemptID: r.URL.Query().Get("attempt")})
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

func (s *Server) hubConnectors(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	options, err := s.hubOptions(r.Context(), cs)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": options})
}

func (s *Server) createAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	var in struct {
		IntegrationID string `json:"integration_id"`
		Token         string `json:"token"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	options, err := s.hubOptions(r.Context(), cs)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	i := slices.IndexFunc(options, func(o hub.Provider) bool {
		return o.ProfileID == in.IntegrationID || (in.IntegrationID == "" && len(options) == 1)
	})
	if i < 0 {
		writeError(w, http.StatusBadRequest, "integration_id: not one this connect link may use")
		return
	}
	a, err := s.store.CreateConnectionAttempt(r.Context(), store.ConnectionAttempt{ProjectID: cs.ProjectID, SessionID: cs.ID, ProfileID: options[i].ProfileID})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": a.ID})
}

// sessionAttempt loads the {id} attempt, which must belong to the session.
func (s *Server) sessionAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) (store.ConnectionAttempt, bool) {
	a, err := s.store.GetConnectionAttempt(r.Context(), cs.ProjectID, r.PathValue("id"))
	if err != nil || a.SessionID != cs.ID {
		writeError(w, http.StatusNotFound, "No connection attempt "+r.PathValue("id")+" in this session")
		return store.ConnectionAttempt{}, false
	}
	return a, true
}

type attemptJSON struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Account *struct {
		ID       string `json:"id"`
		Provider string `json:"provider"`
	} `json:"account"`
	Error *struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
	Setup *struct {
		Field   string              `json:"field"`
		Label   string              `json:"label"`
		Options []store.SetupOption `json:"options"`
	} `json:"setup,omitempty"`
}

func (s *Server) attemptView(ctx context.Context, a store.ConnectionAttempt) attemptJSON {
	v := attemptJSON{ID: a.ID, Status: a.Status}
	if a.AccountID != "" {
		acc, err := s.store.GetAccount(ctx, a.ProjectID, a.AccountID)
		if err == nil {
			v.Account = &struct {
				ID       string `json:"id"`
				Provider string `json:"provider"`
			}{acc.ID, acc.Provider}
		}
	}
	if a.ErrorCode != "" {
		v.Error = &struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		}{a.ErrorCode, a.ErrorDescription}
	}
	if a.Status == store.AttemptPending && len(a.SetupOptions) > 0 {
		label := a.SetupField
		if p, err := s.store.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID); err == nil {
			if c, ok := s.registry.Get(p.ConnectorKey); ok {
				for _, f := range c.AccountSetup {
					if f.Key == a.SetupField {
						label = f.Label
					}
				}
			}
		}
		v.Setup = &struct {
			Field   string              `json:"field"`
			Label   string              `json:"label"`
			Options []store.SetupOption `json:"options"`
		}{a.SetupField, label, a.SetupOptions}
	}
	return v
}

func (s *Server) getAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	a, ok := s.sessionAttempt(w, r, cs)
	if !ok {
		return
	}
	if a.Status == store.AttemptPending && time.Since(a.CreatedAt) > attemptTTL {
		a.Status, a.PendingCredentials = store.AttemptExpired, nil
		if updated, err := s.store.UpdateConnectionAttempt(r.Context(), a); err == nil {
			a = updated
		}
	}
	writeJSON(w, http.StatusOK, s.attemptView(r.Context(), a))
}

func (s *Server) cancelAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	a, ok := s.sessionAttempt(w, r, cs)
	if !ok {
		return
	}
	a.Status, a.PendingCredentials = store.AttemptCancelled, nil
	if _, err := s.store.UpdateConnectionAttempt(r.Context(), a); err != nil && !errors.Is(err, store.ErrStale) {
		s.internalError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// chooseSetup finishes an attempt that waits for the user's choice (an organisation).
func (s *Server) chooseSetup(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	var in struct {
		Value string `json:"value"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	a, ok := s.sessionAttempt(w, r, cs)
	if !ok {
		return
	}
	if a.Status != store.AttemptPending || a.PendingCredentials == nil {
		writeError(w, http.StatusConflict, "This connection attempt is not waiting for a choice")
		return
	}
	if !slices.ContainsFunc(a.SetupOptions, func(o store.SetupOption) bool { return o.Value == in.Value }) {
		writeError(w, http.StatusBadRequest, "value: not one of the offered choices")
		return
	}
	a, err := s.finishAttempt(r.Context(), cs, a, *a.PendingCredentials, map[string]string{a.SetupField: in.Value})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.attemptView(r.Context(), a))
}

// startOAuth answers GET /connect/oauth2/{integration_id}: it binds a fresh state
// (and PKCE verifier) to the attempt and sends the browser to the provider.
func (s *Server) startOAuth(w http.ResponseWriter, r *http.Request) {
	cs, err := s.hubSession(r)
	if err != nil {
		hub.RenderProblem(w, http.StatusBadRequest, "This connect link is not valid or has expired.", "Ask the application that sent you here for a new link.")
		return
	}
	q := r.URL.Query()
	a, err := s.store.GetConnectionAttempt(r.Context(), cs.ProjectID, q.Get("connection_attempt_id"))
	if err != nil || a.SessionID != cs.ID || a.Status != store.AttemptPending || a.ProfileID != r.PathValue("integration_id") {
		hub.RenderProblem(w, http.StatusBadRequest, "This connection attempt is not waiting to start.", "Go back and pick the provider again.")
		return
	}
	p, err := s.store.GetConnectorProfile(r.Context(), cs.ProjectID, a.ProfileID)
	c, ok := s.registry.Get(p.ConnectorKey)
	if err != nil || !ok || !p.Enabled {
		hub.RenderProblem(w, http.StatusBadRequest, "This provider is not available right now.", "Ask the application that sent you here.")
		return
	}
	// Only return to Patchbay's own pages: a caller-chosen redirect would leak the outcome.
	back := q.Get("redirect_uri")
	if back == "" || originOf(back) != originOf(s.publicURL) {
		back = s.publicURL + "/hub?token=" + url.QueryEscape(q.Get("token")) + "&attempt=" + url.QueryEscape(a.ID)
	}
	client := oauth.NewClient(c, p, s.site, s.httpClient)
	verifier := ""
	if client.UsesPKCE() {
		verifier = oauth2.GenerateVerifier()
	}
	state := randomToken()
	if _, err := s.store.CreateOAuthState(r.Context(), store.OAuthState{ProjectID: cs.ProjectID, StateHash: hashToken(state), AttemptID: a.ID,
		CodeVerifier: verifier, RedirectURI: back, ExpiresAt: time.Now().Add(stateTTL).UTC()}); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, client.AuthorizeURL(state, verifier), http.StatusFound)
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

// callback answers GET /connect/oauth2/{provider}/callback.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("state") == "" {
		hub.RenderProblem(w, http.StatusBadRequest, "This sign-in response has no state.", "Start again from the application.")
		return
	}
	st, err := s.store.ConsumeOAuthState(r.Context(), hashToken(q.Get("state")), time.Now().UTC())
	switch {
	case errors.Is(err, store.ErrUsed):
		hub.RenderProblem(w, http.StatusBadRequest, "This sign-in response was already used.", "Start again from the application.")
		return
	case errors.Is(err, store.ErrExpired):
		hub.RenderProblem(w, http.StatusBadRequest, "This sign-in took too long and expired.", "Start again from the application.")
		return
	case err != nil:
		hub.RenderProblem(w, http.StatusBadRequest, "This sign-in response is not one Patchbay started.", "Start again from the application.")
		return
	}
	a, err := s.store.GetConnectionAttempt(r.Context(), st.ProjectID, st.AttemptID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p, err := s.store.GetConnectorProfile(r.Context(), a.ProjectID, a.ProfileID)
	if err != nil || p.ConnectorKey != r.PathValue("provider") {
		hub.RenderProblem(w, http.StatusBadRequest, "This sign-in response came back to the wrong provider.", "Start again from the application.")
		return
	}
	c, _ := s.registry.Get(p.ConnectorKey)
	fail := func(code, desc string) {
		a.Status, a.ErrorCode, a.ErrorDescription = store.AttemptError, code, plainError(c.Name, code)
		if desc != "" && code != "access_denied" {
			a.ErrorDescription += " (" + desc + ")"
		}
		if _, err := s.store.UpdateConnectionAttempt(r.Context(), a); err != nil && !errors.Is(err, store.ErrStale) {
			s.log.ErrorContext(r.Context(), "record failed attempt", "attempt_id", a.ID, "err", err)
		}
		http.Redirect(w, r, st.RedirectURI, http.StatusFound)
	}
	if code := q.Get("error"); code != "" {
		fail(code, q.Get("error_description"))
		return
	}
	client := oauth.NewClient(c, p, s.site, s.httpClient)
	creds, err := client.Exchange(r.Context(), q.Get("code"), st.CodeVerifier)
	if err != nil {
		var re *oauth2.RetrieveError
		desc := err.Error()
		if errors.As(err, &re) {
			desc = re.ErrorCode
		}
		s.log.WarnContext(r.Context(), "token exchange failed", "attempt_id", a.ID, "provider", c.Key, "err", desc)
		fail("token_exchange_failed", desc)
		return
	}
	cs, err := s.sessionByID(r.Context(), a)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	setup := map[string]string{}
	if len(c.AccountSetup) > 0 {
		f := c.AccountSetup[0]
		options, err := setupOptions(r.Context(), client, c, f, creds.AccessToken)
		if err != nil || len(options) == 0 {
			s.log.WarnContext(r.Context(), "account setup failed", "attempt_id", a.ID, "provider", c.Key, "err", err)
			fail("setup_failed", "")
			return
		}
		if len(options) > 1 {
			// The Hub asks the user to choose; keep the tokens sealed on the attempt until then.
			a.SetupField, a.SetupOptions, a.PendingCredentials = f.Key, options, &creds
			if _, err := s.store.UpdateConnectionAttempt(r.Context(), a); err != nil {
				s.internalError(w, r, err)
				return
			}
			http.Redirect(w, r, st.RedirectURI, http.StatusFound)
			return
		}
		setup[f.Key] = options[0].Value
	}
	if _, err := s.finishAttempt(r.Context(), cs, a, creds, setup); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, st.RedirectURI, http.StatusFound)
}

func (s *Server) sessionByID(ctx context.Context, a store.ConnectionAttempt) (store.ConnectSession, error) {
	// Attempts carry their session id; the session is re-read through its project.
	return s.store.GetConnectSession(ctx, a.ProjectID, a.SessionID)
}

// setupOptions lists the choices of a setup field by calling its options action.
func setupOptions(ctx context.Context, client *oauth.Client, c *connectors.Connector, f connectors.SetupField, accessToken string) ([]store.SetupOption, error) {
	action, ok := c.Action(f.OptionsAction)
	if !ok {
		return nil, fmt.Errorf("no action %s", f.OptionsAction)
	}
	body, err := client.Get(ctx, accessToken, action.Path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", f.OptionsAction, err)
	}
	for _, key := range strings.Split(action.Data, ".") {
		if key == "" {
			continue
		}
		m, _ := doc.(map[string]any)
		doc = m[key]
	}
	items, _ := doc.([]any)
	var out []store.SetupOption
	for _, it := range items {
		m, _ := it.(map[string]any)
		value, _ := m[f.OptionValue].(string)
		label, _ := m[f.OptionLabel].(string)
		if value != "" {
			out = append(out, store.SetupOption{Value: value, Label: cmp.Or(label, value)})
		}
	}
	return out, nil
}

// finishAttempt links the account by the reference's rule and marks the attempt
// authenticated: the session's account_id is edited; otherwise the owner's
// existing account for this provider is reopened unless the session wants
// multiple accounts; otherwise a new account is created.
func (s *Server) finishAttempt(ctx context.Context, cs store.ConnectSession, a store.ConnectionAttempt, creds store.Credentials, setup map[string]string) (store.ConnectionAttempt, error) {
	p, err := s.store.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID)
	if err != nil {
		return a, err
	}
	var existing store.Account
	switch {
	case cs.AccountID != "":
		existing, err = s.store.GetAccount(ctx, cs.ProjectID, cs.AccountID)
	case !cs.Multiple:
		existing, err = s.store.FindAccountByOwner(ctx, cs.ProjectID, p.ConnectorKey, cs.OriginOwnerID, cs.OriginOwnerName, cs.ProfileID)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		return a, err
	}
	var acc store.Account
	if existing.ID != "" {
		existing.ProfileID, existing.Status, existing.StatusReasons = p.ID, store.StatusActive, nil
		existing.OriginUsername = cmp.Or(cs.OriginUsername, existing.OriginUsername)
		existing.SetupInformation = setup
		if cs.Label != "" {
			existing.Label = cs.Label
		}
		if acc, err = s.store.UpdateAccount(ctx, existing); err != nil {
			return a, err
		}
		if acc, err = s.store.UpdateCredentials(ctx, acc.ProjectID, acc.ID, acc.CredentialVersion, creds); err != nil {
			return a, err
		}
	} else {
		acc, err = s.store.CreateAccount(ctx, store.Account{
			ProjectID: cs.ProjectID, ProfileID: p.ID, Provider: p.ConnectorKey, Status: store.StatusActive,
			OriginOwnerID: cs.OriginOwnerID, OriginOwnerName: cs.OriginOwnerName, OriginUsername: cs.OriginUsername,
			Label: cs.Label, Type: cs.Type, Metadata: cs.Metadata, SetupInformation: setup, Credentials: creds,
		})
		if err != nil {
			return a, err
		}
	}
	a.Status, a.AccountID, a.PendingCredentials, a.SetupOptions = store.AttemptAuthenticated, acc.ID, nil, nil
	return s.store.UpdateConnectionAttempt(ctx, a)
}
