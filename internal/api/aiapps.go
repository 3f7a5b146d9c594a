package api

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// aiAppRoutes serve the authorization server AI apps sign in with before
// they call /mcp (the consent page is the console's).
func (s *Server) aiAppRoutes() {
	metadata := func(doc func() map[string]any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			writeJSON(w, http.StatusOK, doc())
		}
	}
	s.handle("GET /.well-known/oauth-protected-resource", openCORS(metadata(s.aiapps.ProtectedResource)))
	s.handle("GET /.well-known/oauth-protected-resource/mcp", openCORS(metadata(s.aiapps.ProtectedResource)))
	s.handle("GET /.well-known/oauth-authorization-server", openCORS(metadata(s.aiapps.AuthorizationServer)))
	s.handle("POST /oauth/register", openCORS(s.perAddress(s.registerAIApp)))
	s.handle("POST /oauth/token", openCORS(s.perAddress(s.aiToken)))
	s.handle("POST /oauth/revoke", openCORS(s.perAddress(s.revokeAIToken)))
	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp",
		"/.well-known/oauth-authorization-server", "/oauth/register", "/oauth/token", "/oauth/revoke"} {
		s.handle("OPTIONS "+path, openCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	}
}

// openCORS lets AI apps that run in a browser (the MCP Inspector) read these
// answers. They carry no cookies and are authenticated, where at all, by
// what the request itself holds.
func openCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
		h.Set("Access-Control-Max-Age", "3600")
		next.ServeHTTP(w, r)
	})
}

// registerAIApp answers RFC 7591 dynamic client registration. Metadata
// Patchbay does not use is ignored, as the RFC asks.
func (s *Server) registerAIApp(w http.ResponseWriter, r *http.Request) {
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != "application/json" {
		writeOAuthError(w, &aiapps.Error{Code: "invalid_client_metadata", Description: "send the client metadata as application/json", Status: 400})
		return
	}
	var in aiapps.Registration
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeOAuthError(w, &aiapps.Error{Code: "invalid_client_metadata", Description: problem.FromJSON("the client metadata", err).Message, Status: 400})
		return
	}
	out, err := s.aiapps.Register(r.Context(), in)
	s.oauthAnswer(w, r, http.StatusCreated, out, err)
}

// aiToken answers the token endpoint: code exchange and refresh.
func (s *Server) aiToken(w http.ResponseWriter, r *http.Request) {
	form, cc, ok := s.oauthForm(w, r)
	if !ok {
		return
	}
	out, err := s.aiapps.Token(r.Context(), form, cc)
	s.oauthAnswer(w, r, http.StatusOK, out, err)
}

// revokeAIToken answers RFC 7009 revocation.
func (s *Server) revokeAIToken(w http.ResponseWriter, r *http.Request) {
	form, cc, ok := s.oauthForm(w, r)
	if !ok {
		return
	}
	s.oauthAnswer(w, r, http.StatusOK, nil, s.aiapps.RevokeToken(r.Context(), form.Get("token"), cc))
}

// oauthAnswer answers an OAuth request: v (nothing when nil) with status, or
// err as an OAuth error; never cached, since answers carry credentials.
func (s *Server) oauthAnswer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	switch {
	case err != nil:
		s.oauthFail(w, r, err)
	case v == nil:
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	default:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, status, v)
	}
}

// oauthForm reads a form-encoded OAuth request and the client's credentials.
func (s *Server) oauthForm(w http.ResponseWriter, r *http.Request) (url.Values, aiapps.ClientCredentials, bool) {
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != "application/x-www-form-urlencoded" {
		writeOAuthError(w, &aiapps.Error{Code: "invalid_request", Description: "send the request as application/x-www-form-urlencoded", Status: 400})
		return nil, aiapps.ClientCredentials{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, &aiapps.Error{Code: "invalid_request", Description: "the form could not be read: " + err.Error(), Status: 400})
		return nil, aiapps.ClientCredentials{}, false
	}
	cc := aiapps.ClientCredentials{ID: r.PostForm.Get("client_id"), Secret: r.PostForm.Get("client_secret")}
	if id, secret, ok := r.BasicAuth(); ok {
		cc = aiapps.ClientCredentials{ID: id, Secret: secret, Basic: true}
	}
	return r.PostForm, cc, true
}

// oauthFail answers an OAuth error body, or a 500 for anything else.
func (s *Server) oauthFail(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*aiapps.Error](err)
	if !ok {
		s.log.ErrorContext(r.Context(), "oauth request failed", "err", err, "request_id", requestID(r.Context()))
		e = &aiapps.Error{Code: "server_error", Description: "Internal error; see the server log for request " + requestID(r.Context()), Status: 500}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="patchbay oauth"`)
	}
	writeOAuthError(w, e)
}

func writeOAuthError(w http.ResponseWriter, e *aiapps.Error) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.Status, e)
}

// grantKey carries the AI app's grant that authenticated an /mcp request.
const grantKey ctxKey = 100

func grantOf(ctx context.Context) (store.AIGrant, bool) {
	g, ok := ctx.Value(grantKey).(store.AIGrant)
	return g, ok
}

// requireMCPCaller authenticates /mcp: an AI app's access token, or an API key
// as everywhere else. A 401 points OAuth clients to the protected resource
// metadata, from where they find how to sign in.
func (s *Server) requireMCPCaller(next http.HandlerFunc) http.Handler {
	keyed := s.requireKey(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := keyFromRequest(r)
		if s.aiapps == nil || !aiapps.IsAccessToken(token) {
			keyed.ServeHTTP(w, r)
			return
		}
		g, err := s.aiapps.Authenticate(r.Context(), token)
		if errors.Is(err, aiapps.ErrInvalidToken) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+err.Error()+`", resource_metadata="`+s.aiapps.ResourceMetadataURL()+`"`)
			s.writeError(w, http.StatusUnauthorized, "The access token is invalid, expired, revoked or meant for another server; sign in again")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if s.withinQuota(w, r, g.ID, "this AI app") {
			audit.Name(r.Context(), "oauth_client:"+g.ClientID)
			next(w, r.WithContext(context.WithValue(r.Context(), grantKey, g)))
		}
	})
}
