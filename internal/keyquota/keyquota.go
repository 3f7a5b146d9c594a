// Package keyquota enforces the per-API-key request limit (the reference's
// 1000 requests per minute) across every node that shares the database. A node
// takes the minute's allowance from the store in leases of a twentieth of the
// limit and spends them locally, so the request path touches the database
// about once per lease rather than once per request. The count never goes past
// the limit; leases a node has not spent when the minute ends are lost, so the
// cluster may refuse a little before the limit is reached, never after.
package keyquota

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Quota counts the requests of each API key per clock minute. It is safe for
// concurrent use.
type Quota struct {
	store store.Store
	clock clock.Clock
	limit int
	lease int

	mu   sync.Mutex
	keys map[string]*keyLease
}

// keyLease is what this node may still allow one key in the current minute.
type keyLease struct {
	mu     sync.Mutex
	window time.Time
	left   int
	used   int  // the minute's count over every node at the last lease
	spent  bool // the store granted nothing more this minute
}

// Decision is the quota's answer for one request: whether it may go ahead,
// and what the key has left, for the RateLimit headers.
type Decision struct {
	Allowed bool
	// Remaining is what the key has left this minute after this request, as
	// this node knows it: exact on one node; with several, requests other
	// nodes allowed since this node's last lease are not yet counted.
	Remaining int
	// Reset is the time until the next minute's allowance.
	Reset time.Duration
}

// Options configure a Quota.
type Options struct {
	Store store.Store
	// Limit is the requests one key may make per clock minute; zero means 1000.
	Limit int
	Clock clock.Clock // nil is the system clock
}

// New returns a Quota.
func New(o Options) *Quota {
	limit := cmp.Or(o.Limit, 1000)
	return &Quota{store: o.Store, clock: clock.Or(o.Clock), limit: limit, lease: max(1, limit/20), keys: map[string]*keyLease{}}
}

// Limit is the requests a key may make per clock minute.
func (q *Quota) Limit() int { return q.limit }

// Allow decides whether key keyID may make one more request now, counting it
// when it may.
func (q *Quota) Allow(ctx context.Context, keyID string) (Decision, error) {
	q.mu.Lock()
	l, ok := q.keys[keyID]
	if !ok {
		l = &keyLease{}
		q.keys[keyID] = l
	}
	q.mu.Unlock()

	l.mu.Lock()
	defer l.mu.Unlock()
	now := q.clock.Now()
	window := now.Truncate(time.Minute)
	if !l.window.Equal(window) {
		l.window, l.left, l.used, l.spent = window, 0, 0, false
	}
	if l.left == 0 && !l.spent {
		lease, err := q.store.TakeKeyQuota(ctx, keyID, window, q.lease, q.limit)
		if err != nil {
			return Decision{}, err
		}
		l.left, l.used, l.spent = lease.Granted, lease.Used, lease.Granted == 0
	}
	d := Decision{Allowed: l.left > 0, Reset: window.Add(time.Minute).Sub(now)}
	if d.Allowed {
		l.left--
	}
	// What this node holds unspent is still the key's; the rest of the
	// minute's count is spent.
	d.Remaining = q.limit - l.used + l.left
	return d, nil
}
