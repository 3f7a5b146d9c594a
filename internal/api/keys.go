package api

import (
	"net/http"
	"time"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

type projectJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type apiKeyJSON struct {
	ID        string        `json:"id"`
	ProjectID string        `json:"project_id"`
	Name      string        `json:"name"`
	Role      store.KeyRole `json:"role"`
	Prefix    string        `json:"prefix"`
	CreatedAt time.Time     `json:"created_at"`
	RevokedAt *time.Time    `json:"revoked_at"`
	// Key is the plaintext, present only in the response that creates it.
	Key string `json:"key,omitempty"`
}

func toAPIKeyJSON(k store.APIKey) apiKeyJSON {
	out := apiKeyJSON{ID: k.ID, ProjectID: k.ProjectID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, CreatedAt: k.CreatedAt}
	if k.Revoked() {
		out.RevokedAt = &k.RevokedAt
	}
	return out
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	p, err := s.keys.Project(r.Context(), callerKey(r.Context()).ProjectID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, projectJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt})
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	size, window, ok := s.pageRequest(w, r)
	if !ok {
		return
	}
	read, err := s.keys.List(r.Context(), callerKey(r.Context()).ProjectID, window)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page, next := paging.Page(read, size, func(k store.APIKey) store.ListKey { return store.ListKey{CreatedAt: k.CreatedAt, ID: k.ID} })
	out := make([]apiKeyJSON, len(page))
	for i, k := range page {
		out[i] = toAPIKeyJSON(k)
	}
	writePage(w, out, next)
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string        `json:"name"`
		Role store.KeyRole `json:"role"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	plaintext, k, err := s.keys.Issue(r.Context(), callerKey(r.Context()).ProjectID, req.Name, req.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := toAPIKeyJSON(k)
	out.Key = plaintext
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.keys.Revoke(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKeyJSON(k))
}
