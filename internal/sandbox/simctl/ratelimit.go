package simctl

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/ratelimit"
)

// RateLimit limits requests per key(r); requests with an empty key pass. deny
// writes the provider's 429 body.
func RateLimit(rl *ratelimit.Limiter, key func(*http.Request) string, stats *Stats, deny func(http.ResponseWriter), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := key(r)
		if k == "" {
			next.ServeHTTP(w, r)
			return
		}
		if ok, wait := rl.Allow(k); !ok {
			stats.Inc("rate_limited")
			w.Header().Set("Retry-After", ratelimit.RetryAfterHeader(wait))
			deny(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}
