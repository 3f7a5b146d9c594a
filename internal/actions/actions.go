// Package actions runs one connector action for one linked account: it checks the
// account, the profile and the granted scopes, validates the input against the
// action's JSON Schemas, builds the provider request from the connector
// definition, sends it with a valid access token (refreshing once on a 401), and
// returns the records and the continuation value for the next page.
package actions

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/rawjson"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// Request is one action call, as POST /actions/rpc receives it.
type Request struct {
	Action string         `json:"action"`
	Path   map[string]any `json:"path"`
	Query  map[string]any `json:"query"`
	Body   any            `json:"body"`
	// Next continues a list from an earlier answer's next; PageSize sets the
	// provider's page size (at most its maximum). The action's own paging inputs
	// work too.
	Next     string `json:"next,omitempty"`
	PageSize int    `json:"page_size,omitempty"` // 0: the provider's default; see SetPageSize
	// Proxy is added to the provider's query string as it is, unchecked by the
	// action's schema: the unified API's proxy[...] passthrough. A parameter
	// the action sets itself is not replaced.
	Proxy map[string]string `json:"-"`

	// Set by Session.RunDecoded: decode reads the records while the page is
	// checked.
	decode func(d *rawjson.Decoder) error
}

// Result is the action's answer: the records where the connector says they sit,
// and the provider's continuation value when there is another page.
type Result struct {
	Data any     `json:"data"`
	Next *string `json:"next"`
	// Streamed reports that the records went to Run's records writer as they
	// arrived; Data is then empty.
	Streamed bool `json:"-"`
}

// AnswerOpening begins the {data, next} answer, before the records.
const AnswerOpening = `{"data":`

// AnswerClosing ends the {data, next} answer after the records.
func AnswerClosing(next *string) []byte {
	cursor, _ := json.Marshal(next) // a string or null always encodes
	return append(append([]byte(`,"next":`), cursor...), '}')
}

// AppendJSON appends the result as the {data, next} answer /actions/rpc
// gives, records kept as received (json.RawMessage) copied as they are.
func (r Result) AppendJSON(dst []byte) ([]byte, error) {
	raw, ok := r.Data.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(r)
		return append(dst, b...), err
	}
	if raw == nil {
		raw = json.RawMessage("null")
	}
	return append(append(append(dst, AnswerOpening...), raw...), AnswerClosing(r.Next)...), nil
}

// ErrAnswerBegun marks a failure that came after part of the records had
// already gone to Run's records writer: the caller's answer has begun and
// cannot turn into an error, so the caller must abandon it.
var ErrAnswerBegun = errors.New("the answer had begun")

// fail is the executor's problem of kind, with a formatted message.
func fail(kind problem.Kind, format string, args ...any) *problem.Error {
	return problem.New(kind, format, args...)
}

// Executor runs actions. It is safe for concurrent use.
type Executor struct {
	// live counts the calls under way that someone waits on (every source
	// but sync runs), for Quiet.
	live     atomic.Int64
	store    store.Store
	registry *connectors.Registry
	tokens   *tokens.Manager
	site     connectors.Site
	http     *http.Client
	logs     Recorder
	audit    Auditor
	log      *slog.Logger
	clock    clock.Clock
	limiters sync.Map // connector key → *ratelimit.Limiter, keyed per grant inside

	budget   time.Duration
	attempts int
	backoff  time.Duration
}

// Recorder takes the request log entry of every call; requestlog.Writer is one.
type Recorder interface {
	Record(store.RequestLog)
}

// Auditor appends the audit entries of provider writes; audit.Service is one.
type Auditor interface {
	Record(ctx context.Context, e *store.AuditEntry) error
}

// Options are what an Executor works with. Logs may be nil (nothing is
// recorded), Clock nil (the system clock), HTTPClient nil (30-second timeout).
type Options struct {
	Store      store.Store
	Registry   *connectors.Registry
	Tokens     *tokens.Manager
	Site       connectors.Site
	HTTPClient *http.Client
	Logs       Recorder
	// Audit, when set, records every call that writes to the provider.
	Audit  Auditor
	Logger *slog.Logger // nil is the default logger
	Clock  clock.Clock
	// Budget bounds one call, retries and waits included (zero: 60 s);
	// Attempts bounds the tries (zero: 5); Backoff is the first retry's wait
	// without a Retry-After (zero: 500 ms).
	Budget   time.Duration
	Attempts int
	Backoff  time.Duration
}

// NewExecutor returns an Executor with the reference's retry policy: at most 5
// attempts within 60 seconds.
func NewExecutor(o Options) *Executor {
	httpClient := o.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Executor{store: o.Store, registry: o.Registry, tokens: o.Tokens, site: o.Site, http: httpClient, logs: o.Logs, audit: o.Audit, log: cmp.Or(o.Logger, slog.Default()),
		clock: clock.Or(o.Clock), budget: cmp.Or(o.Budget, 60*time.Second), attempts: cmp.Or(o.Attempts, 5), backoff: cmp.Or(o.Backoff, 500*time.Millisecond)}
}

// Budget bounds one call, retries and waits included.
func (e *Executor) Budget() time.Duration { return e.budget }

// Quiet waits until no call that someone waits on is under way on this
// node, or at most max: background work (sync runs) calls it between steps,
// so that while live calls come in, it leaves them the CPU first.
func (e *Executor) Quiet(ctx context.Context, max time.Duration) {
	deadline := clock.System.Now().Add(max)
	for e.live.Load() > 0 && clock.System.Now().Before(deadline) {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

// Caller says who makes a call, for its request log entry.
type Caller struct {
	ProjectID string
	RequestID string // the front end's request id, when it has one
	Source    string // store.SourceAPI, store.SourceCLI, …
	// Grant, when set, narrows the caller to what an admin consented to for
	// an AI app: it calls on behalf of that app.
	Grant *Grant
}

// Grant is the part of an AI app's OAuth grant the executor enforces: which
// accounts, which actions, and whether writes are allowed.
type Grant struct {
	ID       string
	ClientID string
	// AccountIDs are the accounts granted; OwnerID, when set, grants every
	// account of that end user instead.
	AccountIDs []string
	OwnerID    string
	Actions    []string
	ReadOnly   bool
}

// Covers reports whether the grant reaches the account.
func (g *Grant) Covers(a store.Account) bool {
	if g.OwnerID != "" {
		return a.OriginOwnerID == g.OwnerID
	}
	return slices.Contains(g.AccountIDs, a.ID)
}

// allows reports whether the grant lets the app run the action.
func (g *Grant) allows(a *connectors.Action) bool {
	return slices.Contains(g.Actions, a.ID) && (!g.ReadOnly || a.Method == http.MethodGet)
}

// SetPageSize records a page size a caller gave. Zero is kept as an invalid
// size rather than as no size, so that the executor refuses it with the
// provider's bounds, as it refuses any size out of them.
func (r *Request) SetPageSize(n int) {
	r.PageSize = n
	if n == 0 {
		r.PageSize = -1
	}
}

// Run executes req for the account and records the call in the request log.
// When records is not nil, the records of a successful answer are written to it
// while they arrive, each piece once the scan has checked it, and the Result
// says Streamed; otherwise they come back in Result.Data.
func (e *Executor) Run(ctx context.Context, who Caller, accountID string, req Request, records io.Writer) (res Result, err error) {
	ctx, entry := e.begin(ctx, who, accountID, req.Action)
	defer func() { e.record(entry, err) }()
	a, c, p, err := e.account(ctx, who, accountID)
	if err != nil {
		return Result{}, err
	}
	entry.Provider = a.Provider
	action, ok := c.Action(req.Action)
	if !ok {
		return Result{}, fail(problem.NotFound, "Unknown action %q for %s%s", req.Action, c.Name, didYouMean(c, req.Action))
	}
	entry.HTTPMethod, entry.Path = action.Method, action.Path
	if g := who.Grant; g != nil && !g.allows(action) {
		if slices.Contains(g.Actions, action.ID) {
			return Result{}, fail(problem.Forbidden, "Action %s writes, and this AI app was granted read-only access", action.ID)
		}
		return Result{}, fail(problem.Forbidden, "Action %s is not among the actions this AI app was granted", action.ID)
	}
	if action.Unified != nil {
		return Result{}, fail(problem.Invalid, "%s is a unified API operation: call %s %s with the account's x-account-id", action.ID, action.Method, action.Path)
	}
	if !slices.Contains(p.EnabledActions, action.ID) {
		return Result{}, fail(problem.Forbidden, "Action %s is not enabled on connector profile %s", action.ID, p.ID)
	}
	if missing := missingScopes(c, p, a, action); len(missing) > 0 {
		return Result{}, fail(problem.Forbidden, "The account's grant lacks the scopes %s needs: %s", action.ID, strings.Join(missing, ", "))
	}
	return e.execute(ctx, c, p, action, req, a.SetupInformation, &accountGrant{m: e.tokens, a: a}, entry, records)
}

// Available returns the account's connector and the actions it can run now:
// enabled on its connector profile and covered by its granted scopes. These
// are what Run accepts for the account (the MCP server lists them as tools).
func (e *Executor) Available(ctx context.Context, who Caller, accountID string) (*connectors.Connector, []*connectors.Action, error) {
	a, c, p, err := e.account(ctx, who, accountID)
	if err != nil {
		return nil, nil, err
	}
	var out []*connectors.Action
	for i := range c.Actions {
		action := &c.Actions[i]
		if action.Unified == nil && slices.Contains(p.EnabledActions, action.ID) && len(missingScopes(c, p, a, action)) == 0 &&
			(who.Grant == nil || who.Grant.allows(action)) {
			out = append(out, action)
		}
	}
	return c, out, nil
}

// Unlinked is a grant that belongs to no account yet: the credentials a
// connection attempt holds until the end user's setup choice.
type Unlinked struct {
	AttemptID string
	Profile   store.ConnectorProfile
	// Credentials are replaced in place when the provider forces a refresh.
	Credentials store.Credentials
}

// RunUnlinked runs one of the connector's own read actions (the setup step's
// list of choices) with an unlinked grant, through the same throttle, retries
// and refresh as every call, and records it. The action need not be enabled on
// the profile: Patchbay, not the integrator, makes this call.
func (e *Executor) RunUnlinked(ctx context.Context, who Caller, u *Unlinked, req Request) (res Result, err error) {
	ctx, entry := e.begin(ctx, who, "", req.Action)
	defer func() { e.record(entry, err) }()
	c, ok := e.registry.Get(u.Profile.ConnectorKey)
	if !ok {
		return Result{}, fail(problem.NotFound, "Unknown connector %s", u.Profile.ConnectorKey)
	}
	entry.Provider = c.Key
	action, ok := c.Action(req.Action)
	if !ok {
		return Result{}, fail(problem.NotFound, "Unknown action %q for %s", req.Action, c.Name)
	}
	entry.HTTPMethod, entry.Path = action.Method, action.Path
	return e.execute(ctx, c, u.Profile, action, req, nil, &unlinkedGrant{m: e.tokens, c: c, u: u}, entry, nil)
}

// Linked tells the executor that the grant an attempt used now belongs to an
// account, so the provider's rate limit counts the calls made for both as one.
func (e *Executor) Linked(c *connectors.Connector, attemptID, accountID string) {
	if l := e.limiter(c); l != nil {
		l.Move(unlinkedKey(attemptID), accountID)
	}
}

// execute validates the input, builds the request and makes the call.
func (e *Executor) execute(ctx context.Context, c *connectors.Connector, p store.ConnectorProfile, action *connectors.Action, req Request,
	setup map[string]string, g grant, entry *logEntry, records io.Writer) (Result, error) {
	if req.Path == nil {
		req.Path = map[string]any{}
	}
	if req.Query == nil {
		req.Query = map[string]any{}
	}
	action.FillFromSetup(req.Path, req.Query, setup)
	if err := applyPaging(c, action, &req); err != nil {
		return Result{}, fail(problem.Invalid, "%v", err)
	}
	if problems := validate(action, req); len(problems) > 0 {
		return Result{}, fail(problem.Invalid, "Invalid input for %s: %s", action.ID, strings.Join(problems, "; "))
	}
	target, err := buildURL(c.APIBaseFor(e.site, p.Environment == store.Sandbox), action, req)
	if err != nil {
		return Result{}, fail(problem.Invalid, "%v", err)
	}

	rd := reading{paths: resultPaths(c, action), decode: req.decode != nil}
	if records != nil {
		rd.records = &countingWriter{w: records}
	}
	ans, err := e.call(ctx, c, action, target, req.Body, g, entry, rd)
	if err != nil {
		return Result{}, err
	}
	defer ans.release()
	if ans.status/100 == 2 {
		entry.keep(action.Method, target, req.Body, ans.body)
	}
	if ans.status/100 != 2 {
		var raw any
		if json.Unmarshal(ans.body, &raw) != nil {
			raw = string(ans.body)
		}
		return Result{}, &problem.Error{Kind: problem.Provider, ProviderStatus: ans.status, Message: fmt.Sprintf("%s answered %d", c.Name, ans.status),
			ProviderErrors: []problem.ProviderError{{Status: ans.status, URL: redactURL(target), Raw: raw, Header: map[string]string{"content-type": ans.header.Get("Content-Type")}}}}
	}
	return result(c, action, req, ans)
}

// didYouMean names the connector's action closest to a mistyped one, or says
// where the list is when none is close.
func didYouMean(c *connectors.Connector, typed string) string {
	best, bestDistance := "", len(typed)/3+1
	for _, a := range c.Actions {
		if d := editDistance(typed, a.ID); d < bestDistance {
			best, bestDistance = a.ID, d
		}
	}
	if best == "" {
		return "; the connector's actions are listed by GET /actions and patchbay actions list"
	}
	return "; did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

type preloadedKey struct{}

// WithAccount returns ctx carrying an account read with the call's API key
// (apikeys.AuthenticateFor): a call in ctx on that account uses it instead of
// reading it again.
func WithAccount(ctx context.Context, ka store.KeyedAccount) context.Context {
	return context.WithValue(ctx, preloadedKey{}, ka)
}

// account loads a callable account with its connector and profile.
func (e *Executor) account(ctx context.Context, who Caller, accountID string) (store.Account, *connectors.Connector, store.ConnectorProfile, error) {
	projectID := who.ProjectID
	var a store.Account
	var p store.ConnectorProfile
	var err error
	if ka, ok := ctx.Value(preloadedKey{}).(store.KeyedAccount); ok && ka.Key.ProjectID == projectID && ka.AccountID == accountID {
		a, p, err = ka.Account, ka.Profile, ka.AccountErr
	} else {
		a, p, err = e.store.GetAccountAndProfile(ctx, projectID, accountID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return a, nil, store.ConnectorProfile{}, fail(problem.NotFound, "No account %s in this project", accountID)
	}
	if errors.Is(err, store.ErrSealed) {
		// Other accounts are unaffected; only this one cannot be called.
		return a, nil, store.ConnectorProfile{}, fail(problem.Unusable,
			"Account %s's credentials, or its connector profile's client secret, cannot be opened with this deployment's encryption keys; restore the key that sealed them to PATCHBAY_ENCRYPTION_KEYS", accountID)
	}
	if err != nil {
		return a, nil, store.ConnectorProfile{}, err
	}
	if who.Grant != nil && !who.Grant.Covers(a) {
		return a, nil, store.ConnectorProfile{}, fail(problem.Forbidden, "Account %s is not among the accounts this AI app was granted", accountID)
	}
	if a.Status != store.StatusActive && a.Status != store.StatusError {
		return a, nil, store.ConnectorProfile{}, fail(problem.Unusable, "Account %s is %s; calls are refused until it is active", a.ID, a.Status)
	}
	c, ok := e.registry.Get(a.Provider)
	if !ok {
		return a, nil, store.ConnectorProfile{}, fail(problem.NotFound, "Unknown connector %s", a.Provider)
	}
	return a, c, p, nil
}
