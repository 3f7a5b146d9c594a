package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
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
	p, err := s.store.GetProject(r.Context(), callerKey(r.Context()).ProjectID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, projectJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt})
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	size, window, ok := pageRequest(w, r)
	if !ok {
		return
	}
	read, err := s.store.ListAPIKeys(r.Context(), callerKey(r.Context()).ProjectID, window)
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

// maxListPage is the largest page of API keys or connector profiles, and the
// size of a page when page_size is not given.
const maxListPage = 100

// pageRequest reads a list's page_size and next into the store window that
// reads the page; a bad value is answered with 400 naming it.
func pageRequest(w http.ResponseWriter, r *http.Request) (int, store.Window, bool) {
	size := maxListPage
	if v := r.URL.Query().Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "page_size: must be a whole number")
			return 0, store.Window{}, false
		}
		size = n
	}
	window, err := paging.Window(size, r.URL.Query().Get("next"), maxListPage)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return 0, store.Window{}, false
	}
	return size, window, true
}

// writePage answers a page of a list: its items, and the next value that
// continues after them when another page follows.
func writePage[T any](w http.ResponseWriter, data []T, next string) {
	body := map[string]any{"data": data}
	if next != "" {
		body["next"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string        `json:"name"`
		Role store.KeyRole `json:"role"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	plaintext, k, err := apikeys.IssueRole(r.Context(), s.store, callerKey(r.Context()).ProjectID, req.Name, req.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := toAPIKeyJSON(k)
	out.Key = plaintext
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := apikeys.Revoke(r.Context(), s.store, callerKey(r.Context()).ProjectID, r.PathValue("id"), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKeyJSON(k))
}
