package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
)

func (s *Server) describeProfile(p store.ConnectorProfile) profiles.View {
	return profiles.Describe(s.registry, s.publicURL, p)
}

// profileError answers validation and store errors of profile writes.
func (s *Server) profileError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *profiles.ValidationError
	switch {
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, invalid.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "No connector profile "+r.PathValue("id")+" in this project")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "Connector profile "+r.PathValue("id")+" is in use: "+err.Error())
	case errors.Is(err, store.ErrSealed):
		writeError(w, http.StatusConflict, "Connector profile "+r.PathValue("id")+"'s client secret cannot be opened with this deployment's encryption keys: "+
			"restore the key that sealed it to PATCHBAY_ENCRYPTION_KEYS, or delete the profile and create it again")
	default:
		s.internalError(w, r, err)
	}
}

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) {
	size, window, ok := pageRequest(w, r)
	if !ok {
		return
	}
	f := store.ProfileFilter{ConnectorKey: r.URL.Query().Get("connector_key"), Window: window}
	if v := r.URL.Query().Get("enabled"); v != "" {
		enabled, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "enabled: must be true or false")
			return
		}
		f.Enabled = &enabled
	}
	read, err := s.store.ListConnectorProfiles(r.Context(), callerKey(r.Context()).ProjectID, f)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page, next := paging.Page(read, size, func(p store.ConnectorProfile) store.ListKey { return store.ListKey{CreatedAt: p.CreatedAt, ID: p.ID} })
	out := make([]profiles.View, len(page))
	for i, p := range page {
		out[i] = s.describeProfile(p)
	}
	writePage(w, out, next)
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request) {
	var in profiles.Input
	if !decodeJSON(w, r, &in) {
		return
	}
	p, err := profiles.Apply(s.registry, nil, in)
	if err != nil {
		s.profileError(w, r, err)
		return
	}
	p.ProjectID = callerKey(r.Context()).ProjectID
	p, err = s.store.CreateConnectorProfile(r.Context(), p)
	if err != nil {
		s.profileError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.describeProfile(p))
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.GetConnectorProfile(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.profileError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.describeProfile(p))
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) {
	var in profiles.Input
	if !decodeJSON(w, r, &in) {
		return
	}
	existing, err := s.store.GetConnectorProfile(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.profileError(w, r, err)
		return
	}
	p, err := profiles.Apply(s.registry, &existing, in)
	if err != nil {
		s.profileError(w, r, err)
		return
	}
	if p, err = s.store.UpdateConnectorProfile(r.Context(), p); err != nil {
		s.profileError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.describeProfile(p))
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteConnectorProfile(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id")); err != nil {
		s.profileError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
