package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

func testIdempotencyKeys(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, q := mustProject(t, s, "A"), mustProject(t, s, "B")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	key := []byte("key-hash-1")
	rec := func(project, owner string, at time.Time) store.IdempotencyRecord {
		return store.IdempotencyRecord{ProjectID: project, KeyHash: key, Fingerprint: []byte("fp"), Request: "POST /actions/rpc",
			Owner: owner, LockedUntil: at.Add(10 * time.Second), CreatedAt: at}
	}
	day := now.Add(-24 * time.Hour)

	first, claimed, err := s.ClaimIdempotencyKey(ctx, rec(p.ID, "o1", now), day)
	if err != nil || !claimed || first.ID == "" {
		t.Fatalf("first claim: %+v %v %v", first, claimed, err)
	}
	got, claimed, err := s.ClaimIdempotencyKey(ctx, rec(p.ID, "o2", now), day)
	if err != nil || claimed || got.Owner != "o1" || got.Done || got.Request != "POST /actions/rpc" || !bytes.Equal(got.Fingerprint, []byte("fp")) {
		t.Fatalf("second claim of the key: %+v %v %v, want the first's record", got, claimed, err)
	}
	if _, claimed, _ := s.ClaimIdempotencyKey(ctx, rec(q.ID, "o3", now), day); !claimed {
		t.Fatal("another project's same key is not its own")
	}

	if err := s.RenewIdempotencyKey(ctx, p.ID, key, "o2", now.Add(time.Minute)); !errors.Is(err, store.ErrStale) {
		t.Fatalf("a stranger renewed the lock: %v", err)
	}
	if err := s.RenewIdempotencyKey(ctx, p.ID, key, "o1", now.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.TakeOverIdempotencyKey(ctx, p.ID, key, "o2", now.Add(15*time.Second), now.Add(time.Minute)); ok || err != nil {
		t.Fatalf("taken over while locked: %v %v", ok, err)
	}
	if ok, err := s.TakeOverIdempotencyKey(ctx, p.ID, key, "o2", now.Add(21*time.Second), now.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("not taken over after the lock: %v %v", ok, err)
	}
	answer := store.StoredAnswer{Status: 201, Header: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"key":"secret-value"}`)}
	if err := s.FinishIdempotencyKey(ctx, p.ID, key, "o1", answer); !errors.Is(err, store.ErrStale) {
		t.Fatalf("the owner that lost the record finished it: %v", err)
	}
	if err := s.FinishIdempotencyKey(ctx, p.ID, key, "o2", answer); err != nil {
		t.Fatal(err)
	}
	got, claimed, err = s.ClaimIdempotencyKey(ctx, rec(p.ID, "o4", now.Add(time.Hour)), day)
	if err != nil || claimed || !got.Done || got.Answer.Status != 201 || string(got.Answer.Body) != `{"key":"secret-value"}` || got.Answer.Header["Content-Type"] != "application/json" {
		t.Fatalf("the kept answer: %+v %v %v", got, claimed, err)
	}
	if ok, _ := s.TakeOverIdempotencyKey(ctx, p.ID, key, "o5", now.Add(time.Hour), now.Add(2*time.Hour)); ok {
		t.Fatal("a finished record was taken over")
	}
	if err := s.ReleaseIdempotencyKey(ctx, p.ID, key, "o2"); !errors.Is(err, store.ErrStale) {
		t.Fatalf("a finished record was released: %v", err)
	}
	// A day later the key is new again.
	later := now.Add(25 * time.Hour)
	if _, claimed, err := s.ClaimIdempotencyKey(ctx, rec(p.ID, "o6", later), later.Add(-24*time.Hour)); !claimed || err != nil {
		t.Fatalf("a key older than a day was not replaced: %v %v", claimed, err)
	}
	if err := s.ReleaseIdempotencyKey(ctx, p.ID, key, "o6"); err != nil {
		t.Fatal(err)
	}
	if _, claimed, _ := s.ClaimIdempotencyKey(ctx, rec(p.ID, "o7", later), later.Add(-24*time.Hour)); !claimed {
		t.Fatal("a released key cannot be claimed again")
	}
	if n, err := s.DeleteIdempotencyKeysBefore(ctx, later); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want project B's record of the first day", n, err)
	}
}

// Many requests with one key on two nodes at once: exactly one holds it.
func testIdempotencyKeyConcurrentClaims(t *testing.T, db Database) {
	nodes := []store.Store{openDefault(t, db), openDefault(t, db)}
	p := mustProject(t, nodes[0], "A")
	now := clock.System.Now().UTC()
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, ok, err := nodes[i%2].ClaimIdempotencyKey(context.Background(), store.IdempotencyRecord{ProjectID: p.ID, KeyHash: []byte("k"),
				Fingerprint: []byte("fp"), Request: "r", Owner: "o", LockedUntil: now.Add(time.Minute), CreatedAt: now}, now.Add(-time.Hour))
			if err != nil {
				t.Error(err)
			}
			if ok {
				claimed.Add(1)
			}
		})
	}
	wg.Wait()
	if claimed.Load() != 1 {
		t.Fatalf("%d claims held the key, want 1", claimed.Load())
	}
}
