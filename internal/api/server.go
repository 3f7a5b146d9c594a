// Package api is Patchbay's HTTP surface: routing, authentication, the error body,
// health and metrics endpoints, and the admin resources.
package api

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/guide"
	"github.com/patchbayhq/patchbay/internal/hub"
	"github.com/patchbayhq/patchbay/internal/keyquota"
	"github.com/patchbayhq/patchbay/internal/oauth"
	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// Options configures a Server.
type Options struct {
	Store    store.Store
	Registry *connectors.Registry
	// PublicURL is where users and providers reach this deployment; OAuth
	// redirect URIs are built from it.
	PublicURL string
	Logger    *slog.Logger
	Version   string
	// Sandbox, when set, serves the provider simulators under /sandbox/ (demo mode).
	Sandbox http.Handler
	// SandboxURL is where sandbox-environment profiles reach the simulators;
	// empty means the ones mounted under {PublicURL}/sandbox.
	SandboxURL string
	// HTTPClient calls providers; nil means a client with a 30 s timeout and a
	// connection pool sized for many concurrent calls to one provider.
	HTTPClient *http.Client
	// KeyRateLimit caps requests per API key and clock minute, across every node
	// sharing the database; zero means the reference's 1000.
	KeyRateLimit int
	// LogRetention is how long request logs are kept; zero means 90 days.
	LogRetention time.Duration
	// ActionBudget and RetryBackoff override the actions' 60-second budget and
	// first retry wait (tests shorten them).
	ActionBudget, RetryBackoff time.Duration
}

// Server routes and answers Patchbay's HTTP requests.
type Server struct {
	keyQuota     *keyquota.Quota
	logRetention time.Duration
	site         oauth.Site
	tokens       *tokens.Manager
	httpClient   *http.Client
	actions      *actions.Executor
	logs         *requestlog.Writer
	store        store.Store
	registry     *connectors.Registry
	publicURL    string
	log          *slog.Logger
	version      string
	metrics      *metrics
	mux          *http.ServeMux
	handler      http.Handler
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "patchbay_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "patchbay_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// providerClient calls providers. Every account of a connector talks to the same
// API host, so the pool keeps many idle connections per host, where Go's default
// keeps two and would open (and leave in TIME_WAIT) a connection for nearly
// every concurrent call.
func providerClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// New builds a Server.
func New(o Options) *Server {
	s := &Server{store: o.Store, registry: o.Registry, publicURL: strings.TrimRight(o.PublicURL, "/"), log: o.Logger, version: o.Version, metrics: newMetrics(), mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.httpClient = o.HTTPClient
	if s.httpClient == nil {
		s.httpClient = providerClient()
	}
	s.site = oauth.Site{PublicURL: s.publicURL, SandboxURL: o.SandboxURL}
	s.keyQuota = keyquota.New(o.Store, cmp.Or(o.KeyRateLimit, 1000))
	s.logRetention = cmp.Or(o.LogRetention, logRetention)
	s.tokens = tokens.New(o.Store, o.Registry, s.site, s.httpClient, s.log)
	s.metrics.registry.MustRegister(s.tokens.Collectors()...)
	s.logs = requestlog.New(o.Store, s.log)
	s.actions = actions.NewExecutor(o.Store, o.Registry, s.tokens, s.site, s.httpClient)
	if o.ActionBudget > 0 {
		s.actions.Budget = o.ActionBudget
	}
	if o.RetryBackoff > 0 {
		s.actions.Backoff = o.RetryBackoff
	}
	s.routes()
	if o.Sandbox != nil {
		s.mux.Handle("/sandbox/", http.StripPrefix("/sandbox", o.Sandbox))
	}
	s.handler = withRequestID(s.observe(s.recoverPanics(http.HandlerFunc(s.route))))
	return s
}

// Drain waits for the request log entries still being written in the background.
// Call it once the HTTP server has stopped taking requests.
func (s *Server) Drain(ctx context.Context) error {
	return s.logs.Flush(ctx)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))

	s.mux.Handle("GET /projects/{project_id}", s.requireKey(s.getProject))
	s.mux.Handle("GET /api_keys", s.requireKey(s.listAPIKeys))
	s.mux.Handle("POST /api_keys", s.requireKey(s.createAPIKey))
	s.mux.Handle("DELETE /api_keys/{id}", s.requireKey(s.revokeAPIKey))

	s.mux.Handle("GET /connector_profiles", s.requireKey(s.listProfiles))
	s.mux.Handle("POST /connector_profiles", s.requireKey(s.createProfile))
	s.mux.Handle("GET /connector_profiles/{id}", s.requireKey(s.getProfile))
	s.mux.Handle("PATCH /connector_profiles/{id}", s.requireKey(s.updateProfile))
	s.mux.Handle("DELETE /connector_profiles/{id}", s.requireKey(s.deleteProfile))

	s.mux.Handle("POST /connect_sessions", s.requireKey(s.createSession))
	s.mux.Handle("POST /connect_sessions/authenticate", s.requireKey(s.authenticateSession))
	s.mux.Handle("POST /actions/rpc", s.requireKey(s.rpc))
	s.mux.Handle("POST /unified/proxy", s.requireKey(s.proxy))
	s.mux.Handle("GET /requests/logs", s.requireKey(s.listLogs))
	s.mux.Handle("GET /requests/logs/{id}", s.requireKey(s.getLog))
	s.mux.Handle("GET /accounts", s.requireKey(s.listAccounts))
	s.mux.Handle("GET /accounts/{id}", s.requireKey(s.getAccount))
	s.mux.Handle("PATCH /accounts/{id}", s.requireKey(s.patchAccount))
	s.mux.Handle("DELETE /accounts/{id}", s.requireKey(s.deleteAccount))

	s.mux.Handle("GET /connectors", s.requireKey(s.listConnectors))
	s.mux.Handle("GET /connectors/{key}", s.requireKey(s.getConnector))
	s.mux.Handle("GET /connectors/{key}/scopes", s.requireKey(s.scopesFor))
	s.mux.Handle("GET /actions", s.requireKey(s.listActions))

	// The Hub is authenticated by its connect session token, not an API key.
	s.mux.HandleFunc("GET /hub", s.hubPage)
	s.mux.HandleFunc("GET /hub/connectors", s.requireHubSession(s.hubConnectors))
	s.mux.HandleFunc("POST /hub/connection_attempts", s.requireHubSession(s.createAttempt))
	s.mux.HandleFunc("GET /hub/connection_attempts/{id}", s.requireHubSession(s.getAttempt))
	s.mux.HandleFunc("DELETE /hub/connection_attempts/{id}", s.requireHubSession(s.cancelAttempt))
	s.mux.HandleFunc("POST /hub/connection_attempts/{id}/setup", s.requireHubSession(s.chooseSetup))
	s.mux.HandleFunc("GET /connect/oauth2/{integration_id}", s.startOAuth)
	s.mux.HandleFunc("GET /connect/oauth2/{provider}/callback", s.callback)
	s.mux.Handle("GET /static/hub/", hub.Assets())
	s.mux.HandleFunc("GET /hub.js", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/hub/hub.js", http.StatusFound)
	})

	// The setup guides hold no secrets and need no key.
	s.mux.HandleFunc("GET /guides/{key}", s.guidePage)
	s.mux.HandleFunc("GET /guides/{key}/scopes", s.scopesFor)
	s.mux.Handle("GET /static/guide/", guide.Assets())
	s.mux.HandleFunc("GET /static/icons/{file}", s.icon)
}

// RunMaintenance keeps idle accounts' tokens alive and drops request logs past
// their retention, until ctx ends.
func (s *Server) RunMaintenance(ctx context.Context) {
	go s.tokens.RunKeepAlive(ctx, time.Hour)
	for {
		if _, err := s.store.DeleteKeyQuotaBefore(ctx, time.Now().Add(-time.Hour)); err != nil {
			s.log.WarnContext(ctx, "drop old API key counts", "err", err)
		}
		if n, err := s.store.DeleteRequestLogsBefore(ctx, time.Now().Add(-s.logRetention)); err != nil {
			s.log.WarnContext(ctx, "request log retention", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "deleted old request logs", "count", n)
		}
		select {
		case <-time.After(time.Hour):
		case <-ctx.Done():
			return
		}
	}
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route dispatches to the mux, replacing its plain-text 404 and 405 answers with
// the standard error body.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &missRecorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		writeError(w, rec.status, "Method "+r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, "No such endpoint: "+r.Method+" "+r.URL.Path)
}

// missRecorder captures the status and headers of the mux's own 404/405 answer.
type missRecorder struct {
	header http.Header
	status int
}

func (m *missRecorder) Header() http.Header         { return m.header }
func (m *missRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (m *missRecorder) WriteHeader(status int)      { m.status = status }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.version})
}

// readyz reports whether the database answers within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeError(w, http.StatusServiceUnavailable, "Database unreachable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully,
// giving in-flight requests up to 15 seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		done <- srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}
