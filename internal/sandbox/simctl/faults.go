package simctl

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault kinds.
const (
	KindStatus    = "status"    // answer with Status (and Body, Retry-After) instead of the real handler
	KindDelay     = "delay"     // wait Delay, then run the real handler
	KindReset     = "reset"     // drop the connection without an answer
	KindMalformed = "malformed" // answer 200 with a body that is not valid JSON
	KindTruncated = "truncated" // run the real handler, then send only the first half of its body
	KindLate      = "late"      // run the real handler, then hold its answer for Delay (a write done, its answer lost on the way)
)

// Fault makes the next Count requests that match Method and PathPrefix misbehave.
type Fault struct {
	Method     string          `json:"method,omitempty"`      // empty matches any method
	PathPrefix string          `json:"path_prefix"`           // e.g. "/oauth/token" or "/v1/members"
	Count      int             `json:"count"`                 // how many requests to affect
	Kind       string          `json:"kind"`                  // one of the Kind constants
	Status     int             `json:"status,omitempty"`      // KindStatus
	Body       json.RawMessage `json:"body,omitempty"`        // KindStatus; e.g. {"error":"invalid_grant"}
	RetryAfter int             `json:"retry_after,omitempty"` // KindStatus: Retry-After seconds
	DelayMS    int             `json:"delay_ms,omitempty"`    // KindDelay, KindLate
}

// Validate reports what is wrong with a fault, naming the field.
func (f Fault) Validate() error {
	switch {
	case !strings.HasPrefix(f.PathPrefix, "/"):
		return fmt.Errorf("path_prefix: must start with /")
	case f.Count < 1:
		return fmt.Errorf("count: must be at least 1")
	case f.Kind == KindStatus && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status: must be 400-599 for a status fault")
	case (f.Kind == KindDelay || f.Kind == KindLate) && f.DelayMS < 1:
		return fmt.Errorf("delay_ms: must be at least 1 for a %s fault", f.Kind)
	case f.Kind != KindStatus && f.Kind != KindDelay && f.Kind != KindReset && f.Kind != KindMalformed && f.Kind != KindTruncated && f.Kind != KindLate:
		return fmt.Errorf("kind: use status, delay, late, reset, malformed or truncated")
	case len(f.Body) > 0 && !json.Valid(f.Body):
		return fmt.Errorf("body: not valid JSON")
	}
	return nil
}

// Faults holds the pending faults of one simulator.
type Faults struct {
	mu      sync.Mutex
	pending []*Fault
	stats   *Stats
}

// NewFaults returns an empty fault list that counts what it injects in stats.
func NewFaults(stats *Stats) *Faults { return &Faults{stats: stats} }

// Add queues a fault.
func (fs *Faults) Add(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	fs.mu.Lock()
	fs.pending = append(fs.pending, &f)
	fs.mu.Unlock()
	return nil
}

// Clear drops every pending fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	fs.pending = nil
	fs.mu.Unlock()
}

// take returns the first pending fault matching r, spending one of its count.
func (fs *Faults) take(r *http.Request) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.pending {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			f.Count--
			if f.Count == 0 {
				fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
			}
			return *f, true
		}
	}
	return Fault{}, false
}

// Middleware applies pending faults in front of next.
func (fs *Faults) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := fs.take(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		fs.stats.Inc("fault." + f.Kind)
		switch f.Kind {
		case KindDelay:
			select {
			case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			next.ServeHTTP(w, r)
		case KindReset:
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic(http.ErrAbortHandler)
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		case KindMalformed:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"items": [{"id": "trunc`))
		case KindLate:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			fs.stats.Inc("fault.late.held") // the request is carried out; its answer waits
			select {
			case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		case KindTruncated:
			// A well-framed HTTP answer whose JSON stops halfway: what a provider
			// bug, or a proxy giving up mid-page, looks like to a client.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
		default:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			body := f.Body
			if len(body) == 0 {
				body = fmt.Appendf(nil, `{"error":%q}`, http.StatusText(f.Status))
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			w.Write(body)
		}
	})
}
