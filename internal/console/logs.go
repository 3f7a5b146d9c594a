package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// logList is the request log page: the filters as typed, and one page.
type logList struct {
	Account, Action, Provider, Status, Success, From, To string
	Logs                                                 []store.RequestLog
	Next                                                 string // the query of the next page, when there is one
	Problems                                             []string
}

const logPageSize = 50

func (c *Console) listLogs(q *req) {
	qs := q.r.URL.Query()
	l := logList{Account: strings.TrimSpace(qs.Get("account")), Action: strings.TrimSpace(qs.Get("action")), Provider: qs.Get("provider"),
		Status: strings.TrimSpace(qs.Get("status")), Success: qs.Get("success"), From: qs.Get("from"), To: qs.Get("to")}
	f := store.LogFilter{Limit: logPageSize}
	for v, dst := range map[string]*[]string{l.Account: &f.AccountIDs, l.Action: &f.Actions, l.Provider: &f.Providers} {
		if v != "" {
			*dst = []string{v}
		}
	}
	if l.Status != "" {
		n, err := strconv.Atoi(l.Status)
		if err != nil {
			l.Problems = append(l.Problems, "Status: give an HTTP status code such as 200 or 429")
		}
		f.StatusCodes = []int{n}
	}
	if l.Success != "" {
		ok := l.Success == "true"
		f.Success = &ok
	}
	// Dates come from datetime-local inputs, read as UTC.
	for v, dst := range map[string]*time.Time{l.From: &f.Start, l.To: &f.End} {
		if v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02T15:04", v)
		if err != nil {
			l.Problems = append(l.Problems, "From and To: give a date and time")
		}
		*dst = t
	}
	if after := qs.Get("after"); after != "" {
		at, id, _ := strings.Cut(after, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil || id == "" {
			l.Problems = append(l.Problems, "The page link is not one this page made; start from the first page")
		}
		f.AfterTime, f.AfterID = t, id
	}
	v := q.view("Request logs", "logs", &l)
	if len(l.Problems) > 0 {
		v.Error = strings.Join(l.Problems, ". ")
		c.render(q.w, http.StatusBadRequest, "logs", v)
		return
	}
	if err := c.o.Logs.Flush(q.ctx); err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	list, err := c.o.Logs.List(q.ctx, q.project.ID, f)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	l.Logs = list
	if len(list) == logPageSize {
		last := list[len(list)-1]
		next := url.Values{}
		for k, vs := range qs {
			if k != "after" {
				next[k] = vs
			}
		}
		next.Set("after", last.StartTime.UTC().Format(time.RFC3339Nano)+"|"+last.ID)
		l.Next = next.Encode()
	}
	c.render(q.w, http.StatusOK, "logs", v)
}

func (c *Console) showLog(q *req) {
	if err := c.o.Logs.Flush(q.ctx); err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	l, err := c.o.Logs.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		c.render(q.w, http.StatusNotFound, "message", q.view("Request log", "logs", nil))
		return
	}
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	c.render(q.w, http.StatusOK, "log", q.view("Request "+l.RequestID, "logs", l))
}
