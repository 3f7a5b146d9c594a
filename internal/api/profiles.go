package api

import (
	"net/http"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
)

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) {
	size, window, ok := s.pageRequest(w, r)
	if !ok {
		return
	}
	f := store.ProfileFilter{ConnectorKey: r.URL.Query().Get("connector_key"), Window: window}
	if v := r.URL.Query().Get("enabled"); v != "" {
		enabled, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, http.StatusBadRequest, "enabled: must be true or false")
			return
		}
		f.Enabled = &enabled
	}
	read, err := s.profiles.List(r.Context(), callerKey(r.Context()).ProjectID, f)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page, next := paging.Page(read, size, func(p store.ConnectorProfile) store.ListKey { return store.ListKey{CreatedAt: p.CreatedAt, ID: p.ID} })
	out := make([]profiles.View, len(page))
	for i, p := range page {
		out[i] = s.profiles.Describe(p)
	}
	writePage(w, out, next)
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request) {
	var in profiles.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	p, err := s.profiles.Create(r.Context(), callerKey(r.Context()).ProjectID, in)
	s.writeProfile(w, r, http.StatusCreated, p, err)
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.profiles.Get(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	s.writeProfile(w, r, http.StatusOK, p, err)
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) {
	var in profiles.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	p, err := s.profiles.Update(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r), in)
	s.writeProfile(w, r, http.StatusOK, p, err)
}

// writeProfile answers with the profile and its version, or the error.
func (s *Server) writeProfile(w http.ResponseWriter, r *http.Request, status int, p store.ConnectorProfile, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, p.Version)
	writeJSON(w, status, s.profiles.Describe(p))
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request) {
	if err := s.profiles.Delete(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
