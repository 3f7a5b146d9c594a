// Package actions runs one connector action for one linked account: it checks the
// account, the profile and the granted scopes, validates the input against the
// action's JSON Schemas, builds the provider request from the connector
// definition, sends it with a valid access token (refreshing once on a 401), and
// returns the records and the continuation value for the next page.
package actions

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
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
	PageSize int    `json:"page_size,omitempty"`
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

// ProviderError describes one failed provider call.
type ProviderError struct {
	Status int               `json:"status"`
	URL    string            `json:"url"`
	Raw    any               `json:"raw"`
	Header map[string]string `json:"headers"`
}

// Error is a failure with the HTTP status Patchbay answers with.
type Error struct {
	Status         int
	Message        string
	ProviderErrors []ProviderError
	RetryAfter     int // seconds, for 408 and 429 answers
	// Broken reports that part of the records had already gone to Run's records
	// writer when the provider's answer failed: the caller's answer has begun
	// and cannot turn into an error, so the caller must abandon it.
	Broken bool
}

func (e *Error) Error() string { return e.Message }

func fail(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Executor runs actions. It is safe for concurrent use.
type Executor struct {
	store    store.Store
	registry *connectors.Registry
	tokens   *tokens.Manager
	site     connectors.Site
	http     *http.Client
	logs     Recorder
	clock    clock.Clock
	limiters sync.Map // connector key → *ratelimit.Limiter, keyed per grant inside

	// Budget bounds one call, retries and waits included; Attempts bounds the
	// tries; Backoff is the first retry's wait without a Retry-After.
	Budget   time.Duration
	Attempts int
	Backoff  time.Duration
}

// Recorder takes the request log entry of every call; requestlog.Writer is one.
type Recorder interface {
	Record(store.RequestLog)
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
	Clock      clock.Clock
}

// NewExecutor returns an Executor with the reference's retry policy: at most 5
// attempts within 60 seconds.
func NewExecutor(o Options) *Executor {
	httpClient := o.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Executor{store: o.Store, registry: o.Registry, tokens: o.Tokens, site: o.Site, http: httpClient, logs: o.Logs,
		clock: clock.Or(o.Clock), Budget: 60 * time.Second, Attempts: 5, Backoff: 500 * time.Millisecond}
}

// Caller says who makes a call, for its request log entry.
type Caller struct {
	ProjectID string
	RequestID string // the front end's request id, when it has one
	Source    string // store.SourceAPI, store.SourceCLI, …
}

// Run executes req for the account and records the call in the request log.
// When records is not nil, the records of a successful answer are written to it
// while they arrive, each piece once the scan has checked it, and the Result
// says Streamed; otherwise they come back in Result.Data.
func (e *Executor) Run(ctx context.Context, who Caller, accountID string, req Request, records io.Writer) (res Result, err error) {
	entry := e.begin(who, accountID, req.Action)
	defer func() { e.record(entry, err) }()
	a, c, p, err := e.account(ctx, who.ProjectID, accountID)
	if err != nil {
		return Result{}, err
	}
	entry.Provider = a.Provider
	action, ok := c.Action(req.Action)
	if !ok {
		return Result{}, fail(http.StatusNotFound, "Unknown action %q for %s%s", req.Action, c.Name, didYouMean(c, req.Action))
	}
	entry.HTTPMethod, entry.Path = action.Method, action.Path
	if action.Unified != nil {
		return Result{}, fail(http.StatusBadRequest, "%s is a unified API operation: call %s %s with the account's x-account-id", action.ID, action.Method, action.Path)
	}
	if !slices.Contains(p.EnabledActions, action.ID) {
		return Result{}, fail(http.StatusForbidden, "Action %s is not enabled on connector profile %s", action.ID, p.ID)
	}
	if missing := missingScopes(c, p, a, action); len(missing) > 0 {
		return Result{}, fail(http.StatusForbidden, "The account's grant lacks the scopes %s needs: %s", action.ID, strings.Join(missing, ", "))
	}
	return e.execute(ctx, c, p, action, req, a.SetupInformation, &accountGrant{m: e.tokens, a: a}, entry, records)
}

// Available returns the account's connector and the actions it can run now:
// enabled on its connector profile and covered by its granted scopes. These
// are what Run accepts for the account (the MCP server lists them as tools).
func (e *Executor) Available(ctx context.Context, projectID, accountID string) (*connectors.Connector, []*connectors.Action, error) {
	a, c, p, err := e.account(ctx, projectID, accountID)
	if err != nil {
		return nil, nil, err
	}
	var out []*connectors.Action
	for i := range c.Actions {
		action := &c.Actions[i]
		if action.Unified == nil && slices.Contains(p.EnabledActions, action.ID) && len(missingScopes(c, p, a, action)) == 0 {
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
	entry := e.begin(who, "", req.Action)
	defer func() { e.record(entry, err) }()
	c, ok := e.registry.Get(u.Profile.ConnectorKey)
	if !ok {
		return Result{}, fail(http.StatusNotFound, "Unknown connector %s", u.Profile.ConnectorKey)
	}
	entry.Provider = c.Key
	action, ok := c.Action(req.Action)
	if !ok {
		return Result{}, fail(http.StatusNotFound, "Unknown action %q for %s", req.Action, c.Name)
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

// logEntry is a call's request log entry while the call runs.
type logEntry struct {
	store.RequestLog
	began clock.Stopwatch // the real start, for the duration: the clock may be moved

	mu sync.Mutex // a unified operation's provider calls may run at once
	// raw keeps each successful provider call's answer when the caller asked
	// for them (a unified call's raw=true); nil when not asked.
	raw *[]RawCall
}

// RawCall is one provider call a unified operation made, as raw=true shows it:
// the request and the provider's answer, never the credentials that went with it.
type RawCall struct {
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     any             `json:"body"`
	Response json.RawMessage `json:"response"`
}

func (l *logEntry) step(s store.LogStep) {
	l.mu.Lock()
	l.Steps = append(l.Steps, s)
	l.mu.Unlock()
}

// keep records a successful call's answer for raw=true.
func (l *logEntry) keep(method, target string, body any, answer []byte) {
	if l.raw == nil {
		return
	}
	response := json.RawMessage(bytes.Clone(answer))
	if !json.Valid(response) {
		response, _ = json.Marshal(string(answer))
	}
	l.mu.Lock()
	*l.raw = append(*l.raw, RawCall{Method: method, URL: target, Body: body, Response: response})
	l.mu.Unlock()
}

func (e *Executor) begin(who Caller, accountID, action string) *logEntry {
	return &logEntry{RequestLog: store.RequestLog{ProjectID: who.ProjectID, RequestID: who.RequestID, Source: who.Source,
		AccountID: accountID, Action: action, StartTime: e.clock.Now().UTC()}, began: clock.Start()}
}

// record queues the call's request log entry. It holds no bodies, headers or
// tokens: only what was called, how it went and how long it took.
func (e *Executor) record(entry *logEntry, err error) {
	if e.logs == nil {
		return
	}
	entry.Status = http.StatusOK
	var ae *Error
	switch {
	case errors.As(err, &ae):
		entry.Status = ae.Status
	case err != nil:
		entry.Status = http.StatusInternalServerError
	}
	elapsed := entry.began.Elapsed()
	entry.Success, entry.DurationMS, entry.EndTime = entry.Status < 400, elapsed.Milliseconds(), entry.StartTime.Add(elapsed)
	e.logs.Record(entry.RequestLog)
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
		return Result{}, fail(http.StatusBadRequest, "%v", err)
	}
	if problems := validate(action, req); len(problems) > 0 {
		return Result{}, fail(http.StatusBadRequest, "Invalid input for %s: %s", action.ID, strings.Join(problems, "; "))
	}
	target, err := buildURL(c.APIBaseFor(e.site, p.Environment == store.Sandbox), action, req)
	if err != nil {
		return Result{}, fail(http.StatusBadRequest, "%v", err)
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
		return Result{}, &Error{Status: answerStatus(ans.status), Message: fmt.Sprintf("%s answered %d", c.Name, ans.status),
			ProviderErrors: []ProviderError{{Status: ans.status, URL: redactURL(target), Raw: raw, Header: map[string]string{"content-type": ans.header.Get("Content-Type")}}}}
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
func (e *Executor) account(ctx context.Context, projectID, accountID string) (store.Account, *connectors.Connector, store.ConnectorProfile, error) {
	var a store.Account
	var p store.ConnectorProfile
	var err error
	if ka, ok := ctx.Value(preloadedKey{}).(store.KeyedAccount); ok && ka.Key.ProjectID == projectID && ka.AccountID == accountID {
		a, p, err = ka.Account, ka.Profile, ka.AccountErr
	} else {
		a, p, err = e.store.GetAccountAndProfile(ctx, projectID, accountID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return a, nil, store.ConnectorProfile{}, fail(http.StatusNotFound, "No account %s in this project", accountID)
	}
	if errors.Is(err, store.ErrSealed) {
		// Other accounts are unaffected; only this one cannot be called.
		return a, nil, store.ConnectorProfile{}, fail(http.StatusPreconditionFailed,
			"Account %s's credentials, or its connector profile's client secret, cannot be opened with this deployment's encryption keys; restore the key that sealed them to PATCHBAY_ENCRYPTION_KEYS", accountID)
	}
	if err != nil {
		return a, nil, store.ConnectorProfile{}, err
	}
	if a.Status != store.StatusActive && a.Status != store.StatusError {
		return a, nil, store.ConnectorProfile{}, fail(http.StatusPreconditionFailed, "Account %s is %s; calls are refused until it is active", a.ID, a.Status)
	}
	c, ok := e.registry.Get(a.Provider)
	if !ok {
		return a, nil, store.ConnectorProfile{}, fail(http.StatusNotFound, "Unknown connector %s", a.Provider)
	}
	return a, c, p, nil
}

// ProxyResult is a passthrough answer: the provider's status, headers and body.
type ProxyResult struct {
	Status         int               `json:"status"`
	Headers        map[string]string `json:"headers"`
	Data           any               `json:"data"`
	ProviderErrors []ProviderError   `json:"provider_errors,omitempty"`
}

var proxyMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Proxy sends one raw request to the account's provider, on its API base URL
// only: a caller can never make Patchbay call another host with the account's
// token. The call is recorded in the request log as action "proxy".
// ProxyRequest is one raw request: a path below the provider's API base URL,
// or a URL that starts with it (the path, when given too, follows it).
type ProxyRequest struct {
	URL, Method, Path string
	Body              any
}

func (e *Executor) Proxy(ctx context.Context, who Caller, accountID string, in ProxyRequest) (res ProxyResult, err error) {
	entry := e.begin(who, accountID, "proxy")
	defer func() { e.record(entry, err) }()
	a, c, p, err := e.account(ctx, who.ProjectID, accountID)
	if err != nil {
		return ProxyResult{}, err
	}
	entry.Provider = a.Provider
	method := strings.ToUpper(cmp.Or(in.Method, "GET"))
	if !slices.Contains(proxyMethods, method) {
		return ProxyResult{}, fail(http.StatusBadRequest, "method: use one of %s", strings.Join(proxyMethods, ", "))
	}
	base := c.APIBaseFor(e.site, p.Environment == store.Sandbox)
	path := in.Path
	if in.URL != "" {
		below, ok := strings.CutPrefix(in.URL, strings.TrimRight(base, "/"))
		if !ok || (below != "" && !strings.HasPrefix(below, "/")) {
			return ProxyResult{}, fail(http.StatusBadRequest, "url: must be %s's API, %s, or a URL below it", c.Name, base)
		}
		path = below + path
	}
	target, ok := proxyTarget(base, path)
	if !ok {
		return ProxyResult{}, fail(http.StatusBadRequest, "path: must be a path on %s's API, such as /v1/company", c.Name)
	}
	entry.HTTPMethod, entry.Path = method, target.Path
	ans, err := e.call(ctx, c, &connectors.Action{ID: "proxy", Method: method}, target.String(), in.Body, &accountGrant{m: e.tokens, a: a}, entry, reading{})
	if err != nil {
		return ProxyResult{}, err
	}
	var data any = string(ans.body)
	if json.Valid(ans.body) {
		data = json.RawMessage(ans.body)
	}
	res = ProxyResult{Status: ans.status, Headers: map[string]string{"content-type": ans.header.Get("Content-Type")}, Data: data}
	if ans.status/100 != 2 {
		res.ProviderErrors = []ProviderError{{Status: ans.status, URL: redactURL(target.String()), Raw: data}}
	}
	return res, nil
}

// proxyTarget is the URL a passthrough path names below the API base URL, and
// false when it would leave that host or climb out of the base path.
func proxyTarget(base, path string) (*url.URL, bool) {
	baseURL, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return nil, false
	}
	target, err := url.Parse(base + path)
	if err != nil || target.Scheme != baseURL.Scheme || target.Host != baseURL.Host || target.User != nil || !plainPath(target) {
		return nil, false
	}
	return target, true
}

// plainPath reports whether u's path, decoded, walks down only: no . or ..
// segment and no separator hidden in an escape (%2F, %5C) or a backslash.
func plainPath(u *url.URL) bool {
	escaped := strings.ToLower(u.EscapedPath())
	if strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`) {
		return false
	}
	for segment := range strings.SplitSeq(u.Path, "/") {
		if segment == "." || segment == ".." {
			return false
		}
	}
	return true
}

// answer is one provider response, its body read to the end.
type answer struct {
	status int
	header http.Header
	body   []byte
	// found holds the values at the paths call was asked for, when the answer
	// is a success; malformed says why they could not be found; streamed says
	// that records went to the reading's writer.
	found     []json.RawMessage
	malformed error
	streamed  bool
	pooled    *[]byte // body's buffer, from pageBuffers; release returns it
}

// pageBuffers holds the buffers pages are read into. A page of a
// hundred records is about 160 KB: allocating that anew for every call made
// garbage collection the largest cost Patchbay added to a call.
var pageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// release returns the body's buffer for reuse; the answer's body and found
// values must not be used after. Oversized buffers are left to the collector.
func (a *answer) release() {
	if a.pooled != nil && cap(a.body) <= 1<<20 {
		*a.pooled = a.body[:0]
		pageBuffers.Put(a.pooled)
	}
	a.pooled, a.body, a.found = nil, nil, nil
}

// reading says what a successful answer's body is searched for while it
// arrives, and where its records go as they are checked (nil: nowhere, they
// stay in the answer). The records are at the first path.
type reading struct {
	paths   []string
	records *countingWriter
	decode  bool // the body is only read: the request's decode checks it as it reads
}

// countingWriter tells whether anything has been written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// call sends the request with a valid token. It waits for the connector's rate
// limit instead of sending what the provider would refuse, refreshes once on a
// 401, and retries 429, 502, 503, 504 and network failures (honouring
// Retry-After, else exponential backoff with jitter) when the request is safe to
// repeat: reads, and writes the provider deduplicates (Idempotent). When
// retries or the time budget run out it answers 408 with Retry-After. A
// successful answer's body is read as rd says, while it arrives; once records
// have gone out, nothing is retried.
func (e *Executor) call(ctx context.Context, c *connectors.Connector, action *connectors.Action, target string, body any,
	g grant, entry *logEntry, rd reading) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Budget)
	defer cancel()
	token, err := g.valid(ctx)
	if err != nil {
		return answer{}, tokenFailure(c, g, err)
	}
	retryable := action.Method == http.MethodGet || action.Idempotent
	limiter := e.limiter(c)
	refreshed := false
	for attempt := 1; ; attempt++ {
		if limiter != nil {
			if err := limiter.Wait(ctx, g.key()); err != nil {
				return answer{}, timedOut(c, 0)
			}
		}
		started := clock.Start()
		ans, err := e.send(ctx, action.Method, target, body, token, rd)
		entry.step(store.LogStep{Method: action.Method, URL: redactURL(target), Status: ans.status,
			DurationMS: started.Elapsed().Milliseconds(), StartTime: e.clock.Now().UTC()})
		if err != nil && ans.streamed {
			ans.release()
			return answer{}, &Error{Status: http.StatusBadGateway, Broken: true,
				Message: c.Name + "'s answer broke off after part of the records had been sent: " + err.Error()}
		}
		if err == nil && ans.status == http.StatusUnauthorized && !refreshed {
			// The provider rejected the token early (revoked or rotated elsewhere): refresh once, retry once.
			ans.release()
			refreshed = true
			if token, err = g.afterUnauthorized(ctx, token); err != nil {
				return answer{}, tokenFailure(c, g, err)
			}
			attempt--
			continue
		}
		transient := err != nil || ans.status == http.StatusTooManyRequests || ans.status == http.StatusBadGateway ||
			ans.status == http.StatusServiceUnavailable || ans.status == http.StatusGatewayTimeout
		if !transient {
			return ans, nil
		}
		if !retryable {
			if err != nil {
				ans.release()
				return answer{}, &Error{Status: http.StatusBadGateway, Message: c.Name + " could not be reached: " + err.Error(),
					ProviderErrors: []ProviderError{{URL: redactURL(target)}}}
			}
			return ans, nil
		}
		ans.release() // this answer is dropped: the request is tried again
		wait := retryAfter(ans.header)
		if wait == 0 {
			wait = e.Backoff << (attempt - 1)
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		}
		deadline, _ := ctx.Deadline()
		if attempt >= e.Attempts || clock.System.Now().Add(wait).After(deadline) { // real time: the context's deadline
			return answer{}, timedOut(c, int(retryAfter(ans.header).Seconds()))
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return answer{}, timedOut(c, 0)
		}
	}
}

// grant is the credentials a call is made with: a linked account's, kept valid
// by the token manager, or an unlinked one a connection attempt holds.
type grant interface {
	// key names the grant for the provider's rate limit.
	key() string
	// valid returns an access token that is valid now.
	valid(ctx context.Context) (string, error)
	// afterUnauthorized returns another access token after the provider
	// rejected this one.
	afterUnauthorized(ctx context.Context, rejected string) (string, error)
}

type accountGrant struct {
	m *tokens.Manager
	a store.Account
}

func (g *accountGrant) key() string { return g.a.ID }

func (g *accountGrant) valid(ctx context.Context) (string, error) {
	a, err := g.m.Valid(ctx, g.a)
	return a.Credentials.AccessToken, err
}

func (g *accountGrant) afterUnauthorized(ctx context.Context, rejected string) (string, error) {
	a, err := g.m.AfterUnauthorized(ctx, g.a.ProjectID, g.a.ID, rejected)
	return a.Credentials.AccessToken, err
}

type unlinkedGrant struct {
	m *tokens.Manager
	c *connectors.Connector
	u *Unlinked
}

func unlinkedKey(attemptID string) string { return "attempt:" + attemptID }

func (g *unlinkedGrant) key() string { return unlinkedKey(g.u.AttemptID) }

// valid returns the attempt's token as it is: it was granted moments ago.
func (g *unlinkedGrant) valid(context.Context) (string, error) {
	return g.u.Credentials.AccessToken, nil
}

func (g *unlinkedGrant) afterUnauthorized(ctx context.Context, _ string) (string, error) {
	creds, err := g.m.RefreshUnlinked(ctx, g.c, g.u.Profile, g.u.Credentials)
	if err != nil {
		return "", err
	}
	g.u.Credentials = creds
	return creds.AccessToken, nil
}

// tokenFailure is the answer when no valid token could be had.
func tokenFailure(c *connectors.Connector, g grant, err error) *Error {
	if errors.Is(err, tokens.ErrReauthorize) {
		if ag, ok := g.(*accountGrant); ok {
			return fail(http.StatusPreconditionFailed, "Account %s needs re-authorization: link it again through the Hub", ag.a.ID)
		}
		return fail(http.StatusPreconditionFailed, "%s needs the authorization to be given again", c.Name)
	}
	return fail(http.StatusBadGateway, "Could not get a valid token from %s: %v", c.Name, err)
}

// answerStatus is Patchbay's status for a provider's failed answer: a 4xx the
// caller caused (a bad input, an unknown record, a conflict) keeps its status;
// the rest (5xx, and 4xx about Patchbay's own credentials or pace) is a 502.
func answerStatus(provider int) int {
	switch provider {
	case http.StatusUnauthorized, http.StatusProxyAuthRequired, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return http.StatusBadGateway
	}
	if provider >= 400 && provider < 500 {
		return provider
	}
	return http.StatusBadGateway
}

// timedOut is the 408 answered when retries or the time budget run out.
func timedOut(c *connectors.Connector, retryAfter int) *Error {
	if retryAfter <= 0 {
		retryAfter = 60
	}
	return &Error{Status: http.StatusRequestTimeout, RetryAfter: retryAfter,
		Message: c.Name + " kept refusing or failing within the request's time budget; try again later"}
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// limiter returns the connector's per-account limiter, or nil when the provider
// publishes no limit.
func (e *Executor) limiter(c *connectors.Connector) *ratelimit.Limiter {
	rl := c.API.RateLimit
	if rl == nil || (rl.PerSecond == 0 && rl.PerMinute == 0) {
		return nil
	}
	if l, ok := e.limiters.Load(c.Key); ok {
		return l.(*ratelimit.Limiter)
	}
	// Windows are 10 % longer than published: the provider counts a request when
	// it arrives, a little after we send it, so an exact window would sometimes
	// let one request too many through.
	var limits []ratelimit.Limit
	if rl.PerSecond > 0 {
		limits = append(limits, ratelimit.Limit{Requests: rl.PerSecond, Window: 1100 * time.Millisecond})
	}
	if rl.PerMinute > 0 {
		limits = append(limits, ratelimit.Limit{Requests: rl.PerMinute, Window: 66 * time.Second})
	}
	l, _ := e.limiters.LoadOrStore(c.Key, ratelimit.New(limits...))
	return l.(*ratelimit.Limiter)
}

// missingScopes lists the action's scopes that the account's grant (after
// inheritance) does not cover. Accounts without a reported scope list are taken
// to hold what the profile requests, as providers that fix scopes at
// registration do not report them.
func missingScopes(c *connectors.Connector, p store.ConnectorProfile, a store.Account, action *connectors.Action) []string {
	granted := a.Credentials.Scopes
	if len(granted) == 0 {
		res, err := c.Calculate(connectors.Selection{Actions: p.EnabledActions, ExtraScopes: p.ExtraScopes})
		if err == nil {
			granted = res.Scopes
		}
	}
	var missing []string
	for _, sc := range action.Scopes {
		if !c.Covers(granted, sc) {
			missing = append(missing, sc)
		}
	}
	return missing
}

// validate checks every input part against its schema and returns one line per problem.
func validate(action *connectors.Action, req Request) []string {
	var problems []string
	parts := []struct {
		name  string
		value any
	}{{"path", req.Path}, {"query", req.Query}, {"body", req.Body}}
	for _, part := range parts {
		schema := action.Schema(part.name)
		empty := part.value == nil || (isMap(part.value) && len(part.value.(map[string]any)) == 0)
		if schema == nil {
			if !empty {
				problems = append(problems, part.name+": "+action.ID+" takes no "+part.name+" input")
			}
			continue
		}
		v := part.value
		if v == nil {
			v = map[string]any{}
		}
		if err := schema.Validate(normalise(v)); err != nil {
			var ve *jsonschema.ValidationError
			if errors.As(err, &ve) {
				for _, leaf := range leaves(ve) {
					where := part.name
					if len(leaf.InstanceLocation) > 0 {
						where += "." + strings.Join(leaf.InstanceLocation, ".")
					}
					problems = append(problems, where+": "+leaf.ErrorKind.LocalizedString(printer))
				}
				continue
			}
			problems = append(problems, part.name+": "+err.Error())
		}
	}
	return problems
}

// printer renders validation messages in English.
var printer = message.NewPrinter(language.English)

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

// leaves returns the innermost validation failures, which name the real problems.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// normalise turns a value into the types the schema validator reads, those of
// decoded JSON; a value already made of them (a decoded request) is used as it
// is, without a round trip through JSON.
func normalise(v any) any {
	if decodedJSON(v) {
		return v
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return v
	}
	return out
}

// decodedJSON reports whether v holds only what encoding/json decodes into an
// any: maps of any, slices of any, float64, string, bool and nil.
func decodedJSON(v any) bool {
	switch v := v.(type) {
	case nil, bool, float64, string:
		return true
	case []any:
		for _, item := range v {
			if !decodedJSON(item) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, item := range v {
			if !decodedJSON(item) {
				return false
			}
		}
		return true
	}
	return false
}

// buildURL fills the path template and adds the query parameters in a stable order.
func buildURL(base string, action *connectors.Action, req Request) (string, error) {
	path := action.Path
	for name, v := range req.Path {
		segment := scalar(v)
		if segment == "" || segment == "." || segment == ".." || strings.ContainsAny(segment, `/\`) {
			return "", fmt.Errorf("path.%s: %q is not a single path segment (no /, \\, . or ..)", name, segment)
		}
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(segment))
	}
	if strings.Contains(path, "{") {
		return "", fmt.Errorf("path: a path parameter of %s is missing", action.Path)
	}
	q := url.Values{}
	keys := make([]string, 0, len(req.Query))
	for k := range req.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := req.Query[k].(type) {
		case []any:
			for _, item := range v {
				q.Add(k, scalar(item))
			}
		default:
			q.Set(k, scalar(v))
		}
	}
	for k, v := range req.Proxy {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

func (e *Executor) send(ctx context.Context, method, target string, body any, accessToken string, rd reading) (answer, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	ans := answer{status: resp.StatusCode, header: resp.Header}
	switch {
	case len(rd.paths) == 0 || resp.StatusCode/100 != 2:
		ans.body, err = readBody(resp)
		return ans, err
	case rd.decode:
		ans.pooled = pageBuffers.Get().(*[]byte)
		ans.body, err = readInto(resp.Body, *ans.pooled, maxBody)
	default:
		// The records either go out as they arrive or are copied out of the
		// page (result), so nothing keeps the buffer once the call is over: it
		// can be reused.
		var records io.Writer
		if rd.records != nil {
			records = rd.records
		}
		ans.pooled = pageBuffers.Get().(*[]byte)
		ans.body, ans.found, err = rawjson.Stream(resp.Body, maxBody, *ans.pooled, records, rd.paths...)
		ans.streamed = rd.records != nil && rd.records.n > 0
	}
	// A page that is not JSON, or too large to take, is the provider's answer
	// and no reason to ask again.
	if _, bad := errors.AsType[*rawjson.SyntaxError](err); bad || errors.Is(err, rawjson.ErrTooLarge) {
		ans.malformed, err = err, nil
	}
	return ans, err
}

// maxBody bounds a provider answer Patchbay reads: far above any page of records.
const maxBody = 32 << 20

// readInto reads a provider answer into buf (from its start, growing it as
// needed), at most limit bytes.
func readInto(r io.Reader, buf []byte, limit int) ([]byte, error) {
	b := bytes.NewBuffer(buf[:0])
	n, err := b.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if n > int64(limit) {
		return b.Bytes(), fmt.Errorf("%w (%d bytes)", rawjson.ErrTooLarge, limit)
	}
	return b.Bytes(), err
}

// readBody reads a provider answer in one allocation when its length is known.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxBody {
		raw := make([]byte, n)
		_, err := io.ReadFull(resp.Body, raw)
		return raw, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

// decodeAnswer checks a page and reads it in one pass: decode reads the
// records at the first path; the values at the other paths are returned.
func decodeAnswer(body []byte, paths []string, decode func(d *rawjson.Decoder) error) ([]json.RawMessage, error) {
	d := rawjson.NewDecoder(body)
	found := make([]json.RawMessage, len(paths))
	err := d.Find(paths, func(i int) (err error) {
		if i == 0 {
			return decode(d)
		}
		found[i], err = d.Raw()
		return err
	})
	if err == nil {
		err = d.End()
	}
	return found, err
}

// resultPaths are the places in a successful answer that result reads: the
// records, and for a list the value that tells whether another page follows.
func resultPaths(c *connectors.Connector, action *connectors.Action) []string {
	if p := c.API.Pagination; action.Paginated && p != nil {
		return []string{action.Data, p.ContinuationField()}
	}
	return []string{action.Data}
}

// result turns a successful answer into the records and the next page's
// continuation value. The records are passed on as the provider's own bytes:
// decoding and re-encoding a page of a hundred records would cost more than
// everything else Patchbay does for the call.
func result(c *connectors.Connector, action *connectors.Action, req Request, ans answer) (Result, error) {
	if len(bytes.TrimSpace(ans.body)) == 0 {
		return Result{}, nil // 204 No Content, or an empty 200
	}
	if ans.malformed != nil {
		return Result{}, &Error{Status: http.StatusBadGateway, Broken: ans.streamed, Message: c.Name + "'s answer is not JSON Patchbay can pass on: " + ans.malformed.Error(),
			ProviderErrors: []ProviderError{{Status: ans.status, Raw: truncate(string(ans.body))}}}
	}
	var res Result
	switch {
	case req.decode != nil:
		var err error
		if ans.found, err = decodeAnswer(ans.body, resultPaths(c, action), req.decode); err != nil {
			return Result{}, &Error{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s answered %s with records Patchbay cannot read: %v", c.Name, action.ID, err),
				ProviderErrors: []ProviderError{{Status: ans.status, Raw: truncate(string(ans.body))}}}
		}
	case ans.streamed:
		res.Streamed = true
	default:
		// Nothing streamed: the caller passed no writer, or the records are
		// the whole document (a single object), which Stream does not pass
		// on, or absent. The buffer goes back to the pool when Run returns,
		// so the caller gets a copy.
		res.Data = json.RawMessage(bytes.Clone(ans.found[0]))
	}
	p := c.API.Pagination
	if len(ans.found) < 2 || ans.found[1] == nil {
		return res, nil
	}
	limit, _ := strconv.Atoi(scalar(req.Query[p.LimitParam])) // the next page keeps the page size
	switch p.Style {
	case connectors.CursorStyle:
		var next string
		if json.Unmarshal(ans.found[1], &next) == nil && next != "" {
			res.Next = wrapNext(action.ID, next, limit)
		}
	case connectors.PageStyle:
		current := max(p.FirstPage, 1)
		if v, ok := req.Query[p.PageParam]; ok {
			if n, err := strconv.Atoi(scalar(v)); err == nil {
				current = n
			}
		}
		var total float64
		if json.Unmarshal(ans.found[1], &total) == nil && float64(current) < total {
			res.Next = wrapNext(action.ID, strconv.Itoa(current+1), limit)
		}
	}
	return res, nil
}

// nextCursor is what an opaque next carries: the action it belongs to and the
// provider's own continuation value (a cursor, or a page number).
type nextCursor struct {
	Action string `json:"a"`
	Value  string `json:"v"`
	Limit  int    `json:"l,omitempty"` // the page size the first page asked for
}

func wrapNext(action, value string, limit int) *string {
	raw, _ := json.Marshal(nextCursor{Action: action, Value: value, Limit: limit})
	s := base64.RawURLEncoding.EncodeToString(raw)
	return &s
}

// decodeNext reads a next value an earlier answer of action gave.
func decodeNext(action, next string) (nextCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(next)
	var cur nextCursor
	if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Action != action {
		return nextCursor{}, false
	}
	return cur, true
}

// applyPaging turns next and page_size into the action's own paging inputs.
// A next may also come where the provider's own cursor (or page) goes in the
// query, which is how the reference's SDK passes it back.
func applyPaging(c *connectors.Connector, action *connectors.Action, req *Request) error {
	p := c.API.Pagination
	if req.Next == "" && action.Paginated && p != nil {
		param := p.CursorParam
		if p.Style == connectors.PageStyle {
			param = p.PageParam
		}
		if v, ok := req.Query[param].(string); ok {
			if _, ours := decodeNext(action.ID, v); ours {
				req.Next = v
				delete(req.Query, param)
			}
		}
	}
	if (req.Next != "" || req.PageSize != 0) && (!action.Paginated || p == nil) {
		return fmt.Errorf("next, page_size: %s does not page", action.ID)
	}
	if req.PageSize != 0 {
		if req.PageSize < 1 || req.PageSize > p.MaxLimit {
			return fmt.Errorf("page_size: must be between 1 and %d for %s", p.MaxLimit, c.Name)
		}
		req.Query[p.LimitParam] = req.PageSize
	}
	if req.Next == "" {
		return nil
	}
	cur, ok := decodeNext(action.ID, req.Next)
	if !ok {
		return fmt.Errorf("next: not a cursor an earlier %s call returned", action.ID)
	}
	if _, set := req.Query[p.LimitParam]; !set && cur.Limit > 0 {
		req.Query[p.LimitParam] = cur.Limit
	}
	if p.Style == connectors.CursorStyle {
		req.Query[p.CursorParam] = cur.Value
		return nil
	}
	page, err := strconv.Atoi(cur.Value)
	if err != nil {
		return fmt.Errorf("next: not a cursor an earlier %s call returned", action.ID)
	}
	req.Query[p.PageParam] = page
	return nil
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// redactURL drops the query string, which may carry identifiers, from error reports.
func redactURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}
