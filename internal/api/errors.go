package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/problem"
)

// errorBody is the one error shape every endpoint answers with.
type errorBody struct {
	problem.Body
	Timestamp string `json:"timestamp"`
}

// writeError answers with the standard error body.
func (s *Server) writeError(w http.ResponseWriter, status int, message string) {
	s.writeProblem(w, status, message, nil)
}

// writeProblem answers with the standard error body, what the provider said
// and how to treat the failure (problem.CategoryOf), err being the problem
// reported, if any.
func (s *Server) writeProblem(w http.ResponseWriter, status int, message string, err error) {
	writeJSON(w, status, s.errorBody(status, message, err))
}

// errorBody is the error answer with status and message reporting err.
func (s *Server) errorBody(status int, message string, err error) errorBody {
	return errorBody{Body: problem.BodyOf(status, message, err), Timestamp: s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
}

// jsonContentType is the Content-Type of every JSON answer.
const jsonContentType = "application/json; charset=utf-8"

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// internalError logs err with the request id and answers 500 without details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", requestID(r.Context()))
	s.writeError(w, http.StatusInternalServerError, "Internal error; see the server log for request "+requestID(r.Context()))
}

// decodeJSON reads a JSON request body into v, answering 415 or 400 itself on
// failure. Only application/json is taken: the content types a cross-site
// form can send (text/plain, form encodings) never reach a handler.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != "application/json" {
		s.writeError(w, http.StatusUnsupportedMediaType, "Content-Type: send the body as application/json")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.writeError(w, http.StatusBadRequest, problem.FromJSON("the body", err).Message)
		return false
	}
	return true
}

// fail answers a service's error: a problem with its status (problem.HTTPStatus),
// its message, what the provider said, and Retry-After when the caller should
// wait; anything else as an internal error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := errors.AsType[*problem.Error](err)
	if !ok {
		s.internalError(w, r, err)
		return
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	s.writeProblem(w, problem.HTTPStatus(p), p.Message, p)
}
