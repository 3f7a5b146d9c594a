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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/feedback"
	"github.com/patchbayhq/patchbay/internal/guide"
	"github.com/patchbayhq/patchbay/internal/httpsec"
	"github.com/patchbayhq/patchbay/internal/hub"
	"github.com/patchbayhq/patchbay/internal/idempotency"
	"github.com/patchbayhq/patchbay/internal/keyquota"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/mcp"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/syncs"
	"github.com/patchbayhq/patchbay/internal/toolsearch"
	"github.com/patchbayhq/patchbay/internal/unified"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

// Options configures a Server: the services it fronts (app.App.Server fills
// them in) and what is the HTTP layer's own.
type Options struct {
	Registry *connectors.Registry
	Keys     *apikeys.Service
	Profiles *profiles.Service
	Linking  *linking.Service
	Accounts *accounts.Service
	Actions  *actions.Executor
	MCP      *mcp.Service
	Webhooks *webhooks.Service
	Unified  *unified.Service
	// Search ranks the catalogue's actions for POST /actions/search.
	Search *toolsearch.Catalog
	// Feedback keeps what agents say about the tools (/ai/tool-feedback).
	Feedback *feedback.Service
	// AIApps is the OAuth authorization server of AI apps calling /mcp.
	AIApps *aiapps.Service
	// Idempotency keeps the answers of writes sent with an Idempotency-Key.
	Idempotency *idempotency.Service
	// Audit is the audit trail (/audit_logs).
	Audit *audit.Service
	// Syncs answers the records cache and change feed.
	Syncs *syncs.Service
	// Logs is where action calls are logged; reads of the log wait for it.
	Logs *requestlog.Writer
	// Clock dates error answers; nil is the system clock.
	Clock clock.Clock
	// KeyQuota counts each API key's requests per minute across every node.
	KeyQuota *keyquota.Quota
	// Ready reports whether the database answers, for /readyz.
	Ready func(context.Context) error
	// Collectors are the services' metrics, served at /metrics.
	Collectors []prometheus.Collector
	// PublicURL is where users and providers reach this deployment.
	PublicURL string
	Logger    *slog.Logger
	Version   string
	// Console, when set, serves the admin console under /console and its
	// assets under /static/console/.
	Console http.Handler
	// Sandbox, when set, serves the provider simulators under /sandbox/ (demo
	// mode). An admin API key opens their test controls
	// (/sandbox/{provider}/_sim/), this node passing their control token on,
	// so that no stranger reaches them on this origin.
	Sandbox Simulators
	// KeyRateLimit caps requests per API key and clock minute, across every node
	// sharing the database; zero means the reference's 1000 (app.App.Server
	// builds KeyQuota from it).
	KeyRateLimit int
	// BodyTimeout bounds the time a client may take to send its request body;
	// zero means 30 seconds.
	BodyTimeout time.Duration
	// WriteIdleTimeout bounds how long one write of an answer may wait for
	// a client that stopped reading (default 30 s). It starts when the
	// answer is written, so a long action call is not cut, and it is renewed
	// by every write, so an answer a client keeps reading is not either.
	WriteIdleTimeout time.Duration
	// HubAddressLimit caps the Hub's requests (pages, attempts, OAuth starts and
	// callbacks) per client address and minute, on each node; zero means 600.
	HubAddressLimit int
}

// Server routes and answers Patchbay's HTTP requests.
type Server struct {
	keyQuota *keyquota.Quota
	// quotaPolicy is the RateLimit-Policy header of every authenticated answer.
	quotaPolicy []string
	hubLimit    *ratelimit.Limiter // per client address
	linking     *linking.Service
	accounts    *accounts.Service
	actions     *actions.Executor
	mcp         *mcp.Service
	webhooks    *webhooks.Service
	unified     *unified.Service
	search      *toolsearch.Catalog
	feedback    *feedback.Service
	aiapps      *aiapps.Service
	idempotency *idempotency.Service
	audit       *audit.Service
	syncs       *syncs.Service
	logs        *requestlog.Writer
	keys        *apikeys.Service
	profiles    *profiles.Service
	ready       func(context.Context) error
	clock       clock.Clock
	registry    *connectors.Registry
	publicURL   string
	log         *slog.Logger
	version     string
	metrics     *metrics
	mux         *http.ServeMux
	patterns    []string
	handler     http.Handler
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

// Simulators are the provider simulators a demo node serves (sandbox.Sandbox).
type Simulators interface {
	Handler() http.Handler
	ControlToken() string
}

// New builds a Server.
func New(o Options) *Server {
	s := &Server{clock: clock.Or(o.Clock), keys: o.Keys, profiles: o.Profiles, ready: o.Ready, keyQuota: o.KeyQuota, registry: o.Registry, linking: o.Linking, accounts: o.Accounts, actions: o.Actions, mcp: o.MCP, webhooks: o.Webhooks, unified: o.Unified, search: o.Search, feedback: o.Feedback, aiapps: o.AIApps, idempotency: o.Idempotency, audit: o.Audit, syncs: o.Syncs, logs: o.Logs,
		publicURL: strings.TrimRight(o.PublicURL, "/"), log: cmp.Or(o.Logger, slog.Default()),
		version: o.Version, metrics: newMetrics(), mux: http.NewServeMux()}
	s.hubLimit = ratelimit.New(ratelimit.Limit{Requests: cmp.Or(o.HubAddressLimit, 600), Window: time.Minute})
	if o.KeyQuota != nil {
		s.quotaPolicy = []string{`"` + quotaPolicy + `";q=` + strconv.Itoa(o.KeyQuota.Limit()) + ";w=60"}
	}
	s.metrics.registry.MustRegister(o.Collectors...)
	s.routes()
	if o.Sandbox != nil {
		simulators := http.StripPrefix("/sandbox", o.Sandbox.Handler())
		s.mux.Handle("/sandbox/", simulators)
		s.mux.Handle("/sandbox/{provider}/_sim/", s.requireAdmin(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+o.Sandbox.ControlToken())
			simulators.ServeHTTP(w, r)
		}))
	}
	if o.Console != nil {
		// A person opening the server's address in a browser wants the console.
		s.handleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console", http.StatusFound) })
		s.mux.Handle("/console", o.Console)
		s.mux.Handle("/console/", o.Console)
		s.mux.Handle("/static/console/", o.Console)
	}
	s.handler = withWriteDeadline(cmp.Or(o.WriteIdleTimeout, 30*time.Second), withBodyDeadline(cmp.Or(o.BodyTimeout, 30*time.Second),
		withRequestID(httpsec.Headers(s.observe(s.recoverPanics(http.HandlerFunc(s.route)))))))
	return s
}

func (s *Server) routes() {
	s.handleFunc("GET /healthz", s.healthz)
	s.handleFunc("GET /readyz", s.readyz)
	s.handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))

	s.handle("GET /projects/{project_id}", s.requireAdmin(s.getProject))
	s.handle("GET /api_keys", s.requireAdmin(s.listAPIKeys))
	s.handle("POST /api_keys", s.requireAdmin(s.write(nil, s.createAPIKey)))
	s.handle("DELETE /api_keys/{id}", s.requireAdmin(s.write(nil, s.revokeAPIKey)))

	s.handle("GET /connector_profiles", s.requireAdmin(s.listProfiles))
	s.handle("POST /connector_profiles", s.requireAdmin(s.write(nil, s.createProfile)))
	s.handle("GET /connector_profiles/{id}", s.requireAdmin(s.getProfile))
	s.handle("PATCH /connector_profiles/{id}", s.requireAdmin(s.write(nil, s.updateProfile)))
	s.handle("DELETE /connector_profiles/{id}", s.requireAdmin(s.write(nil, s.deleteProfile)))

	s.handle("GET /webhooks", s.requireAdmin(s.listWebhooks))
	s.handle("POST /webhooks", s.requireAdmin(s.write(nil, s.createWebhook)))
	s.handle("GET /webhooks/{id}", s.requireAdmin(s.getWebhook))
	s.handle("PATCH /webhooks/{id}", s.requireAdmin(s.write(nil, s.updateWebhook)))
	s.handle("DELETE /webhooks/{id}", s.requireAdmin(s.write(nil, s.deleteWebhook)))
	s.handle("POST /webhooks/{id}/rotate_secret", s.requireAdmin(s.write(nil, s.rotateWebhookSecret)))
	s.handle("POST /webhooks/{id}/test", s.requireAdmin(s.write(nil, s.testWebhook)))
	s.handle("GET /webhooks/{id}/deliveries", s.requireAdmin(s.listDeliveries))
	s.handle("POST /webhooks/{id}/deliveries/{delivery_id}/redeliver", s.requireAdmin(s.write(nil, s.redeliver)))

	s.handle("POST /connect_sessions", s.requireKey(s.write(nil, s.createSession)))
	s.handle("POST /connect_sessions/authenticate", s.requireKey(s.write(nil, s.authenticateSession)))
	s.handle("POST /actions/rpc", s.requireKey(s.write(s.rpcRepeatable, s.rpc)))
	s.handle("POST /unified/proxy", s.requireKey(s.write(proxyRepeatable, s.proxy)))
	s.unifiedRoutes()
	s.handle("POST /mcp", s.requireMCPCaller(s.serveMCP))
	s.handle("GET /mcp", s.requireMCPCaller(s.mcpMethodNotAllowed))
	s.handle("DELETE /mcp", s.requireMCPCaller(endMCPSession))
	if s.aiapps != nil {
		s.aiAppRoutes()
	}
	s.handle("GET /audit_logs", s.requireAdmin(s.listAudit))
	s.handle("GET /requests/logs", s.requireKey(s.listLogs))
	s.handle("GET /requests/logs/steps", s.requireKey(s.listStepLogs))
	s.handle("GET /requests/logs/{id}", s.requireKey(s.getLog))
	s.handle("GET /accounts", s.requireKey(s.listAccounts))
	s.handle("GET /accounts/{id}", s.requireKey(s.getAccount))
	s.handle("GET /accounts/{id}/meta", s.requireKey(s.getAccountMeta))
	s.handle("PATCH /accounts/{id}", s.requireKey(s.write(nil, s.patchAccount)))
	s.handle("DELETE /accounts/{id}", s.requireKey(s.write(nil, s.deleteAccount)))
	s.handle("GET /accounts/{id}/sync", s.requireKey(s.getAccountSync))
	s.handle("POST /accounts/{id}/sync", s.requireKey(s.write(nil, s.syncAccount)))
	s.handle("GET /sync/changes", s.requireKey(s.listSyncChanges))
	s.handle("GET /sync/records", s.requireKey(s.listSyncRecords))

	s.handle("GET /connectors", s.requireKey(s.listConnectors))
	s.handle("GET /connectors/meta", s.requireKey(s.listConnectorsMeta))
	s.handle("GET /connectors/{key}", s.requireKey(s.getConnector))
	s.handle("GET /connectors/{key}/{sub}", s.requireKey(s.connectorSub))
	s.handle("GET /actions", s.requireKey(s.listActions))
	s.handle("POST /actions/search", s.requireKey(s.searchActions))
	s.handle("POST /ai/tool-feedback", s.requireKey(s.recordFeedback))
	s.handle("GET /ai/tool-feedback", s.requireKey(s.listFeedback))

	// The Hub is authenticated by its connect session token, not an API key.
	s.handle("GET /hub", s.perAddress(s.hubPage))
	s.handle("GET /hub/connectors", s.perAddress(s.requireHubSession(s.hubConnectors)))
	s.handle("POST /hub/connection_attempts", s.perAddress(s.requireHubSession(s.createAttempt)))
	s.handle("GET /hub/connection_attempts/{id}", s.perAddress(s.requireHubSession(s.getAttempt)))
	s.handle("DELETE /hub/connection_attempts/{id}", s.perAddress(s.requireHubSession(s.cancelAttempt)))
	s.handle("POST /hub/connection_attempts/{id}/setup", s.perAddress(s.requireHubSession(s.chooseSetup)))
	s.handle("GET /connect/oauth2/{integration_id}", s.perAddress(s.startOAuth))
	s.handle("GET /connect/oauth2/{provider}/callback", s.perAddress(s.callback))
	s.handle("GET /static/hub/", hub.Assets())
	s.handleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/static/hub/favicon.svg" // browsers ask for it on every page
		hub.Assets().ServeHTTP(w, r)
	})
	s.handleFunc("GET /hub.js", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/hub/hub.js", http.StatusFound)
	})

	// The setup guides hold no secrets and need no key.
	s.handleFunc("GET /guides/{key}", s.guidePage)
	s.handleFunc("GET /guides/{key}/scopes", s.scopesFor)
	s.handle("GET /static/guide/", guide.Assets())
	s.handleFunc("GET /static/icons/{file}", s.icon)
}

// handle registers a route, noting its pattern for Patterns.
func (s *Server) handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

func (s *Server) handleFunc(pattern string, h http.HandlerFunc) { s.handle(pattern, h) }

// Patterns lists the routes of the API, the Hub and the guides, in the order
// they were registered.
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }

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
		s.writeError(w, rec.status, "Method "+r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	s.writeError(w, http.StatusNotFound, "No such endpoint: "+r.Method+" "+r.URL.Path)
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
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		s.writeError(w, http.StatusServiceUnavailable, "Database unreachable")
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
