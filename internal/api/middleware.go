package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	apiKeyKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// callerKey returns the API key that authenticated the request.
func callerKey(ctx context.Context) store.APIKey {
	k, _ := ctx.Value(apiKeyKey).(store.APIKey)
	return k
}

// withRequestID keeps a sane incoming x-request-id or makes one, and echoes it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			b := make([]byte, 12)
			rand.Read(b)
			id = base64.RawURLEncoding.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		// Where the request comes from, for the audit trail; who makes it is
		// known once it is authenticated (audit.As).
		ctx := audit.WithActor(context.WithValue(r.Context(), requestIDKey, id), audit.Actor{RequestID: id, Address: clientAddress(r)})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// withBodyDeadline gives every request d to arrive in full: a client that
// dribbles its body (slow loris) is cut off, whether or not it is
// authenticated, and so is the server's drain of a body a handler left
// unread. The deadline covers reads only: a long action call still answers.
func withBodyDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Real time: a network deadline. An error means the connection takes
		// no deadlines (HTTP/2); nothing to do then.
		http.NewResponseController(w).SetReadDeadline(clock.System.Now().Add(d)) // a connection deadline is real time
		next.ServeHTTP(w, r)
	})
}

// withWriteDeadline gives each write of an answer idle to reach a client
// that has stopped reading, so that clients which never read cannot hold a
// node's memory and goroutines. The deadline is set when an answer is
// written, not when the request arrives, so a long action call still
// answers; every write renews it, so a long answer read steadily is kept.
func withWriteDeadline(idle time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Clear what the connection's previous answer set; an error means the
		// connection takes no deadlines (HTTP/2), and every later call fails alike.
		rc := http.NewResponseController(w)
		if rc.SetWriteDeadline(time.Time{}) != nil {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, idle: idle}, r)
	})
}

// deadlineWriter renews the connection's write deadline before each write.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.rc.SetWriteDeadline(clock.System.Now().Add(w.idle)) // a connection deadline is real time
	return w.ResponseWriter.Write(b)
}

func (w *deadlineWriter) WriteHeader(status int) {
	w.rc.SetWriteDeadline(clock.System.Now().Add(w.idle))
	w.ResponseWriter.WriteHeader(status)
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs one line per request and records metrics. Query strings are never
// logged: they can carry session tokens.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		watch := clock.Start()
		sw := &statusWriter{ResponseWriter: w}
		// The request's span continues the caller's trace (traceparent); with
		// tracing off it is a no-op and the request is left as it is.
		ctx, span := telemetry.Start(telemetry.Extract(r.Context(), r.Header), trace.SpanKindServer, r.Method, "")
		if span.IsRecording() {
			r = r.WithContext(ctx)
		}
		defer func() {
			// A handler that gives up on a response it has begun panics with
			// http.ErrAbortHandler (recoverPanics passes only that one on): it
			// is counted as "aborted" and then handed on to net/http.
			abort := recover()
			s.observed(r, sw, watch.Elapsed(), abort != nil)
			endServerSpan(span, r, sw.status, abort != nil)
			if abort != nil {
				panic(abort)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// serverDuration is the OpenTelemetry metric of requests (when it is on).
var serverDuration = telemetry.Histogram("http.server.request.duration", "Duration of HTTP server requests.")

// endServerSpan names a request's span by its route and records how it
// ended: never the path's values, the query, a key or a body.
func endServerSpan(span trace.Span, r *http.Request, status int, aborted bool) {
	if !span.IsRecording() {
		return
	}
	route := cmp.Or(r.Pattern, "unmatched")
	if _, path, ok := strings.Cut(route, " "); ok {
		route = path
	}
	span.SetName(r.Method + " " + route)
	span.SetAttributes(attribute.String("http.request.method", metricMethod(r.Method)), attribute.String("http.route", route),
		attribute.Int("http.response.status_code", cmp.Or(status, http.StatusOK)))
	if status >= 500 || aborted {
		span.SetStatus(codes.Error, http.StatusText(cmp.Or(status, http.StatusInternalServerError)))
	}
	span.End()
}

// metricMethods are the methods metrics name; any other counts as "other", so
// that a caller cannot grow the label set (and the node's memory) at will.
var metricMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func metricMethod(m string) string {
	if slices.Contains(metricMethods, m) {
		return m
	}
	return "other"
}

// observed records one request in the metrics and the access log.
func (s *Server) observed(r *http.Request, sw *statusWriter, elapsed time.Duration, aborted bool) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := strconv.Itoa(sw.status)
	if aborted {
		status = "aborted" // the status line went out, the answer did not
	}
	method := metricMethod(r.Method)
	s.metrics.requests.WithLabelValues(method, route, status).Inc()
	s.metrics.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
	if telemetry.MetricsOn() {
		telemetry.Duration(r.Context(), serverDuration, elapsed, attribute.String("http.request.method", method),
			attribute.String("http.route", route), attribute.Int("http.response.status_code", sw.status))
	}
	attrs := make([]slog.Attr, 0, 8) // room for the optional two
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", sw.status),
		slog.Int("bytes", sw.bytes),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("request_id", requestID(r.Context())),
	)
	if k := callerKey(r.Context()); k.ID != "" {
		attrs = append(attrs, slog.String("project_id", k.ProjectID))
	}
	level := slog.LevelInfo
	if aborted {
		level = slog.LevelWarn
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// recoverPanics turns a handler panic into a logged 500.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.internalError(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}()
		next.ServeHTTP(w, r)
	})
}

// requireKey authenticates the caller by API key: HTTP Basic with the key as user
// name, or a Bearer token. Every failure gets the same 401, so a response never
// tells whether a key exists, was revoked or belongs to another project.
func (s *Server) requireKey(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var k store.APIKey
		var err error
		if accountID := r.Header.Get("X-Account-Id"); accountID != "" {
			// A call on an account: read the account with the key.
			var ka store.KeyedAccount
			ka, err = s.keys.AuthenticateFor(ctx, keyFromRequest(r), accountID)
			k, ctx = ka.Key, actions.WithAccount(ctx, ka)
		} else {
			k, err = s.keys.Authenticate(ctx, keyFromRequest(r))
		}
		if err == nil && !s.projectMatches(r, k.ProjectID) {
			err = apikeys.ErrInvalid
		}
		if errors.Is(err, apikeys.ErrInvalid) {
			s.challenge(w, r)
			s.writeError(w, http.StatusUnauthorized, "Missing or invalid API key. Send it as the Basic auth user name with an empty password (curl -u KEY:).")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if s.withinQuota(w, r, k.ID, "this API key") {
			audit.Name(ctx, "api_key:"+k.ID)
			if span := trace.SpanFromContext(ctx); span.IsRecording() {
				span.SetAttributes(attribute.String("patchbay.project_id", k.ProjectID))
			}
			next(w, r.WithContext(context.WithValue(ctx, apiKeyKey, k)))
		}
	})
}

// clientAddress is the address of r's connection: behind a reverse proxy,
// the proxy's.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withinQuota counts a request against the per-minute quota of id (an API
// key, an AI app's grant), shared by every node; it answers 429 itself, naming
// whose quota it is, when the quota is spent. Every answer carries the quota
// in the IETF RateLimit-Policy and RateLimit headers.
func (s *Server) withinQuota(w http.ResponseWriter, r *http.Request, id, whose string) bool {
	d, err := s.keyQuota.Allow(r.Context(), id)
	if err != nil {
		s.internalError(w, r, err)
		return false
	}
	reset := ratelimit.RetryAfterHeader(d.Reset)
	h := w.Header()
	h["Ratelimit-Policy"] = s.quotaPolicy // the same on every answer; never changed
	h["Ratelimit"] = []string{`"` + quotaPolicy + `";r=` + strconv.Itoa(d.Remaining) + ";t=" + reset}
	if !d.Allowed {
		w.Header().Set("Retry-After", reset)
		s.writeError(w, http.StatusTooManyRequests, "Too many requests for "+whose+"; retry after the time in Retry-After")
	}
	return d.Allowed
}

// quotaPolicy names the per-key quota in the RateLimit headers.
const quotaPolicy = "per-minute"

// perAddress limits the Hub's endpoints per client address: they answer
// anyone holding a link, with no key to count by. The address is the
// connection's: behind a reverse proxy, all clients share the proxy's.
func (s *Server) perAddress(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.hubLimit.Allow(clientAddress(r)); !ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfterHeader(wait))
			s.writeError(w, http.StatusTooManyRequests, "Too many requests from this address; retry after the time in Retry-After")
			return
		}
		next(w, r)
	})
}

// requireAdmin is requireKey for the endpoints that manage the project: keys,
// connector profiles and the project itself. Runtime keys get 403.
func (s *Server) requireAdmin(next http.HandlerFunc) http.Handler {
	return s.requireKey(func(w http.ResponseWriter, r *http.Request) {
		if callerKey(r.Context()).Role != store.RoleAdmin {
			s.writeError(w, http.StatusForbidden, "This API key has the runtime role; "+r.Method+" "+r.URL.Path+" needs an admin key, as every endpoint that manages API keys, connector profiles, webhooks or the project does")
			return
		}
		next(w, r)
	})
}

// projectMatches checks a project the request names (the {project_id} path value or
// the x-project-id header) against the key's own project.
func (s *Server) projectMatches(r *http.Request, projectID string) bool {
	for _, named := range []string{r.PathValue("project_id"), r.Header.Get("X-Project-Id")} {
		if named != "" && named != projectID {
			return false
		}
	}
	return true
}

func keyFromRequest(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok {
		return user
	}
	// Auth schemes are case-insensitive (RFC 7235).
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

// challenge names the scheme a 401 wants, as HTTP asks, so that clients show
// Patchbay's message rather than guess. /mcp asks for a Bearer token and names
// its protected resource metadata, where MCP clients find how to sign in with
// OAuth (an API key is still taken as a Bearer token). A browser opening an
// API address gets no challenge: it would prompt for the key and then send it
// on every later request, cross-site ones included.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Header.Get("Sec-Fetch-Mode") == "navigate":
	case r.URL.Path == "/mcp" && s.aiapps != nil:
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+s.aiapps.ResourceMetadataURL()+`", scope="`+aiapps.Scope+`"`)
	default:
		w.Header().Set("WWW-Authenticate", `Basic realm="patchbay"`)
	}
}
