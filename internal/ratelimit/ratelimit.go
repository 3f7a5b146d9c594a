package ratelimit

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
)

// Limit is one window of a rate limit: at most Requests per Window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Limiter enforces sliding-window limits per key (for example per grant).
type Limiter struct {
	limits  []Limit
	longest time.Duration
	now     func() time.Time
	mu      sync.Mutex
	seen    map[string]*history
	sweepAt int // keys that trigger the next sweep of idle ones
}

// history is what one key has sent: the times its finished requests count
// from, and how many are still on their way.
type history struct {
	times    []time.Time // newest last
	inFlight int
	waiting  int      // Take calls waiting for a place: background requests let them go first
	into     *history // where Move merged this history, for requests still in flight
}

// minSweep is the fewest keys that make a sweep of idle keys worth it.
const minSweep = 1024

// New enforces every limit at once.
func New(limits ...Limit) *Limiter {
	rl := &Limiter{limits: limits, now: clock.System.Now, seen: map[string]*history{}, sweepAt: minSweep}
	for _, l := range limits {
		rl.longest = max(rl.longest, l.Window)
	}
	return rl
}

// WithClock makes the limiter tell the time by c (tests move it).
func (rl *Limiter) WithClock(c clock.Clock) *Limiter {
	rl.now = c.Now
	return rl
}

// Keys counts the keys the limiter remembers.
func (rl *Limiter) Keys() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.seen)
}

// sweepLocked forgets keys with no request in flight or in the longest window,
// once their number has doubled since the last sweep: keys such as client
// addresses come and go, and must not pile up.
func (rl *Limiter) sweepLocked(now time.Time) {
	if len(rl.seen) < rl.sweepAt {
		return
	}
	for key, h := range rl.seen {
		if h.inFlight == 0 && (len(h.times) == 0 || now.Sub(h.times[len(h.times)-1]) >= rl.longest) {
			delete(rl.seen, key)
		}
	}
	rl.sweepAt = max(2*len(rl.seen), minSweep)
}

// checkLocked drops what has left the longest window from key's history and
// reports how long until one more request fits every limit (0: now).
func (rl *Limiter) checkLocked(key string, now time.Time) (*history, time.Duration) {
	return rl.fitLocked(key, now, false)
}

// fitLocked is checkLocked for a live request, or for background work,
// which leaves a fifth of every limit (at least one place, never the last)
// free.
func (rl *Limiter) fitLocked(key string, now time.Time, background bool) (*history, time.Duration) {
	rl.sweepLocked(now)
	h := rl.seen[key]
	if h == nil {
		h = &history{}
		rl.seen[key] = h
	}
	cut := 0
	for cut < len(h.times) && now.Sub(h.times[cut]) >= rl.longest {
		cut++
	}
	h.times = h.times[cut:]
	var wait time.Duration
	for _, l := range rl.limits {
		inWindow := h.inFlight
		oldest := time.Time{}
		for i := len(h.times) - 1; i >= 0 && now.Sub(h.times[i]) < l.Window; i-- {
			inWindow++
			oldest = h.times[i]
		}
		room := l.Requests
		if background {
			room = max(room-max(room/5, 1), 1)
		}
		if inWindow < room {
			continue
		}
		if oldest.IsZero() {
			// Only requests in flight fill the window: none frees a place
			// sooner than a window after it ends.
			wait = max(wait, l.Window)
		} else {
			wait = max(wait, l.Window-now.Sub(oldest))
		}
	}
	return h, wait
}

// Allow records a request for key as it arrives, or reports how long until one
// is allowed. It is the provider's side of a limit.
func (rl *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	h, wait := rl.checkLocked(key, now)
	if wait > 0 {
		return false, wait
	}
	h.times = append(h.times, now)
	return true, 0
}

// RetryAfterHeader renders a wait as whole seconds, at least 1.
func RetryAfterHeader(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(secs, 1))
}

// Take is the sender's side of a limit: it blocks until a request for key
// fits, and counts it as in flight until done is called when its answer
// arrives. A request then counts from the time of its answer, not of its
// sending: the provider counted it on arrival, somewhere between the two, so
// however long the request was on its way, the provider never sees more than
// the limit in any window. Take gives up with an error when ctx ends first.
func (rl *Limiter) Take(ctx context.Context, key string) (done func(), err error) {
	var waiting *history
	defer func() {
		if waiting != nil {
			rl.mu.Lock()
			waiting.waiting--
			rl.mu.Unlock()
		}
	}()
	for {
		rl.mu.Lock()
		h, wait := rl.checkLocked(key, rl.now())
		if wait == 0 {
			h.inFlight++
			rl.mu.Unlock()
			return sync.OnceFunc(func() { rl.finish(h) }), nil
		}
		if waiting == nil {
			waiting = h
			h.waiting++
		}
		rl.mu.Unlock()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// backgroundPoll is how often background work looks again while live
// requests wait.
const backgroundPoll = 10 * time.Millisecond

// TakeBackground is Take for work nobody waits on (a sync run): it leaves a
// fifth of every limit (at least one place) to Take's requests, and never
// goes while one of them waits, so a live request waits behind at most the
// background request already on its way.
func (rl *Limiter) TakeBackground(ctx context.Context, key string) (done func(), err error) {
	for {
		rl.mu.Lock()
		wait := backgroundPoll
		h := rl.seen[key]
		if h == nil || h.waiting == 0 {
			h, wait = rl.fitLocked(key, rl.now(), true)
			if wait == 0 {
				h.inFlight++
				rl.mu.Unlock()
				return sync.OnceFunc(func() { rl.finish(h) }), nil
			}
		}
		rl.mu.Unlock()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// finish records the end of a request Take let through.
func (rl *Limiter) finish(h *history) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for h.into != nil {
		h = h.into
	}
	h.inFlight--
	now := rl.now()
	// Answers can end out of order by a hair; keep the times sorted.
	i := len(h.times)
	for i > 0 && h.times[i-1].After(now) {
		i--
	}
	h.times = slices.Insert(h.times, i, now)
}

// Move hands key from's recent requests over to key to, for when one grant
// changes the key it is known by.
func (rl *Limiter) Move(from, to string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	moved := rl.seen[from]
	if moved == nil {
		return
	}
	delete(rl.seen, from)
	h := rl.seen[to]
	if h == nil {
		rl.seen[to] = moved
		return
	}
	h.times = append(h.times, moved.times...)
	slices.SortFunc(h.times, func(a, b time.Time) int { return a.Compare(b) })
	h.inFlight += moved.inFlight
	moved.into = h
}
