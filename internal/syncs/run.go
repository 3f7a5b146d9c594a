package syncs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/unified"
)

const (
	// runPageSize is what a run asks the unified API for per page.
	runPageSize = unified.MaxPageSize
	// overlap is how far before the last run's start an incremental run
	// asks from: a record changed while that run read is read again (and,
	// unchanged, makes no change).
	overlap = 5 * time.Minute
	// defaultSlice is how long an attempt reads pages before it hands the run back
	// to the queue, for any node to go on with from its checkpoint: attempts
	// stay short, so a node that dies mid-run leaves its run to another one
	// soon after (River's rescue, jobTimeout after the attempt began).
	defaultSlice = 15 * time.Second
	// jobTimeout bounds one attempt: its slice and the page under way then.
	jobTimeout = 45 * time.Second
)

type worker struct {
	river.WorkerDefaults[runArgs]
	s *Service
}

func (w *worker) Timeout(*river.Job[runArgs]) time.Duration { return jobTimeout }

// NextRetry waits 2 s after a failed attempt, then five times longer each
// time (10 s, 50 s, about 4 min), with ±10 % jitter: a passing fault is
// over by the next attempt, which resumes where the run stopped.
func (w *worker) NextRetry(job *river.Job[runArgs]) time.Time {
	base := min(2*time.Second*time.Duration(math.Pow(5, float64(job.Attempt-1))), 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(base)/5)) - base/10
	return clock.System.Now().Add(base + jitter)
}

// Work syncs one account's models. An error has River try again later; the
// models' runs resume from their checkpoints.
func (w *worker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	s := w.s
	a, p, err := s.store.GetAccountAndProfile(ctx, job.Args.ProjectID, job.Args.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since: its records went with it
	}
	if err != nil {
		return err
	}
	c, ok := s.registry.Get(p.ConnectorKey)
	if !ok || !p.Sync.Enabled {
		return nil
	}
	run := runRef{job: job.ID, id: fmt.Sprintf("%d/%d", job.ID, job.Attempt), last: job.Attempt >= job.MaxAttempts,
		until: clock.System.Now().Add(s.slice)}
	if a.Status != store.StatusActive {
		// Runs this job has under way stop here, and say why.
		stopped := problem.New(problem.Unusable, "Account %s is %s, so its sync stopped", a.ID, a.Status).
			WithHint("The next run starts once the account is active again.")
		for _, m := range p.Sync.Models {
			s.fail(ctx, runRef{job: run.job, id: run.id, last: true}, store.SyncRun{ProjectID: a.ProjectID, AccountID: a.ID, Model: m}, stopped)
		}
		return nil
	}
	if err := s.store.ScheduleSync(ctx, a.ProjectID, a.ID, s.clock.Now().Add(p.Sync.Interval)); err != nil {
		return err
	}
	models := job.Args.Models
	if len(models) == 0 {
		models = p.Sync.Models
	}
	var failed error
	for _, m := range models {
		src, ok := c.SyncSource(m)
		if !ok || !slices.Contains(p.Sync.Models, m) {
			continue
		}
		err := s.runModel(ctx, run, a, src, job.Args.Full)
		if errors.Is(err, errSliced) {
			return river.JobSnooze(time.Millisecond) // the same attempt goes on, on whichever node takes it
		}
		if err != nil {
			failed = errors.Join(failed, fmt.Errorf("%s: %w", m, err))
		}
	}
	return failed
}

// runRef names a run: its job (a retry of the job resumes the run) and the
// attempt that owns it now.
type runRef struct {
	job   int64
	id    string
	last  bool
	until time.Time // the end of the attempt's slice
}

func (r runRef) owns(runID string) bool {
	return strings.HasPrefix(runID, strconv.FormatInt(r.job, 10)+"/")
}

// errDone says the job's run of a model ended in an earlier attempt;
// errSliced that the attempt's slice ended with the run under way.
var (
	errDone   = errors.New("run already done")
	errSliced = errors.New("the attempt's time is up; the run goes on from its checkpoint")
)

// runModel runs, or resumes, one model's sync on the account.
func (s *Service) runModel(ctx context.Context, run runRef, a store.Account, src connectors.SyncSource, full bool) error {
	now := s.clock.Now()
	st, err := s.store.UpdateSyncRun(ctx, a.ProjectID, a.ID, src.Model, func(cur store.SyncRun) (store.SyncRun, error) {
		if run.owns(cur.RunID) {
			if cur.Status == store.SyncIdle {
				return cur, errDone
			}
			cur.RunID, cur.Status, cur.Error, cur.Hint, cur.EndedAt = run.id, store.SyncRunning, "", "", time.Time{}
			return cur, nil // resumed from its checkpoint
		}
		next := store.SyncRun{ProjectID: a.ProjectID, AccountID: a.ID, Model: src.Model, Status: store.SyncRunning, RunID: run.id,
			StartedAt: now, LastFullAt: cur.LastFullAt, Since: cur.Since}
		next.Full = full || !src.Incremental || cur.Since.IsZero() || cur.LastFullAt.IsZero() || now.Sub(cur.LastFullAt) >= s.fullEvery
		return next, nil
	})
	if errors.Is(err, errDone) {
		return nil
	}
	if err != nil {
		return err
	}
	model, _ := connectors.SyncModelByID(src.Model)
	r := &runner{s: s, st: st, src: src, model: model, until: run.until}
	if err := r.load(ctx); err != nil {
		return s.fail(ctx, run, st, err)
	}
	err = r.run(ctx)
	switch {
	case errors.Is(err, store.ErrStale):
		return nil // sync was turned off, or the account deleted, while it ran
	case errors.Is(err, errSliced):
		return err
	case problem.KindOf(err) == problem.Unusable:
		// The account cannot be called (its profile disabled, its grant
		// refused): trying again cannot help; the run stops and says why.
		stopped := problem.New(problem.Unusable, "%s", err.Error()).WithHint("The run stopped; the next one starts once the account is active again.")
		s.fail(ctx, runRef{job: run.job, id: run.id, last: true}, r.st, stopped)
		return nil
	case err != nil:
		return s.fail(ctx, run, r.st, err)
	}
	return nil
}

// fail records a run's failure (its checkpoint stays, for the retry) and,
// after the last attempt, tells the integrator.
func (s *Service) fail(ctx context.Context, run runRef, st store.SyncRun, cause error) error {
	msg, hint := cause.Error(), "Patchbay tries again with backoff; the run resumes where it stopped."
	if run.last {
		hint = "Every attempt failed; the next scheduled run starts afresh."
	}
	if p, ok := errors.AsType[*problem.Error](cause); ok && p.Hint != "" {
		hint = p.Hint
	}
	_, err := s.store.UpdateSyncRun(ctx, st.ProjectID, st.AccountID, st.Model, func(cur store.SyncRun) (store.SyncRun, error) {
		if cur.RunID != run.id {
			return cur, store.ErrStale
		}
		cur.Status, cur.Error, cur.Hint, cur.EndedAt = store.SyncFailed, msg, hint, s.clock.Now()
		if run.last {
			cur.RunID, cur.Checkpoint = "", nil
		}
		return cur, nil
	})
	if errors.Is(err, store.ErrStale) {
		return cause // another run owns the state now: its outcome speaks
	}
	if err != nil {
		return errors.Join(cause, err)
	}
	if run.last {
		data, _ := json.Marshal(map[string]any{"account_id": st.AccountID, "model": st.Model, "error": msg, "hint": hint})
		if _, err := s.store.CreateEvent(ctx, store.Event{ProjectID: st.ProjectID, Type: store.EventSyncFailed, AccountID: st.AccountID, Data: data}); err != nil {
			return errors.Join(cause, err)
		}
	}
	return cause
}

// checkpoint is where a run has got to. A full run reads every record
// (pass 1); records it did not see are read for once more in a second pass
// (pass 2), so that one moved between pages by a concurrent change is not
// taken for deleted: only records neither pass saw are.
type checkpoint struct {
	Pass int `json:"pass,omitempty"`
	// Parents are the ids a per-parent model reads its records for, once listed.
	Parents []string `json:"parents,omitempty"`
	Listed  bool     `json:"listed,omitempty"`
	Parent  int      `json:"parent,omitempty"`
	Next    string   `json:"next,omitempty"`
	Seen    []string `json:"seen,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// runner runs one model's sync on one account.
type runner struct {
	s      *Service
	st     store.SyncRun
	src    connectors.SyncSource
	model  connectors.SyncModel
	cp     checkpoint
	hashes map[string][]byte
	seen   map[string]bool
	until  time.Time // when to hand the run back (errSliced)
}

// load reads the checkpoint and the cache's hashes.
func (r *runner) load(ctx context.Context) error {
	if len(r.st.Checkpoint) > 0 {
		if err := json.Unmarshal(r.st.Checkpoint, &r.cp); err != nil {
			r.cp = checkpoint{} // unreadable: start the run over, which loses nothing
		}
	}
	if r.cp.Pass == 0 {
		r.cp.Pass = 1
	}
	r.seen = map[string]bool{}
	for _, id := range r.cp.Seen {
		r.seen[id] = true
	}
	var err error
	r.hashes, err = r.s.store.SyncHashes(ctx, r.st.ProjectID, r.st.AccountID, r.st.Model)
	return err
}

// run reads page after page, writing each page's changes with the
// checkpoint after it, until the run ends.
func (r *runner) run(ctx context.Context) error {
	for {
		if r.src.Per != "" && !r.cp.Listed {
			if err := r.listParents(ctx); err != nil {
				return err
			}
		}
		if r.src.Per != "" && r.cp.Parent >= len(r.cp.Parents) {
			if done, err := r.endPass(ctx, nil); done || err != nil {
				return err
			}
			continue
		}
		records, next, err := r.read(ctx, r.src.List, r.parent(), r.cp.Next)
		if err != nil {
			return err
		}
		writes := r.compare(records)
		r.cp.Next = next
		r.st.Records += len(records)
		r.st.Pages++
		if next == "" && r.src.Per != "" {
			r.cp.Parent++
		}
		if next == "" && r.src.Per == "" {
			// The pass's last page: its changes go with the pass's end.
			if done, err := r.endPass(ctx, writes); done || err != nil {
				return err
			}
			continue
		}
		if err := r.write(ctx, writes); err != nil {
			return err
		}
		if clock.System.Now().After(r.until) {
			return errSliced
		}
	}
}

// parent is the id of the parent whose records are read now.
func (r *runner) parent() string {
	if r.src.Per == "" {
		return ""
	}
	return r.cp.Parents[r.cp.Parent]
}

// listParents reads the ids of every parent (all pages) into the checkpoint.
func (r *runner) listParents(ctx context.Context) error {
	var ids []string
	next := ""
	for {
		records, n, err := r.read(ctx, r.src.Per, "", next)
		if err != nil {
			return err
		}
		for _, rec := range records {
			ids = append(ids, rec.id)
		}
		if n == "" {
			break
		}
		next = n
	}
	r.cp.Parents, r.cp.Listed, r.cp.Parent, r.cp.Next = ids, true, 0, ""
	return nil
}

// endPass ends a pass over the model, writing writes with it, and reports
// whether the run is done: an incremental run is; a full run that saw
// every record it had is; one that missed some looks for them once more
// (pass 2), and records pass 2 did not see either are deleted.
func (r *runner) endPass(ctx context.Context, writes []store.SyncWrite) (bool, error) {
	if !r.st.Full {
		return true, r.finish(ctx, writes)
	}
	var missing []string
	for id := range r.hashes {
		if !r.seen[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	if r.cp.Pass == 1 && len(missing) > 0 {
		r.cp, r.seen = checkpoint{Pass: 2, Missing: missing}, map[string]bool{}
		return false, r.write(ctx, writes)
	}
	if r.cp.Pass == 2 {
		now := r.s.clock.Now()
		for _, id := range r.cp.Missing {
			hash, ok := r.hashes[id]
			if r.seen[id] || !ok {
				continue
			}
			writes = append(writes, r.change(id, connectors.ChangeDeleted, nil, hash, now))
			delete(r.hashes, id)
		}
	}
	return true, r.finish(ctx, writes)
}

// finish ends the run with its last writes.
func (r *runner) finish(ctx context.Context, writes []store.SyncWrite) error {
	r.st.Status, r.st.EndedAt, r.st.Since = store.SyncIdle, r.s.clock.Now(), r.st.StartedAt.Add(-overlap)
	if r.st.Full {
		r.st.LastFullAt = r.st.StartedAt
	}
	r.cp = checkpoint{}
	return r.write(ctx, writes)
}

// write stores a page's changes with the run's state and checkpoint.
func (r *runner) write(ctx context.Context, writes []store.SyncWrite) error {
	r.st.Changes += len(writes)
	r.st.Checkpoint = nil
	if r.st.Status == store.SyncRunning {
		r.cp.Seen = r.cp.Seen[:0]
		for id := range r.seen {
			r.cp.Seen = append(r.cp.Seen, id)
		}
		slices.Sort(r.cp.Seen)
		cp, err := json.Marshal(r.cp)
		if err != nil {
			return err
		}
		r.st.Checkpoint = cp
	}
	return r.s.store.WriteSyncPage(ctx, store.SyncPage{Writes: writes, Run: r.st})
}

// record is one unified record as read: its id, JSON and hash.
type record struct {
	id   string
	data json.RawMessage
	hash []byte
}

// compare turns a page's records into the changes they make to the cache.
func (r *runner) compare(records []record) []store.SyncWrite {
	var writes []store.SyncWrite
	now := r.s.clock.Now()
	for _, rec := range records {
		r.seen[rec.id] = true
		old, known := r.hashes[rec.id]
		change := connectors.ChangeAdded
		switch {
		case known && bytes.Equal(old, rec.hash):
			continue
		case known:
			change = connectors.ChangeUpdated
		}
		r.hashes[rec.id] = rec.hash
		writes = append(writes, r.change(rec.id, change, rec.data, rec.hash, now))
	}
	return writes
}

// change is one change a run makes to the cache: its entry in the feed, the
// record's new hash, and the webhook event that tells of it (which names
// the change: the delivery reads the record from the sealed feed).
func (r *runner) change(recordID, kind string, data json.RawMessage, hash []byte, at time.Time) store.SyncWrite {
	c := store.SyncChange{ID: store.NewID("chg"), ProjectID: r.st.ProjectID, AccountID: r.st.AccountID, Model: r.st.Model, RecordID: recordID,
		Change: kind, ChangedAt: at, Data: data}
	event, _ := json.Marshal(map[string]string{"account_id": c.AccountID, "model": c.Model, "record_id": recordID, "change": kind, "change_id": c.ID}) // strings only: cannot fail
	return store.SyncWrite{Change: c, Hash: hash,
		Event: &store.Event{ProjectID: c.ProjectID, Type: r.model.EventType(kind), AccountID: c.AccountID, Data: event, CreatedAt: at}}
}

// read runs one page of a unified list operation and returns its records,
// each as the unified API answers it, and the next page's cursor.
func (r *runner) read(ctx context.Context, operation, parentID, next string) ([]record, string, error) {
	q := url.Values{"page_size": {strconv.Itoa(runPageSize)}}
	if next != "" {
		q.Set("next", next)
	}
	if operation == r.src.List && r.src.Incremental && !r.st.Full {
		q.Set("filter[updated_after]", r.st.Since.UTC().Format(time.RFC3339))
	}
	p, err := unified.Parse(q, parentID)
	if err != nil {
		return nil, "", err
	}
	r.s.yield(ctx)
	ans, err := r.s.unified.Do(ctx, actions.Caller{ProjectID: r.st.ProjectID, Source: store.SourceSync}, r.st.AccountID, operation, p)
	r.st.Calls++
	if err != nil {
		return nil, "", err
	}
	body, err := ans.AppendJSON(nil)
	if err != nil {
		return nil, "", fmt.Errorf("encode %s: %w", operation, err)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
		Next *string           `json:"next"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", operation, err)
	}
	records := make([]record, len(page.Data))
	for i, raw := range page.Data {
		var key struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &key); err != nil || key.ID == "" {
			return nil, "", fmt.Errorf("%s answered a record without an id", operation)
		}
		sum := sha256.Sum256(raw)
		records[i] = record{id: key.ID, data: raw, hash: sum[:]}
	}
	if page.Next == nil {
		return records, "", nil
	}
	return records, *page.Next, nil
}
