// Package requestlog records request log entries off the request path. An
// action call hands its entry over and answers at once; a background writer
// stores what has queued up in one transaction per batch, so a busy node spends
// one database write on many calls instead of one write per call.
//
// A batch the database does not take (an outage) is appended to a spill file
// on local disk and stored from there once the database answers again, so an
// outage loses no entry. What a crash (SIGKILL) can lose is what is still
// queued in memory: the entries of the last few tens of milliseconds, none of
// which a caller has read back (reading waits for them to be written).
package requestlog

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/background"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// maxQueued bounds the entries waiting to be written. When the database falls
// this far behind, Record waits for room rather than dropping entries or growing
// without bound.
const maxQueued = 4096

// maxBatch bounds the entries of one transaction.
const maxBatch = 512

// Writer stores request log entries in the background. It is safe for concurrent
// use; the zero value is not usable, call New.
type Writer struct {
	store    store.Store
	log      *slog.Logger
	spillDir string        // where refused batches wait (Options.SpillDir)
	linger   time.Duration // how long entries gather before a write
	spillMu  sync.Mutex    // one writer of spill files at a time, in this process

	mu       sync.Mutex
	queue    []store.RequestLog
	queued   uint64        // entries ever recorded
	settled  uint64        // entries written, or given up on after a failed write
	running  bool          // a drain goroutine is writing
	progress chan struct{} // closed, and replaced, whenever settled grows
	hurry    chan struct{} // ends the drain's wait for more entries (Flush)
}

// Options configure a Writer.
type Options struct {
	Store  store.Store
	Logger *slog.Logger // write failures are logged here; nil is the default logger
	// SpillDir, when set, is where batches the database refused wait for it
	// to answer again (Replay stores them); empty loses them, and says so.
	SpillDir string
	// Linger is how long entries gather before a write; zero means 20 ms.
	Linger time.Duration
}

// New returns a Writer.
func New(o Options) *Writer {
	return &Writer{store: o.Store, log: cmp.Or(o.Logger, slog.Default()), spillDir: o.SpillDir, linger: cmp.Or(o.Linger, linger),
		progress: make(chan struct{}), hurry: make(chan struct{}, 1)}
}

// Record queues l. It returns at once unless maxQueued entries are already
// waiting, in which case it waits for the writer to catch up.
func (w *Writer) Record(l store.RequestLog) {
	if l.ID == "" {
		l.ID = store.NewID("log") // fixed now, so that storing a spilled entry twice stores it once
	}
	w.mu.Lock()
	for len(w.queue) >= maxQueued {
		wait := w.progress
		w.mu.Unlock()
		<-wait
		w.mu.Lock()
	}
	w.queue = append(w.queue, l)
	w.queued++
	if !w.running {
		// The goroutine lives only while there is something to write, so an idle
		// Writer holds no resources and needs no Close.
		w.running = true
		go w.drain()
	}
	w.mu.Unlock()
}

// linger is how long a Writer lets entries gather before writing the first
// batch: at a few hundred calls a second it turns a write per call into one
// per handful (each write costs about as much CPU as the rest of a call's
// database work). A client reading its logs back does not wait for it: Flush
// ends the wait.
const linger = 20 * time.Millisecond

// drain writes batches until the queue is empty.
func (w *Writer) drain() {
	// A hurry left over from a Flush that found nothing queued ends this
	// wait early: one batch written sooner, nothing else.
	wait := time.NewTimer(w.linger)
	select {
	case <-wait.C:
	case <-w.hurry:
		wait.Stop()
	}
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxBatch)
		if n == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		batch := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()

		// The batch is written even when the request that recorded an entry has
		// since been cancelled: the entry describes what already happened.
		write := func(ctx context.Context) error { return w.store.CreateRequestLogs(ctx, batch) }
		if err := background.Guard(context.Background(), w.log, "request-log writer", write); err != nil {
			w.spill(batch, err)
		}

		w.mu.Lock()
		w.settled += uint64(n)
		close(w.progress)
		w.progress = make(chan struct{})
		w.mu.Unlock()
	}
}

// Flush waits until every entry recorded before the call has been written (or
// its write has failed and been logged), or until ctx ends.
func (w *Writer) Flush(ctx context.Context) error {
	select {
	case w.hurry <- struct{}{}:
	default: // already hurried
	}
	w.mu.Lock()
	target := w.queued
	for w.settled < target {
		wait := w.progress
		w.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
	}
	w.mu.Unlock()
	return nil
}

// List returns the project's entries matching f, newest first, once the
// entries this node recorded before the call are written, so that a caller
// reads its own calls back. (Other nodes' entries show up as soon as their
// writers get to them, a moment later.) A caller that goes away before the
// wait ends gets what is written so far.
func (w *Writer) List(ctx context.Context, projectID string, f store.LogFilter) ([]store.RequestLog, error) {
	w.settle(ctx)
	return w.store.ListRequestLogs(ctx, projectID, f)
}

// Stats counts the project's calls per hour since since, per provider or
// per account, once this node's entries are written, as List does.
func (w *Writer) Stats(ctx context.Context, projectID string, since time.Time, byAccount bool) ([]store.LogBucket, error) {
	w.settle(ctx)
	return w.store.LogStats(ctx, projectID, since, byAccount)
}

// Get returns one entry by its id or its request id, as List waits for it.
func (w *Writer) Get(ctx context.Context, projectID, id string) (store.RequestLog, error) {
	w.settle(ctx)
	l, err := w.store.GetRequestLog(ctx, projectID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.RequestLog{}, problem.New(problem.NotFound, "No request log %s in this project", id)
	}
	return l, err
}

func (w *Writer) settle(ctx context.Context) {
	if err := w.Flush(ctx); err != nil {
		w.log.DebugContext(ctx, "the reader went away before the request logs were written", "err", err)
	}
}

// spill appends a batch the database refused to a file in the spill directory.
func (w *Writer) spill(batch []store.RequestLog, cause error) {
	if w.spillDir == "" {
		w.log.Error("write request logs: entries lost", "entries", len(batch), "err", cause)
		return
	}
	w.spillMu.Lock()
	defer w.spillMu.Unlock()
	if err := appendSpill(w.spillDir, batch); err != nil {
		w.log.Error("write request logs: the database and the spill file both failed; entries lost", "entries", len(batch), "err", cause, "spill_err", err)
		return
	}
	w.log.Warn("write request logs: the database refused a batch; kept on disk until it is back", "entries", len(batch), "err", cause)
}

// spillFile is where this process appends; files of earlier processes are
// replayed too.
func spillFile(dir string) string {
	return filepath.Join(dir, fmt.Sprintf("spill-%d.jsonl", os.Getpid()))
}

func appendSpill(dir string, batch []store.RequestLog) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(spillFile(dir), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, l := range batch {
		if err := enc.Encode(l); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Replay stores the spilled entries, file by file, removing each file once
// the database has taken all of it. Entries keep their ids, so one stored
// before a crash is not stored twice. It stops at the first failure; call it
// again later.
func (w *Writer) Replay(ctx context.Context) error {
	if w.spillDir == "" {
		return nil
	}
	w.spillMu.Lock()
	defer w.spillMu.Unlock()
	files, err := filepath.Glob(filepath.Join(w.spillDir, "spill-*.jsonl"))
	if err != nil {
		return err
	}
	for _, name := range files {
		entries, err := readSpill(name)
		if err != nil {
			return fmt.Errorf("replay %s: %w", name, err)
		}
		for batch := range slices.Chunk(entries, maxBatch) {
			if err := w.store.CreateRequestLogs(ctx, batch); err != nil {
				return fmt.Errorf("replay %s: %w", name, err)
			}
		}
		if err := os.Remove(name); err != nil {
			return fmt.Errorf("replay %s: %w", name, err)
		}
		w.log.InfoContext(ctx, "stored spilled request logs", "entries", len(entries))
	}
	return nil
}

// readSpill reads a spill file; a last line cut short by a crash is skipped.
func readSpill(name string) ([]store.RequestLog, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []store.RequestLog
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l store.RequestLog
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		out = append(out, l)
	}
	return out, sc.Err()
}
