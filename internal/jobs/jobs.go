// Package jobs is the node's durable job queue, on River, for every
// service: webhook deliveries and sync runs share its database tables, its
// leader and its rescuer, which can only rescue (and must never discard) a
// stuck job of a kind its own client has a worker for. Services queue their
// jobs through the same client that works them, after the change they follow
// has committed, so that the node that queued a job fetches it at once (a job
// queued inside a transaction would wait for the next poll: River's fetch
// would run before the commit).
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// Options configure the queue.
type Options struct {
	Driver riverdriver.Driver[*sql.Tx]
	Logger *slog.Logger
	// PollInterval is how often a node looks for jobs other nodes queued;
	// 0 means 1 s. A node works the jobs it queues itself at once, and a
	// look costs a write on SQLite, so it stays rare.
	PollInterval time.Duration
	// RescueAfter is how long a job may run before another node takes it
	// over (unless its worker's Timeout is longer); 0 means 30 s.
	RescueAfter time.Duration
}

// Queue is the node's job queue. Services Add their queues and workers
// while the services are wired; Open then makes the client that queues and
// works them all.
type Queue struct {
	o       Options
	workers *river.Workers
	queues  map[string]river.QueueConfig
	client  *river.Client[*sql.Tx]
	// starting is held while the client starts: River wakes its workers on
	// an insert through state that Start sets up unguarded, so inserts wait
	// for it (a node's dispatcher queues deliveries as the queue starts).
	starting sync.RWMutex
}

// New returns a queue with no services yet.
func New(o Options) *Queue {
	return &Queue{o: o, workers: river.NewWorkers(), queues: map[string]river.QueueConfig{}}
}

// Add gives a service's queue, how many of its jobs a node works at once,
// and its workers (register adds them). Add before Open.
func (q *Queue) Add(name string, n int, register func(*river.Workers)) {
	q.queues[name] = river.QueueConfig{MaxWorkers: n}
	register(q.workers)
}

// Open makes the client over every service added.
func (q *Queue) Open() error {
	poll, rescue := cmp.Or(q.o.PollInterval, time.Second), cmp.Or(q.o.RescueAfter, 30*time.Second)
	client, err := river.NewClient[*sql.Tx](pollOnly{q.o.Driver}, &river.Config{
		Queues:               q.queues,
		Workers:              q.workers,
		PollOnly:             true, // no LISTEN/NOTIFY: SQLite has none, and poolers drop it
		FetchPollInterval:    poll,
		FetchCooldown:        min(poll, 5*time.Millisecond),
		RescueStuckJobsAfter: rescue, // a node that died mid-job
		JobTimeout:           rescue, // workers say their own (Timeout)
		Logger:               warnOnly(cmp.Or(q.o.Logger, slog.Default()).With("component", "river")),
	})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	q.client = client
	return nil
}

// pollOnly is a driver that says it has no listener. River wakes its own
// workers when a job is queued outside a transaction only where the driver
// has none; SQLite's driver offers one (an outbox table, polled in turn)
// that a poll-only client does not use, so with it a node's own jobs would
// wait for the next poll, and every insert would write notifications no one
// reads.
type pollOnly struct {
	riverdriver.Driver[*sql.Tx]
}

func (pollOnly) SupportsListener() bool     { return false }
func (pollOnly) SupportsListenNotify() bool { return false }

// errNotOpen is the failure of a queue used before Open.
var errNotOpen = errors.New("the job queue is not open")

// Insert queues one job.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs) (*rivertype.JobInsertResult, error) {
	if q.client == nil {
		return nil, errNotOpen
	}
	q.starting.RLock()
	defer q.starting.RUnlock()
	return q.client.Insert(ctx, args, nil)
}

// InsertMany queues jobs in one transaction of their own.
func (q *Queue) InsertMany(ctx context.Context, params []river.InsertManyParams) error {
	if q.client == nil {
		return errNotOpen
	}
	q.starting.RLock()
	defer q.starting.RUnlock()
	_, err := q.client.InsertMany(ctx, params)
	return err
}

// Run works jobs until ctx ends, then waits up to grace for the jobs under
// way to finish.
func (q *Queue) Run(ctx context.Context, grace time.Duration) error {
	if q.client == nil {
		return errNotOpen
	}
	q.starting.Lock()
	err := q.client.Start(ctx)
	q.starting.Unlock()
	if err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return q.client.Stop(stop)
}

// warnOnly keeps River's log to what an operator must see.
func warnOnly(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}
