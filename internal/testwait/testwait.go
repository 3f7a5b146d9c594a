// Package testwait is the test suite's one way to wait for something that
// happens in the background (a delivery, a commit, a page in the browser): it
// polls an observable condition until it holds and fails the test, naming
// what it waited for, if it does not within a generous limit. Tests never
// sleep for a fixed time hoping that something has happened meanwhile.
package testwait

import (
	"testing"
	"time"
)

// Limit is how long For waits: long enough for a busy two-core machine
// running the race detector, short enough to fail a stuck test.
const Limit = 30 * time.Second

// For polls cond until it returns true; after Limit the test fails naming
// what it waited for.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Try(Limit, cond) {
		t.Fatalf("waited %s for %s", Limit, what)
	}
}

// Try polls cond, at first every few milliseconds and then less often, until
// it returns true or limit has passed, and reports whether it held.
func Try(limit time.Duration, cond func() bool) bool {
	expired := time.After(limit)
	for pause := 5 * time.Millisecond; !cond(); pause = min(2*pause, 200*time.Millisecond) {
		select {
		case <-expired:
			return cond()
		case <-time.After(pause):
		}
	}
	return true
}
