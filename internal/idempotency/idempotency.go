// Package idempotency makes writes safe to retry (the IETF Idempotency-Key
// header): the first request with a key runs and its answer is kept for a
// day; the same key with the same request gets that answer again without
// running it; the same key with another request is refused. Records live in
// the database, so every node sees them, and a request holds its key with a
// lock it renews while it runs: when its node dies, a retry learns that the
// outcome is unknown, unless running it again cannot write twice.
package idempotency

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Retention is how long a key is remembered.
const Retention = 24 * time.Hour

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 255

// Options configure a Service.
type Options struct {
	Store store.Store
	Clock clock.Clock // nil is the system clock
	Log   *slog.Logger
	// Lease is how long a running request holds its key without renewing
	// it (it renews every third of it); zero means 10 seconds. A retry
	// after the node died waits at most this long to learn so.
	Lease time.Duration
}

// Service keeps Idempotency-Key records. It is safe for concurrent use.
type Service struct {
	store store.Store
	clock clock.Clock
	log   *slog.Logger
	lease time.Duration
}

// New returns a Service.
func New(o Options) *Service {
	lease := o.Lease
	if lease <= 0 {
		lease = 10 * time.Second
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: o.Store, clock: clock.Or(o.Clock), log: log, lease: lease}
}

// Request is a write sent with an Idempotency-Key.
type Request struct {
	ProjectID string
	Key       string // the header's value, quoted or not
	Method    string
	Target    string // the path and query
	AccountID string // "" when the request names none
	Body      []byte
	// Repeatable says running the request a second time cannot write twice
	// (a read, or a write the provider deduplicates), so a retry after its
	// node died runs it again instead of answering that the outcome is
	// unknown.
	Repeatable bool
}

// ParseKey checks an Idempotency-Key header value and returns the key. The
// draft makes it a structured-field string ("…"); a bare token is taken too.
func ParseKey(header string) (string, error) {
	key := header
	if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
		key = key[1 : len(key)-1]
	}
	if key == "" || len(key) > MaxKeyLength || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return "", problem.New(problem.Invalid, "Idempotency-Key: must be 1 to %d visible ASCII characters, such as a UUID", MaxKeyLength)
	}
	return key, nil
}

// Begin looks the key up. It returns a Claim when the request is to run now
// (the caller ends it with End), or the kept answer of the first request with
// the key. Otherwise a problem says why it may not run: the key came with
// another request (Reused), the first request is still running (Conflict,
// with RetryAfter), or the first stopped without an answer (Conflict).
func (s *Service) Begin(ctx context.Context, r Request) (*Claim, *store.StoredAnswer, error) {
	key, err := ParseKey(r.Key)
	if err != nil {
		return nil, nil, err
	}
	keyHash := sha256.Sum256([]byte(key))
	fp := fingerprint(r)
	now := s.clock.Now()
	c := &Claim{s: s, projectID: r.ProjectID, keyHash: keyHash[:], owner: newOwner()}
	rec, claimed, err := s.store.ClaimIdempotencyKey(ctx, store.IdempotencyRecord{
		ProjectID: r.ProjectID, KeyHash: c.keyHash, Fingerprint: fp, Request: summary(r),
		Owner: c.owner, LockedUntil: now.Add(s.lease), CreatedAt: now,
	}, now.Add(-Retention))
	if err != nil {
		return nil, nil, err
	}
	switch {
	case claimed:
		return c.hold(), nil, nil
	case !bytes.Equal(rec.Fingerprint, fp):
		return nil, nil, problem.New(problem.Reused,
			"Idempotency-Key was used in the last 24 hours with another request (%s, at %s); send a new key with a new request",
			rec.Request, rec.CreatedAt.Format(time.RFC3339))
	case rec.Done:
		return nil, &rec.Answer, nil
	case rec.LockedUntil.After(now):
		p := problem.New(problem.Conflict, "A request with this Idempotency-Key is still running; retry after the time in Retry-After to get its answer")
		p.RetryAfter = max(1, int((rec.LockedUntil.Sub(now)+time.Second-1)/time.Second))
		return nil, nil, p
	case r.Repeatable:
		// Its node stopped: running it again cannot write twice.
		ok, err := s.store.TakeOverIdempotencyKey(ctx, r.ProjectID, c.keyHash, c.owner, now, now.Add(s.lease))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return c.hold(), nil, nil
		}
		p := problem.New(problem.Conflict, "A request with this Idempotency-Key is running; retry after the time in Retry-After to get its answer")
		p.RetryAfter = 1
		return nil, nil, p
	}
	return nil, nil, problem.New(problem.Conflict,
		"The request with this Idempotency-Key (%s, at %s) stopped before it answered: it may have reached the provider, so its outcome is unknown. Check the data it changes before you retry, then retry with a new key",
		rec.Request, rec.CreatedAt.Format(time.RFC3339)).
		WithHint("Patchbay never sends a write twice blindly.")
}

// Claim is the right to run a request with its key; it renews its lock
// until End.
type Claim struct {
	s         *Service
	projectID string
	keyHash   []byte
	owner     string
	stop      chan struct{}
	stopped   chan struct{}
}

func (c *Claim) hold() *Claim {
	c.stop, c.stopped = make(chan struct{}), make(chan struct{})
	go c.renew()
	return c
}

// renew moves the lock forward every third of the lease until End.
func (c *Claim) renew() {
	defer close(c.stopped)
	tick := time.NewTicker(c.s.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.s.lease/3)
			err := c.s.store.RenewIdempotencyKey(ctx, c.projectID, c.keyHash, c.owner, c.s.clock.Now().Add(c.s.lease))
			cancel()
			if errors.Is(err, store.ErrStale) {
				return // finished elsewhere or taken over: nothing to hold
			}
			if err != nil {
				c.s.log.Warn("could not renew an idempotency key's lock", "err", err)
			}
		}
	}
}

// Abandon stops renewing the lock without an answer, as when the node
// stops: a retry after the lock ends learns that the outcome is unknown (or,
// for a repeatable request, runs it again).
func (c *Claim) Abandon() {
	close(c.stop)
	<-c.stopped
}

// End keeps the request's answer for retries with the same key, or, when
// the request was not carried out (409: it conflicted with something; 429:
// it was throttled), frees the key so the same request may be sent again.
func (c *Claim) End(ctx context.Context, a store.StoredAnswer) error {
	c.Abandon()
	var err error
	if a.Status == http.StatusConflict || a.Status == http.StatusTooManyRequests {
		err = c.s.store.ReleaseIdempotencyKey(ctx, c.projectID, c.keyHash, c.owner)
	} else {
		err = c.s.store.FinishIdempotencyKey(ctx, c.projectID, c.keyHash, c.owner, a)
	}
	if err != nil {
		return fmt.Errorf("end the request of an idempotency key: %w", err)
	}
	return nil
}

// Sweep forgets keys older than Retention.
func (s *Service) Sweep(ctx context.Context) error {
	n, err := s.store.DeleteIdempotencyKeysBefore(ctx, s.clock.Now().Add(-Retention))
	if n > 0 {
		s.log.InfoContext(ctx, "deleted old idempotency keys", "count", n)
	}
	return err
}

// fingerprint identifies a request: method, target, account and body, the
// body compared as JSON (key order and spacing do not matter) when it is.
func fingerprint(r Request) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", r.Method, r.Target, r.AccountID)
	h.Write(canonical(r.Body))
	return h.Sum(nil)
}

// canonical is body re-encoded with sorted object keys and no spacing when
// it is JSON, and body itself otherwise.
func canonical(body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// summary says what was sent, without the body.
func summary(r Request) string {
	s := r.Method + " " + r.Target
	if r.AccountID != "" {
		s += " on account " + r.AccountID
	}
	return s
}

func newOwner() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
