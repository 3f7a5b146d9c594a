// Package app assembles Patchbay's services over one opened store: the token
// manager with its OAuth client, the action executor with its request log, the
// accounts and linking services. It is the one place that knows which
// concrete parts the services use; every front end (HTTP server, CLI) gets
// them from here, so all of them behave, and log, alike.
package app

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/riverdriver"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/admins"
	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/background"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/console"
	"github.com/patchbayhq/patchbay/internal/feedback"
	"github.com/patchbayhq/patchbay/internal/idempotency"
	"github.com/patchbayhq/patchbay/internal/jobs"
	"github.com/patchbayhq/patchbay/internal/keyquota"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/mcp"
	"github.com/patchbayhq/patchbay/internal/oauth"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/syncs"
	"github.com/patchbayhq/patchbay/internal/tokens"
	"github.com/patchbayhq/patchbay/internal/toolsearch"
	"github.com/patchbayhq/patchbay/internal/unified"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

// DefaultLogRetention is how long request logs are kept, as the reference's dashboard does.
const DefaultLogRetention = 90 * 24 * time.Hour

// EventRetention is how long webhook events and their delivery logs are
// kept: long past the days a delivery is retried.
const EventRetention = 30 * 24 * time.Hour

// Store is what the services run on: the store, and the job queue that lives
// in the same database (sqlstore.Store is both).
type Store interface {
	store.Store
	QueueDriver() riverdriver.Driver[*sql.Tx]
}

// Options configure the services.
type Options struct {
	// Store is the opened store the services run on (New); Open opens
	// DatabaseURL with EncryptionKeys instead.
	Store          Store
	DatabaseURL    string
	EncryptionKeys *secrets.Keyring
	Registry       *connectors.Registry
	// PublicURL is where users and providers reach this deployment; OAuth
	// redirect URIs are built from it.
	PublicURL string
	// SandboxURL is where sandbox-environment profiles reach the simulators;
	// empty means the ones mounted under {PublicURL}/sandbox.
	SandboxURL string
	// HTTPClient calls providers; nil means ProviderClient().
	HTTPClient *http.Client
	Clock      clock.Clock
	Logger     *slog.Logger
	// LogRetention is how long request logs are kept; zero means DefaultLogRetention.
	LogRetention time.Duration
	// AuditRetention is how long audit entries are kept; zero means a year.
	AuditRetention time.Duration
	// ActionBudget and RetryBackoff override the actions' 60-second budget and
	// first retry wait, TokenBackoff the token endpoint's, TokenBuffer how
	// long before expiry tokens are refreshed (tests change them).
	ActionBudget, RetryBackoff, TokenBackoff, TokenBuffer time.Duration
	// Journal keeps rotated tokens on local disk until the database has them
	// (tokens.FileJournal in the data directory); nil keeps them in memory only.
	Journal tokens.Journal
	// LogSpillDir keeps request log entries the database refused until it is
	// back; empty loses them (and says so in the log).
	LogSpillDir string
	// Version is Patchbay's, told to MCP clients.
	Version string
	// WebhookAllowPrivate lets webhooks deliver to loopback and private addresses.
	WebhookAllowPrivate bool
	// WebhookPoll is how often each node looks for events and jobs other
	// nodes queued; zero means the webhooks' and the job queue's defaults.
	WebhookPoll time.Duration
	// WebhookTimeout bounds one delivery attempt; zero means the webhooks
	// default (tests shorten it).
	WebhookTimeout time.Duration
	// SyncRetention is how long the change feed keeps changes; zero means
	// 30 days. SyncPoll is how often a node looks for due syncs; zero means
	// a minute. SyncSlice is how long a run's attempt reads before it goes
	// back to the queue; zero means the syncs default (tests shorten it).
	SyncRetention, SyncPoll, SyncSlice time.Duration
	// SyncWorkers is how many accounts a node syncs at once; zero means the
	// syncs default.
	SyncWorkers int
}

// App is Patchbay's services, wired. Front ends get the services from it,
// never the store they run on.
type App struct {
	store    Store
	Registry *connectors.Registry
	Site     connectors.Site
	Clock    clock.Clock
	Log      *slog.Logger
	Tokens   *tokens.Manager
	Actions  *actions.Executor
	Accounts *accounts.Service
	Linking  *linking.Service
	Logs     *requestlog.Writer
	MCP      *mcp.Service
	Unified  *unified.Service
	Search   *toolsearch.Catalog
	Feedback *feedback.Service
	AIApps   *aiapps.Service
	// Idempotency keeps the answers of writes sent with an Idempotency-Key.
	Idempotency *idempotency.Service
	// Audit is the audit trail.
	Audit    *audit.Service
	Webhooks *webhooks.Service
	// Syncs keeps the records cache and change feed of accounts whose
	// profile asks for it.
	Syncs    *syncs.Service
	Admins   *admins.Service
	Keys     *apikeys.Service
	Profiles *profiles.Service
	Console  *console.Console

	logRetention time.Duration
	jobs         *jobs.Queue
}

// ProviderClient calls providers. Every account of a connector talks to the
// same API host, so the pool keeps many idle connections per host, where Go's
// default keeps two and would open (and leave in TIME_WAIT) a connection for
// nearly every concurrent call.
func ProviderClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// sameOriginRedirects returns a copy of c that follows a redirect only within
// the origin it was sent to: a provider's 3xx to any other host or port is
// handed back as the answer, so the account's token never travels there.
func sameOriginRedirects(c *http.Client) *http.Client {
	copied := *c
	copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if from := via[0].URL; req.URL.Scheme != from.Scheme || req.URL.Host != from.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &copied
}

// Open opens (and migrates) the database o.DatabaseURL names, sealing secrets
// with o.EncryptionKeys, and wires the services over it; applied lists the
// migrations it applied. Close the App when done.
func Open(ctx context.Context, o Options) (a *App, applied []int, err error) {
	s, applied, err := backend.Open(ctx, o.DatabaseURL, sqlstore.Options{Keys: o.EncryptionKeys, Clock: o.Clock})
	if err != nil {
		return nil, nil, fmt.Errorf("PATCHBAY_DATABASE_URL: %w", err)
	}
	if err := s.CheckKeys(ctx); err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("PATCHBAY_ENCRYPTION_KEYS: %w", err)
	}
	o.Store = s
	if a, err = New(o); err != nil {
		s.Close()
		return nil, nil, err
	}
	return a, applied, nil
}

// Close stops the token manager's background commits, then closes the store
// the services run on.
func (a *App) Close() error {
	a.Tokens.Close()
	return a.store.Close()
}

// Ready reports whether the database answers.
func (a *App) Ready(ctx context.Context) error { return a.store.Ping(ctx) }

// RotateSecrets re-seals every stored secret under the primary key,
// batchSize per transaction, calling progress after each batch.
func (a *App) RotateSecrets(ctx context.Context, batchSize int, progress func(resealed int)) (int, error) {
	return a.store.RotateSecrets(ctx, batchSize, progress)
}

// New wires the services over o.Store.
func New(o Options) (*App, error) {
	log := cmp.Or(o.Logger, slog.Default())
	httpClient := o.HTTPClient
	if httpClient == nil {
		httpClient = ProviderClient()
	}
	httpClient = sameOriginRedirects(httpClient)
	clk := clock.Or(o.Clock)
	site := connectors.Site{PublicURL: strings.TrimRight(o.PublicURL, "/"), SandboxURL: o.SandboxURL}
	a := &App{store: o.Store, Registry: o.Registry, Site: site, Clock: clk, Log: log,
		logRetention: cmp.Or(o.LogRetention, DefaultLogRetention)}
	// The token manager reports the statuses it writes through the accounts
	// service, which needs the manager to revoke grants: the hook is bound
	// once both exist.
	var statusChanged func(ctx context.Context, before, after store.Account)
	a.Tokens = tokens.New(tokens.Options{Store: o.Store, Registry: o.Registry, Servers: authServers(site, httpClient, clk), Clock: clk,
		Logger: log, Journal: o.Journal, Backoff: o.TokenBackoff, Buffer: o.TokenBuffer,
		StatusChanged: func(ctx context.Context, before, after store.Account) { statusChanged(ctx, before, after) }})
	a.Logs = requestlog.New(requestlog.Options{Store: o.Store, Logger: log, SpillDir: o.LogSpillDir})
	a.Audit = audit.New(audit.Options{Store: o.Store, Clock: clk, Log: log, Retention: o.AuditRetention})
	a.Actions = actions.NewExecutor(actions.Options{Store: o.Store, Registry: o.Registry, Tokens: a.Tokens, Site: site,
		HTTPClient: httpClient, Logs: a.Logs, Audit: a.Audit, Logger: log, Clock: clk, Budget: o.ActionBudget, Backoff: o.RetryBackoff})
	a.Accounts = accounts.New(accounts.Options{Store: o.Store, Tokens: a.Tokens, Registry: o.Registry, Logger: log})
	statusChanged = a.Accounts.StatusChanged
	a.Linking = linking.New(linking.Options{Store: o.Store, Registry: o.Registry, Tokens: a.Tokens, Actions: a.Actions,
		Accounts: a.Accounts, Clock: clk, Logger: log, PublicURL: site.PublicURL})
	a.Idempotency = idempotency.New(idempotency.Options{Store: o.Store, Clock: clk, Log: log})
	a.MCP = mcp.New(mcp.Config{Actions: a.Actions, Idempotency: a.Idempotency, Version: o.Version, Logger: log})
	a.Unified = unified.New(a.Actions)
	a.Search = toolsearch.NewCatalog(o.Registry)
	a.Feedback = feedback.New(feedback.Options{Store: o.Store})
	a.AIApps = aiapps.New(aiapps.Config{Store: o.Store, Registry: o.Registry, PublicURL: site.PublicURL, Clock: clk, Logs: a.Logs})
	a.jobs = jobs.New(jobs.Options{Driver: o.Store.QueueDriver(), Logger: log, PollInterval: o.WebhookPoll})
	hooks := webhooks.New(webhooks.Options{Store: o.Store, Jobs: a.jobs, Clock: clk, Logger: log,
		AllowPrivate: o.WebhookAllowPrivate, PollInterval: o.WebhookPoll, Timeout: o.WebhookTimeout})
	a.Webhooks = hooks
	a.Syncs = syncs.New(syncs.Options{Store: o.Store, Jobs: a.jobs, Registry: o.Registry, Unified: a.Unified,
		Clock: clk, Logger: log, Retention: o.SyncRetention, SchedulePoll: o.SyncPoll, Slice: o.SyncSlice, Workers: o.SyncWorkers,
		// Between pages, a run waits up to 25 ms for this node's live calls to end.
		Yield: func(ctx context.Context) { a.Actions.Quiet(ctx, 25*time.Millisecond) }})
	if err := a.jobs.Open(); err != nil { // every service's jobs added
		return nil, err
	}
	a.Admins = admins.New(admins.Options{Store: o.Store, Clock: clk, Logger: log})
	a.Keys = apikeys.NewService(apikeys.Options{Store: o.Store, Clock: clk})
	a.Profiles = profiles.New(profiles.Options{Store: o.Store, Registry: o.Registry, PublicURL: site.PublicURL})
	a.Console = console.New(console.Options{Keys: a.Keys, Profiles: a.Profiles, Registry: o.Registry, Admins: a.Admins, Accounts: a.Accounts,
		Linking: a.Linking, Webhooks: a.Webhooks, Feedback: a.Feedback, AIApps: a.AIApps, Audit: a.Audit, Syncs: a.Syncs, Logs: a.Logs, PublicURL: site.PublicURL, Clock: clk, Logger: log})
	// The store wrote the change's event; send it now rather than at the next poll.
	a.Accounts.Observe(func(context.Context, accounts.Change) { hooks.Nudge() })
	a.Accounts.Observe(a.syncLinked)
	return a, nil
}

// Server returns the HTTP server over these services; o's service fields are
// filled in.
func (a *App) Server(o api.Options) *api.Server {
	o.Registry, o.PublicURL, o.Logger, o.Clock = a.Registry, a.Site.PublicURL, a.Log, a.Clock
	o.Keys, o.Profiles, o.Ready = a.Keys, a.Profiles, a.Ready
	o.KeyQuota = keyquota.New(keyquota.Options{Store: a.store, Limit: o.KeyRateLimit, Clock: a.Clock})
	o.Linking, o.Accounts, o.Actions, o.Logs, o.MCP, o.Webhooks = a.Linking, a.Accounts, a.Actions, a.Logs, a.MCP, a.Webhooks
	o.Unified, o.Search, o.Feedback, o.AIApps, o.Idempotency, o.Audit, o.Syncs = a.Unified, a.Search, a.Feedback, a.AIApps, a.Idempotency, a.Audit, a.Syncs
	o.Collectors = append(o.Collectors, a.Collectors()...)
	o.Console = a.Console
	if o.Sandbox != nil {
		a.Console.WithSimulators()
	}
	return api.New(o)
}

// Collectors are the services' metrics.
func (a *App) Collectors() []prometheus.Collector {
	return append(a.Tokens.Collectors(), a.Accounts.Collector(), a.Webhooks.Collector(), background.Panics)
}

// Flush waits for the request log entries still being written in the
// background; call it before the process exits.
func (a *App) Flush(ctx context.Context) error { return a.Logs.Flush(ctx) }

// RunMaintenance keeps idle accounts' tokens alive, runs the background jobs
// (RunJobs) and sweeps (Sweep) every hour, until ctx ends. A pass that fails
// or panics is logged and counted; the next one runs as usual. It returns
// once the jobs under way have finished, so the store can be closed then.
func (a *App) RunMaintenance(ctx context.Context) {
	working := make(chan struct{})
	go func() {
		defer close(working)
		if err := a.RunJobs(ctx); err != nil {
			a.Log.ErrorContext(ctx, "background jobs stopped", "err", err)
		}
	}()
	defer func() { <-working }()
	if err := a.Tokens.Recover(ctx); err != nil {
		a.Log.ErrorContext(ctx, "could not read the token journal; its rotated tokens stay on disk until it can be read", "err", err)
	}
	go a.Tokens.RunKeepAlive(ctx, time.Hour)
	go background.Every(ctx, a.Log, "request-log replay", time.Minute, a.Logs.Replay)
	background.Every(ctx, a.Log, "maintenance", time.Hour, a.Sweep)
}

// RunJobs works webhook deliveries and sync runs, queues the deliveries of
// new events and schedules due syncs, until ctx ends; then it waits for the
// jobs under way.
func (a *App) RunJobs(ctx context.Context) error {
	go a.Webhooks.Run(ctx)
	go a.Syncs.Run(ctx)
	return a.jobs.Run(ctx, a.Webhooks.JobTimeout())
}

// syncLinked starts the first run of an account just linked, or linked
// again, when its profile syncs.
func (a *App) syncLinked(ctx context.Context, c accounts.Change) {
	if c.Kind != accounts.Created && c.Kind != accounts.Relinked {
		return
	}
	if _, err := a.Syncs.Now(ctx, c.Account.ProjectID, c.Account.ID, nil, true); err != nil && problem.KindOf(err) != problem.Conflict {
		a.Log.WarnContext(ctx, "the first sync of a linked account could not be queued; the schedule runs it", "account_id", c.Account.ID, "err", err)
	}
}

// authServers builds each profile's authorization server over internal/oauth.
func authServers(site connectors.Site, httpClient *http.Client, clk clock.Clock) tokens.AuthServers {
	return func(c *connectors.Connector, p store.ConnectorProfile) tokens.AuthServer {
		loc := c.LocationFor(site, p.Environment == store.Sandbox)
		cfg := &oauth.Config{
			ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: c.RedirectURI(site.PublicURL),
			AuthURL: loc.AuthorizeURL, TokenURL: loc.TokenURL, RevokeURL: loc.RevokeURL,
			ScopeSeparator: c.Auth.ScopeSeparator, PKCE: c.Auth.PKCE == connectors.PKCES256,
			BasicAuth: c.Auth.ClientAuth == connectors.ClientSecretBasic, HTTPClient: httpClient, Now: clk.Now,
		}
		if c.Auth.ScopesInAuthorizeRequest {
			if res, err := c.Calculate(connectors.Selection{Actions: p.EnabledActions, ExtraScopes: p.ExtraScopes}); err == nil {
				cfg.Scopes = res.Scopes
			}
		}
		return authServer{cfg}
	}
}

// authServer adapts an oauth.Config to what the token manager and linking use.
type authServer struct{ cfg *oauth.Config }

func (s authServer) AuthCodeURL(state, verifier string) string {
	return s.cfg.AuthCodeURL(state, verifier)
}
func (s authServer) UsesPKCE() bool { return s.cfg.PKCE }
func (s authServer) Revoke(ctx context.Context, token string) error {
	return s.cfg.Revoke(ctx, token)
}

func (s authServer) Exchange(ctx context.Context, code, verifier string) (store.Credentials, error) {
	t, err := s.cfg.Exchange(ctx, code, verifier)
	return credentials(t), err
}

func (s authServer) Refresh(ctx context.Context, refreshToken string) (store.Credentials, error) {
	t, err := s.cfg.Refresh(ctx, refreshToken)
	return credentials(t), err
}

func credentials(t oauth.Token) store.Credentials {
	return store.Credentials{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
		Expiry: t.Expiry, Scopes: t.Scopes, Obtained: t.Obtained}
}

// Sweep refreshes the planner's statistics and deletes what has outlived its
// use: expired connect data, request logs past their retention and old
// API-key counts.
func (a *App) Sweep(ctx context.Context) error {
	if err := a.store.Optimize(ctx); err != nil {
		return err
	}
	now := a.Clock.Now()
	if _, err := a.store.DeleteKeyQuotaBefore(ctx, now.Add(-time.Hour)); err != nil {
		return err
	}
	n, err := a.store.DeleteRequestLogsBefore(ctx, now.Add(-a.logRetention))
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.InfoContext(ctx, "deleted old request logs", "count", n)
	}
	if n, err = a.store.DeleteEventsBefore(ctx, now.Add(-EventRetention)); err != nil {
		return err
	}
	if n > 0 {
		a.Log.InfoContext(ctx, "deleted old webhook events and their deliveries", "count", n)
	}
	if err := a.Admins.Sweep(ctx); err != nil {
		return err
	}
	if err := a.AIApps.Sweep(ctx); err != nil {
		return err
	}
	if err := a.Idempotency.Sweep(ctx); err != nil {
		return err
	}
	if err := a.Audit.Sweep(ctx); err != nil {
		return err
	}
	if err := a.Syncs.Sweep(ctx); err != nil {
		return err
	}
	return a.Linking.Sweep(ctx)
}
