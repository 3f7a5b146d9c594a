package simctl

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limit is one window of a rate limit: at most Requests per Window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// RateLimiter enforces sliding-window limits per key (for example per grant).
type RateLimiter struct {
	limits []Limit
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string][]time.Time // request times per key, newest last
}

// NewRateLimiter enforces every limit at once.
func NewRateLimiter(limits ...Limit) *RateLimiter {
	return &RateLimiter{limits: limits, now: time.Now, seen: map[string][]time.Time{}}
}

// Allow records a request for key, or reports how long until one is allowed.
func (rl *RateLimiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	longest := time.Duration(0)
	for _, l := range rl.limits {
		longest = max(longest, l.Window)
	}
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

// Middleware limits requests per key(r); requests with an empty key pass. deny
// writes the provider's 429 body.
func (rl *RateLimiter) Middleware(key func(*http.Request) string, stats *Stats, deny func(http.ResponseWriter), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := key(r)
		if k == "" {
			next.ServeHTTP(w, r)
			return
		}
		if ok, wait := rl.Allow(k); !ok {
			stats.Inc("rate_limited")
			w.Header().Set("Retry-After", RetryAfterHeader(wait))
			deny(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}
