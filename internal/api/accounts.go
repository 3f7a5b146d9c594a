package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/patchbayhq/patchbay/internal/oauth"
	"github.com/patchbayhq/patchbay/internal/store"
)

// accountJSON is the public LinkedAccount: it never carries credentials.
type accountJSON struct {
	ID                 string               `json:"id"`
	Provider           string               `json:"provider"`
	ProviderName       string               `json:"provider_name"`
	Status             string               `json:"status"`
	StatusReasons      []store.StatusReason `json:"status_reasons"`
	OriginOwnerID      string               `json:"origin_owner_id"`
	OriginOwnerName    string               `json:"origin_owner_name"`
	OriginUsername     string               `json:"origin_username,omitempty"`
	SetupInformation   map[string]string    `json:"setup_information"`
	Label              string               `json:"label,omitempty"`
	Type               string               `json:"type,omitempty"`
	Metadata           map[string]any       `json:"metadata"`
	ConnectorProfileID string               `json:"connector_profile_id"`
	IntegrationID      string               `json:"integration_id"`
	CreatedAt          time.Time            `json:"created_at"`
	UpdatedAt          time.Time            `json:"updated_at"`
}

func (s *Server) accountView(a store.Account) accountJSON {
	v := accountJSON{
		ID: a.ID, Provider: a.Provider, Status: a.Status, StatusReasons: a.StatusReasons,
		OriginOwnerID: a.OriginOwnerID, OriginOwnerName: a.OriginOwnerName, OriginUsername: a.OriginUsername,
		SetupInformation: a.SetupInformation, Label: a.Label, Type: a.Type, Metadata: a.Metadata,
		ConnectorProfileID: a.ProfileID, IntegrationID: a.ProfileID, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if c, ok := s.registry.Get(a.Provider); ok {
		v.ProviderName = c.Name
	}
	if v.StatusReasons == nil {
		v.StatusReasons = []store.StatusReason{}
	}
	return v
}

// listValues reads a repeatable filter given as name, name[] or a comma list.
func listValues(q url.Values, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, v := range q[n] {
			out = append(out, splitList(v)...)
		}
	}
	return out
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AccountFilter{
		OriginOwnerIDs: listValues(q, "origin_owner_id", "origin_owner_ids", "origin_owner_ids[]"),
		AccountIDs:     listValues(q, "account_ids", "account_ids[]"),
		Providers:      listValues(q, "provider", "providers", "providers[]"),
		Statuses:       listValues(q, "status", "status[]"),
		ProfileID:      q.Get("connector_profile_id"),
	}
	page, size := 1, 25
	for name, dst := range map[string]*int{"page": &page, "page_size": &size} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (name == "page_size" && n > 500) {
				writeError(w, http.StatusBadRequest, name+": must be a positive whole number"+map[bool]string{true: " up to 500", false: ""}[name == "page_size"])
				return
			}
			*dst = n
		}
	}
	accounts, err := s.store.ListAccounts(r.Context(), callerKey(r.Context()).ProjectID, f)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// The reference returns a bare array.
	out := []accountJSON{}
	start := min((page-1)*size, len(accounts))
	for _, a := range accounts[start:min(start+size, len(accounts))] {
		out = append(out, s.accountView(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// account loads the {id} account of the caller's project, answering 404 itself.
func (s *Server) account(w http.ResponseWriter, r *http.Request) (store.Account, bool) {
	a, err := s.store.GetAccount(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "No account "+r.PathValue("id")+" in this project")
		return store.Account{}, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return store.Account{}, false
	}
	return a, true
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.account(w, r); ok {
		writeJSON(w, http.StatusOK, s.accountView(a))
	}
}

func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OriginOwnerName  *string           `json:"origin_owner_name"`
		OriginUsername   *string           `json:"origin_username"`
		Label            *string           `json:"label"`
		Type             *string           `json:"type"`
		Metadata         map[string]any    `json:"metadata"`
		SetupInformation map[string]string `json:"setup_information"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	a, ok := s.account(w, r)
	if !ok {
		return
	}
	if in.Type != nil && *in.Type != "" && *in.Type != "production" && *in.Type != "test" {
		writeError(w, http.StatusBadRequest, "type: use production or test")
		return
	}
	for dst, src := range map[*string]*string{&a.OriginOwnerName: in.OriginOwnerName, &a.OriginUsername: in.OriginUsername, &a.Label: in.Label, &a.Type: in.Type} {
		if src != nil {
			*dst = *src
		}
	}
	if in.Metadata != nil {
		a.Metadata = in.Metadata
	}
	if in.SetupInformation != nil {
		a.SetupInformation = in.SetupInformation
	}
	if a.OriginOwnerName == "" {
		writeError(w, http.StatusBadRequest, "origin_owner_name: must not be empty")
		return
	}
	a, err := s.store.UpdateAccount(r.Context(), a)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accountView(a))
}

// deleteAccount revokes the provider token where the provider supports it, then
// forgets the account. A failed revocation is logged, not fatal: the customer
// asked to disconnect, and the tokens are gone from here either way.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := s.account(w, r)
	if !ok {
		return
	}
	if err := oauth.RevokeAccount(r.Context(), s.registry, s.store, s.site, s.httpClient, a); err != nil {
		s.log.WarnContext(r.Context(), "revoke provider token", "account_id", a.ID, "err", err)
	}
	if err := s.store.DeleteAccount(r.Context(), a.ProjectID, a.ID); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
