package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/actions"
)

// rpc answers POST /actions/rpc: one action for the account named by x-account-id
// (or, for clients that cannot set the header, body.headers["x-account-id"]).
func (s *Server) rpc(w http.ResponseWriter, r *http.Request) {
	var in struct {
		actions.Request
		Headers         map[string]any `json:"headers"`
		DefenderConfig  map[string]any `json:"defender_config"`
		DefenderEnabled *bool          `json:"defender_enabled"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	accountID := r.Header.Get("X-Account-Id")
	if accountID == "" {
		accountID, _ = in.Headers["x-account-id"].(string)
	}
	switch {
	case accountID == "":
		writeError(w, http.StatusBadRequest, "x-account-id: the header (or body.headers[\"x-account-id\"]) must name the linked account")
		return
	case in.Action == "":
		writeError(w, http.StatusBadRequest, "action: required, e.g. justworks_list_members")
		return
	}
	res, err := s.actions.Run(r.Context(), callerKey(r.Context()).ProjectID, accountID, in.Request)
	var ae *actions.Error
	switch {
	case errors.As(err, &ae):
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
		writeProviderError(w, ae.Status, ae.Message, ae.ProviderErrors)
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
