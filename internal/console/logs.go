package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/store"
)

// logList is the request log page: the filters as typed, the summary of
// the chosen range, and one page of entries.
type logList struct {
	Search, Provider, Action, Class, From, To, Range string
	Providers                                        []option // the select's choices
	Actions                                          []string
	Logs                                             []store.RequestLog
	Next                                             string // the query of the next page, when there is one
	Problems                                         []string
	Summary                                          logSummary
	// Owners names the listed accounts by their end user, where they still exist.
	Owners map[string]string
}

// option is a select's value and label.
type option struct{ Value, Label string }

const logPageSize = 50

func (c *Console) listLogs(q *req) {
	qs := q.r.URL.Query()
	l := logList{Search: strings.TrimSpace(qs.Get("q")), Provider: qs.Get("provider"), Action: qs.Get("action"), Class: qs.Get("status"),
		From: qs.Get("from"), To: qs.Get("to"), Range: qs.Get("range")}
	if l.Range != "7d" {
		l.Range = "24h"
	}
	for _, conn := range c.o.Registry.All() {
		l.Providers = append(l.Providers, option{conn.Key, conn.Name})
		for _, a := range conn.Actions {
			l.Actions = append(l.Actions, a.ID)
		}
	}
	l.Actions = append(slices.Compact(slices.Sorted(slices.Values(l.Actions))), "proxy")
	f := store.LogFilter{Limit: logPageSize, Search: l.Search}
	for v, dst := range map[string]*[]string{l.Action: &f.Actions, l.Provider: &f.Providers} {
		if v != "" {
			*dst = []string{v}
		}
	}
	switch l.Class {
	case "":
	case "2", "4", "5":
		f.StatusClasses = []int{int(l.Class[0] - '0')}
	default:
		l.Problems = append(l.Problems, "Status: choose successes (2xx), refusals (4xx) or failures (5xx)")
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
	list, err := c.o.Logs.List(q.ctx, q.project.ID, f)
	if err == nil {
		l.Summary, err = c.logSummary(q, l.Range)
	}
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	l.Logs = list
	var ids []string
	for _, e := range list {
		ids = append(ids, e.AccountID)
	}
	for _, a := range l.Summary.Others {
		ids = append(ids, a.Key)
	}
	if l.Owners, err = c.owners(q, ids); err != nil {
		c.internal(q.w, q.r, err)
		return
	}
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

// owners names accounts by their end user: id → owner name, for the
// accounts of ids that exist.
func (c *Console) owners(q *req, ids []string) (map[string]string, error) {
	ids = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ids))), func(id string) bool { return id == "" })
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	list, _, err := c.o.Accounts.List(q.ctx, q.project.ID, store.AccountFilter{AccountIDs: ids}, accounts.Page{Number: 1, Size: accounts.MaxPageSize})
	for _, a := range list {
		names[a.ID] = a.OriginOwnerName
	}
	return names, err
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
