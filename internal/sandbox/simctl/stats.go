// Package simctl holds the sandbox's test controls: request counters, fault
// injection and rate limiting. They are not part of any provider's API; tests and
// developers reach them under /_sim/.
package simctl

import (
	"maps"
	"sync"
)

// Stats counts events by name, e.g. "token.refresh_token" or "api.GET /v1/members".
type Stats struct {
	mu     sync.Mutex
	counts map[string]int64
}

// NewStats returns empty counters.
func NewStats() *Stats { return &Stats{counts: map[string]int64{}} }

// Inc adds one to the named counter.
func (s *Stats) Inc(name string) {
	s.mu.Lock()
	s.counts[name]++
	s.mu.Unlock()
}

// Get returns one counter.
func (s *Stats) Get(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// Snapshot returns a copy of every counter.
func (s *Stats) Snapshot() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Reset sets every counter back to zero.
func (s *Stats) Reset() {
	s.mu.Lock()
	s.counts = map[string]int64{}
	s.mu.Unlock()
}
