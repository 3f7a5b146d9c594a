package api

import (
	"cmp"
	"net/http"
	"strconv"
	"time"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/syncs"
	"github.com/patchbayhq/patchbay/internal/unified"
)

// listSyncChanges answers GET /sync/changes: the change feed of the
// account named by x-account-id, of those in filter[account_ids], or of
// every account of the project.
func (s *Server) listSyncChanges(w http.ResponseWriter, r *http.Request) {
	q, ok := s.syncQuery(w, r, "cursor")
	if !ok {
		return
	}
	page, err := s.syncs.Changes(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// listSyncRecords answers GET /sync/records: cached records of one model.
func (s *Server) listSyncRecords(w http.ResponseWriter, r *http.Request) {
	q, ok := s.syncQuery(w, r, "next")
	if !ok {
		return
	}
	page, err := s.syncs.Records(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// syncQuery reads the accounts, model, page size and the cursor parameter
// named continuation.
func (s *Server) syncQuery(w http.ResponseWriter, r *http.Request, continuation string) (syncs.Query, bool) {
	v := r.URL.Query()
	ids := splitList(v.Get("filter[account_ids]"))
	if a := r.Header.Get("x-account-id"); a != "" {
		ids = []string{a}
	}
	if s.tooMany(w, map[string][]string{"filter[account_ids]": ids}) {
		return syncs.Query{}, false
	}
	size, err := paging.Size(v.Get("page_size"), syncs.DefaultPageSize, syncs.MaxPageSize)
	if err != nil {
		s.fail(w, r, err)
		return syncs.Query{}, false
	}
	return syncs.Query{ProjectID: callerKey(r.Context()).ProjectID, AccountIDs: ids, Model: v.Get("model"),
		Cursor: v.Get(continuation), PageSize: size}, true
}

// cachedList answers a unified list from the records cache (?source=cache):
// {data, next} as the provider's answer, paged by page_size and next, and
// filter[updated_after] kept to records Patchbay saw change after it.
func (s *Server) cachedList(w http.ResponseWriter, r *http.Request, operation, accountID string) {
	v := r.URL.Query()
	for name := range v {
		switch name {
		case "source", "page_size", "next", "filter[updated_after]", "updated_after":
		default:
			s.writeError(w, http.StatusBadRequest, name+": not taken with source=cache, which takes page_size, next and filter[updated_after]")
			return
		}
	}
	size, err := paging.Size(v.Get("page_size"), unified.DefaultPageSize, unified.MaxPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := syncs.Query{ProjectID: callerKey(r.Context()).ProjectID, AccountIDs: []string{accountID}, Cursor: v.Get("next"), PageSize: size}
	if after := cmp.Or(v.Get("filter[updated_after]"), v.Get("updated_after")); after != "" {
		if q.ChangedAfter, err = time.Parse(time.RFC3339, after); err != nil {
			s.writeError(w, http.StatusBadRequest, "filter[updated_after]: "+strconv.Quote(after)+" is not an ISO 8601 date-time such as 2024-01-31T00:00:00Z")
			return
		}
	}
	data, next, err := s.syncs.Cached(r.Context(), operation, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next": next})
}

// getAccountSync answers GET /accounts/{id}/sync: each model's sync.
func (s *Server) getAccountSync(w http.ResponseWriter, r *http.Request) {
	st, err := s.syncs.Status(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// syncAccount answers POST /accounts/{id}/sync: run the account's sync now
// (an empty body, or {"models": […], "full": true}).
func (s *Server) syncAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Models []string `json:"models"`
		Full   bool     `json:"full"`
	}
	if r.ContentLength != 0 && !s.decodeJSON(w, r, &in) {
		return
	}
	queued, err := s.syncs.Now(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), in.Models, in.Full)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The sync is queued: follow it with GET /accounts/" + r.PathValue("id") + "/sync."
	if !queued {
		msg = "A sync of this account is already queued or running; it goes on. Ask again once it has ended for another run."
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"queued": queued, "message": msg})
}
