package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/jobs"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

// Delivery settings.
const (
	// DefaultTimeout bounds one delivery attempt.
	DefaultTimeout = 15 * time.Second
	// MaxAttempts tries a delivery for a little over three days (RetryDelay).
	MaxAttempts = 32
	// DisableAfter turns off an endpoint that failed for five days without a success.
	DisableAfter = 5 * 24 * time.Hour
	// queueName is the River queue deliveries run on.
	queueName = "webhooks"
	// dispatchBatch is how many events one dispatch takes.
	dispatchBatch = 200
	// orderWait is how long a delivery waits at least for the account's
	// earlier one: a short while, as that one is usually being sent.
	orderWait = 20 * time.Millisecond
	// sweepEvery is how often a node queues again the deliveries a crash
	// kept from the queue (StrandedDeliveries), those handed over more than
	// strandedAfter ago.
	sweepEvery, strandedAfter = time.Minute, time.Minute
	// listenRetry is the wait before listening for events again after the
	// connection failed.
	listenRetry = 2 * time.Second
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Jobs is the node's job queue, which works the deliveries.
	Jobs   *jobs.Queue
	Clock  clock.Clock
	Logger *slog.Logger
	// AllowPrivate lets endpoints live on loopback and private networks
	// (PATCHBAY_WEBHOOK_ALLOW_PRIVATE; tests and the demo).
	AllowPrivate bool
	// Workers is how many deliveries this node sends at once; 0 means 20.
	Workers int
	// PollInterval is how often a node looks for events other processes
	// wrote; 0 means 100 ms. Events written on this node, and on PostgreSQL
	// by any process, go out at once.
	PollInterval time.Duration
	// Timeout bounds one delivery attempt; 0 means DefaultTimeout.
	Timeout time.Duration
}

// New returns the service and adds its deliveries to the node's job queue,
// which works them; Run queues the deliveries of new events. Every process
// can create endpoints, events and redeliveries without either running.
func New(o Options) *Service {
	s := &Service{store: o.Store, clock: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default()), allowPrivate: o.AllowPrivate,
		nudge: make(chan struct{}, 1), timeout: cmp.Or(o.Timeout, DefaultTimeout), jobs: o.Jobs,
		poll: cmp.Or(o.PollInterval, 100*time.Millisecond),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patchbay_webhook_attempts_total",
			Help: "Webhook delivery attempts, by the delivery's status after them (succeeded, pending: to be retried, failed)."}, []string{"status"})}
	workers := cmp.Or(o.Workers, 20)
	o.Jobs.Add(queueName, workers, func(w *river.Workers) { river.AddWorker(w, &worker{s: s, send: s.client(workers)}) })
	return s
}

// Nudge asks this node's dispatcher to look for new events now.
func (s *Service) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Run turns committed events into queued deliveries until ctx ends: at
// once when woken (Nudge, or the database telling of another process's
// events), else every PollInterval. Every minute it queues again the
// deliveries a crash kept from the queue.
func (s *Service) Run(ctx context.Context) {
	go s.listen(ctx)
	tick, sweep := time.NewTicker(s.poll), time.NewTicker(sweepEvery)
	defer tick.Stop()
	defer sweep.Stop()
	for {
		if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "webhook events could not be dispatched; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.nudge:
		case <-sweep.C:
			s.Sweep(ctx)
		}
	}
}

// listen nudges the dispatcher whenever another process commits events,
// where the database can tell, until ctx ends.
func (s *Service) listen(ctx context.Context) {
	for {
		err := s.store.ListenEvents(ctx, s.Nudge)
		if err == nil || errors.Is(err, errors.ErrUnsupported) {
			return
		}
		s.log.WarnContext(ctx, "not told of new webhook events; looking for them every poll meanwhile", "err", err, "retry_in", listenRetry)
		select {
		case <-ctx.Done():
			return
		case <-time.After(listenRetry):
			s.Nudge() // anything written while not listening
		}
	}
}

// Dispatch makes the deliveries of every committed event not yet
// dispatched and queues those due now. It returns how many events it took.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, queue, err := s.store.DispatchEvents(ctx, dispatchBatch)
		total += n
		s.enqueue(ctx, queue)
		if err != nil || n < dispatchBatch {
			return total, err
		}
	}
}

// Sweep queues the deliveries that were handed to the queue over a minute
// ago and never attempted: those a crash kept from it.
func (s *Service) Sweep(ctx context.Context) {
	stranded, err := s.store.StrandedDeliveries(ctx, s.clock.Now().Add(-strandedAfter), dispatchBatch)
	if err != nil {
		s.log.ErrorContext(ctx, "could not look for webhook deliveries left unqueued; trying again in a minute", "err", err)
		return
	}
	s.enqueue(ctx, stranded)
}

// enqueue gives deliveries their jobs, after the transaction that made them
// due committed, so that this node's workers fetch them at once. A delivery
// has one job at most (deliverArgs is unique), so queueing one again is
// harmless. A failure leaves them to the sweep.
func (s *Service) enqueue(ctx context.Context, deliveries []store.WebhookDelivery) {
	if len(deliveries) == 0 {
		return
	}
	params := make([]river.InsertManyParams, len(deliveries))
	for i, d := range deliveries {
		params[i] = river.InsertManyParams{Args: deliverArgs{ProjectID: d.ProjectID, DeliveryID: d.ID}}
	}
	if err := s.jobs.InsertMany(context.WithoutCancel(ctx), params); err != nil {
		s.log.ErrorContext(ctx, "webhook deliveries could not be queued; they will be within two minutes", "deliveries", len(deliveries), "err", err)
	}
}

// deliverArgs is the job of sending one delivery.
type deliverArgs struct {
	ProjectID  string `json:"project_id"`
	DeliveryID string `json:"delivery_id"`
}

func (deliverArgs) Kind() string { return "webhook_delivery" }

func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type worker struct {
	river.WorkerDefaults[deliverArgs]
	s    *Service
	send *http.Client
}

func (w *worker) Timeout(*river.Job[deliverArgs]) time.Duration { return w.s.jobTimeout() }

// jobTimeout bounds a delivery job: the attempt, and its bookkeeping.
func (s *Service) jobTimeout() time.Duration { return s.timeout + 5*time.Second }

// JobTimeout is how long a node waits for the deliveries under way when it stops.
func (s *Service) JobTimeout() time.Duration { return s.jobTimeout() }

// NextRetry follows RetryDelay from now, on River's clock (the real one):
// River schedules the job by it.
func (w *worker) NextRetry(job *river.Job[deliverArgs]) time.Time {
	return clock.System.Now().Add(RetryDelay(job.ID, job.Attempt))
}

// RetryDelay is the wait after attempt n of job id fails: doubling from 2 s
// to at most 4 h, with ±20 % jitter so an endpoint that comes back is not met
// by every retry at once. 32 attempts span a little over three days. The
// jitter is derived from the job and attempt, so the delivery log can show
// the time River will use.
func RetryDelay(id int64, attempt int) time.Duration {
	base := min(time.Duration(1)<<min(attempt, 20)*time.Second, 4*time.Hour)
	h := fnv.New64a()
	binary.Write(h, binary.LittleEndian, [2]int64{id, int64(attempt)})
	jitter := float64(h.Sum64()%4001)/10000 - 0.2 // -0.2 … +0.2
	return base + time.Duration(float64(base)*jitter)
}

// Work sends one delivery. An error asks River to try again (NextRetry);
// river.JobCancel ends the job for good.
func (w *worker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	out, err := w.s.store.OutgoingDelivery(ctx, job.Args.ProjectID, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // its endpoint was deleted
	}
	d, ep, ev := out.Delivery, out.Endpoint, out.Event
	if err != nil && !errors.Is(err, store.ErrSealed) {
		return err
	}
	if d.Status != store.DeliveryPending {
		return nil // done before this node took it over from one that stopped
	}
	if err != nil {
		// Nothing can be signed. The delivery log says why; River tries again,
		// as the key that sealed the secrets may be restored.
		out := store.AttemptOutcome{Status: store.DeliveryPending, NextAttemptAt: w.NextRetry(job), Failing: true, Attempt: store.WebhookAttempt{
			Attempt: d.Attempts + 1, StartedAt: w.s.clock.Now(),
			Error: "not sent: the webhook's signing secrets cannot be opened with this deployment's encryption keys"}}
		if job.Attempt >= job.MaxAttempts {
			out.Status, out.NextAttemptAt = store.DeliveryFailed, time.Time{}
		}
		if _, rerr := w.s.recordAttempt(ctx, d, out); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if !ep.Enabled {
		_, err := w.s.recordAttempt(ctx, d, store.AttemptOutcome{Status: store.DeliveryFailed, Failing: true,
			Attempt: store.WebhookAttempt{Attempt: d.Attempts + 1, StartedAt: w.s.clock.Now(), Error: "not sent: the webhook is disabled"}})
		return river.JobCancel(cmp.Or(err, errors.New("webhook disabled")))
	}
	if out.Earlier.ID != "" {
		// The account's earlier event goes first: wait for its next attempt
		// when it is retrying, or a moment while it is going out.
		return river.JobSnooze(max(orderWait, out.Earlier.NextAttemptAt.Sub(clock.System.Now())))
	}
	// The delivery joins the trace of the change that made the event.
	ctx, span := telemetry.Start(telemetry.WithTraceParent(ctx, ev.TraceParent), trace.SpanKindClient, "webhook delivery", "")
	attempt := w.attempt(ctx, ep, ev)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("patchbay.event_type", ev.Type), attribute.String("patchbay.webhook_id", ep.ID),
			attribute.Int("patchbay.attempt", d.Attempts+1), attribute.Int("http.response.status_code", attempt.StatusCode))
		if attempt.StatusCode < 200 || attempt.StatusCode > 299 {
			span.SetStatus(codes.Error, "not delivered")
		}
	}
	span.End()
	attempt.Attempt = d.Attempts + 1
	outcome := store.AttemptOutcome{Attempt: attempt, Status: store.DeliveryPending}
	last := job.Attempt >= job.MaxAttempts
	switch {
	case attempt.StatusCode >= 200 && attempt.StatusCode < 300:
		outcome.Status = store.DeliverySucceeded
	case attempt.StatusCode == http.StatusGone || last:
		outcome.Status = store.DeliveryFailed
	default:
		outcome.NextAttemptAt = w.NextRetry(job)
	}
	// Any answer but a success dates the endpoint's trouble; a success ends it.
	outcome.Failing = outcome.Status != store.DeliverySucceeded
	ep, err = w.s.recordAttempt(ctx, d, outcome)
	if err != nil {
		return err
	}
	w.s.attempts.WithLabelValues(string(outcome.Status)).Inc()
	switch {
	case outcome.Status == store.DeliverySucceeded:
		return nil
	case attempt.StatusCode == http.StatusGone:
		return river.JobCancel(w.s.disable(ctx, ep, "the endpoint answered 410 Gone"))
	case !ep.FailingSince.IsZero() && w.s.clock.Now().Sub(ep.FailingSince) >= DisableAfter:
		reason := fmt.Sprintf("every delivery failed for %s, since %s", DisableAfter, ep.FailingSince.Format(time.RFC3339))
		return river.JobCancel(errors.Join(errors.New(attempt.Error), w.s.disable(ctx, ep, reason)))
	case last:
		return river.JobCancel(errors.New(attempt.Error))
	}
	return errors.New(attempt.Error)
}

// recordAttempt writes an attempt's outcome and queues the account's next delivery
// to the endpoint when this one ended.
func (s *Service) recordAttempt(ctx context.Context, d store.WebhookDelivery, o store.AttemptOutcome) (store.WebhookEndpoint, error) {
	ep, next, err := s.store.RecordWebhookAttempt(ctx, d, o)
	s.enqueue(ctx, next)
	return ep, err
}

// attempt sends ev to ep once and says how it went.
func (w *worker) attempt(ctx context.Context, ep store.WebhookEndpoint, ev store.Event) store.WebhookAttempt {
	start := w.s.clock.Now()
	a := store.WebhookAttempt{StartedAt: start}
	fail := func(format string, args ...any) store.WebhookAttempt {
		a.Error, a.DurationMS = fmt.Sprintf(format, args...), w.s.clock.Now().Sub(start).Milliseconds()
		return a
	}
	record, err := w.s.record(ctx, ev)
	if err != nil {
		return fail("read the changed record: %v", err)
	}
	body, err := payload(ev, record)
	if err != nil {
		return fail("build the payload: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return fail("%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Patchbay-Webhooks/1")
	telemetry.Inject(ctx, req.Header)
	if err := signHeaders(req.Header, ev.ID, start, body, signingSecrets(ep, start)); err != nil {
		return fail("%v", err)
	}
	resp, err := w.send.Do(req)
	if err != nil {
		return fail("%v", err)
	}
	a.Answer = answerStart(resp.Body)
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.StatusCode, a.DurationMS = resp.StatusCode, w.s.clock.Now().Sub(start).Milliseconds()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "the endpoint answered " + resp.Status
	}
	return a
}

// answerLength is how much of a receiver's answer the delivery log keeps.
const answerLength = 1 << 10

// answerStart reads the start of a receiver's answer for the delivery log:
// text as it is (cut on a character), anything else by its size.
func answerStart(body io.Reader) string {
	buf := make([]byte, answerLength+1)
	n, _ := io.ReadFull(body, buf)
	b := buf[:min(n, answerLength)]
	for cut := 0; cut < utf8.UTFMax-1 && !utf8.Valid(b) && n > answerLength; cut++ {
		b = b[:len(b)-1] // a character cut at the limit
	}
	if !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes that are not text)", n)
	}
	if n > answerLength {
		return string(b) + "…"
	}
	return string(b)
}

// payload is the body of a delivery: the event as Standard Webhooks
// receivers read it ({id, type, created_at, data}), with the data fields also
// at the top level beside event and event_date, which receivers written for
// the product Patchbay follows read.
// A data change's event also carries the record as of the change.
func payload(ev store.Event, record json.RawMessage) ([]byte, error) {
	body := map[string]any{}
	if err := json.Unmarshal(ev.Data, &body); err != nil {
		return nil, err
	}
	data := ev.Data
	if record != nil {
		body["record"] = record
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		data = b
	}
	created := ev.CreatedAt.UTC().Format(time.RFC3339Nano)
	body["event"], body["event_date"] = ev.Type, created
	body["id"], body["type"], body["created_at"], body["data"] = ev.ID, ev.Type, created, data
	return json.Marshal(body)
}

// record reads the record a data change's event is about from the change
// feed, where it is sealed (events are kept in clear); nil for other events
// and for a deletion.
func (s *Service) record(ctx context.Context, ev store.Event) (json.RawMessage, error) {
	var ref struct {
		ChangeID string `json:"change_id"`
	}
	if json.Unmarshal(ev.Data, &ref) != nil || ref.ChangeID == "" {
		return nil, nil
	}
	c, err := s.store.GetSyncChange(ctx, ev.ProjectID, ref.ChangeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // deleted with its account, or past the feed's retention
	}
	return c.Data, err
}

func jsonObject(v map[string]any) json.RawMessage {
	b, _ := json.Marshal(v) // strings only: cannot fail
	return b
}

// client sends deliveries: no redirects (a 3xx is a failed attempt), no
// proxy, and unless private targets are allowed, no connection to a loopback,
// private or link-local address, checked on the address actually dialled so
// that a name re-pointed after the endpoint was saved cannot reach inside.
func (s *Service) client(workers int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !s.allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if !publicAddress(ap.Addr()) {
				return fmt.Errorf("refused to connect to %s: a private, loopback or special-purpose address (set PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true to allow)", ap.Addr())
			}
			return nil
		}
	}
	return &http.Client{
		Transport: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConnsPerHost: workers, // a connection kept for each worker sending to the same receiver
			IdleConnTimeout:     time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
