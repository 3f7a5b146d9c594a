package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
)

func TestRateLimiterWindows(t *testing.T) {
	rl := ratelimit.New(ratelimit.Limit{Requests: 20, Window: time.Second}, ratelimit.Limit{Requests: 100, Window: time.Minute})
	allowed := 0
	var wait time.Duration
	for range 25 {
		ok, w := rl.Allow("grant")
		if ok {
			allowed++
		} else {
			wait = w
		}
	}
	if allowed != 20 || wait <= 0 || wait > time.Second {
		t.Fatalf("allowed %d in one second (wait %s), want 20", allowed, wait)
	}
	if ok, _ := rl.Allow("other grant"); !ok {
		t.Fatal("limits are per key")
	}
	if got := ratelimit.RetryAfterHeader(300 * time.Millisecond); got != "1" {
		t.Fatalf("Retry-After %s", got)
	}
}

func TestWaitHoldsBackUntilAllowed(t *testing.T) {
	rl := ratelimit.New(ratelimit.Limit{Requests: 2, Window: 200 * time.Millisecond})
	start := time.Now()
	for range 5 {
		if err := rl.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests at 2 per 200 ms need at least two full windows.
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Fatalf("5 requests passed in %s", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rl.Wait(context.Background(), "busy")
	rl.Wait(context.Background(), "busy")
	if err := rl.Wait(ctx, "busy"); err == nil {
		t.Fatal("Wait ignored a cancelled context")
	}
}

// Keys that stop sending (client addresses, grants long gone) are forgotten,
// so the limiter's memory follows the active keys, not every key ever seen.
func TestIdleKeysAreForgotten(t *testing.T) {
	clk := clock.NewManual(time.Now())
	rl := ratelimit.New(ratelimit.Limit{Requests: 10, Window: time.Minute}).WithClock(clk)
	for i := range 5000 {
		rl.Allow(fmt.Sprintf("203.0.113.%d", i))
	}
	clk.Advance(2 * time.Minute)
	for i := range 100 {
		rl.Allow(fmt.Sprintf("198.51.100.%d", i))
	}
	rl.Allow("trigger")
	for i := range 5000 {
		rl.Allow(fmt.Sprintf("192.0.2.%d", i))
	}
	if n := rl.Keys(); n > 6000 {
		t.Fatalf("%d keys remembered; the 5,000 idle ones were never forgotten", n)
	}
}
