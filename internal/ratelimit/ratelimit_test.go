package ratelimit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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

func TestTakeHoldsBackUntilAllowed(t *testing.T) {
	rl := ratelimit.New(ratelimit.Limit{Requests: 2, Window: 200 * time.Millisecond})
	start := time.Now()
	for range 5 {
		done, err := rl.Take(context.Background(), "k")
		if err != nil {
			t.Fatal(err)
		}
		done()
	}
	// 5 requests at 2 per 200 ms need at least two full windows.
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Fatalf("5 requests passed in %s", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 2 {
		if _, err := rl.Take(context.Background(), "busy"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rl.Take(ctx, "busy"); err == nil {
		t.Fatal("Take ignored a cancelled context, or a third request fitted two in flight")
	}
}

// TestTakeNeverOverrunsTheProvider: requests that spend a random time on their
// way (0 to 400 ms, as on a busy machine) are sent as fast as Take lets them;
// the provider, counting each on arrival with the same limits, never refuses
// one, and the sender still uses most of the budget. Counting a request from
// its sending instead of its answer fails this within a few windows.
func TestTakeNeverOverrunsTheProvider(t *testing.T) {
	clk := clock.NewManual(time.Unix(1_800_000_000, 0))
	limits := []ratelimit.Limit{{Requests: 20, Window: time.Second}, {Requests: 100, Window: time.Minute}}
	sender := ratelimit.New(limits...).WithClock(clk)
	provider := ratelimit.New(limits...).WithClock(clk)
	try, cancel := context.WithCancel(context.Background())
	cancel() // Take with an ended context answers at once: a place now, or an error
	type request struct {
		arrives time.Time
		done    func()
	}
	var inFlight []request
	rnd := rand.New(rand.NewPCG(1, 2))
	sent := 0
	const step = 10 * time.Millisecond
	for range int(3 * time.Minute / step) {
		for {
			done, err := sender.Take(try, "grant")
			if err != nil {
				break
			}
			sent++
			inFlight = append(inFlight, request{clk.Now().Add(time.Duration(rnd.Int64N(int64(400 * time.Millisecond)))), done})
		}
		clk.Advance(step)
		kept := inFlight[:0]
		for _, r := range inFlight {
			if r.arrives.After(clk.Now()) {
				kept = append(kept, r)
				continue
			}
			if ok, _ := provider.Allow("grant"); !ok {
				t.Fatalf("the provider refused request %d", sent)
			}
			r.done() // answered as it arrives; the answer comes back with the next step
		}
		inFlight = kept
	}
	// 100 a minute over three minutes: at most 300 fit; in-flight time costs a few.
	if sent < 250 {
		t.Fatalf("%d requests in three minutes; the budget allows 300", sent)
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

// A request in flight when its grant changes key (an attempt becoming an
// account) still counts, and ends, under the new key.
func TestMoveCarriesRequestsInFlight(t *testing.T) {
	clk := clock.NewManual(time.Now())
	rl := ratelimit.New(ratelimit.Limit{Requests: 2, Window: time.Second}).WithClock(clk)
	try, cancel := context.WithCancel(context.Background())
	cancel()
	done, err := rl.Take(try, "attempt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rl.Take(try, "account"); err != nil {
		t.Fatal(err)
	}
	rl.Move("attempt", "account")
	if _, err := rl.Take(try, "account"); err == nil {
		t.Fatal("a third request fitted while two were in flight under the account")
	}
	done()
	clk.Advance(time.Second)
	if _, err := rl.Take(try, "account"); err != nil {
		t.Fatal("the moved request ended a window ago, yet its place is still taken")
	}
	if _, err := rl.Take(try, "account"); err == nil {
		t.Fatal("two requests in flight under the account, yet a third fitted")
	}
	if rl.Keys() != 1 {
		t.Fatalf("%d keys after the move", rl.Keys())
	}
}

// TestLiveRequestsGoFirst: background work leaves a fifth of the limit to
// live requests, and never takes a place while a live request waits.
func TestLiveRequestsGoFirst(t *testing.T) {
	rl := ratelimit.New(ratelimit.Limit{Requests: 10, Window: 300 * time.Millisecond})
	for i := range 9 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		done, err := rl.TakeBackground(ctx, "k")
		cancel()
		if i < 8 && err != nil {
			t.Fatalf("background request %d of 8 waited: %v", i+1, err)
		}
		if i == 8 && err == nil {
			t.Fatal("background work took a ninth place of ten: nothing left for live requests")
		}
		if err == nil {
			done()
		}
	}
	for range 2 {
		done, err := rl.Take(context.Background(), "k")
		if err != nil {
			t.Fatal(err)
		}
		done()
	}
	// The window is full. A live request and background work both wait for
	// it; the live one goes first, however the two wake.
	order := make(chan string, 2)
	take := func(name string, fn func(context.Context, string) (func(), error)) {
		done, err := fn(context.Background(), "k")
		if err != nil {
			t.Error(err)
			return
		}
		order <- name
		done()
	}
	go take("live", rl.Take)
	go take("background", rl.TakeBackground)
	if first, second := <-order, <-order; first != "live" || second != "background" {
		t.Fatalf("went %s then %s", first, second)
	}
}
