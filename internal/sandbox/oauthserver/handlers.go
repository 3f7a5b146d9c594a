package oauthserver

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed pages.html
var pagesFS embed.FS

var pages = template.Must(template.ParseFS(pagesFS, "pages.html"))

// pendingTTL bounds how long a user may take to log in and consent; codes live as long.
const pendingTTL = 10 * time.Minute

// maxState bounds the state parameter a pending authorization keeps.
const maxState = 2048

// Register adds the authorization server's endpoints to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+s.cfg.AuthorizePath, s.authorize)
	mux.HandleFunc("POST "+s.cfg.AuthorizePath+"/login", s.login)
	mux.HandleFunc("POST "+s.cfg.AuthorizePath+"/consent", s.consent)
	mux.HandleFunc("POST "+s.cfg.TokenPath, s.token)
	for _, p := range s.cfg.RevokePaths {
		mux.HandleFunc("POST "+p, s.revoke)
	}
}

// pageData feeds the login, consent and error pages. Form actions are relative
// ("authorize/login", "consent") so the pages work wherever the simulator is mounted.
type pageData struct {
	Provider  string
	Error     string
	PendingID string
	AppName   string
	Email     string
	Scopes    []string
	Sensitive []string
	Tenants   []Tenant
	// LoginAction is where the sign-in form posts, relative to the page's own
	// address: the authorize page and the page redrawn after a wrong password
	// sit at different depths.
	LoginAction string
}

func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	d.Provider = s.cfg.Name
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	pages.ExecuteTemplate(w, name, d)
}

// errorPage answers problems that must not redirect: the redirect URI cannot be trusted.
func (s *Server) errorPage(w http.ResponseWriter, msg string) {
	s.renderPage(w, http.StatusBadRequest, "error", pageData{Error: msg})
}

// redirectWith sends the browser back to the client with extra query parameters.
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, v := range params {
		if len(v) > 0 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	app, ok := s.apps[q.Get("client_id")]
	s.mu.Unlock()
	if !ok {
		s.errorPage(w, "Unknown client_id: no application is registered with it.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(app.RedirectURIs, redirectURI) {
		s.errorPage(w, "The redirect_uri is not registered for this application.")
		return
	}
	state := q.Get("state")
	if len(state) > maxState {
		s.errorPage(w, "The state parameter is too long.")
		return
	}
	fail := func(code, desc string) {
		s.stats.Inc("authorize.error." + code)
		redirectWith(w, r, redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" && method == "" {
		method = "plain"
	}
	switch {
	case s.cfg.PKCERequired && (challenge == "" || method != "S256"):
		fail("invalid_request", "PKCE required")
		return
	case challenge != "" && method != "S256" && method != "plain":
		fail("invalid_request", "code_challenge_method must be S256 or plain")
		return
	}
	scopes := app.Scopes
	if s.cfg.RequestScopes && q.Has("scope") {
		requested := strings.Fields(q.Get("scope"))
		for _, sc := range requested {
			if s.cfg.KnownScopes != nil && !slices.Contains(s.cfg.KnownScopes, sc) {
				fail("invalid_scope", "unknown scope "+sc)
				return
			}
		}
		scopes = intersect(app.Scopes, requested)
	}
	id := randomToken(18)
	s.mu.Lock()
	s.sweepLocked()
	s.pending[id] = &pendingAuth{app: app, redirectURI: redirectURI, state: state, scopes: scopes, requested: q.Get("scope"),
		challenge: challenge, method: method, expires: s.now().Add(pendingTTL)}
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, "login", pageData{PendingID: id, AppName: app.ClientID, LoginAction: path.Base(s.cfg.AuthorizePath) + "/login"})
}

// takePending finds a live pending authorization by the form's request id.
func (s *Server) takePending(id string) (*pendingAuth, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok || s.now().After(p.expires) {
		delete(s.pending, id)
		return nil, false
	}
	return p, true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p, ok := s.takePending(r.PostFormValue("request_id"))
	if !ok {
		s.errorPage(w, "This sign-in request has expired. Start again from the application.")
		return
	}
	u := s.userByEmail(strings.TrimSpace(r.PostFormValue("email")))
	if u == nil || u.Password != r.PostFormValue("password") {
		s.renderPage(w, http.StatusUnauthorized, "login", pageData{PendingID: r.PostFormValue("request_id"),
			AppName: p.app.ClientID, Email: r.PostFormValue("email"), Error: "Wrong email or password.", LoginAction: "login"})
		return
	}
	s.mu.Lock()
	p.user = u
	s.mu.Unlock()
	d := pageData{PendingID: r.PostFormValue("request_id"), AppName: p.app.ClientID, Email: u.Email}
	for _, sc := range p.scopes {
		if slices.Contains(s.cfg.SensitiveScopes, sc) {
			d.Sensitive = append(d.Sensitive, sc)
		} else {
			d.Scopes = append(d.Scopes, sc)
		}
	}
	d.Tenants = u.Tenants
	s.renderPage(w, http.StatusOK, "consent", d)
}

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("request_id")
	p, ok := s.takePending(id)
	if !ok || p.user == nil {
		s.errorPage(w, "This sign-in request has expired. Start again from the application.")
		return
	}
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
	if r.PostFormValue("decision") != "approve" {
		s.stats.Inc("authorize.denied")
		redirectWith(w, r, p.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user denied access"}, "state": {p.state}})
		return
	}
	scopes := p.scopes
	if r.PostFormValue("sensitive") != "on" {
		scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return slices.Contains(s.cfg.SensitiveScopes, sc) })
	}
	code := randomToken(24)
	g := s.newGrant(p.app, p.user, scopes)
	g.Family = code
	s.mu.Lock()
	s.sweepLocked()
	s.codes[code] = &codeGrant{grant: g, requested: p.requested, redirectURI: p.redirectURI,
		challenge: p.challenge, method: p.method, expires: s.now().Add(pendingTTL)}
	s.mu.Unlock()
	s.stats.Inc("authorize.approved")
	redirectWith(w, r, p.redirectURI, url.Values{"code": {code}, "state": {p.state}})
}

// sortedScopes returns a sorted copy, to compare scope lists as sets.
func sortedScopes(scopes []string) []string {
	out := slices.Clone(scopes)
	slices.Sort(out)
	return out
}

// oauthError writes an RFC 6749 §5.2 error.
func (s *Server) oauthError(w http.ResponseWriter, status int, code, desc string) {
	s.stats.Inc("token.error." + code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// tokenForm parses a token or revocation request: form body only, each field once.
func (s *Server) tokenForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return nil, false
	}
	if r.URL.RawQuery != "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "parameters must be sent in the form body, not the query string")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form body")
		return nil, false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			s.oauthError(w, http.StatusBadRequest, "invalid_request", "parameter "+k+" appears more than once")
			return nil, false
		}
	}
	return r.PostForm, true
}

// client authenticates the calling app by body credentials or, where allowed, Basic.
func (s *Server) client(w http.ResponseWriter, r *http.Request, form url.Values) (App, bool) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	basicID, basicSecret, usedBasic := r.BasicAuth()
	switch {
	case usedBasic && !s.cfg.BasicAuth:
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "send client_id and client_secret in the form body")
		return App{}, false
	case usedBasic && secret != "":
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "use one client authentication method, not two")
		return App{}, false
	case usedBasic:
		id, secret = basicID, basicSecret
	}
	s.mu.Lock()
	app, ok := s.apps[id]
	s.mu.Unlock()
	if !ok || secret == "" || subtle.ConstantTimeCompare([]byte(app.ClientSecret), []byte(secret)) != 1 {
		if usedBasic {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+s.cfg.Name+`"`)
		}
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong client secret")
		return App{}, false
	}
	return app, true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	form, ok := s.tokenForm(w, r)
	if !ok {
		return
	}
	app, ok := s.client(w, r, form)
	if !ok {
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		s.exchangeCode(w, app, form)
	case "refresh_token":
		s.refresh(w, app, form)
	case "":
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+gt+" is not supported")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, app App, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[form.Get("code")]
	switch {
	case ok && c.used:
		// RFC 6749 §4.1.2: a code used twice may be stolen; revoke what it granted.
		s.revokeFamilyLocked(c.grant.Family)
		s.oauthErrorLocked(w, "invalid_grant", "the code was used before; the tokens it granted are revoked")
		return
	case !ok || !s.now().Before(c.expires) || c.grant.ClientID != app.ClientID:
		s.oauthErrorLocked(w, "invalid_grant", "the code is unknown, expired, used or issued to another client")
		return
	case form.Get("redirect_uri") != c.redirectURI:
		s.oauthErrorLocked(w, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	case !verifyPKCE(c.challenge, c.method, form.Get("code_verifier")):
		s.oauthErrorLocked(w, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	c.used = true
	s.stats.Inc("token.authorization_code")
	resp := s.issueLocked(c.grant, "")
	if resp.Scope == "" && c.requested != "" && !slices.Equal(sortedScopes(strings.Fields(c.requested)), sortedScopes(c.grant.Scopes)) {
		resp.Scope = joinScopes(c.grant.Scopes) // RFC 6749 §5.1: required when it differs from the request
	}
	writeToken(w, resp)
}

func (s *Server) refresh(w http.ResponseWriter, app App, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := form.Get("refresh_token")
	rt, ok := s.refreshs[old]
	if !ok {
		s.reloadLocked() // another process sharing the state file may have issued it
		rt, ok = s.refreshs[old]
	}
	now := s.now()
	switch {
	case !ok || rt.revoked || rt.grant.ClientID != app.ClientID:
		s.oauthErrorLocked(w, "invalid_grant", "the refresh token is unknown or revoked")
		return
	case !rt.expires.IsZero() && !now.Before(rt.expires):
		s.oauthErrorLocked(w, "invalid_grant", "the refresh token has expired")
		return
	case !rt.rotatedAt.IsZero() && now.Sub(rt.rotatedAt) >= s.cfg.RotationGrace:
		s.oauthErrorLocked(w, "invalid_grant", "the refresh token was rotated; use the newest one")
		return
	}
	g := rt.grant
	if form.Has("scope") && s.cfg.RequestScopes {
		narrowed := strings.Fields(form.Get("scope"))
		for _, sc := range narrowed {
			if !slices.Contains(g.Scopes, sc) {
				s.oauthErrorLocked(w, "invalid_scope", "scope "+sc+" was not granted")
				return
			}
		}
		g.Scopes = narrowed
	}
	reuse := ""
	if s.cfg.ReuseRefreshTokens {
		reuse = old
	} else if rt.rotatedAt.IsZero() {
		rt.rotatedAt = now
	}
	s.stats.Inc("token.refresh_token")
	writeToken(w, s.issueLocked(g, reuse))
}

// oauthErrorLocked is oauthError for callers holding s.mu (stats has its own lock).
func (s *Server) oauthErrorLocked(w http.ResponseWriter, code, desc string) {
	s.oauthError(w, http.StatusBadRequest, code, desc)
}

func writeToken(w http.ResponseWriter, resp TokenResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	json.NewEncoder(w).Encode(resp)
}

// revokeFamilyLocked revokes every token that descends from the code family.
func (s *Server) revokeFamilyLocked(family string) {
	for _, rt := range s.refreshs {
		if rt.grant.Family == family {
			rt.revoked = true
		}
	}
	for _, a := range s.access {
		if a.grant.Family == family {
			a.revoked = true
		}
	}
	s.persistLocked()
}

// revoke follows RFC 7009: unknown tokens are fine; revoking a refresh token also
// revokes the access tokens issued with it.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	form, ok := s.tokenForm(w, r)
	if !ok {
		return
	}
	app, ok := s.client(w, r, form)
	if !ok {
		return
	}
	tok := form.Get("token")
	if tok == "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	s.mu.Lock()
	if a, ok := s.access[tok]; ok && a.grant.ClientID == app.ClientID {
		a.revoked = true
	}
	if rt, ok := s.refreshs[tok]; ok && rt.grant.ClientID == app.ClientID {
		rt.revoked = true
		for _, a := range s.access {
			if a.refresh == tok {
				a.revoked = true
			}
		}
	}
	s.persistLocked()
	s.mu.Unlock()
	s.stats.Inc("token.revoked")
	w.WriteHeader(http.StatusOK)
}
