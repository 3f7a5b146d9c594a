package api

import (
	"cmp"
	"errors"
	"net/http"

	"github.com/patchbayhq/patchbay/internal/httpsec"
	"github.com/patchbayhq/patchbay/internal/hub"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// hubToken is the connect session token of a Hub request: the
// x-hub-session-token header, or the token query parameter for page loads.
func hubToken(r *http.Request) string {
	if token := r.Header.Get("X-Hub-Session-Token"); token != "" {
		return token
	}
	return r.URL.Query().Get("token")
}

// requireHubSession wraps Hub JSON endpoints.
func (s *Server) requireHubSession(next func(http.ResponseWriter, *http.Request, store.ConnectSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cs, err := s.linking.Session(r.Context(), hubToken(r))
		if _, ok := errors.AsType[*problem.Error](err); ok {
			s.writeError(w, http.StatusUnauthorized, "This connect link is unknown or has expired; ask for a new one")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		next(w, r, cs)
	}
}

// renderProblem shows a Hub page for a failure of the connect flow: with the
// problem's own status for the Hub page, 400 for the OAuth start and callback,
// where the request as a whole cannot be used.
func (s *Server) renderProblem(w http.ResponseWriter, r *http.Request, err error, status int, hint string) {
	p, ok := errors.AsType[*problem.Error](err)
	if !ok {
		s.internalError(w, r, err)
		return
	}
	hub.RenderProblem(w, cmp.Or(status, problem.HTTPStatus(p)), p.Message, cmp.Or(p.Hint, hint))
}

const askForLink = "Ask the application that sent you here for a new link."

// hubProviders lists what the session may link, as the Hub shows it.
func (s *Server) hubProviders(r *http.Request, cs store.ConnectSession) ([]hub.Provider, error) {
	choices, err := s.linking.Choices(r.Context(), cs)
	if err != nil {
		return nil, err
	}
	out := []hub.Provider{}
	for _, c := range choices {
		out = append(out, hub.Provider{Key: c.Connector.Key, Name: c.Connector.Name, ProfileID: c.Profile.ID, LogoURL: s.iconURL(c.Connector)})
	}
	return out, nil
}

// hubPage serves the Hub: the page at auth_link_url.
func (s *Server) hubPage(w http.ResponseWriter, r *http.Request) {
	cs, err := s.linking.Session(r.Context(), hubToken(r))
	if err != nil {
		s.renderProblem(w, r, err, 0, askForLink)
		return
	}
	options, err := s.hubProviders(r, cs)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	project, err := s.keys.Project(r.Context(), cs.ProjectID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	b := project.Branding
	httpsec.AllowFraming(w, cs.AllowedOrigin)
	hub.RenderPage(w, hub.Page{Token: r.URL.Query().Get("token"), OwnerName: cs.OriginOwnerName, Options: options,
		AllowedOrigin: cmp.Or(cs.AllowedOrigin, s.linking.Origin()), AttemptID: r.URL.Query().Get("attempt"),
		Brand: hub.Brand{Name: b.Name, LogoURL: b.LogoURL, Accent: b.Accent, SupportURL: b.SupportURL}})
}

func (s *Server) hubConnectors(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	options, err := s.hubProviders(r, cs)
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
	if !s.decodeJSON(w, r, &in) {
		return
	}
	a, err := s.linking.CreateAttempt(r.Context(), cs, in.IntegrationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": a.ID})
}

type attemptJSON struct {
	ID      string              `json:"id"`
	Status  store.AttemptStatus `json:"status"`
	Account *struct {
		ID           string `json:"id"`
		Provider     string `json:"provider"`
		ProviderName string `json:"provider_name"`
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

func attemptView(a linking.AttemptState) attemptJSON {
	v := attemptJSON{ID: a.ID, Status: a.Status}
	if a.Provider != "" {
		v.Account = &struct {
			ID           string `json:"id"`
			Provider     string `json:"provider"`
			ProviderName string `json:"provider_name"`
		}{a.AccountID, a.Provider, a.ProviderName}
	}
	if a.ErrorCode != "" {
		v.Error = &struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		}{a.ErrorCode, a.ErrorDescription}
	}
	if a.SetupLabel != "" {
		v.Setup = &struct {
			Field   string              `json:"field"`
			Label   string              `json:"label"`
			Options []store.SetupOption `json:"options"`
		}{a.SetupField, a.SetupLabel, a.SetupOptions}
	}
	return v
}

func (s *Server) getAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	a, err := s.linking.Attempt(r.Context(), cs, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, attemptView(a))
}

func (s *Server) cancelAttempt(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	if err := s.linking.CancelAttempt(r.Context(), cs, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// chooseSetup finishes an attempt that waits for the user's choice (an organisation).
func (s *Server) chooseSetup(w http.ResponseWriter, r *http.Request, cs store.ConnectSession) {
	var in struct {
		Value string `json:"value"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	a, err := s.linking.ChooseSetup(r.Context(), cs, r.PathValue("id"), in.Value)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, attemptView(a))
}

// startOAuth answers GET /connect/oauth2/{integration_id}: it sends the browser
// to the provider's consent screen.
func (s *Server) startOAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs, err := s.linking.Session(r.Context(), hubToken(r))
	if err != nil {
		s.renderProblem(w, r, err, http.StatusBadRequest, askForLink)
		return
	}
	target, err := s.linking.StartOAuth(r.Context(), cs, q.Get("token"), q.Get("connection_attempt_id"), r.PathValue("integration_id"), q.Get("redirect_uri"))
	if err != nil {
		s.renderProblem(w, r, err, http.StatusBadRequest, "")
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// callback answers GET /connect/oauth2/{provider}/callback.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := s.linking.Finish(r.Context(), linking.Callback{Provider: r.PathValue("provider"), State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description")})
	if err != nil {
		s.renderProblem(w, r, err, http.StatusBadRequest, "")
		return
	}
	http.Redirect(w, r, back, http.StatusFound)
}
