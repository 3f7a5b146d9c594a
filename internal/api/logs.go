package api

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

type logJSON struct {
	ID            string          `json:"id"`
	RequestID     string          `json:"request_id"`
	Source        string          `json:"source"`
	ClientID      string          `json:"client_id,omitempty"` // the AI app, for calls through an OAuth grant
	AccountID     string          `json:"account_id"`
	ProjectID     string          `json:"project_id"`
	Provider      string          `json:"provider"`
	Action        string          `json:"action"`
	HTTPMethod    string          `json:"http_method"`
	Path          string          `json:"path"`
	Status        int             `json:"status"`
	Success       bool            `json:"success"`
	Duration      int64           `json:"duration"`
	DurationUS    int64           `json:"duration_us"`
	Error         string          `json:"error,omitempty"` // why a failed call failed
	StartTime     time.Time       `json:"start_time"`
	EndTime       time.Time       `json:"end_time"`
	EventDatetime time.Time       `json:"event_datetime"`
	StepRequests  []store.LogStep `json:"step_requests,omitempty"`
}

func logView(l store.RequestLog, withSteps bool) logJSON {
	v := logJSON{ID: l.ID, RequestID: l.RequestID, Source: l.Source, ClientID: l.ClientID, AccountID: l.AccountID, ProjectID: l.ProjectID, Provider: l.Provider, Action: l.Action,
		HTTPMethod: l.HTTPMethod, Path: l.Path, Status: l.Status, Success: l.Success, Duration: l.DurationMS, DurationUS: l.DurationUS, Error: l.Error,
		StartTime: l.StartTime, EndTime: l.EndTime, EventDatetime: l.StartTime}
	if withSteps {
		v.StepRequests = l.Steps
		if v.StepRequests == nil {
			v.StepRequests = []store.LogStep{}
		}
	}
	return v
}

// listLogs answers GET /requests/logs with the reference's filters, newest first.
func (s *Server) listLogs(w http.ResponseWriter, r *http.Request) {
	logs, f, ok := s.readLogs(w, r)
	if !ok {
		return
	}
	withSteps := strings.Contains(r.URL.Query().Get("include"), "step_logs")
	out := make([]logJSON, len(logs))
	for i, l := range logs {
		out[i] = logView(l, withSteps)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next": logCursor(logs, f.Limit)})
}

// readLogs reads the page of request logs the request's filters and cursor
// select, answering the failure itself.
func (s *Server) readLogs(w http.ResponseWriter, r *http.Request) ([]store.RequestLog, store.LogFilter, bool) {
	f, ok := s.logFilter(w, r)
	if !ok {
		return nil, f, false
	}
	logs, err := s.logs.List(r.Context(), callerKey(r.Context()).ProjectID, f)
	if err != nil {
		s.internalError(w, r, err)
		return nil, f, false
	}
	return logs, f, true
}

// logCursor is the next of a full page of logs: where the following page starts.
func logCursor(logs []store.RequestLog, limit int) *string {
	if len(logs) == 0 || len(logs) < limit {
		return nil
	}
	last := logs[len(logs)-1]
	cursor := base64.RawURLEncoding.EncodeToString([]byte(last.StartTime.Format(time.RFC3339Nano) + "|" + last.ID))
	return &cursor
}

// logFilter reads the request-log filters, page size and cursor, answering 400
// itself on a bad one.
func (s *Server) logFilter(w http.ResponseWriter, r *http.Request) (store.LogFilter, bool) {
	q := r.URL.Query()
	// Filters come as filter[name] (the reference's shape) or as plain name
	// (how its SDK sends them).
	filter := func(name string) string { return cmp.Or(q.Get("filter["+name+"]"), q.Get(name)) }
	f := store.LogFilter{
		AccountIDs: splitList(filter("account_ids")),
		RequestIDs: splitList(filter("request_ids")),
		Actions:    splitList(filter("actions")),
		Providers:  splitList(filter("providers")),
		Limit:      25,
	}
	codes := splitList(filter("status_codes"))
	if s.tooMany(w, map[string][]string{"filter[account_ids]": f.AccountIDs, "filter[request_ids]": f.RequestIDs, "filter[actions]": f.Actions,
		"filter[providers]": f.Providers, "filter[status_codes]": codes}) {
		return store.LogFilter{}, false
	}
	var errs []string
	for _, code := range codes {
		n, err := strconv.Atoi(code)
		if err != nil {
			errs = append(errs, "filter[status_codes]: "+strconv.Quote(code)+" is not a status code")
			continue
		}
		f.StatusCodes = append(f.StatusCodes, n)
	}
	if v := filter("success"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, "filter[success]: use true or false")
		}
		f.Success = &b
	}
	for name, dst := range map[string]*time.Time{"start_date": &f.Start, "end_date": &f.End} {
		if v := filter(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, "filter["+name+"]: use an RFC 3339 date-time such as 2026-05-01T00:00:00Z")
			}
			*dst = t
		}
	}
	if v := q.Get("page_size"); v != "" {
		n, err := paging.Size(v, 0, 100)
		if err != nil {
			errs = append(errs, err.Error())
		}
		f.Limit = n
	}
	if v := q.Get("next"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		at, id, ok := strings.Cut(string(raw), "|")
		t, perr := time.Parse(time.RFC3339Nano, at)
		if err != nil || !ok || perr != nil {
			errs = append(errs, "next: not a cursor this endpoint returned")
		}
		f.AfterTime, f.AfterID = t, id
	}
	if len(errs) > 0 {
		s.writeError(w, http.StatusBadRequest, strings.Join(errs, "; "))
		return store.LogFilter{}, false
	}
	return f, true
}

// getLog answers GET /requests/logs/{id}, where id is the entry's id or the
// request id its caller saw, in the reference's {data} envelope.
func (s *Server) getLog(w http.ResponseWriter, r *http.Request) {
	l, err := s.logs.Get(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": logView(l, true)})
}
