package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

// accountJSON is the public LinkedAccount: it never carries credentials.
type accountJSON struct {
	ID                 string               `json:"id"`
	Provider           string               `json:"provider"`
	ProviderName       string               `json:"provider_name"`
	Status             store.AccountStatus  `json:"status"`
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

// maxFilterValues bounds each list filter: enough for any real query, far
// below what a database takes as query parameters.
const maxFilterValues = 100

// tooMany answers 400 when a list filter holds more than maxFilterValues values.
func (s *Server) tooMany(w http.ResponseWriter, lists map[string][]string) bool {
	for name, values := range lists {
		if len(values) > maxFilterValues {
			s.writeError(w, http.StatusBadRequest, fmt.Sprintf("%s: at most %d values, got %d; split the query", name, maxFilterValues, len(values)))
			return true
		}
	}
	return false
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
	if s.tooMany(w, map[string][]string{"origin_owner_ids": f.OriginOwnerIDs, "account_ids": f.AccountIDs, "providers": f.Providers, "status": f.Statuses}) {
		return
	}
	size, err := paging.Size(q.Get("page_size"), 25, accounts.MaxPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := accounts.Page{Number: 1, Size: size}
	if v := q.Get("page"); v != "" {
		if page.Number, err = strconv.Atoi(v); err != nil || page.Number < 1 || page.Number > accounts.MaxPage {
			s.writeError(w, http.StatusBadRequest, fmt.Sprintf("page: must be a whole number from 1 to %d", accounts.MaxPage))
			return
		}
	}
	page.After = q.Get("next")
	list, next, err := s.accounts.List(r.Context(), callerKey(r.Context()).ProjectID, f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if next != "" {
		// The bare array has no room for a cursor: the next page's address
		// goes in a Link header (RFC 8288), as paged APIs commonly do.
		q.Del("page")
		q.Set("next", next)
		w.Header().Set("Link", "<"+s.publicURL+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	// The reference returns a bare array.
	out := []accountJSON{}
	for _, a := range list {
		out = append(out, s.accountView(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.accounts.Get(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, a.Version)
	writeJSON(w, http.StatusOK, s.accountView(a))
}

func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request) {
	var in accounts.Patch
	if !s.decodeJSON(w, r, &in) {
		return
	}
	a, err := s.accounts.Update(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, a.Version)
	writeJSON(w, http.StatusOK, s.accountView(a))
}

// deleteAccount disconnects an account, revoking its grant where the provider
// can, and answers with the account as it was (as the reference does).
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.accounts.Delete(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accountView(a))
}
