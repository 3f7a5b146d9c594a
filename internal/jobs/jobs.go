// Package jobs runs the durable background work of every service on one
// River client per node: webhook deliveries and sync runs share its
// database tables, its leader and its rescuer, which can only rescue (and
// must never discard) a stuck job of a kind its own client has a worker for.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Service is a service whose jobs the runner works.
type Service interface {
	// Queue names the service's River queue and how many of its jobs a node
	// works at once.
	Queue() (name string, workers int)
	// Register adds the service's workers.
	Register(*river.Workers)
}

// Options configure the runner.
type Options struct {
	Driver riverdriver.Driver[*sql.Tx]
	Logger *slog.Logger
	// PollInterval is how often a node looks for jobs other nodes queued;
	// 0 means 200 ms.
	PollInterval time.Duration
	// RescueAfter is how long a job may run before another node takes it
	// over (unless its worker's Timeout is longer); 0 means 30 s.
	RescueAfter time.Duration
}

// Runner works every service's jobs.
type Runner struct {
	client *river.Client[*sql.Tx]
	poll   time.Duration
}

// New builds the runner over the services' queues and workers.
func New(o Options, services ...Service) (*Runner, error) {
	workers := river.NewWorkers()
	queues := map[string]river.QueueConfig{}
	for _, s := range services {
		name, n := s.Queue()
		queues[name] = river.QueueConfig{MaxWorkers: n}
		s.Register(workers)
	}
	poll, rescue := cmp.Or(o.PollInterval, 200*time.Millisecond), cmp.Or(o.RescueAfter, 30*time.Second)
	client, err := river.NewClient(o.Driver, &river.Config{
		Queues:               queues,
		Workers:              workers,
		PollOnly:             true, // no LISTEN/NOTIFY: SQLite has none, and poolers drop it
		FetchPollInterval:    poll,
		FetchCooldown:        min(poll, 20*time.Millisecond),
		RescueStuckJobsAfter: rescue, // a node that died mid-job
		JobTimeout:           rescue, // workers say their own (Timeout)
		Logger:               WarnOnly(cmp.Or(o.Logger, slog.Default()).With("component", "river")),
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Runner{client: client, poll: poll}, nil
}

// Run works jobs until ctx ends, then waits up to grace for the jobs under
// way to finish.
func (r *Runner) Run(ctx context.Context, grace time.Duration) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return r.client.Stop(stop)
}

// Inserter returns a client that only queues jobs, for a service to queue
// its own (River checks no worker for them there).
func Inserter(driver riverdriver.Driver[*sql.Tx], log *slog.Logger) (*river.Client[*sql.Tx], error) {
	c, err := river.NewClient(driver, &river.Config{Logger: WarnOnly(cmp.Or(log, slog.Default()).With("component", "river"))})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return c, nil
}

// WarnOnly keeps River's log to what an operator must see.
func WarnOnly(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}
