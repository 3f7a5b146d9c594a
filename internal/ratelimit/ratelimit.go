// Package ratelimit keeps request rates under sliding-window limits: the
// simulators use it to refuse like a provider would, and Patchbay uses it to wait
// before sending a request the provider would refuse.
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
	seen    map[string][]time.Time // request times per key, newest last
	sweepAt int                    // keys that trigger the next sweep of idle ones
}

// minSweep is the fewest keys that make a sweep of idle keys worth it.
const minSweep = 1024

// New enforces every limit at once.
func New(limits ...Limit) *Limiter {
	rl := &Limiter{limits: limits, now: clock.System.Now, seen: map[string][]time.Time{}, sweepAt: minSweep}
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

// sweepLocked forgets keys with no request in the longest window, once their
// number has doubled since the last sweep: keys such as client addresses
// come and go, and must not pile up.
func (rl *Limiter) sweepLocked(now time.Time) {
	if len(rl.seen) < rl.sweepAt {
		return
	}
	for key, times := range rl.seen {
		if len(times) == 0 || now.Sub(times[len(times)-1]) >= rl.longest {
			delete(rl.seen, key)
		}
	}
	rl.sweepAt = max(2*len(rl.seen), minSweep)
}

// Allow records a request for key, or reports how long until one is allowed.
func (rl *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	rl.sweepLocked(now)
	longest := rl.longest
	times := rl.seen[key]
	// Drop what has left the longest window.
	cut := 0
	for cut < len(times) && now.Sub(times[cut]) >= longest {
		cut++
	}
	times = times[cut:]
	for _, l := range rl.limits {
		inWindow := 0
		oldest := now
		for i := len(times) - 1; i >= 0 && now.Sub(times[i]) < l.Window; i-- {
			inWindow++
			oldest = times[i]
		}
		if inWindow >= l.Requests {
			retryAfter = max(retryAfter, l.Window-now.Sub(oldest))
		}
	}
	if retryAfter > 0 {
		rl.seen[key] = times
		return false, retryAfter
	}
	rl.seen[key] = append(times, now)
	return true, 0
}

// RetryAfterHeader renders a wait as whole seconds, at least 1.
func RetryAfterHeader(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(secs, 1))
}

// Wait blocks until a request for key is allowed, then records it. It gives up
// with an error when ctx ends first.
func (rl *Limiter) Wait(ctx context.Context, key string) error {
	for {
		ok, wait := rl.Allow(key)
		if ok {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Move hands key from's recent requests over to key to, for when one grant
// changes the key it is known by.
func (rl *Limiter) Move(from, to string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	moved := rl.seen[from]
	if len(moved) == 0 {
		return
	}
	delete(rl.seen, from)
	merged := append(rl.seen[to], moved...)
	slices.SortFunc(merged, func(a, b time.Time) int { return a.Compare(b) })
	rl.seen[to] = merged
}
