package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/store"
)

// rpc answers POST /actions/rpc: one action for the account named by x-account-id
// (or, for clients that cannot set the header, body.headers["x-account-id"]).
func (s *Server) rpc(w http.ResponseWriter, r *http.Request) {
	var in struct {
		actions.Request
		// PageSize shadows the request's, so that 0 is refused rather than
		// read as no page size.
		PageSize        *int           `json:"page_size"`
		Headers         map[string]any `json:"headers"`
		DefenderConfig  map[string]any `json:"defender_config"`
		DefenderEnabled *bool          `json:"defender_enabled"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	accountID := r.Header.Get("X-Account-Id")
	if accountID == "" {
		accountID, _ = in.Headers["x-account-id"].(string)
	}
	switch {
	case accountID == "":
		s.writeError(w, http.StatusBadRequest, "x-account-id: the header (or body.headers[\"x-account-id\"]) must name the linked account")
		return
	case in.Action == "":
		s.writeError(w, http.StatusBadRequest, "action: required, e.g. justworks_list_members")
		return
	}
	if in.PageSize != nil {
		in.Request.SetPageSize(*in.PageSize)
	}
	records := &recordsWriter{w: w}
	res, err := s.actions.Run(r.Context(), s.caller(r), accountID, in.Request, records)
	switch {
	case errors.Is(err, actions.ErrAnswerBegun):
		// The answer has begun with records the provider's answer then failed
		// to complete: end the connection mid-response, so that the client
		// sees a failed request rather than a short list.
		s.log.WarnContext(r.Context(), "action answer abandoned partway", "err", err, "request_id", requestID(r.Context()))
		panic(http.ErrAbortHandler)
	case res.Streamed:
		records.finish(res.Next)
	case err != nil:
		s.fail(w, r, err)
	default:
		writeResult(w, res)
	}
}

// writeResult answers {data, next} when the records are at hand, copying raw
// records as they came from the provider rather than encoding them again.
func writeResult(w http.ResponseWriter, res actions.Result) {
	raw, ok := res.Data.(json.RawMessage)
	if !ok {
		writeJSON(w, http.StatusOK, res)
		return
	}
	if raw == nil {
		raw = json.RawMessage("null")
	}
	end := closing(res.Next)
	w.Header().Set("Content-Length", strconv.Itoa(len(actions.AnswerOpening)+len(raw)+len(end)))
	records := &recordsWriter{w: w}
	records.Write(raw)
	w.Write(end)
}

// recordsWriter writes the {data, next} answer around records that arrive in
// pieces: the status and the opening go out with the first piece, and finish
// closes the answer once the next page's cursor is known.
type recordsWriter struct {
	w       http.ResponseWriter
	started bool
}

// closing ends the answer after the records, and its line.
func closing(next *string) []byte { return append(actions.AnswerClosing(next), '\n') }

func (rw *recordsWriter) Write(p []byte) (int, error) {
	if !rw.started {
		rw.started = true
		rw.w.Header().Set("Content-Type", jsonContentType)
		rw.w.WriteHeader(http.StatusOK)
		if _, err := io.WriteString(rw.w, actions.AnswerOpening); err != nil {
			return 0, err
		}
	}
	return rw.w.Write(p)
}

func (rw *recordsWriter) finish(next *string) {
	rw.w.Write(closing(next))
}

// caller says who makes an action call through the API.
func (s *Server) caller(r *http.Request) actions.Caller {
	return actions.Caller{ProjectID: callerKey(r.Context()).ProjectID, RequestID: requestID(r.Context()), Source: store.SourceAPI}
}

// proxy answers POST /unified/proxy: a raw request to the account's provider.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request) {
	var in struct {
		URL     string         `json:"url"`
		Method  string         `json:"method"`
		Path    string         `json:"path"`
		Headers map[string]any `json:"headers"`
		Body    any            `json:"body"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	accountID := r.Header.Get("X-Account-Id")
	if accountID == "" {
		s.writeError(w, http.StatusBadRequest, "x-account-id: the header must name the linked account")
		return
	}
	res, err := s.actions.Proxy(r.Context(), s.caller(r), accountID, actions.ProxyRequest{URL: in.URL, Method: in.Method, Path: in.Path, Body: in.Body})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
