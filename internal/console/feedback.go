package console

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

// feedbackPage is a page of what agents said about the tools.
type feedbackPage struct {
	Entries []store.ToolFeedback
	Next    string // where the next page starts; "" on the last
}

// feedbackPageSize is how many entries a page shows.
const feedbackPageSize = 50

func (c *Console) listFeedback(q *req) {
	window, err := paging.Window(feedbackPageSize, q.r.URL.Query().Get("next"), feedbackPageSize)
	if err != nil {
		q.redirect("/feedback", "") // a damaged link: start over
		return
	}
	read, err := c.o.Feedback.List(q.ctx, q.project.ID, window)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	page, next := paging.Page(read, feedbackPageSize, func(f store.ToolFeedback) store.ListKey { return store.ListKey{CreatedAt: f.CreatedAt, ID: f.ID} })
	c.render(q.w, http.StatusOK, "feedback", q.view("Agent feedback", "feedback", feedbackPage{Entries: page, Next: next}))
}
