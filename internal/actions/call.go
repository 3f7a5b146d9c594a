// Calling the provider: throttling to its published limit, a valid token (one
// refresh on a 401), retries of reads and deduplicated writes, and reading the
// answer into a pooled page buffer.

package actions

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
	"github.com/patchbayhq/patchbay/internal/rawjson"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

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
	ctx, cancel := context.WithTimeout(ctx, e.budget)
	defer cancel()
	token, err := g.valid(ctx)
	if err != nil {
		return answer{}, tokenFailure(c, g, err)
	}
	retryable := action.Repeatable()
	limiter := e.limiter(c)
	refreshed := false
	for attempt := 1; ; attempt++ {
		done := func() {}
		if limiter != nil {
			take := limiter.Take
			if entry != nil && entry.Source == store.SourceSync {
				take = limiter.TakeBackground // live calls go first
			}
			if done, err = take(ctx, g.key()); err != nil {
				return answer{}, timedOut(c, 0)
			}
		}
		started := clock.Start()
		actx, span := telemetry.Start(ctx, trace.SpanKindClient, action.Method+" ", c.Name)
		if span.IsRecording() {
			span.SetAttributes(attribute.String("http.request.method", action.Method), attribute.String("url.template", action.Path),
				attribute.Int("patchbay.attempt", attempt))
		}
		ans, err := e.send(actx, action.Method, target, body, token, rd)
		endAttempt(span, ans.status, err)
		done()
		entry.step(store.LogStep{Method: action.Method, URL: redactURL(target), Status: ans.status,
			DurationMS: started.Elapsed().Milliseconds(), StartTime: e.clock.Now().UTC()})
		if err != nil && errors.Is(err, syscall.ECONNREFUSED) && e.site.SandboxURL != "" && strings.HasPrefix(target, e.site.SandboxURL) {
			// Nothing listens where the simulators should be: retrying will
			// not start them.
			return answer{}, &problem.Error{Kind: problem.Provider, Message: fmt.Sprintf(
				"Cannot reach the %s simulator at %s: is `patchbay demo` (or `patchbay sandbox`) running there?", c.Name, e.site.SandboxURL)}
		}
		if err != nil && ans.streamed {
			ans.release()
			return answer{}, fmt.Errorf("%w: %w", ErrAnswerBegun, problem.New(problem.Provider, "%s's answer broke off after part of the records had been sent: %v", c.Name, err))
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
				return answer{}, &problem.Error{Kind: problem.Provider, Message: c.Name + " could not be reached: " + err.Error(),
					ProviderErrors: []problem.ProviderError{{URL: redactURL(target)}}}
			}
			return ans, nil
		}
		ans.release() // this answer is dropped: the request is tried again
		wait := retryAfter(ans.header)
		if wait == 0 {
			wait = e.backoff << (attempt - 1)
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		}
		deadline, _ := ctx.Deadline()
		if attempt >= e.attempts || clock.System.Now().Add(wait).After(deadline) { // real time: the context's deadline
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
func tokenFailure(c *connectors.Connector, g grant, err error) *problem.Error {
	if errors.Is(err, tokens.ErrReauthorize) {
		if ag, ok := g.(*accountGrant); ok {
			return fail(problem.Unusable, "Account %s needs re-authorization: link it again through the Hub", ag.a.ID)
		}
		return fail(problem.Unusable, "%s needs the authorization to be given again", c.Name)
	}
	return fail(problem.Provider, "Could not get a valid token from %s: %v", c.Name, err)
}

// timedOut is the failure when retries or the time budget run out.
func timedOut(c *connectors.Connector, retryAfter int) *problem.Error {
	if retryAfter <= 0 {
		retryAfter = 60
	}
	return &problem.Error{Kind: problem.Timeout, RetryAfter: retryAfter,
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
	// The windows are the published ones: Take counts a request from its
	// answer, which is never before the provider counted it.
	var limits []ratelimit.Limit
	if rl.PerSecond > 0 {
		limits = append(limits, ratelimit.Limit{Requests: rl.PerSecond, Window: time.Second})
	}
	if rl.PerMinute > 0 {
		limits = append(limits, ratelimit.Limit{Requests: rl.PerMinute, Window: time.Minute})
	}
	l, _ := e.limiters.LoadOrStore(c.Key, ratelimit.New(limits...))
	return l.(*ratelimit.Limiter)
}

// endAttempt records how a provider attempt ended on its span: the status,
// or that no answer came (never the URL or the error text, which may hold
// identifiers).
func endAttempt(span trace.Span, status int, err error) {
	if span.IsRecording() {
		if status != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
		}
		if err != nil || status >= 500 || status == http.StatusTooManyRequests {
			span.SetStatus(codes.Error, cmp.Or(http.StatusText(status), "no answer"))
		}
	}
	span.End()
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
	telemetry.Inject(ctx, req.Header)
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
