package syncs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Paging of the feed and the records.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Query selects a project's feed or records: the accounts (none: all), the
// model ("" for every model on the feed), where to go on from, how many.
type Query struct {
	ProjectID  string
	AccountIDs []string
	Model      string
	Cursor     string
	PageSize   int
	// ChangedAfter keeps, on records, those last changed after it.
	ChangedAfter time.Time
}

// Change is an entry of the feed as integrators read it.
type Change struct {
	Cursor    string          `json:"cursor"`
	AccountID string          `json:"account_id"`
	Model     string          `json:"model"`
	RecordID  string          `json:"record_id"`
	Change    string          `json:"change"`
	ChangedAt time.Time       `json:"changed_at"`
	Record    json.RawMessage `json:"record,omitempty"`
}

// Changes is a page of the feed; NextCursor is always set: pass it back to
// read on, now or once more changes came.
type Changes struct {
	Data       []Change `json:"data"`
	NextCursor string   `json:"next_cursor"`
}

// A feed cursor is the seq of the last change read and when it was read
// or made: a cursor older than the feed's retention may have missed changes
// deleted since, and is refused.
type cursor struct {
	seq int64
	at  time.Time
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.seq, 10) + "." + strconv.FormatInt(c.at.Unix(), 10)))
}

func parseCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	seq, at, ok := strings.Cut(string(raw), ".")
	n, err1 := strconv.ParseInt(seq, 10, 64)
	t, err2 := strconv.ParseInt(at, 10, 64)
	if err != nil || !ok || err1 != nil || err2 != nil || n < 0 {
		return cursor{}, problem.New(problem.Invalid, "cursor: not a cursor a change feed answer returned; leave it out to read from the start")
	}
	return cursor{seq: n, at: time.Unix(t, 0)}, nil
}

func sizeOf(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, MaxPageSize)
}

// Changes returns the next page of the project's change feed.
func (s *Service) Changes(ctx context.Context, q Query) (Changes, error) {
	if q.Model != "" {
		if _, ok := connectors.SyncModelByID(q.Model); !ok {
			return Changes{}, problem.New(problem.Invalid, "model: %q is not a model (%s)", q.Model, strings.Join(connectors.SyncModelIDs(), ", "))
		}
	}
	now := s.clock.Now()
	var from cursor
	if q.Cursor != "" {
		var err error
		if from, err = parseCursor(q.Cursor); err != nil {
			return Changes{}, err
		}
		if from.at.Before(now.Add(-s.retention)) {
			return Changes{}, problem.New(problem.Expired, "cursor: changes after it may have been deleted (the feed keeps %s)", s.retention).
				WithHint("Read the current records with GET /sync/records, then follow the feed from a cursor taken before you started (GET /sync/changes without cursor).")
		}
	}
	list, err := s.store.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: q.ProjectID, AccountIDs: q.AccountIDs, Model: q.Model,
		After: from.seq, Limit: sizeOf(q.PageSize, DefaultPageSize)})
	if err != nil {
		return Changes{}, sealedError(err)
	}
	out := Changes{Data: make([]Change, len(list))}
	for i, c := range list {
		out.Data[i] = Change{Cursor: cursor{seq: c.Seq, at: c.ChangedAt}.String(), AccountID: c.AccountID, Model: c.Model,
			RecordID: c.RecordID, Change: c.Change, ChangedAt: c.ChangedAt, Record: c.Data}
	}
	next := cursor{seq: from.seq, at: now} // caught up: the feed holds nothing past it
	if n := len(list); n > 0 {
		next = cursor{seq: list[n-1].Seq, at: list[n-1].ChangedAt}
		if n < sizeOf(q.PageSize, DefaultPageSize) {
			next.at = now
		}
	}
	out.NextCursor = next.String()
	return out, nil
}

// Record is a cached record as integrators read it.
type Record struct {
	AccountID     string          `json:"account_id"`
	Model         string          `json:"model"`
	RecordID      string          `json:"record_id"`
	FirstSeenAt   time.Time       `json:"first_seen_at"`
	LastChangedAt time.Time       `json:"last_changed_at"`
	Record        json.RawMessage `json:"record"`
}

// Records is a page of cached records; Next continues it (nil at the end).
type Records struct {
	Data []Record `json:"data"`
	Next *string  `json:"next"`
}

// Records returns a page of the project's cached records of one model.
func (s *Service) Records(ctx context.Context, q Query) (Records, error) {
	if _, ok := connectors.SyncModelByID(q.Model); !ok {
		return Records{}, problem.New(problem.Invalid, "model: required, one of %s", strings.Join(connectors.SyncModelIDs(), ", "))
	}
	f := store.SyncRecordFilter{ProjectID: q.ProjectID, AccountIDs: q.AccountIDs, Model: q.Model, ChangedAfter: q.ChangedAfter,
		Limit: sizeOf(q.PageSize, DefaultPageSize)}
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		account, id, ok := strings.Cut(string(raw), "\x00")
		if err != nil || !ok {
			return Records{}, problem.New(problem.Invalid, "next: not a cursor an earlier answer returned; start again without it")
		}
		f.AfterAccount, f.AfterRecord = account, id
	}
	list, err := s.store.ListSyncRecords(ctx, f)
	if err != nil {
		return Records{}, sealedError(err)
	}
	out := Records{Data: make([]Record, len(list))}
	for i, r := range list {
		out.Data[i] = Record{AccountID: r.AccountID, Model: r.Model, RecordID: r.RecordID, FirstSeenAt: r.FirstSeenAt,
			LastChangedAt: r.LastChangedAt, Record: r.Data}
	}
	if n := len(list); n > 0 && n == f.Limit {
		next := base64.RawURLEncoding.EncodeToString([]byte(list[n-1].AccountID + "\x00" + list[n-1].RecordID))
		out.Next = &next
	}
	return out, nil
}

// Cached answers a unified list operation for one account from the cache
// (?source=cache): its records as the unified API answers them, paged as
// Records pages, those changed after q.ChangedAfter when set. The account's
// profile must sync the operation's model, and its first run must have ended.
func (s *Service) Cached(ctx context.Context, operation string, q Query) ([]json.RawMessage, *string, error) {
	m, ok := connectors.SyncModelOfList(operation)
	if !ok {
		return nil, nil, problem.New(problem.Invalid, "source: %s is not answered from the cache; leave out source=cache",
			connectors.UnifiedOperationName(operation))
	}
	account := q.AccountIDs[0]
	_, p, err := s.store.GetAccountAndProfile(ctx, q.ProjectID, account)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, problem.New(problem.NotFound, "No account %s in this project", account)
	}
	if err != nil && !errors.Is(err, store.ErrSealed) {
		return nil, nil, err
	}
	if !p.Sync.Enabled || !slices.Contains(p.Sync.Models, m.ID) {
		return nil, nil, problem.New(problem.Conflict, "source=cache: connector profile %s does not sync %s", p.ID, m.ID).
			WithHint("Add the model to the profile's sync settings, or leave out source=cache to ask the provider.")
	}
	runs, err := s.store.SyncRuns(ctx, q.ProjectID, account)
	if err != nil {
		return nil, nil, err
	}
	if i := slices.IndexFunc(runs, func(r store.SyncRun) bool { return r.Model == m.ID }); i < 0 || runs[i].LastFullAt.IsZero() {
		return nil, nil, problem.New(problem.Conflict, "source=cache: the first sync of %s on account %s has not ended yet", m.ID, account).
			WithHint("Follow it with GET /accounts/" + account + "/sync, or leave out source=cache to ask the provider.")
	}
	q.Model = m.ID
	page, err := s.Records(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	data := make([]json.RawMessage, len(page.Data))
	for i, r := range page.Data {
		data[i] = r.Record
	}
	return data, page.Next, nil
}

func sealedError(err error) error {
	if errors.Is(err, store.ErrSealed) {
		return problem.New(problem.Unusable, "Some synced records cannot be opened with this deployment's encryption keys").
			WithHint("Restore the key that sealed them to PATCHBAY_ENCRYPTION_KEYS.")
	}
	return err
}

// ModelStatus is the state of one model's sync on an account.
type ModelStatus struct {
	Model     string     `json:"model"`
	Status    string     `json:"status"`
	Full      bool       `json:"full"`
	StartedAt *time.Time `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	Records   int        `json:"records"`
	Changes   int        `json:"changes"`
	Pages     int        `json:"pages"`
	Calls     int        `json:"calls"`
	Error     string     `json:"error,omitempty"`
	Hint      string     `json:"hint,omitempty"`
	LastFull  *time.Time `json:"last_full_run_at"`
}

// Status is an account's sync.
type Status struct {
	AccountID string `json:"account_id"`
	Enabled   bool   `json:"enabled"`
	Interval  int    `json:"interval_seconds"`
	// NextRunAt is when the next scheduled run starts: an interval after
	// the last one began (null before the first).
	NextRunAt *time.Time    `json:"next_run_at"`
	Models    []ModelStatus `json:"models"`
}

// Status reports each model's sync on the account.
func (s *Service) Status(ctx context.Context, projectID, accountID string) (Status, error) {
	a, p, err := s.store.GetAccountAndProfile(ctx, projectID, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return Status{}, problem.New(problem.NotFound, "No account %s in this project", accountID)
	}
	if err != nil && !errors.Is(err, store.ErrSealed) {
		return Status{}, err
	}
	runs, err := s.store.SyncRuns(ctx, projectID, a.ID)
	if err != nil {
		return Status{}, err
	}
	out := Status{AccountID: a.ID, Enabled: p.Sync.Enabled, Interval: int(p.Sync.Interval / time.Second), Models: []ModelStatus{}}
	var last time.Time
	for _, r := range runs {
		if r.StartedAt.After(last) {
			last = r.StartedAt
		}
	}
	if p.Sync.Enabled && !last.IsZero() {
		out.NextRunAt = timeOrNil(last.Add(p.Sync.Interval))
	}
	for _, m := range p.Sync.Models {
		ms := ModelStatus{Model: m, Status: store.SyncIdle}
		for _, r := range runs {
			if r.Model != m {
				continue
			}
			ms = ModelStatus{Model: m, Status: r.Status, Full: r.Full, StartedAt: timeOrNil(r.StartedAt), EndedAt: timeOrNil(r.EndedAt),
				Records: r.Records, Changes: r.Changes, Pages: r.Pages, Calls: r.Calls, Error: r.Error, Hint: r.Hint, LastFull: timeOrNil(r.LastFullAt)}
		}
		out.Models = append(out.Models, ms)
	}
	return out, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
