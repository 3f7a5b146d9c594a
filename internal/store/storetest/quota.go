package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

func testKeyQuota(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	minute := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		key             string
		window          time.Time
		want, got, used int
	}{
		{"key_a", minute, 4, 4, 4},
		{"key_a", minute, 4, 4, 8},
		{"key_a", minute, 4, 2, 10}, // the limit of 10 leaves 2
		{"key_a", minute, 4, 0, 10},
		{"key_b", minute, 4, 4, 4},                  // keys are counted apart
		{"key_a", minute.Add(time.Minute), 4, 4, 4}, // and minutes
	} {
		got, err := s.TakeKeyQuota(ctx, tc.key, tc.window, tc.want, 10)
		if err != nil || got.Granted != tc.got || got.Used != tc.used {
			t.Fatalf("%s at %s, want %d: %+v (%v), want %d granted, %d used", tc.key, tc.window.Format("15:04"), tc.want, got, err, tc.got, tc.used)
		}
	}
	n, err := s.DeleteKeyQuotaBefore(ctx, minute.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("deleted %d minutes (%v), want 2", n, err)
	}
	if got, _ := s.TakeKeyQuota(ctx, "key_a", minute, 4, 10); got.Granted != 4 {
		t.Fatalf("a deleted minute starts again: granted %d, want 4", got.Granted)
	}
}

// Several nodes taking quota for one key at once never get more than the limit
// between them.
func testKeyQuotaConcurrentNodes(t *testing.T, db Database) {
	nodes := []interface {
		TakeKeyQuota(context.Context, string, time.Time, int, int) (store.QuotaLease, error)
	}{openDefault(t, db), openDefault(t, db)}
	minute := clock.System.Now().Truncate(time.Minute)
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			got, err := nodes[i%2].TakeKeyQuota(context.Background(), "key_busy", minute, 3, 50)
			if err != nil {
				t.Error(err)
			}
			granted.Add(int64(got.Granted))
		})
	}
	wg.Wait()
	if granted.Load() != 50 {
		t.Fatalf("granted %d in all, want exactly the limit of 50", granted.Load())
	}
}
