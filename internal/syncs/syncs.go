// Package syncs keeps, per linked account of a connector profile that asks
// for it, a cache of unified records and the feed of their changes
// (docs/sync.md). Runs read the provider through the unified API, and so
// through the executor like every call (tokens, throttle, retries, request
// log with source "sync"); they are River jobs, one per account at a time
// across nodes, checkpointed per page.
package syncs

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/jobs"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/unified"
)

// Defaults.
const (
	// DefaultFullEvery is how often an incremental model is read whole, to
	// see deletions.
	DefaultFullEvery = 24 * time.Hour
	// DefaultRetention is how long the change feed keeps a change.
	DefaultRetention = 30 * 24 * time.Hour
	// MaxAttempts is how often a failing run is tried before it is failed.
	MaxAttempts = 5
	queueName   = "sync"
	// firstSpread spreads the first runs of accounts a profile already had
	// when sync was turned on, so that they do not all start at once.
	firstSpread = 5 * time.Minute
	dueBatch    = 500
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Jobs is the node's job queue, which works the runs.
	Jobs     *jobs.Queue
	Registry *connectors.Registry
	Unified  *unified.Service
	Clock    clock.Clock
	Logger   *slog.Logger
	// Yield, when set, is called before each page a run reads: it waits
	// while live calls are under way (for a short while at most), so that
	// runs leave them the CPU first.
	Yield func(context.Context)
	// Workers is how many accounts a node syncs at once; 0 means 1, which
	// leaves the other cores to live calls.
	Workers int
	// FullEvery, Retention and SchedulePoll override the defaults (a
	// minute for SchedulePoll: how often a node looks for due accounts);
	// Slice, how long an attempt reads before it hands its run back to the
	// queue (tests make every page a slice).
	FullEvery, Retention, SchedulePoll, Slice time.Duration
}

// Service runs syncs and answers the feed.
type Service struct {
	store     store.Store
	registry  *connectors.Registry
	unified   *unified.Service
	clock     clock.Clock
	log       *slog.Logger
	jobs      *jobs.Queue
	fullEvery time.Duration
	retention time.Duration
	poll      time.Duration
	slice     time.Duration
	yield     func(context.Context)
}

// New returns the service and adds its runs to the node's job queue, which
// works them; Run schedules them.
func New(o Options) *Service {
	s := &Service{store: o.Store, registry: o.Registry, unified: o.Unified, clock: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default()),
		jobs: o.Jobs, fullEvery: cmp.Or(o.FullEvery, DefaultFullEvery), retention: cmp.Or(o.Retention, DefaultRetention),
		poll: cmp.Or(o.SchedulePoll, time.Minute), slice: cmp.Or(o.Slice, defaultSlice), yield: o.Yield}
	if s.yield == nil {
		s.yield = func(context.Context) {}
	}
	o.Jobs.Add(queueName, cmp.Or(o.Workers, 1), func(w *river.Workers) { river.AddWorker(w, &worker{s: s}) })
	return s
}

// Run schedules due accounts until ctx ends: every poll it queues a run for
// each account whose next run is due, and spreads the first runs of
// accounts that never had one.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	for {
		if err := s.Schedule(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "sync runs could not be scheduled; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Schedule queues the runs that are due now.
func (s *Service) Schedule(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.store.DueSyncs(ctx, now, dueBatch)
	if err != nil {
		return err
	}
	for _, d := range due {
		if d.First {
			err = s.store.ScheduleSync(ctx, d.ProjectID, d.AccountID, now.Add(spread(d.AccountID, firstSpread)))
		} else {
			_, err = s.enqueue(ctx, runArgs{ProjectID: d.ProjectID, AccountID: d.AccountID})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// spread is a stable offset in [0, within) for the account, so that
// accounts scheduled together run apart.
func spread(accountID string, within time.Duration) time.Duration {
	h := sha256.Sum256([]byte(accountID))
	return time.Duration(binary.BigEndian.Uint64(h[:8]) % uint64(within))
}

// Now queues a run of the account: the models given (all of its profile's
// when none) and a full read when full. It reports false when a run of the
// account is queued or under way already (that run goes on; ask again once
// it ended).
func (s *Service) Now(ctx context.Context, projectID, accountID string, models []string, full bool) (bool, error) {
	a, p, err := s.store.GetAccountAndProfile(ctx, projectID, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return false, problem.New(problem.NotFound, "No account %s in this project", accountID)
	}
	if err != nil && !errors.Is(err, store.ErrSealed) {
		return false, err
	}
	if !p.Sync.Enabled {
		return false, problem.New(problem.Conflict, "Sync is off for connector profile %s (account %s's)", p.ID, a.ID).
			WithHint(`Turn it on with PATCH /connector_profiles/` + p.ID + ` {"sync": {"enabled": true}}.`)
	}
	for _, m := range models {
		if !slices.Contains(p.Sync.Models, m) {
			return false, problem.New(problem.Invalid, "models: %q is not synced by connector profile %s (it syncs %s)", m, p.ID, strings.Join(p.Sync.Models, ", "))
		}
	}
	if a.Status != store.StatusActive {
		return false, problem.New(problem.Unusable, "Account %s is %s: only active accounts are synced", a.ID, a.Status)
	}
	return s.enqueue(ctx, runArgs{ProjectID: projectID, AccountID: accountID, Models: models, Full: full})
}

// enqueue queues a run unless one of the account is queued or running.
func (s *Service) enqueue(ctx context.Context, args runArgs) (bool, error) {
	res, err := s.jobs.Insert(ctx, args)
	if err != nil {
		return false, fmt.Errorf("queue a sync of %s: %w", args.AccountID, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Sweep deletes changes past their retention.
func (s *Service) Sweep(ctx context.Context) error {
	n, err := s.store.DeleteSyncChangesBefore(ctx, s.clock.Now().Add(-s.retention))
	if n > 0 {
		s.log.InfoContext(ctx, "deleted old sync changes", "count", n)
	}
	return err
}

// runArgs is the job of syncing one account: at most one is queued or
// running per account (the unique fields), whatever its models.
type runArgs struct {
	ProjectID string   `json:"project_id" river:"unique"`
	AccountID string   `json:"account_id" river:"unique"`
	Models    []string `json:"models,omitempty"`
	Full      bool     `json:"full,omitempty"`
}

func (runArgs) Kind() string { return "sync_run" }

func (runArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}
