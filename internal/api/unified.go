package api

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/unified"
)

// unifiedRoutes serves every unified operation at its path; anything else
// under /unified/hris/ is an operation Patchbay does not offer.
func (s *Server) unifiedRoutes() {
	for _, op := range connectors.UnifiedOperations() {
		h := s.unifiedOperation(op.ID)
		if op.Method != http.MethodGet {
			h = s.write(nil, h)
		}
		s.handle(op.Method+" "+op.Path, s.requireKey(h))
	}
	s.handle("/unified/hris/", s.requireKey(s.unifiedMissing))
	s.handle("/unified/payroll/", s.requireKey(s.unifiedMissing))
}

// unifiedOperation answers one unified operation for the account named by x-account-id.
func (s *Server) unifiedOperation(operation string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		accountID := r.Header.Get("X-Account-Id")
		if accountID == "" {
			s.writeError(w, http.StatusBadRequest, "x-account-id: the header must name the linked account")
			return
		}
		switch source := r.URL.Query().Get("source"); source {
		case "cache":
			s.cachedList(w, r, operation, accountID)
			return
		case "", "provider":
		default:
			s.writeError(w, http.StatusBadRequest, "source: "+strconv.Quote(source)+" is not provider (the default) or cache")
			return
		}
		p, err := unified.Parse(r.URL.Query(), r.PathValue("id"))
		if err == nil && (r.Method == http.MethodPost || r.Method == http.MethodPatch) {
			p.IdempotencyKey = r.Header.Get("Idempotency-Key")
			if p.Body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxUnifiedBody)); err != nil {
				s.writeError(w, http.StatusRequestEntityTooLarge, "body: larger than 1 MiB")
				return
			}
		}
		if err == nil {
			var ans unified.Answer
			if ans, err = s.unified.Do(r.Context(), s.caller(r), accountID, operation, p); err == nil {
				s.writeUnified(w, ans)
				return
			}
		}
		s.fail(w, r, err)
	}
}

// maxUnifiedBody bounds a unified write's body.
const maxUnifiedBody = 1 << 20

// writeUnified answers {data, next, raw}: next always on lists (null at the end).
func (s *Server) writeUnified(w http.ResponseWriter, ans unified.Answer) {
	status := http.StatusOK
	if ans.Created() {
		status = http.StatusCreated
	}
	// One buffer, one write with its length: streaming an encoder into the
	// connection sent a chunk, and a system call, per few kilobytes.
	buf := answerBuffers.Get().(*[]byte)
	defer answerBuffers.Put(buf)
	body, err := ans.AppendJSON((*buf)[:0])
	if err != nil {
		slog.Error("encode unified answer", "err", err)
		s.writeError(w, http.StatusInternalServerError, "Internal error: the answer could not be encoded")
		return
	}
	*buf = append(body, '\n')
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(*buf)))
	w.WriteHeader(status)
	w.Write(*buf)
}

var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

// unifiedMissing answers 501 for a unified request Patchbay has no operation for.
func (s *Server) unifiedMissing(w http.ResponseWriter, r *http.Request) {
	who := "Patchbay"
	if id := r.Header.Get("X-Account-Id"); id != "" {
		if a, err := s.accounts.Get(r.Context(), callerKey(r.Context()).ProjectID, id); err == nil {
			if c, ok := s.registry.Get(a.Provider); ok {
				who = c.Name + " through Patchbay"
			}
		}
	}
	s.writeError(w, http.StatusNotImplemented, r.Method+" "+r.URL.Path+" is not supported for "+who+
		"; the unified operations Patchbay offers are listed by GET /actions and in docs/unified.md")
}
