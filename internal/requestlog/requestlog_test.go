package requestlog_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

func entry(projectID string, i int) store.RequestLog {
	now := time.Now()
	return store.RequestLog{ProjectID: projectID, RequestID: fmt.Sprintf("req-%d", i), AccountID: "acc", Provider: "justworks",
		Action: "justworks_list_members", HTTPMethod: "GET", Path: "/v1/members", Status: 200, Success: true, StartTime: now, EndTime: now}
}

// After Flush, every entry recorded before it is stored, exactly once, however
// many callers recorded at the same time (more than one batch's worth). Flush
// does not wait for entries to gather: with an hour's linger it still returns
// (the context's minute is only there to fail rather than hang).
func TestFlushSeesEveryRecordedEntry(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		p, err := s.CreateProject(ctx, store.Project{Name: "logs"})
		if err != nil {
			t.Fatal(err)
		}
		w := requestlog.New(requestlog.Options{Store: s, Linger: time.Hour})
		const callers, each = 20, 150
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range each {
					w.Record(entry(p.ID, c*each+i))
				}
			})
		}
		wg.Wait()
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		f := store.LogFilter{Limit: 1000}
		for {
			page, err := s.ListRequestLogs(ctx, p.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page {
				if seen[l.RequestID] {
					t.Fatalf("%s stored twice", l.RequestID)
				}
				seen[l.RequestID] = true
			}
			if len(page) < f.Limit {
				break
			}
			f.AfterTime, f.AfterID = page[len(page)-1].StartTime, page[len(page)-1].ID
		}
		if len(seen) != callers*each {
			t.Fatalf("%d entries stored, want %d", len(seen), callers*each)
		}
		// An idle writer flushes at once.
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A batch the database refuses is reported in the log, and Flush still returns.
func TestFailedWritesAreLoggedNotHung(t *testing.T) {
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	var out bytes.Buffer
	var mu sync.Mutex
	w := requestlog.New(requestlog.Options{Store: s, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &out, mu: &mu}, nil))})
	w.Record(entry("prj_that_does_not_exist", 1)) // the foreign key refuses it
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(out.String(), "write request logs: entries lost") || !strings.Contains(out.String(), "entries=1") {
		t.Fatalf("the failed write was not reported: %q", out.String())
	}
}

// Flush gives up when its context ends.
func TestFlushHonoursItsContext(t *testing.T) {
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	p, err := s.CreateProject(context.Background(), store.Project{Name: "logs"})
	if err != nil {
		t.Fatal(err)
	}
	w := requestlog.New(requestlog.Options{Store: s, Logger: slog.Default()})
	// Hold SQLite's write lock so the writer cannot finish.
	tx, err := s.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`DELETE FROM request_logs WHERE id = 'none'`); err != nil {
		t.Fatal(err)
	}
	w.Record(entry(p.ID, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Flush(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Flush with the database locked: %v, want the deadline", err)
	}
	tx.Rollback()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListRequestLogs(context.Background(), p.ID, store.LogFilter{}); len(got) != 1 {
		t.Fatalf("%d entries after the lock was released, want 1", len(got))
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Finding 9: a PostgreSQL outage loses no entry. Batches the database refuses
// go to a spill file; once it is back, Replay stores them, each once, even
// when a second writer (the next process) replays the same files.
func TestEntriesSurviveADatabaseOutage(t *testing.T) {
	pg := pgtest.StartPrivate(t)
	s := backendtest.OpenURL(t, pg.URL, backendtest.TestKeys(t))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "logs"})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	spill := t.TempDir()
	w := requestlog.New(requestlog.Options{Store: s, Logger: slog.New(slog.NewTextHandler(&logged, nil)), SpillDir: spill})
	for i := range 10 {
		w.Record(entry(p.ID, i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	pg.Stop(t)
	for i := 10; i < 110; i++ {
		w.Record(entry(p.ID, i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Replay(ctx); err == nil {
		t.Fatal("Replay claimed success while the database was down")
	}
	pg.Start(t)
	// A second writer on the same directory (the next process) replays too.
	other := requestlog.New(requestlog.Options{Store: s, SpillDir: spill})
	for _, r := range []*requestlog.Writer{w, other} {
		if err := r.Replay(ctx); err != nil {
			t.Fatalf("replay after the outage: %v", err)
		}
	}
	got, err := s.ListRequestLogs(ctx, p.ID, store.LogFilter{Limit: 1000})
	if err != nil || len(got) != 110 {
		t.Fatalf("%d entries stored (%v), want all 110\n%s", len(got), err, logged.String())
	}
	if strings.Contains(logged.String(), "entries lost") {
		t.Fatalf("the writer says it lost entries:\n%s", logged.String())
	}
}
