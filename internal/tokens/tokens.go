// Package tokens hands out valid access tokens for linked accounts. Every
// provider call goes through it. Refreshes happen exactly once per expiry, under
// any concurrency and across nodes: a single flight per account in the process,
// the account's row lock in the database across processes, and a re-read under
// that lock so a caller that waited uses the token another caller just stored.
// Rotated refresh tokens are committed before anyone uses the new access token.
package tokens

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

// AuthServer is one connector profile's OAuth authorization server. The
// wiring provides it (over internal/oauth), so that nothing above the
// foundations depends on an OAuth library.
type AuthServer interface {
	// AuthCodeURL is where to send the user; verifier is empty without PKCE.
	AuthCodeURL(state, verifier string) string
	// UsesPKCE reports whether authorization needs a code verifier.
	UsesPKCE() bool
	// Exchange trades an authorization code for credentials.
	Exchange(ctx context.Context, code, verifier string) (store.Credentials, error)
	// Refresh trades a refresh token for credentials; their RefreshToken is
	// empty when the server did not rotate it.
	Refresh(ctx context.Context, refreshToken string) (store.Credentials, error)
	// Revoke revokes a token where the server can; otherwise it does nothing.
	Revoke(ctx context.Context, token string) error
}

// AuthServers returns the authorization server of profile p of connector c.
type AuthServers func(c *connectors.Connector, p store.ConnectorProfile) AuthServer

// EndpointError is how an AuthServer reports an answer of the token endpoint
// that was an error, so the manager can tell a dead grant from a passing outage.
type EndpointError interface {
	error
	StatusCode() int
	ErrorCode() string
}

// ErrReauthorize means the provider no longer accepts the account's refresh
// token; the end user must link the account again through the Hub.
var ErrReauthorize = errors.New("the account needs re-authorization through the Hub")

// Status reason codes the manager records.
const (
	// ReasonRefreshFailed: the refresh token is dead; the account needs re-linking.
	ReasonRefreshFailed = "refresh_failed"
	// ReasonProviderUnavailable: refreshing kept failing and the token has expired.
	ReasonProviderUnavailable = "provider_unavailable"
)

// Manager gives out valid access tokens. It is safe for concurrent use.
type Manager struct {
	store    store.Store
	registry *connectors.Registry
	servers  AuthServers
	clock    clock.Clock
	log      *slog.Logger
	flights  singleflight.Group
	metrics  metrics
	// held are rotated credentials the database has not taken yet, by account
	// id: they are handed out in place of the stored ones until a commit lands.
	held sync.Map
	// committers are the goroutines storing held credentials; they stop when
	// closed is closed (Close), leaving what they hold in the journal.
	committers sync.WaitGroup
	closed     chan struct{}
	closeOnce  sync.Once

	buffer        time.Duration
	attempts      int
	backoff       time.Duration
	rejectionWait time.Duration
	statusChanged func(ctx context.Context, before, after store.Account)
	tokenJournal  Journal
}

// Options configure a Manager.
type Options struct {
	Store    store.Store
	Registry *connectors.Registry
	Servers  AuthServers
	// Clock is the system clock when nil, Logger the default logger.
	Clock  clock.Clock
	Logger *slog.Logger
	// Buffer refreshes tokens that expire within it (capped at a quarter of the
	// token's lifetime, so short-lived tokens are not refreshed on every call);
	// zero means a minute.
	Buffer time.Duration
	// Attempts and Backoff bound retries of transient token-endpoint failures;
	// zero means three attempts, 200 ms apart at first.
	Attempts int
	Backoff  time.Duration
	// RejectionWait is how long a refresh token the provider rejects waits
	// for newer tokens from another node before the account is marked as
	// needing re-authorization; zero means 3 s.
	RejectionWait time.Duration
	// StatusChanged, when set, learns of every status the manager writes, once
	// it is committed (the accounts service reports them on).
	StatusChanged func(ctx context.Context, before, after store.Account)
	// Journal, when set, keeps rotated credentials on disk until the database
	// has them, so that a crash during a database outage loses none.
	Journal Journal
}

// New returns a Manager. Close it before closing its store.
func New(o Options) *Manager {
	return &Manager{store: o.Store, registry: o.Registry, servers: o.Servers, clock: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default()),
		metrics: newMetrics(), closed: make(chan struct{}), buffer: cmp.Or(o.Buffer, time.Minute), attempts: cmp.Or(o.Attempts, 3),
		backoff: cmp.Or(o.Backoff, 200*time.Millisecond), rejectionWait: cmp.Or(o.RejectionWait, 3*time.Second),
		statusChanged: o.StatusChanged, tokenJournal: o.Journal}
}

// Close stops the committers of held credentials and waits for them: what
// they had not stored yet stays in the journal for the next start (Recover).
func (m *Manager) Close() {
	m.closeOnce.Do(func() { close(m.closed) })
	m.committers.Wait()
}

// AuthServer returns the authorization server of a profile.
func (m *Manager) AuthServer(c *connectors.Connector, p store.ConnectorProfile) AuthServer {
	return m.servers(c, p)
}

type metrics struct {
	refreshes, failures *prometheus.CounterVec
	lockWait            prometheus.Histogram
}

func newMetrics() metrics {
	return metrics{
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patchbay_token_refreshes_total",
			Help: "Successful access-token refreshes by provider."}, []string{"provider"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patchbay_token_refresh_failures_total",
			Help: "Failed token-endpoint calls by provider."}, []string{"provider"}),
		lockWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "patchbay_token_lock_wait_seconds",
			Help: "Time spent waiting for an account's refresh lock.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
	}
}

// Collectors returns the manager's metrics for registration: refreshes,
// failures and lock waits, in that order.
func (m *Manager) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.metrics.refreshes, m.metrics.failures, m.metrics.lockWait}
}

// Valid returns account a, just read by the caller, with an access token that
// is valid now: as it is while its token stays valid, refreshed (once, however
// many callers ask at the same time) otherwise.
func (m *Manager) Valid(ctx context.Context, a store.Account) (store.Account, error) {
	a, _ = m.withHeld(a)
	if needsReauthorization(a) {
		return a, ErrReauthorize
	}
	if m.fresh(a.Credentials, m.clock.Now()) {
		return a, nil
	}
	return m.refresh(ctx, a, func(cur store.Account) bool { return !m.fresh(cur.Credentials, m.clock.Now()) })
}

// RefreshUnlinked refreshes credentials that belong to no account yet (those a
// connection attempt holds until the user's choice): there is nothing to lock
// or store, so the caller keeps what comes back.
func (m *Manager) RefreshUnlinked(ctx context.Context, c *connectors.Connector, p store.ConnectorProfile, creds store.Credentials) (store.Credentials, error) {
	if creds.RefreshToken == "" {
		return creds, ErrReauthorize
	}
	fresh, err := m.servers(c, p).Refresh(ctx, creds.RefreshToken)
	if err != nil {
		m.metrics.failures.WithLabelValues(c.Key).Inc()
		return creds, fmt.Errorf("refresh unlinked credentials: %s", errText(err))
	}
	m.metrics.refreshes.WithLabelValues(c.Key).Inc()
	return keepGranted(fresh, creds), nil
}

// keepGranted fills what a refresh answer left out from the credentials it replaces.
func keepGranted(fresh, old store.Credentials) store.Credentials {
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = old.RefreshToken
	}
	if len(fresh.Scopes) == 0 {
		fresh.Scopes = old.Scopes
	}
	return fresh
}

// Revoke revokes account a's grant at the provider where the provider supports
// revocation, using the account's connector profile.
func (m *Manager) Revoke(ctx context.Context, a store.Account) error {
	c, ok := m.registry.Get(a.Provider)
	if !ok {
		return nil
	}
	p, err := m.store.GetConnectorProfile(ctx, a.ProjectID, a.ProfileID)
	if err != nil {
		return fmt.Errorf("revoke account %s: %w", a.ID, err)
	}
	token := a.Credentials.RefreshToken
	if token == "" {
		token = a.Credentials.AccessToken
	}
	if err := m.servers(c, p).Revoke(ctx, token); err != nil {
		return fmt.Errorf("revoke account %s at %s: %w", a.ID, c.Name, err)
	}
	return nil
}

// AfterUnauthorized refreshes once after the provider answered 401 to rejected:
// if the stored token is already another one, that one is returned unchanged.
func (m *Manager) AfterUnauthorized(ctx context.Context, projectID, accountID, rejected string) (store.Account, error) {
	a, err := m.store.GetAccount(ctx, projectID, accountID)
	if err != nil {
		return store.Account{}, err
	}
	if a, _ = m.withHeld(a); needsReauthorization(a) {
		return a, ErrReauthorize
	}
	return m.refresh(ctx, a, func(cur store.Account) bool { return cur.Credentials.AccessToken == rejected })
}

// reportStatus tells StatusChanged about a committed status change.
func (m *Manager) reportStatus(ctx context.Context, before, after store.Account) {
	if m.statusChanged != nil && before.ID != "" && before.Status != after.Status {
		m.statusChanged(ctx, before, after)
	}
}

func needsReauthorization(a store.Account) bool {
	if a.Status != store.StatusError {
		return false
	}
	for _, r := range a.StatusReasons {
		if r.Code == ReasonRefreshFailed {
			return true
		}
	}
	return false
}

// fresh reports whether c stays valid beyond the refresh margin.
func (m *Manager) fresh(c store.Credentials, now time.Time) bool {
	if c.Expiry.IsZero() {
		return true // the provider gave no lifetime; a 401 will tell
	}
	margin := m.buffer
	if !c.Obtained.IsZero() {
		margin = min(margin, c.Expiry.Sub(c.Obtained)/4)
	}
	return now.Add(margin).Before(c.Expiry)
}

// refresh runs one refresh per account at a time. stale decides, under the
// account lock and on the freshly read account, whether a refresh is still due.
func (m *Manager) refresh(ctx context.Context, a store.Account, stale func(store.Account) bool) (store.Account, error) {
	v, err, _ := m.flights.Do(a.ID, func() (any, error) {
		// Shared by every waiting caller: one caller's cancellation must not abort it.
		work, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		var outcome error
		var before store.Account
		var held, rotated *Rotated
		// Read before taking the lock: the lock holds a connection, and a second
		// one wanted under it could wait for ever on a pool of lock holders.
		p, err := m.store.GetConnectorProfile(work, a.ProjectID, a.ProfileID)
		if err != nil {
			return store.Account{}, fmt.Errorf("refresh account %s: %w", a.ID, err)
		}
		waiting := clock.Start()
		acc, err := m.lockAccount(work, a.ProjectID, a.ID, func(cur store.Account) (store.AccountChange, error) {
			cur, held = m.withHeld(cur)
			before = cur
			m.metrics.lockWait.Observe(waiting.Elapsed().Seconds()) // real time: a wait, not a deadline
			if !stale(cur) {
				if held != nil {
					return store.AccountChange{Credentials: &held.Credentials}, nil // commit what this node holds
				}
				return store.AccountChange{}, nil // another caller or node refreshed it
			}
			if cur.ProfileID != p.ID {
				return store.AccountChange{}, fmt.Errorf("refresh account %s: it moved to connector profile %s meanwhile; try again", cur.ID, cur.ProfileID)
			}
			change, err := m.exchange(work, cur, p)
			outcome = err
			if change.Credentials != nil {
				// From here until the commit, the provider knows only the new
				// refresh token: put it on disk first.
				rotated = &Rotated{ProjectID: cur.ProjectID, AccountID: cur.ID, BaseVersion: cur.CredentialVersion, Credentials: *change.Credentials}
				m.journal(work, *rotated)
			}
			if err != nil && change.Status == "" {
				return store.AccountChange{}, err
			}
			return change, nil
		})
		if errors.Is(err, errRejected) {
			if held != nil {
				m.release(work, held) // tokens the provider refuses are worth nothing
			}
			return m.confirmRejection(work, before)
		}
		if err != nil && rotated != nil {
			// The provider rotated the grant but the database did not take it
			// (an outage): hand out the new tokens and commit them once it is back.
			m.log.WarnContext(work, "rotated tokens not stored yet; holding them until the database takes them", "account_id", a.ID, "err", err)
			m.hold(*rotated)
			before.Credentials = rotated.Credentials
			return before, outcome
		}
		if err != nil {
			return store.Account{}, err
		}
		for _, r := range []*Rotated{held, rotated} {
			if r != nil {
				m.release(work, r)
			}
		}
		m.reportStatus(work, before, acc)
		return acc, outcome
	})
	acc, _ := v.(store.Account)
	if err != nil && !errors.Is(err, ErrReauthorize) && m.clock.Now().Before(a.Credentials.Expiry) {
		// The provider is having trouble but the current token still works: use it.
		m.log.WarnContext(ctx, "refresh failed; using the current token until it expires", "account_id", a.ID, "err", errText(err))
		return a, nil
	}
	return acc, err
}

// exchange calls the provider's token endpoint for cur, linked through profile
// p, retrying transient failures. It returns the change to store, and
// ErrReauthorize with an error status when the refresh token is dead.
func (m *Manager) exchange(ctx context.Context, cur store.Account, p store.ConnectorProfile) (store.AccountChange, error) {
	c, ok := m.registry.Get(cur.Provider)
	if !ok {
		return store.AccountChange{}, fmt.Errorf("refresh account %s: unknown connector %s", cur.ID, cur.Provider)
	}
	if cur.Credentials.RefreshToken == "" {
		return m.dead(cur, "the provider issued no refresh token")
	}
	server := m.servers(c, p)
	var last error
	for attempt := range max(m.attempts, 1) {
		if attempt > 0 {
			select {
			case <-time.After(m.backoff << (attempt - 1)):
			case <-ctx.Done():
				return store.AccountChange{}, ctx.Err()
			}
		}
		rctx, span := telemetry.Start(ctx, trace.SpanKindClient, "token refresh", "")
		if span.IsRecording() {
			span.SetAttributes(attribute.String("patchbay.provider", cur.Provider), attribute.String("patchbay.account_id", cur.ID),
				attribute.Int("patchbay.attempt", attempt+1))
		}
		creds, err := server.Refresh(rctx, cur.Credentials.RefreshToken)
		if err != nil {
			span.SetStatus(codes.Error, "refused or failed") // the provider's reason may name the token
		}
		span.End()
		if err == nil {
			creds = keepGranted(creds, cur.Credentials)
			m.metrics.refreshes.WithLabelValues(cur.Provider).Inc()
			m.log.InfoContext(ctx, "refreshed access token", "account_id", cur.ID, "provider", cur.Provider, "expires", creds.Expiry)
			change := store.AccountChange{Credentials: &creds}
			if cur.Status == store.StatusError {
				change.Status = store.StatusActive // a refresh works again: the earlier trouble is over
			}
			return change, nil
		}
		m.metrics.failures.WithLabelValues(cur.Provider).Inc()
		var ee EndpointError
		if errors.As(err, &ee) && ee.ErrorCode() == "invalid_grant" {
			// The newest stored refresh token, read under the lock, is
			// refused: dead, unless another node holds a newer one it could
			// not store yet (confirmRejection decides).
			return store.AccountChange{}, errRejected
		}
		if !transient(err) {
			return store.AccountChange{}, fmt.Errorf("refresh account %s: %w", cur.ID, err)
		}
		last = err
		m.log.WarnContext(ctx, "token refresh failed; retrying", "account_id", cur.ID, "attempt", attempt+1, "err", errText(err))
	}
	err := fmt.Errorf("refresh account %s: token endpoint kept failing: %w", cur.ID, last)
	if m.clock.Now().Before(cur.Credentials.Expiry) {
		return store.AccountChange{}, err // the current token still works; nothing to record
	}
	return store.AccountChange{Status: store.StatusError, StatusReasons: []store.StatusReason{{
		Code: ReasonProviderUnavailable, Description: "The provider's token endpoint kept failing (" + errText(last) + "); calls fail until it recovers.",
		Timestamp: m.clock.Now().UTC(),
	}}}, err
}

// errRejected is the provider's invalid_grant to the stored refresh token.
var errRejected = errors.New("the provider rejected the refresh token (invalid_grant)")

// confirmRejection decides what a rejected refresh token means. It may only
// be stale: another node may hold the token the provider rotated it into, not
// yet stored because the database was out (its committer stores it as soon as
// the database answers). So the account is re-read until a newer grant
// arrives, for up to the rejection wait; only then, under the lock and if
// the credentials are still those refused, is it marked as needing
// re-authorization.
func (m *Manager) confirmRejection(ctx context.Context, refused store.Account) (store.Account, error) {
	deadline := clock.System.Now().Add(m.rejectionWait) // real time: waiting for another node's commit
	for {
		cur, err := m.store.GetAccount(ctx, refused.ProjectID, refused.ID)
		if err == nil && cur.CredentialVersion != refused.CredentialVersion {
			m.log.InfoContext(ctx, "a refused refresh token was stale: another node stored newer tokens", "account_id", refused.ID)
			return cur, nil
		}
		if !clock.System.Now().Before(deadline) {
			break
		}
		select {
		case <-time.After(rejectionPoll):
		case <-ctx.Done():
			return store.Account{}, ctx.Err()
		}
	}
	var before store.Account
	var outcome error
	after, err := m.lockAccount(ctx, refused.ProjectID, refused.ID, func(cur store.Account) (store.AccountChange, error) {
		before = cur
		if cur.CredentialVersion != refused.CredentialVersion {
			return store.AccountChange{}, nil // a newer grant landed at the last moment
		}
		var change store.AccountChange
		change, outcome = m.dead(cur, errRejected.Error())
		return change, nil // the status is committed; the caller learns outcome
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("refresh account %s: %w", refused.ID, err)
	}
	m.reportStatus(ctx, before, after)
	return after, outcome
}

// rejectionPoll is how often confirmRejection re-reads the account.
const rejectionPoll = 50 * time.Millisecond

func (m *Manager) dead(cur store.Account, why string) (store.AccountChange, error) {
	m.log.Warn("account needs re-authorization", "account_id", cur.ID, "provider", cur.Provider, "why", why)
	return store.AccountChange{Status: store.StatusError, StatusReasons: []store.StatusReason{{
		Code: ReasonRefreshFailed, Description: "Re-authorization needed: " + why + ". Link the account again through the Hub.",
		Timestamp: m.clock.Now().UTC(),
	}}}, ErrReauthorize
}

// transient reports failures worth retrying: 5xx or 429 answers, and anything
// that is not an answer at all (network errors, timeouts, unreadable bodies).
func transient(err error) bool {
	var ee EndpointError
	if errors.As(err, &ee) {
		return ee.StatusCode() >= 500 || ee.StatusCode() == http.StatusTooManyRequests
	}
	return true
}

// errText describes a token-endpoint failure by status and OAuth error code
// only: the answer's body may echo a token.
func errText(err error) string {
	var ee EndpointError
	if errors.As(err, &ee) {
		return fmt.Sprintf("status %d %s", ee.StatusCode(), ee.ErrorCode())
	}
	return err.Error()
}

// lockAccount runs decide under the account's write lock (store.LockAccount);
// a status it sets is reported by the event statusEvent names.
func (m *Manager) lockAccount(ctx context.Context, projectID, id string, decide func(store.Account) (store.AccountChange, error)) (store.Account, error) {
	return m.store.LockAccount(ctx, projectID, id, func(cur store.Account) (store.AccountChange, error) {
		change, err := decide(cur)
		if change.Status != "" {
			change.Event = statusEvent(cur.Status, change.Status)
		}
		return change, err
	})
}

// statusEvent is the event a status change reports, "" for none: a status a
// refresh or keep-alive writes is an error, an expiry or a recovery.
func statusEvent(before, after store.AccountStatus) string {
	switch {
	case before == after:
		return ""
	case after == store.StatusError:
		return store.EventAccountError
	case after == store.StatusExpired:
		return store.EventAccountExpired
	case after == store.StatusActive && (before == store.StatusError || before == store.StatusExpired):
		return store.EventAccountRecovered
	}
	return store.EventAccountUpdated
}
