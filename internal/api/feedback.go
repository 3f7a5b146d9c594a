package api

import (
	"net/http"
	"time"

	"github.com/patchbayhq/patchbay/internal/feedback"
	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

type feedbackJSON struct {
	ID         string    `json:"id"`
	Feedback   string    `json:"feedback"`
	AccountIDs []string  `json:"account_ids"`
	ToolNames  []string  `json:"tool_names"`
	CreatedAt  time.Time `json:"created_at"`
}

func toFeedbackJSON(f store.ToolFeedback) feedbackJSON {
	return feedbackJSON{ID: f.ID, Feedback: f.Feedback, AccountIDs: f.AccountIDs, ToolNames: f.ToolNames, CreatedAt: f.CreatedAt}
}

// recordFeedback answers POST /ai/tool-feedback {feedback, account_id,
// tool_names}, what the StackOne AI SDK's tool_feedback tool sends.
func (s *Server) recordFeedback(w http.ResponseWriter, r *http.Request) {
	var in feedback.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	f, err := s.feedback.Record(r.Context(), callerKey(r.Context()).ProjectID, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Message string `json:"message"`
		feedbackJSON
	}{"Feedback recorded", toFeedbackJSON(f)})
}

// listFeedback answers GET /ai/tool-feedback: the project's feedback, oldest
// first, paged as every list is.
func (s *Server) listFeedback(w http.ResponseWriter, r *http.Request) {
	size, window, ok := s.pageRequest(w, r)
	if !ok {
		return
	}
	read, err := s.feedback.List(r.Context(), callerKey(r.Context()).ProjectID, window)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page, next := paging.Page(read, size, func(f store.ToolFeedback) store.ListKey { return store.ListKey{CreatedAt: f.CreatedAt, ID: f.ID} })
	out := make([]feedbackJSON, len(page))
	for i, f := range page {
		out[i] = toFeedbackJSON(f)
	}
	writePage(w, out, next)
}
