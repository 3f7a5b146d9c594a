// The request log an action call writes: its entry, its steps (each provider
// call) and the answers kept for raw=true.

package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

// logEntry is a call's request log entry while the call runs.
type logEntry struct {
	store.RequestLog
	began clock.Stopwatch // the real start, for the duration: the clock may be moved
	live  bool            // counted in the executor's live calls

	mu sync.Mutex // a unified operation's provider calls may run at once
	// raw keeps each successful provider call's answer when the caller asked
	// for them (a unified call's raw=true); nil when not asked.
	raw *[]RawCall
	// created: the operation created a record, and Patchbay answers 201.
	created bool
	// actor is who made the call, for the audit entry of a provider write.
	actor audit.Actor
	// span is the call's trace span (a no-op when tracing is off).
	span trace.Span
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

// begin starts a call's request log entry and its span, which ctx then
// carries (the provider attempts are its children).
func (e *Executor) begin(ctx context.Context, who Caller, accountID, action string) (context.Context, *logEntry) {
	entry := &logEntry{RequestLog: store.RequestLog{ProjectID: who.ProjectID, RequestID: who.RequestID, Source: who.Source,
		AccountID: accountID, Action: action, StartTime: e.clock.Now().UTC()}, began: clock.Start(), actor: audit.ActorOf(ctx)}
	ctx, entry.span = telemetry.Start(ctx, trace.SpanKindInternal, "action ", action)
	if entry.span.IsRecording() {
		entry.span.SetAttributes(attribute.String("patchbay.action", action), attribute.String("patchbay.account_id", accountID),
			attribute.String("patchbay.source", who.Source))
	}
	if who.Grant != nil {
		entry.ClientID = who.Grant.ClientID
	}
	if who.Source != store.SourceSync {
		entry.live = true
		e.live.Add(1)
	}
	if entry.RequestID == "" {
		// Calls no HTTP request carried (the Hub's setup step, the CLI) get
		// an id of their own, so every entry can be found by one.
		entry.RequestID = store.NewID("req")
	}
	return ctx, entry
}

// callDuration is the OpenTelemetry metric of action calls (when it is on).
var callDuration = telemetry.Histogram("patchbay.action.duration", "Duration of action calls, provider retries and waits included.")

// record queues the call's request log entry. It holds no bodies, headers or
// tokens: only what was called, how it went and how long it took.
func (e *Executor) record(entry *logEntry, err error) {
	if entry.live {
		e.live.Add(-1)
	}
	entry.Status = problem.HTTPStatus(err)
	if err == nil && entry.created {
		entry.Status = http.StatusCreated // the log records what Patchbay answered
	}
	elapsed := entry.began.Elapsed()
	entry.Success, entry.DurationMS, entry.DurationUS, entry.EndTime = entry.Status < 400, elapsed.Milliseconds(), elapsed.Microseconds(), entry.StartTime.Add(elapsed)
	entry.Error = failureReason(err)
	if e.logs != nil {
		e.logs.Record(entry.RequestLog)
	}
	e.auditWrites(entry, err)
	if telemetry.MetricsOn() {
		telemetry.Duration(context.Background(), callDuration, elapsed, attribute.String("patchbay.provider", entry.Provider),
			attribute.String("patchbay.action", entry.Action), attribute.Int("patchbay.status", entry.Status))
	}
	if entry.span.IsRecording() {
		entry.span.SetAttributes(attribute.String("patchbay.provider", entry.Provider), attribute.Int("patchbay.status", entry.Status))
		if !entry.Success {
			entry.span.SetStatus(codes.Error, http.StatusText(entry.Status))
		}
	}
	entry.span.End()
}

// auditWrites appends the audit entry of a call that sent the provider a
// write: which action on which account, by whom, and how it went. The write
// happened whatever the database does now, so a failure to append is logged,
// not returned.
func (e *Executor) auditWrites(entry *logEntry, err error) {
	if e.audit == nil {
		return
	}
	var writes []string
	for _, st := range entry.Steps {
		if st.Method != http.MethodGet {
			writes = append(writes, st.Method+" "+st.URL)
		}
	}
	if len(writes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(audit.WithActor(context.Background(), entry.actor), 10*time.Second)
	defer cancel()
	a := audit.Entry(ctx, entry.ProjectID, "provider.write", "account", entry.AccountID)
	a.RequestID = entry.RequestID
	a.Changes = audit.Changes{}.Created("action", entry.Action).Created("requests", writes).JSON()
	a.Outcome = strconv.Itoa(entry.Status)
	if err != nil {
		a.Outcome += " " + truncate(err.Error())
	}
	if err := e.audit.Record(ctx, a); err != nil {
		e.log.ErrorContext(ctx, "could not append a provider write to the audit trail", "err", err, "request_id", entry.RequestID)
	}
}

func truncate(s string) string { return truncateTo(s, 2000) }

// redactURL drops the query string, which may carry identifiers, from error reports.
func redactURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// failureReason says why a call failed, for the request log: Patchbay's
// message (which names the provider's status), and the provider's error
// code and message where its answer has them, with email addresses and long
// numbers taken out. Never a body.
func failureReason(err error) string {
	if err == nil {
		return ""
	}
	p, ok := errors.AsType[*problem.Error](err)
	if !ok {
		return "internal error" // the server log has it, with the request id
	}
	parts := []string{p.Message} // says the provider's status where it answered
	for _, pe := range p.ProviderErrors {
		if said := providerSaid(pe.Raw); said != "" {
			parts = append(parts, fmt.Sprintf("the provider said (%d) %s", pe.Status, said))
		}
	}
	return redact(truncate(strings.Join(parts, "; ")))
}

// providerSaid is the error code and message of a provider's JSON answer,
// from the fields providers put them in; "" when it has none.
func providerSaid(raw any) string {
	m, ok := raw.(map[string]any)
	if !ok {
		return ""
	}
	var said []string
	for _, key := range []string{"error", "error_code", "code", "error_description", "message", "detail"} {
		if v, ok := m[key].(string); ok && v != "" {
			said = append(said, key+": "+truncateTo(v, 200))
		}
	}
	return strings.Join(said, ", ")
}

// personal matches what a reason must not keep: email addresses and runs of
// six or more digits (account, tax and phone numbers).
var personal = regexp.MustCompile(`[^\s@"':,;]+@[^\s@"':,;]+|\d{6,}`)

func redact(s string) string { return personal.ReplaceAllString(s, "…") }

// truncateTo cuts s to at most n bytes, on a character's start.
func truncateTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
