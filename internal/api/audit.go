package api

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/store"
)

// listAudit answers GET /audit_logs: the project's audit trail, newest
// first, a page at a time; format=csv or format=jsonl exports every entry
// the filters select instead.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	f, err := audit.ParseFilter(callerKey(r.Context()).ProjectID, r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		entries, err := s.audit.List(r.Context(), f)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		views := make([]audit.View, len(entries))
		for i, e := range entries {
			views[i] = audit.ViewOf(e)
		}
		var next *string
		if n := audit.Next(entries, f); n != "" {
			next = &n
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": views, "next": next})
	case "csv", "jsonl":
		s.exportAudit(w, r, f, format)
	default:
		s.writeError(w, http.StatusBadRequest, "format: use json (the default), csv or jsonl")
	}
}

// exportAudit streams every entry f selects as CSV or JSON Lines. The
// answer has begun once the first entry is out: a failure after that cuts
// the connection, so that a short export is never taken for a whole one.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, f store.AuditFilter, format string) {
	w.Header().Set("Content-Type", audit.ExportTypes[format])
	w.Header().Set("Content-Disposition", `attachment; filename="audit.`+format+`"`)
	if err := s.audit.Export(r.Context(), w, f, format); err != nil {
		s.log.WarnContext(r.Context(), "audit export cut off", "err", err, "request_id", requestID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}
