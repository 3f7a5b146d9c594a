package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/patchbayhq/patchbay/internal/idempotency"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// maxKeptAnswer bounds the answer an Idempotency-Key keeps for its retries.
const maxKeptAnswer = 1 << 20

// keptHeaders are the answer headers a retry gets again.
var keptHeaders = []string{"Content-Type", "Location", "Link", "ETag", "Cache-Control"}

// write makes a write endpoint honour Idempotency-Key (see package
// idempotency): a retry with the key gets the first answer again, marked
// Idempotency-Replayed, and the endpoint does not run twice. repeatable, given
// the request and its body, says whether running it again after its node
// died cannot write twice; nil means it can.
func (s *Server) write(repeatable func(r *http.Request, body []byte) bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Idempotency-Key")
		if header == "" {
			next(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			s.writeError(w, http.StatusRequestEntityTooLarge, "body: larger than 1 MiB")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		req := idempotency.Request{ProjectID: callerKey(r.Context()).ProjectID, Key: header, Method: r.Method,
			Target: r.URL.RequestURI(), AccountID: r.Header.Get("X-Account-Id"), Body: body}
		req.Repeatable = repeatable != nil && repeatable(r, body)
		claim, kept, err := s.idempotency.Begin(r.Context(), req)
		switch {
		case err != nil:
			s.fail(w, r, err)
			return
		case kept != nil:
			for name, value := range kept.Header {
				w.Header().Set(name, value)
			}
			w.Header().Set("Idempotency-Replayed", "true")
			w.WriteHeader(kept.Status)
			w.Write(kept.Body)
			return
		}
		rec := &keepingWriter{ResponseWriter: w}
		ended := false
		defer func() {
			if !ended {
				// The handler panicked (an answer abandoned partway): what it
				// did is unknown, as if its node had stopped.
				claim.Abandon()
			}
		}()
		next(rec, r)
		ended = true
		// The answer is written; keeping it must not depend on the client.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		defer cancel()
		if err := claim.End(ctx, rec.kept(s)); err != nil {
			s.log.ErrorContext(ctx, "could not keep the answer of an idempotent request", "err", err, "request_id", requestID(r.Context()))
		}
	}
}

// rpcRepeatable says whether an action call may run again: a read, or a
// write the provider deduplicates.
func (s *Server) rpcRepeatable(_ *http.Request, body []byte) bool {
	var in struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(body, &in) != nil {
		return false
	}
	a, ok := s.registry.Action(in.Action)
	return ok && a.Repeatable()
}

// proxyRepeatable says whether a proxied request may run again: a read.
func proxyRepeatable(_ *http.Request, body []byte) bool {
	var in struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(body, &in) == nil && (in.Method == "" || in.Method == http.MethodGet)
}

// keepingWriter passes an answer on and keeps a copy of it, up to
// maxKeptAnswer.
type keepingWriter struct {
	http.ResponseWriter
	status  int
	body    bytes.Buffer
	tooLong bool
}

func (k *keepingWriter) WriteHeader(status int) {
	if k.status == 0 {
		k.status = status
	}
	k.ResponseWriter.WriteHeader(status)
}

func (k *keepingWriter) Write(p []byte) (int, error) {
	if k.status == 0 {
		k.status = http.StatusOK
	}
	if !k.tooLong && k.body.Len()+len(p) <= maxKeptAnswer {
		k.body.Write(p)
	} else {
		k.tooLong = true
		k.body.Reset()
	}
	return k.ResponseWriter.Write(p)
}

func (k *keepingWriter) Unwrap() http.ResponseWriter { return k.ResponseWriter }

// kept is the answer to keep: the one given, or, when it was too long to
// keep, an answer saying that the request was carried out.
func (k *keepingWriter) kept(s *Server) store.StoredAnswer {
	a := store.StoredAnswer{Status: k.status, Header: map[string]string{}, Body: k.body.Bytes()}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	for _, name := range keptHeaders {
		if v := k.Header().Get(name); v != "" {
			a.Header[name] = v
		}
	}
	if k.tooLong {
		p := problem.New(problem.Conflict, "The request with this Idempotency-Key was carried out (status %d), but its answer was larger than %d bytes and was not kept; read the result instead of retrying", a.Status, maxKeptAnswer)
		a.Status = problem.HTTPStatus(p)
		a.Body, _ = json.Marshal(s.errorBody(a.Status, p.Message, p))
		a.Header = map[string]string{"Content-Type": jsonContentType}
	}
	return a
}
