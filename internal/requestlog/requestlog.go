// Package requestlog records request log entries off the request path. An
// action call hands its entry over and answers at once; a background writer
// stores what has queued up in one transaction per batch, so a busy node spends
// one database write on many calls instead of one write per call.
package requestlog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/background"
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
	store store.Store
	log   *slog.Logger

	mu       sync.Mutex
	queue    []store.RequestLog
	queued   uint64        // entries ever recorded
	settled  uint64        // entries written, or given up on after a failed write
	running  bool          // a drain goroutine is writing
	progress chan struct{} // closed, and replaced, whenever settled grows
}

// New returns a Writer storing into st and logging write failures to log.
func New(st store.Store, log *slog.Logger) *Writer {
	return &Writer{store: st, log: log, progress: make(chan struct{})}
}

// Record queues l. It returns at once unless maxQueued entries are already
// waiting, in which case it waits for the writer to catch up.
func (w *Writer) Record(l store.RequestLog) {
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

// linger is how long the writer lets entries gather before writing the first
// batch: at a few hundred calls a second it turns a transaction per call into
// one per handful, and a client reading its logs back waits at most this long.
const linger = 5 * time.Millisecond

// drain writes batches until the queue is empty.
func (w *Writer) drain() {
	time.Sleep(linger)
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
			w.log.Warn("write request logs: entries lost", "entries", len(batch), "err", err)
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
