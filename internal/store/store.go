// Package store defines Patchbay's domain records and the Store interface every
// storage backend implements. The conformance suite in storetest is the definition
// of a correct backend.
//
// Every method that reads or writes project data takes the project id, so one
// project can never reach another's records. Secret fields hold plaintext in memory;
// backends seal them before they reach the database and open them on the way out.
package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrNotFound means the record does not exist in the given project.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same unique identity already exists, or
	// the record is still in use.
	ErrConflict = errors.New("conflict")
	// ErrStale means the record changed since the caller read it.
	ErrStale = errors.New("changed by another writer")
	// ErrUsed means a single-use record was used before.
	ErrUsed = errors.New("already used")
	// ErrExpired means the record is past its expiry.
	ErrExpired = errors.New("expired")
	// ErrLimit means the write would pass a bound on how many records may exist.
	ErrLimit = errors.New("limit reached")
	// ErrSealed means stored secrets cannot be opened with the keys at hand:
	// the key that sealed them is gone, or the stored value is damaged.
	ErrSealed = errors.New("sealed secret cannot be opened")
)

// AnyVersion, given as the version a writer read, lets the write go ahead
// whatever the row's version is.
const AnyVersion int64 = -1

// NoVersion, given as the version a writer read, matches no version: what
// the writer sent back was not a version Patchbay gave out.
const NoVersion int64 = -2

// MaxAttemptsPerSession bounds the connection attempts of one connect session:
// far more than a person retrying needs, few enough that a leaked link cannot
// fill the database.
const MaxAttemptsPerSession = 50

// Project isolates everything an integrator stores: keys, profiles, accounts, logs.
type Project struct {
	ID        string
	Name      string
	CreatedAt time.Time
	Branding  Branding
}

// Branding is how the Hub presents a project to its end users; empty
// fields show Patchbay's own.
type Branding struct {
	Name       string // shown as who asks for the connection
	LogoURL    string // https
	Accent     string // #rrggbb
	SupportURL string // https or mailto
}

// KeyRole is what an API key may do.
type KeyRole string

// Roles.
const (
	RoleAdmin   KeyRole = "admin"   // everything in its project
	RoleRuntime KeyRole = "runtime" // accounts, connect sessions, actions, logs; no keys, profiles or project
)

// KeyedAccount is an API key and an account of its project read together.
// It may be shared between calls (APIKeyAndAccount): do not modify its slices
// or maps.
type KeyedAccount struct {
	Key       APIKey
	AccountID string // the account asked for
	Account   Account
	Profile   ConnectorProfile
	// AccountErr is what reading the account gave: nil, ErrNotFound when the
	// key's project has no such account, ErrSealed, …
	AccountErr error
}

// APIKey authenticates calls for one project. Only a hash of the key is stored,
// plus a short prefix so people can tell their keys apart.
type APIKey struct {
	ID        string
	ProjectID string
	Name      string
	Role      KeyRole // admin when empty on create
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
	// LastUsedAt is the start of the last clock minute the key was used in.
	LastUsedAt time.Time
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// ConnectorProfile is a project's configuration of one connector: the OAuth app
// credentials registered with the provider and the actions it enables.
type ConnectorProfile struct {
	ID           string
	ProjectID    string
	ConnectorKey string
	Name         string
	ClientID     string
	ClientSecret string // sealed at rest
	// SecretSet says a client secret is stored: lists leave ClientSecret
	// empty rather than open every profile's secret.
	SecretSet      bool
	Environment    Environment
	EnabledActions []string
	ExtraScopes    []string // requested on top of the enabled actions' scopes
	Default        bool     // the profile the Hub uses for its connector
	Enabled        bool     // a disabled profile's accounts are inactive
	// Proxy is what the passthrough proxy may do with the profile's accounts:
	// it reaches the provider's whole API, beyond the enabled actions.
	Proxy ProxyAccess
	// Sync is the records cache kept for the profile's accounts.
	Sync      SyncSettings
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version grows with every write of the row; an update that carries the
	// version its writer read is refused once another writer changed it.
	Version int64
}

// ProxyAccess is what the passthrough proxy may do with a profile's accounts.
type ProxyAccess string

// Proxy accesses: none (the default), reads (GET), or any method.
const (
	ProxyOff       ProxyAccess = "off"
	ProxyRead      ProxyAccess = "read"
	ProxyReadWrite ProxyAccess = "read_write"
)

// Environment is where a connector profile's provider lives.
type Environment string

// Environments.
const (
	Production Environment = "production"
	Sandbox    Environment = "sandbox" // the built-in simulators
)

// AccountStatus says whether calls on an account can work.
type AccountStatus string

// Account statuses.
const (
	StatusActive   AccountStatus = "active"
	StatusInactive AccountStatus = "inactive" // its connector profile is disabled
	StatusError    AccountStatus = "error"    // calls fail; status_reasons say why
	StatusExpired  AccountStatus = "expired"  // the refresh token lapsed; the end user must link again
)

// StatusDeleted is an account's state in its account.deleted event: the
// account no longer exists. No stored account has it.
const StatusDeleted AccountStatus = "deleted"

// AccountStatuses are every status a stored account has, in the order people read them.
var AccountStatuses = []AccountStatus{StatusActive, StatusInactive, StatusError, StatusExpired}

// Link is what LinkAccount writes: the outcome of a connection attempt whose
// end user authorized and made any setup choice. The caller decides, through
// Target and Write, which account the link updates or creates and how; the
// store finds, locks and writes it.
type Link struct {
	ProjectID string
	AttemptID string
	// At is when the link happens: the connect session must still be live then.
	At time.Time
	// Target names the account the link may update.
	Target func(LinkContext) LinkTarget
	// Write returns the account to store, given the target found (nil when
	// there is none: the link creates the account it returns), and the type
	// of the event reporting it.
	Write func(c LinkContext, existing *Account) (Account, string)
}

// LinkContext is what a link is decided on, as read in its transaction: the
// attempt, its connect session and its profile's provider.
type LinkContext struct {
	Attempt  ConnectionAttempt
	Session  ConnectSession
	Provider string
}

// LinkTarget names the account a link updates: the account AccountID, else
// the oldest account matching Owner, else none.
type LinkTarget struct {
	AccountID string
	Owner     *OwnerMatch
}

// OwnerMatch finds an end user's account for a provider, of one profile
// when ProfileID is set.
type OwnerMatch struct {
	Provider, OwnerID, OwnerName, ProfileID string
}

// StatusReason explains an account's status.
type StatusReason struct {
	Code        string    `json:"code"`
	Description string    `json:"description"`
	Timestamp   time.Time `json:"timestamp"`
}

// Credentials are an account's OAuth tokens; they are sealed at rest.
type Credentials struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
	// Obtained is when Patchbay received the tokens; with Expiry it gives their lifetime.
	Obtained time.Time `json:"obtained,omitzero"`
}

// Account is a linked account: one end user's connection to a provider.
type Account struct {
	ID               string
	ProjectID        string
	ProfileID        string
	Provider         string
	Status           AccountStatus
	StatusReasons    []StatusReason
	OriginOwnerID    string
	OriginOwnerName  string
	OriginUsername   string
	Label            string
	Type             string // "production" or "test"
	Metadata         map[string]any
	SetupInformation map[string]string
	Credentials      Credentials // sealed at rest
	// CredentialVersion grows with every credential write, so a stale writer can
	// never overwrite newer tokens.
	CredentialVersion int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Version grows with every write of the row, a token refresh included.
	Version int64
}

// AccountChange is what LockAccount's decision writes; zero fields change nothing.
type AccountChange struct {
	Credentials   *Credentials  // new tokens; bumps CredentialVersion
	Status        AccountStatus // new status, with StatusReasons
	StatusReasons []StatusReason
	// Event is the type of the event reporting the change, written in its
	// transaction; "" writes none.
	Event string
}

// AccountEdit is what UpdateAccount's decision writes: the account's fields
// other than its credentials, and the event reporting the edit ("" for none).
type AccountEdit struct {
	Account Account
	Event   string
}

// ProfileChange is what UpdateConnectorProfile's decision writes: the
// profile's new fields and, when Cascade is set, a status move of its accounts.
type ProfileChange struct {
	Profile ConnectorProfile
	Cascade *StatusCascade
	// KeepSync, when set, deletes the synced records, changes and run states
	// of the profile's accounts for every model not in it.
	KeepSync *[]string
}

// StatusCascade moves every account of a profile that is in status From to
// status To, each reported by an event of type Event ("" for none).
type StatusCascade struct {
	From, To AccountStatus
	Event    string
}

// AccountFilter selects accounts in ListAccounts; empty fields match everything.
type AccountFilter struct {
	OriginOwnerIDs []string
	AccountIDs     []string
	Providers      []string
	Statuses       []string
	ProfileID      string
	// Offset and Limit take one page of the list; a zero Limit takes the rest.
	Offset, Limit int
	// After starts the list past this account in the list's order (keyset
	// paging: deep pages cost what the first one does).
	After *ListKey
}

// ListKey is an item's place in list order (oldest first: created_at, then id).
type ListKey struct {
	CreatedAt time.Time
	ID        string
}

// ProfileFilter selects connector profiles: of one connector, enabled or
// not (any when empty or nil), in a window of the list.
type ProfileFilter struct {
	ConnectorKey string
	Enabled      *bool
	Window
}

// Window takes part of a list in its order: the items after After (all when
// nil), at most Limit of them (all when 0).
type Window struct {
	After *ListKey
	Limit int
}

// ConnectSession lets one end user link an account through the Hub. Its token is
// handed to the browser; only a hash of it is stored.
type ConnectSession struct {
	ID              int64
	ProjectID       string
	TokenHash       []byte
	OriginOwnerID   string
	OriginOwnerName string
	OriginUsername  string
	Provider        string   // opens the Hub on this connector; empty lists every allowed one
	ProfileID       string   // targets a non-default profile
	Categories      []string // limits the connectors listed
	AccountID       string   // edit mode: re-link this account
	Metadata        map[string]any
	Multiple        bool // always create a new account
	Label           string
	Type            string // "production" or "test"
	// Extras keeps accepted fields that have no behaviour (shared, relink, scopes).
	Extras map[string]any
	// AllowedOrigin is where the Hub may post its result (the embedding page's origin).
	AllowedOrigin        string
	ExternalTriggerToken string
	ExpiresAt            time.Time
	CreatedAt            time.Time
}

// AttemptStatus is where a connection attempt stands.
type AttemptStatus string

// Connection attempt statuses. Only a pending attempt can change.
const (
	AttemptPending       AttemptStatus = "pending"
	AttemptAuthenticated AttemptStatus = "authenticated"
	AttemptError         AttemptStatus = "error"
	AttemptCancelled     AttemptStatus = "cancelled"
	AttemptExpired       AttemptStatus = "expired"
)

// SetupOption is one choice offered after authorization (e.g. an organisation).
type SetupOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// ConnectionAttempt is one try at linking an account within a connect session.
type ConnectionAttempt struct {
	ID               string
	ProjectID        string
	SessionID        int64
	ProfileID        string
	Status           AttemptStatus
	AccountID        string
	ErrorCode        string
	ErrorDescription string
	// SetupField and SetupOptions are set while the user must still choose (for
	// example one of several Employment Hero organisations).
	SetupField   string
	SetupOptions []SetupOption
	// PendingCredentials holds the tokens until that choice is made; sealed at rest.
	PendingCredentials *Credentials
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// OAuthState binds an authorization redirect to its connection attempt. Only a
// hash of the state value is stored; the PKCE verifier is sealed.
type OAuthState struct {
	ID           string
	ProjectID    string
	StateHash    []byte
	AttemptID    string
	CodeVerifier string // sealed at rest
	RedirectURI  string // where the browser goes once the attempt is decided
	ExpiresAt    time.Time
	UsedAt       time.Time
}

// Sources of action calls, as request logs record them.
const (
	SourceAPI  = "api"  // POST /actions/rpc and /unified/proxy
	SourceCLI  = "cli"  // patchbay actions run
	SourceHub  = "hub"  // Patchbay's own calls while linking (the setup step)
	SourceMCP  = "mcp"  // tools/call on the MCP server
	SourceSync = "sync" // runs of the records cache (docs/sync.md)
)

// RequestLog records one action call.
type RequestLog struct {
	ID         string
	ProjectID  string
	RequestID  string
	Source     string // who made the call: SourceAPI, SourceCLI, …
	ClientID   string // the AI app the call was made for, through an OAuth grant
	AccountID  string
	Provider   string
	Action     string
	HTTPMethod string
	Path       string // the provider path called (no query string)
	Status     int
	Success    bool
	DurationMS int64
	DurationUS int64 // the same, in microseconds
	StartTime  time.Time
	EndTime    time.Time
	Steps      []LogStep
	// Error says why a failed call failed: Patchbay's message and what the
	// provider answered (status, error code and message), redacted; never a
	// body. Empty for a success.
	Error string
}

// LogStep is one provider call an action made.
type LogStep struct {
	Method     string    `json:"http_method"`
	URL        string    `json:"url"`
	Status     int       `json:"status"`
	DurationMS int64     `json:"duration"`
	StartTime  time.Time `json:"start_time"`
}

// LogFilter selects request logs; empty fields match everything. After is the
// cursor: the last entry of the previous page.
type LogFilter struct {
	AccountIDs  []string
	RequestIDs  []string
	Actions     []string
	Providers   []string
	StatusCodes []int
	// StatusClasses keeps entries whose status is in one of these hundreds
	// (2 for 2xx, 4 for 4xx, 5 for 5xx).
	StatusClasses []int
	// Search keeps entries whose action, account, request id, error or
	// account owner contains it, in any case.
	Search     string
	Success    *bool
	Start, End time.Time
	AfterTime  time.Time
	AfterID    string
	Limit      int
}

// LogBucket counts one provider's (or one account's) calls in one hour.
type LogBucket struct {
	Hour     int64 // Unix hours
	Provider string
	Account  string // with LogStats by account; "" by provider
	Calls    int
	Failed   int
}

// Event types. The service that makes a change decides its events; the store
// writes them in the transaction of the change they report.
const (
	EventAccountCreated   = "account.created"
	EventAccountUpdated   = "account.updated" // re-linked, edited, its profile disabled or enabled
	EventAccountDeleted   = "account.deleted"
	EventAccountError     = "account.error" // needs re-authorization; status_reasons say why
	EventAccountExpired   = "account.expired"
	EventAccountRecovered = "account.recovered"
	EventWebhookTest      = "webhook.test"
	EventWebhookDisabled  = "webhook.disabled" // an endpoint was turned off for failing
	EventSyncFailed       = "sync.failed"      // a sync run failed after its retries
)

// EventTypes lists the events of accounts, webhooks and syncs; with the
// data changes of synced records (connectors.SyncEventTypes) they are
// every event an endpoint can subscribe to.
var EventTypes = []string{EventAccountCreated, EventAccountUpdated, EventAccountDeleted, EventAccountError,
	EventAccountExpired, EventAccountRecovered, EventWebhookTest, EventWebhookDisabled, EventSyncFailed}

// Outgoing is what sending a delivery needs.
type Outgoing struct {
	// Delivery is without its attempt log.
	Delivery WebhookDelivery
	Event    Event
	// Endpoint has its secrets opened.
	Endpoint WebhookEndpoint
	// Earlier is the pending delivery of the account's earlier event to the
	// endpoint, which goes first: deliveries of one account go out in order.
	Earlier Earlier
}

// Earlier is a pending delivery another waits on: its id ("" for none) and
// when it is tried next (zero when it was never tried: it goes out now).
type Earlier struct {
	ID            string
	NextAttemptAt time.Time
}

// Event is something that happened in a project, kept for webhook delivery.
type Event struct {
	// Seq orders events as they were committed.
	Seq       int64
	ID        string
	ProjectID string
	Type      string
	AccountID string // empty for events about the project (webhook.*)
	// EndpointID sends the event to this endpoint only (webhook.test).
	EndpointID string
	Data       json.RawMessage
	CreatedAt  time.Time
	// TraceParent is the trace the event was recorded in (W3C traceparent),
	// "" without one; the store takes it from the writer's context.
	TraceParent string
}

// AccountEventData is an account event's data: who and where, never a credential.
type AccountEventData struct {
	AccountID       string         `json:"account_id"`
	ProjectID       string         `json:"project_id"`
	Provider        string         `json:"provider"`
	OriginOwnerID   string         `json:"origin_owner_id"`
	OriginOwnerName string         `json:"origin_owner_name"`
	OriginUsername  string         `json:"origin_username"`
	Status          AccountStatus  `json:"status"`
	StatusReasons   []StatusReason `json:"status_reasons"`
}

// AccountEvent is the event of type typ about a, dated at. An account.deleted
// event carries the account's final state, deleted, with no reasons.
func AccountEvent(typ string, a Account, at time.Time) Event {
	reasons := a.StatusReasons
	if reasons == nil || typ == EventAccountDeleted {
		reasons = []StatusReason{}
	}
	if typ == EventAccountDeleted {
		a.Status = StatusDeleted
	}
	data, _ := json.Marshal(AccountEventData{AccountID: a.ID, ProjectID: a.ProjectID, Provider: a.Provider,
		OriginOwnerID: a.OriginOwnerID, OriginOwnerName: a.OriginOwnerName, OriginUsername: a.OriginUsername,
		Status: a.Status, StatusReasons: reasons}) // cannot fail: strings and times
	return Event{ID: NewID("evt"), ProjectID: a.ProjectID, Type: typ, AccountID: a.ID, Data: data, CreatedAt: at}
}

// WebhookEndpoint is where a project's events are sent.
type WebhookEndpoint struct {
	ID          string
	ProjectID   string
	URL         string
	Description string
	Events      []string // the types sent; empty sends every type
	Enabled     bool
	// DisabledReason says why Patchbay turned the endpoint off (410 Gone,
	// failing for days); empty when an admin did, or while enabled.
	DisabledReason string
	Secrets        []WebhookSecret // sealed at rest; newest first
	// FailingSince is when the endpoint's deliveries started failing without
	// a success since; zero while it answers.
	FailingSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Version grows with every UpdateWebhookEndpoint, not with deliveries.
	Version int64
}

// Wants reports whether the endpoint is sent events of type typ.
func (e WebhookEndpoint) Wants(typ string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, t := range e.Events {
		if t == typ {
			return true
		}
	}
	return false
}

// WebhookSecret signs deliveries until ExpiresAt (zero: until replaced).
type WebhookSecret struct {
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending" // not sent yet, or to be tried again
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed" // given up
)

// WebhookDelivery is one event sent to one endpoint.
type WebhookDelivery struct {
	ID             string
	ProjectID      string
	EndpointID     string
	EventID        string
	EventType      string
	EventSeq       int64
	AccountID      string
	Status         DeliveryStatus
	Attempts       int
	LastStatusCode int
	LastError      string
	LastDurationMS int64
	NextAttemptAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// AttemptLog is filled by ListWebhookDeliveries and GetWebhookDelivery,
	// newest first.
	AttemptLog []WebhookAttempt
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	// Answer is the start of the receiver's answer (1 KB at most).
	Answer string `json:"answer,omitempty"`
}

// AttemptOutcome is what RecordWebhookAttempt writes.
type AttemptOutcome struct {
	Attempt WebhookAttempt
	// Status is the delivery's status after the attempt; NextAttemptAt when
	// it stays pending.
	Status        DeliveryStatus
	NextAttemptAt time.Time
	// Failing says the endpoint is failing since the attempt started (its
	// FailingSince is set, when it is not set already); false says it
	// answers (FailingSince is cleared).
	Failing bool
}

// DeliveryFilter selects an endpoint's deliveries, newest first.
type DeliveryFilter struct {
	EndpointID string
	Limit      int
	// Before continues a list past the delivery with this id.
	Before string
}

// QuotaLease is what TakeKeyQuota granted: Granted more requests, after
// which the minute's count over every node is Used.
type QuotaLease struct {
	Granted, Used int
}

// IdempotencyRecord is what Patchbay keeps of a request sent with an
// Idempotency-Key: the key and the request as hashes, a summary of what was
// sent (no body), who holds it while it runs, and then its answer.
type IdempotencyRecord struct {
	ID          string
	ProjectID   string
	KeyHash     []byte
	Fingerprint []byte
	// Request says what was sent (method, path, account), for an answer
	// that cannot say what came of it.
	Request string
	// Owner holds a running record until LockedUntil, which it renews.
	Owner       string
	LockedUntil time.Time
	Done        bool
	Answer      StoredAnswer // when Done
	CreatedAt   time.Time
}

// StoredAnswer is an HTTP answer kept to be given again.
type StoredAnswer struct {
	Status int
	Header map[string]string
	Body   []byte
}

// AuditEntry is one change in the audit trail: who did what to which
// thing, the fields it changed, and where the request came from. Entries of
// a project form a hash chain: Hash covers the entry and PrevHash, the hash
// of the entry before it (AuditHash).
type AuditEntry struct {
	ID        string
	ProjectID string // "" for changes outside any project
	Seq       int64  // the entry's place in its project's chain, from 1
	At        time.Time
	// Actor is admin:<email>, api_key:<id>, oauth_client:<id>,
	// end_user:<origin owner id> or system:<job>.
	Actor      string
	Action     string // e.g. connector_profile.updated
	TargetType string
	TargetID   string
	// Changes is a JSON object of the changed fields, each {"before", "after"};
	// a secret's values are "set" or "changed", never the secret.
	Changes   json.RawMessage
	RequestID string
	Address   string // the client's address
	Outcome   string // a provider write's result; "" for other changes
	PrevHash  []byte
	Hash      []byte
}

// AuditHead is the last entry of a project's chain.
type AuditHead struct {
	ProjectID string
	Seq       int64
	Hash      []byte
}

// AuditHash is the hash of e chained to prev: SHA-256 over prev and the
// entry's fields in a fixed order, Changes as stored.
func AuditHash(prev []byte, e AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	for _, f := range []string{e.ID, e.ProjectID, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action,
		e.TargetType, e.TargetID, string(e.Changes), e.RequestID, e.Address, e.Outcome} {
		// Each field with its length, so that no two entries hash the same text.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return h.Sum(nil)
}

// AuditFilter selects audit entries of one project, newest first.
type AuditFilter struct {
	ProjectID string
	Actor     string // exact
	Action    string // exact, or a prefix ending in "." (connector_profile.)
	TargetID  string
	From, To  time.Time // At within [From, To); zero means open
	// BeforeSeq continues a listing: only entries before this place in the
	// chain; 0 starts with the newest.
	BeforeSeq int64
	Limit     int
}

type auditKey struct{}

// WithAudit returns ctx carrying entries: the next transaction a store write
// makes with it also appends them to the audit trail, chained and dated by
// the store (At, when zero), and fills their ID, Seq and hashes once it
// commits. A service attaches them to the one write they describe, and may
// fill Changes until then (in a decide function).
func WithAudit(ctx context.Context, entries ...*AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, entries)
}

// AuditOf returns the entries ctx carries that no write has appended yet.
func AuditOf(ctx context.Context) []*AuditEntry {
	entries, _ := ctx.Value(auditKey{}).([]*AuditEntry)
	if len(entries) == 0 || entries[0].Hash != nil {
		return nil
	}
	return entries
}

// Admin is a person who signs in to the web console.
type Admin struct {
	ID           string
	Email        string // stored lower-case
	PasswordHash string // argon2id, PHC string form
	CreatedAt    time.Time
}

// AdminInvite is a one-time link to become an admin of some projects.
type AdminInvite struct {
	TokenHash  []byte
	Email      string // stored lower-case
	ProjectIDs []string
	InvitedBy  string // the inviting admin's id
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// SignInFailures counts wrong console passwords for one email since its last
// success, the last at Last.
type SignInFailures struct {
	Count int
	Last  time.Time
}

// AdminSession is a signed-in console session; only its token's hash is stored.
type AdminSession struct {
	TokenHash  []byte
	AdminID    string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Store is the persistence boundary. Implementations must be safe for concurrent use
// by many goroutines and by many processes sharing one database.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database connections.
	Close() error

	// CreateProject stores p, filling ID and CreatedAt when empty, and gives
	// it to the admins named, in one transaction.
	CreateProject(ctx context.Context, p Project, adminIDs ...string) (Project, error)
	GetProject(ctx context.Context, id string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)

	// CreateAPIKey stores k, filling ID and CreatedAt when empty. The project must exist.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// ListAPIKeys returns the project's keys in w, oldest first.
	ListAPIKeys(ctx context.Context, projectID string, w Window) ([]APIKey, error)
	// APIKeyByHash finds a key by the hash of its plaintext, revoked or not.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// APIKeyAndAccount finds a key by hash, revoked or not, as APIKeyByHash
	// does, and reads in the same query the account of the key's project with
	// its profile, as GetAccountAndProfile does: an action call's one round
	// trip. What reading the account gave is in the answer's AccountErr.
	// A store may keep an answer and give it again once that query has
	// confirmed the three rows are unchanged (never without asking the
	// database), so answers are shared: treat their slices and maps as
	// read-only.
	APIKeyAndAccount(ctx context.Context, hash []byte, accountID string) (KeyedAccount, error)
	// RevokeAPIKey marks a key revoked at the given time; revoking twice keeps the
	// first time. ErrConflict when it is the project's last valid admin key.
	RevokeAPIKey(ctx context.Context, projectID, id string, at time.Time) (APIKey, error)

	// CreateConnectorProfile stores p, filling ID, CreatedAt and UpdatedAt when empty.
	CreateConnectorProfile(ctx context.Context, p ConnectorProfile) (ConnectorProfile, error)
	GetConnectorProfile(ctx context.Context, projectID, id string) (ConnectorProfile, error)
	// ListConnectorProfiles returns the project's profiles matching f, oldest
	// first, without opening their secrets, so that one damaged secret cannot
	// hide the others.
	ListConnectorProfiles(ctx context.Context, projectID string, f ProfileFilter) ([]ConnectorProfile, error)
	// UpdateConnectorProfile runs decide with the profile as stored, under its
	// write lock, and writes the change decide returns in the same transaction:
	// the profile's fields (not its connector or creation time), the status
	// cascade of its accounts with their events, and, when it becomes the
	// default, unsetting the connector's previous default. An error from
	// decide changes nothing and is returned as it is.
	UpdateConnectorProfile(ctx context.Context, projectID, id string, decide func(ConnectorProfile) (ProfileChange, error)) (ConnectorProfile, error)
	// DeleteConnectorProfile runs check with the profile, its secret unopened,
	// and the number of accounts that use it, under the profile's write lock,
	// and removes the profile unless check fails.
	DeleteConnectorProfile(ctx context.Context, projectID, id string, check func(p ConnectorProfile, accounts int) error) error

	// CreateAccount stores a, filling ID, timestamps and CredentialVersion
	// when empty, with an event of type event ("" for none).
	CreateAccount(ctx context.Context, a Account, event string) (Account, error)
	// ImportAccounts stores many accounts in one transaction, each as
	// CreateAccount would (for bulk loads).
	ImportAccounts(ctx context.Context, accounts []Account, event string) error
	GetAccount(ctx context.Context, projectID, id string) (Account, error)
	// GetAccountAndProfile returns an account and its connector profile,
	// secrets opened, in one read (ErrSealed when the account's cannot be).
	GetAccountAndProfile(ctx context.Context, projectID, id string) (Account, ConnectorProfile, error)
	// Credentials are left out: listing never opens them, so one account whose
	// credentials cannot be opened does not stop the list.
	ListAccounts(ctx context.Context, projectID string, f AccountFilter) ([]Account, error)
	// CountAccounts counts the accounts ListAccounts would list, all pages.
	CountAccounts(ctx context.Context, projectID string, f AccountFilter) (int, error)
	// UpdateAccount runs decide with the account as stored, without its
	// credentials, under its write lock, writes the fields decide returns
	// (all but the credentials) with the event it names, and returns the
	// account as stored. An error from decide changes nothing.
	UpdateAccount(ctx context.Context, projectID, id string, decide func(Account) (AccountEdit, error)) (Account, error)
	// UpdateCredentials stores new credentials if the account's credential version
	// is still expectVersion, and returns the account with the next version;
	// ErrStale when another writer got there first.
	UpdateCredentials(ctx context.Context, projectID, id string, expectVersion int64, c Credentials) (Account, error)
	// DeleteAccount runs decide with the account as stored, without its
	// credentials, under its write lock, and removes it with the event of the
	// type decide returns; it returns the account as it was.
	DeleteAccount(ctx context.Context, projectID, id string, decide func(Account) (string, error)) (Account, error)
	// AccountsObtainedBefore lists accounts of every project whose tokens were
	// obtained before t (or never recorded), oldest first, at most limit.
	AccountsObtainedBefore(ctx context.Context, t time.Time, limit int) ([]Account, error)
	// LockAccount runs decide while holding the account's write lock on every node
	// (a row lock on PostgreSQL, the single writer on SQLite), with the account as
	// stored at that moment, then applies the change decide returns in the same
	// transaction. Refreshes go through it so that only one happens at a time.
	LockAccount(ctx context.Context, projectID, id string, decide func(Account) (AccountChange, error)) (Account, error)

	// CreateConnectSession stores cs and returns it with its numeric ID and CreatedAt.
	CreateConnectSession(ctx context.Context, cs ConnectSession) (ConnectSession, error)
	// ConnectSessionByTokenHash finds a session by its token's hash, expired or not.
	ConnectSessionByTokenHash(ctx context.Context, hash []byte) (ConnectSession, error)
	GetConnectSession(ctx context.Context, projectID string, id int64) (ConnectSession, error)

	// LinkAccount decides a pending connection attempt in one transaction. It
	// claims the attempt, finds and locks the account l.Target names, writes
	// the account l.Write returns (an update of the target, or a new account)
	// with its event, and marks the attempt authenticated with it. ErrStale
	// when the attempt is no longer pending (another callback won, or it was
	// cancelled), ErrExpired when the session expired before l.At.
	LinkAccount(ctx context.Context, l Link) (Account, ConnectionAttempt, error)

	// CreateConnectionAttempt stores a, filling ID and timestamps when empty;
	// ErrLimit when its session already has MaxAttemptsPerSession attempts.
	CreateConnectionAttempt(ctx context.Context, a ConnectionAttempt) (ConnectionAttempt, error)
	GetConnectionAttempt(ctx context.Context, projectID, id string) (ConnectionAttempt, error)
	// UpdateConnectionAttempt writes a's status, account, error and setup fields, but
	// only while the stored attempt is still pending; ErrStale otherwise.
	UpdateConnectionAttempt(ctx context.Context, a ConnectionAttempt) (ConnectionAttempt, error)

	// CreateRequestLogs stores logs in one transaction, filling each empty ID;
	// an entry whose ID is already stored is skipped, so writing again is safe.
	CreateRequestLogs(ctx context.Context, logs []RequestLog) error
	// ListRequestLogs returns the project's logs matching f, newest first.
	ListRequestLogs(ctx context.Context, projectID string, f LogFilter) ([]RequestLog, error)
	// GetRequestLog returns one entry by its id, or by its request id.
	GetRequestLog(ctx context.Context, projectID, id string) (RequestLog, error)
	// DeleteRequestLogsBefore removes logs older than t, for retention.
	DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error)
	// LogStats counts the project's calls per hour from the hour of since
	// on, per provider, or per account and provider when byAccount.
	LogStats(ctx context.Context, projectID string, since time.Time, byAccount bool) ([]LogBucket, error)

	// TakeKeyQuota grants up to want more requests to API key keyID in the clock
	// minute starting at window, counted across every node, never taking the
	// minute's count past limit: it returns how many it granted (0 when the
	// minute's allowance is used up) and the minute's count after the grant.
	TakeKeyQuota(ctx context.Context, keyID string, window time.Time, want, limit int) (QuotaLease, error)
	// DeleteKeyQuotaBefore drops the counts of minutes that started before t.
	DeleteKeyQuotaBefore(ctx context.Context, t time.Time) (int64, error)

	// ClaimIdempotencyKey stores r, running, unless the project has a record
	// of r's key made at or after notBefore: then it returns that record and
	// false. An older record of the key is replaced.
	ClaimIdempotencyKey(ctx context.Context, r IdempotencyRecord, notBefore time.Time) (IdempotencyRecord, bool, error)
	// TakeOverIdempotencyKey gives a running record whose lock ended before
	// now to owner until until; false when it is done or another holds it.
	TakeOverIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, now, until time.Time) (bool, error)
	// RenewIdempotencyKey moves the lock of owner's running record to until;
	// ErrStale when owner no longer holds it.
	RenewIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, until time.Time) error
	// FinishIdempotencyKey stores the answer of owner's running record;
	// ErrStale when owner no longer holds it.
	FinishIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, a StoredAnswer) error
	// ReleaseIdempotencyKey removes owner's running record, so the key may be
	// sent again as new.
	ReleaseIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string) error
	// DeleteIdempotencyKeysBefore removes the records made before t.
	DeleteIdempotencyKeysBefore(ctx context.Context, t time.Time) (int64, error)

	// AppendAudit appends e to its project's audit chain, in a transaction of
	// its own (a change the store writes appends its entry with WithAudit).
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns the entries f selects, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// AuditHeads returns the last entry of every chain.
	AuditHeads(ctx context.Context) ([]AuditHead, error)
	// AuditChain returns up to limit entries of a project's chain after
	// place afterSeq, in chain order.
	AuditChain(ctx context.Context, projectID string, afterSeq int64, limit int) ([]AuditEntry, error)
	// DeleteAuditBefore removes entries made before t, for retention; the
	// chain then starts at the oldest entry kept.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error)
	// Optimize refreshes the query planner's statistics where the database
	// does not gather them itself; run it at start and now and then.
	Optimize(ctx context.Context) error

	// DeleteConnectSessionsExpiredBefore removes the sessions of every project
	// that expired before t, with their connection attempts and OAuth states.
	DeleteConnectSessionsExpiredBefore(ctx context.Context, t time.Time) (int64, error)
	// DeleteOAuthStatesExpiredBefore removes OAuth states that expired before t.
	DeleteOAuthStatesExpiredBefore(ctx context.Context, t time.Time) (int64, error)

	// CreateWebhookEndpoint stores e, filling ID and timestamps when empty.
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error)
	GetWebhookEndpoint(ctx context.Context, projectID, id string) (WebhookEndpoint, error)
	// ListWebhookEndpoints returns the project's endpoints, oldest first,
	// without their secrets (a list never fails on one it cannot open).
	ListWebhookEndpoints(ctx context.Context, projectID string) ([]WebhookEndpoint, error)
	// UpdateWebhookEndpoint runs decide with the endpoint as stored, secrets
	// opened, under its write lock, and writes the endpoint decide returns
	// (not its project or creation time), bumping its version. An error from
	// decide changes nothing.
	UpdateWebhookEndpoint(ctx context.Context, projectID, id string, decide func(WebhookEndpoint) (WebhookEndpoint, error)) (WebhookEndpoint, error)
	// DeleteWebhookEndpoint runs check with the endpoint, secrets unopened,
	// under its write lock, and removes it with its deliveries unless check fails.
	DeleteWebhookEndpoint(ctx context.Context, projectID, id string, check func(WebhookEndpoint) error) error

	// CreateEvent stores an event that no account change carries (webhook.*).
	CreateEvent(ctx context.Context, e Event) (Event, error)
	GetEvent(ctx context.Context, projectID, id string) (Event, error)
	// DispatchEvents takes up to limit undispatched events in commit order,
	// each by one caller only, creates a pending delivery for every enabled
	// endpoint that wants it and marks the events dispatched, all in one
	// transaction. It returns how many events it took, and the deliveries
	// to queue: those that wait for no earlier pending delivery of their
	// account to their endpoint (the others follow one by one as the ones
	// before them end; see RecordWebhookAttempt). Deliveries to queue are
	// marked queued; the caller queues them once this returns, and
	// StrandedDeliveries finds those a crash kept from the queue.
	DispatchEvents(ctx context.Context, limit int) (int, []WebhookDelivery, error)
	// ListenEvents calls wake after every commit of a transaction that wrote
	// events, in any process, until ctx ends (nil) or the connection fails.
	// It returns errors.ErrUnsupported at once where the database cannot
	// tell: callers poll.
	ListenEvents(ctx context.Context, wake func()) error
	// DeleteEventsBefore removes dispatched events created before t, with their deliveries.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error)

	GetWebhookDelivery(ctx context.Context, projectID, id string) (WebhookDelivery, error)
	// ListWebhookDeliveries returns an endpoint's deliveries, newest first, each with its attempts.
	ListWebhookDeliveries(ctx context.Context, projectID string, f DeliveryFilter) ([]WebhookDelivery, error)
	// OutgoingDelivery reads what sending a delivery needs, at once:
	// ErrNotFound when it is gone (with its endpoint or event); ErrSealed,
	// with all but the endpoint's secrets, when those cannot be opened.
	OutgoingDelivery(ctx context.Context, projectID, id string) (Outgoing, error)
	// RecordWebhookAttempt logs an attempt of a pending delivery and writes
	// its outcome: the delivery's status and the endpoint's FailingSince (see
	// AttemptOutcome.Failing). When the attempt failed it returns the
	// endpoint as it then is, without its secrets (the zero endpoint
	// otherwise); when the delivery left pending, the account's next
	// delivery to the endpoint, marked queued, for the caller to queue.
	RecordWebhookAttempt(ctx context.Context, d WebhookDelivery, o AttemptOutcome) (WebhookEndpoint, []WebhookDelivery, error)
	// Redeliver creates a new pending delivery of a delivery's event to its
	// endpoint, marked queued, for the caller to queue.
	Redeliver(ctx context.Context, projectID, deliveryID string) (WebhookDelivery, error)
	// StrandedDeliveries returns up to limit pending deliveries marked queued
	// before t that were never attempted, oldest first: those a crash kept
	// from the job queue, and any still waiting in a long queue (queueing
	// one again is harmless: a delivery has one job at most).
	StrandedDeliveries(ctx context.Context, before time.Time, limit int) ([]WebhookDelivery, error)

	// CreateAdmin stores a (ErrConflict when its email is taken) with access
	// to the given projects, filling ID and CreatedAt when empty.
	CreateAdmin(ctx context.Context, a Admin, projectIDs []string) (Admin, error)
	// AdminByEmail finds an admin by lower-case email.
	AdminByEmail(ctx context.Context, email string) (Admin, error)
	GetAdmin(ctx context.Context, id string) (Admin, error)
	ListAdmins(ctx context.Context) ([]Admin, error)
	// AdminProjects lists the projects the admin sees, oldest first.
	AdminProjects(ctx context.Context, adminID string) ([]Project, error)
	// CreateAdminInvite stores an invitation.
	CreateAdminInvite(ctx context.Context, inv AdminInvite) error
	// AdminInviteByHash finds an invitation: ErrNotFound, ErrUsed, or
	// ErrExpired at at.
	AdminInviteByHash(ctx context.Context, hash []byte, at time.Time) (AdminInvite, error)
	// AcceptAdminInvite uses an invitation once and creates a, with the
	// invitation's email and projects, in one transaction: ErrNotFound,
	// ErrUsed or ErrExpired as AdminInviteByHash; ErrConflict when the
	// email has an admin already.
	AcceptAdminInvite(ctx context.Context, hash []byte, a Admin) (Admin, error)
	// SetAdminProjects makes the admin see exactly these projects.
	SetAdminProjects(ctx context.Context, adminID string, projectIDs []string) error
	// DeleteAdmin removes an admin with their sessions; ErrConflict when
	// they are the last admin.
	DeleteAdmin(ctx context.Context, adminID string) error
	// AdminsLastSeen is when each admin's newest session was last used.
	AdminsLastSeen(ctx context.Context) (map[string]time.Time, error)
	// RenameProject changes a project's name.
	RenameProject(ctx context.Context, id, name string) (Project, error)
	// SetProjectBranding changes how the Hub presents the project.
	SetProjectBranding(ctx context.Context, id string, b Branding) (Project, error)
	// SignInFailures returns the failures counted for an email's hash (zero
	// when none).
	SignInFailures(ctx context.Context, emailHash []byte) (SignInFailures, error)
	// RecordSignIn notes a sign-in attempt with an email, known or not: a
	// success clears its failures, a failure counts one more at at.
	RecordSignIn(ctx context.Context, emailHash []byte, ok bool, at time.Time) error
	// DeleteSignInFailuresBefore forgets failures last counted before t.
	DeleteSignInFailuresBefore(ctx context.Context, t time.Time) error
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// AdminSessionByHash finds a session by its token's hash.
	AdminSessionByHash(ctx context.Context, hash []byte) (AdminSession, error)
	// TouchAdminSession records that the session was used at at.
	TouchAdminSession(ctx context.Context, hash []byte, at time.Time) error
	DeleteAdminSession(ctx context.Context, hash []byte) error
	// DeleteAdminSessionsBefore removes sessions idle since idleSince or created before createdBefore.
	DeleteAdminSessionsBefore(ctx context.Context, idleSince, createdBefore time.Time) (int64, error)
	// CreateSetupToken stores a one-time sign-up token's hash, replacing any
	// earlier one; ErrConflict once an admin exists. CreateAdmin deletes it.
	CreateSetupToken(ctx context.Context, hash []byte, expires time.Time) error
	// ConsumeSetupToken uses a sign-up token once: ErrNotFound, ErrUsed or
	// ErrExpired otherwise, ErrConflict once an admin exists.
	ConsumeSetupToken(ctx context.Context, hash []byte, at time.Time) error

	// CreateOAuthState stores st, filling ID when empty, in place of any
	// unused state of its attempt.
	CreateOAuthState(ctx context.Context, st OAuthState) (OAuthState, error)
	// ConsumeOAuthState marks the state used and returns it, exactly once:
	// ErrNotFound when unknown, ErrUsed when consumed before, ErrExpired when late.
	ConsumeOAuthState(ctx context.Context, hash []byte, at time.Time) (OAuthState, error)

	// RotateSecrets re-seals every stored secret that is not sealed under the primary
	// key, committing batchSize secrets per transaction. It is safe to re-run after an
	// interruption and while other nodes write. progress, when set, is called after
	// every committed batch with the running total.
	RotateSecrets(ctx context.Context, batchSize int, progress func(resealed int)) (int, error)
	// CreateToolFeedback stores f, filling ID and CreatedAt when empty.
	CreateToolFeedback(ctx context.Context, f ToolFeedback) (ToolFeedback, error)
	// ListToolFeedback lists a project's feedback, oldest first.
	ListToolFeedback(ctx context.Context, projectID string, w Window) ([]ToolFeedback, error)

	// CreateAIClient stores a registered AI app.
	CreateAIClient(ctx context.Context, c AIClient) error
	// GetAIClient returns a registered AI app, or ErrNotFound.
	GetAIClient(ctx context.Context, id string) (AIClient, error)
	// CreateAIGrant stores an admin's consent and the code that hands it to
	// the app, in one transaction.
	CreateAIGrant(ctx context.Context, g AIGrant, code AIToken) error
	// RedeemAIToken finds the code or refresh token with this hash and its
	// grant, and asks decide what to do, in one transaction: decide sees
	// whether it was used before (UsedAt) and answers the tokens to issue, or
	// that the grant must be revoked. Unless decide fails, the token is marked
	// used; if another redemption used it first, decide is asked again with
	// UsedAt set. ErrNotFound when no such token or its grant is revoked.
	RedeemAIToken(ctx context.Context, hash []byte, kind string, decide func(AIGrant, AIToken) (AIRedemption, error)) (AIGrant, error)
	// AIAccess returns the live grant an unexpired access token belongs to,
	// noting its use, or ErrNotFound.
	AIAccess(ctx context.Context, hash []byte, at time.Time) (AIGrant, error)
	// RevokeAIToken ends a token the client holds: a refresh token revokes its
	// whole grant, an access token only itself. An unknown token is no error.
	RevokeAIToken(ctx context.Context, clientID string, hash []byte, at time.Time) error
	// ListAIGrants lists a project's live grants, newest first, with their
	// clients' names.
	ListAIGrants(ctx context.Context, projectID string) ([]AIGrant, error)
	// RevokeAIGrant revokes one of a project's grants and deletes its tokens;
	// ErrNotFound when it has no such live grant.
	RevokeAIGrant(ctx context.Context, projectID, grantID string, at time.Time) error
	// SweepAI deletes AI app codes and tokens expired before now, and grants
	// revoked before revokedBefore; it returns how many rows went.
	SweepAI(ctx context.Context, now, revokedBefore time.Time) (int64, error)

	// SyncRuns returns the state of every model's sync on the account.
	SyncRuns(ctx context.Context, projectID, accountID string) ([]SyncRun, error)
	// UpdateSyncRun runs decide with the model's state on the account (a
	// SyncRun with only its keys and SyncIdle when there is none) under the
	// account's write lock, and stores what decide returns. An error from
	// decide changes nothing.
	UpdateSyncRun(ctx context.Context, projectID, accountID, model string, decide func(SyncRun) (SyncRun, error)) (SyncRun, error)
	// WriteSyncPage writes a page of a run in one transaction: each change to
	// the cache, the feed (seq in commit order per project) and its event,
	// and the run's state; ErrStale when p.Run.RunID no longer owns the
	// state or it is not running.
	WriteSyncPage(ctx context.Context, p SyncPage) error
	// SyncHashes returns the hash of every record of the model the account
	// has, deleted ones left out, by record id.
	SyncHashes(ctx context.Context, projectID, accountID, model string) (map[string][]byte, error)
	// ListSyncChanges returns the feed entries f selects in seq order.
	ListSyncChanges(ctx context.Context, f SyncChangeFilter) ([]SyncChange, error)
	GetSyncChange(ctx context.Context, projectID, id string) (SyncChange, error)
	// ListSyncRecords returns the cached records f selects that the provider
	// still has, by account and record id.
	ListSyncRecords(ctx context.Context, f SyncRecordFilter) ([]SyncRecord, error)
	// DueSyncs returns up to limit active accounts of profiles that sync
	// whose next run is due at now or was never scheduled.
	DueSyncs(ctx context.Context, now time.Time, limit int) ([]SyncDue, error)
	// ScheduleSync sets when the account's next run is due.
	ScheduleSync(ctx context.Context, projectID, accountID string, at time.Time) error
	// DeleteSyncChangesBefore removes feed entries made before t.
	DeleteSyncChangesBefore(ctx context.Context, t time.Time) (int64, error)

	// CheckKeys refuses (ErrWrongKeys) a key ring that lacks, or has another
	// key under the id of, a key the stored data is sealed with, and notes the
	// primary key as one data is sealed with. A node calls it before it
	// starts work.
	CheckKeys(ctx context.Context) error
}

// ToolFeedback is what an agent or its user said about the tools it used.
type ToolFeedback struct {
	ID         string
	ProjectID  string
	Feedback   string
	AccountIDs []string
	ToolNames  []string
	CreatedAt  time.Time
}

// AIClient is an AI app (an MCP client) registered by dynamic client
// registration. Its name is what it says it is: nobody vouches for it.
type AIClient struct {
	ID           string
	Name         string
	RedirectURIs []string
	ClientURI    string
	// SecretHash is the SHA-256 of the client secret; nil for a public
	// client (AuthMethod "none"), which proves itself with PKCE alone.
	SecretHash []byte
	AuthMethod string // none, client_secret_basic or client_secret_post
	CreatedAt  time.Time
}

// AIGrant is an admin's consent that an AI app may call some actions on some
// linked accounts of one project.
type AIGrant struct {
	ID         string
	ProjectID  string
	ClientID   string
	ClientName string // filled by reads
	AdminEmail string // who consented
	// AccountIDs are the accounts granted; OwnerID, when set, grants every
	// account of that end user (origin_owner_id) instead, as they link.
	AccountIDs []string
	OwnerID    string
	Actions    []string
	ReadOnly   bool
	Resource   string // the protected resource (the /mcp URL) its tokens are for
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while live
}

// AIToken is an authorization code, access token or refresh token of a grant,
// known by its hash.
type AIToken struct {
	Hash          []byte
	GrantID       string
	Kind          string // AICode, AIAccessToken or AIRefreshToken
	ExpiresAt     time.Time
	UsedAt        time.Time // zero when unused
	RedirectURI   string    // codes: the redirect_uri the exchange must repeat
	CodeChallenge string    // codes: the PKCE S256 challenge
}

// Kinds of AIToken.
const (
	AICode         = "code"
	AIAccessToken  = "access"
	AIRefreshToken = "refresh"
)

// AIRedemption is what RedeemAIToken's decision writes.
type AIRedemption struct {
	Issue       []AIToken // tokens to store
	RevokeGrant bool      // the token was replayed: end the grant
}

// ErrWrongKeys means the node's encryption keys cannot open the data stored.
var ErrWrongKeys = errors.New("the encryption keys cannot open this database's sealed data")

// NewID returns a random 130-bit identifier with a readable type prefix, e.g. "prj_…".
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(rand.Text())
}
