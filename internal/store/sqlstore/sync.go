package sqlstore

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

var (
	syncRecordData = sealedColumns[7]
	syncChangeData = sealedColumns[8]
)

const syncRunColumns = `project_id, account_id, model, status, run_id, full_run, started_at, ended_at, checkpoint,
	records, changes, pages, calls, error, hint, last_full_at, since`

func scanSyncRun(row scanner) (store.SyncRun, error) {
	var r store.SyncRun
	var ended, full, since sql.NullTime
	var checkpoint string
	if err := row.Scan(&r.ProjectID, &r.AccountID, &r.Model, &r.Status, &r.RunID, &r.Full, &r.StartedAt, &ended, &checkpoint,
		&r.Records, &r.Changes, &r.Pages, &r.Calls, &r.Error, &r.Hint, &full, &since); err != nil {
		return store.SyncRun{}, err
	}
	r.StartedAt, r.EndedAt, r.LastFullAt, r.Since = r.StartedAt.UTC(), fromNullTime(ended), fromNullTime(full), fromNullTime(since)
	if checkpoint != "" {
		r.Checkpoint = json.RawMessage(checkpoint)
	}
	return r, nil
}

// SyncRuns returns the state of every model's sync on the account.
func (s *Store) SyncRuns(ctx context.Context, projectID, accountID string) ([]store.SyncRun, error) {
	out, err := queryAll(ctx, s, scanSyncRun, `SELECT `+syncRunColumns+` FROM sync_runs WHERE project_id = ? AND account_id = ? ORDER BY model`,
		projectID, accountID)
	if err != nil {
		return nil, fmt.Errorf("sync runs of %s: %w", accountID, err)
	}
	return out, nil
}

// UpdateSyncRun runs decide with the model's state on the account (the zero
// SyncRun with its keys when there is none) under its write lock, and
// stores what decide returns.
func (s *Store) UpdateSyncRun(ctx context.Context, projectID, accountID, model string, decide func(store.SyncRun) (store.SyncRun, error)) (store.SyncRun, error) {
	var out store.SyncRun
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockSyncRun(ctx, tx, projectID, accountID, model)
		if err != nil {
			return err
		}
		if out, err = decide(cur); err != nil {
			return err
		}
		return s.writeSyncRun(ctx, tx, out)
	})
	if err != nil {
		return store.SyncRun{}, fmt.Errorf("sync run of %s %s: %w", accountID, model, err)
	}
	return out, nil
}

// lockSyncRun reads the run's state under a write lock; the account's row
// lock stands in when the state does not exist yet.
func (s *Store) lockSyncRun(ctx context.Context, tx *sql.Tx, projectID, accountID, model string) (store.SyncRun, error) {
	var exists int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM accounts WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, accountID).
		Scan(&exists); err != nil {
		return store.SyncRun{}, s.translate(err)
	}
	cur, err := scanSyncRun(tx.QueryRowContext(ctx, s.q(`SELECT `+syncRunColumns+` FROM sync_runs WHERE account_id = ? AND model = ?`),
		accountID, model))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SyncRun{ProjectID: projectID, AccountID: accountID, Model: model, Status: store.SyncIdle}, nil
	}
	return cur, err
}

func (s *Store) writeSyncRun(ctx context.Context, tx *sql.Tx, r store.SyncRun) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sync_runs (`+syncRunColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, model) DO UPDATE SET status = excluded.status, run_id = excluded.run_id, full_run = excluded.full_run,
		started_at = excluded.started_at, ended_at = excluded.ended_at, checkpoint = excluded.checkpoint, records = excluded.records,
		changes = excluded.changes, pages = excluded.pages, calls = excluded.calls, error = excluded.error, hint = excluded.hint,
		last_full_at = excluded.last_full_at, since = excluded.since`),
		r.ProjectID, r.AccountID, r.Model, r.Status, r.RunID, r.Full, normalizeTime(r.StartedAt), nullTime(r.EndedAt), string(r.Checkpoint),
		r.Records, r.Changes, r.Pages, r.Calls, r.Error, r.Hint, nullTime(r.LastFullAt), nullTime(r.Since))
	return s.translate(err)
}

// WriteSyncPage writes a page of a run: its records, feed entries and
// events, and the run's state, in one transaction, while the run still owns
// the state (ErrStale otherwise).
func (s *Store) WriteSyncPage(ctx context.Context, p store.SyncPage) error {
	r := p.Run
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockSyncRun(ctx, tx, r.ProjectID, r.AccountID, r.Model)
		if err != nil {
			return err
		}
		if cur.RunID != r.RunID || cur.Status != store.SyncRunning {
			return store.ErrStale
		}
		if len(p.Writes) > 0 && s.dialect.KeyLock != "" {
			// Feed entries get their seq in commit order: a reader that has
			// seen seq n never later meets a smaller one.
			if _, err := tx.ExecContext(ctx, s.q(s.dialect.KeyLock), lockKey("sync-feed", r.ProjectID)); err != nil {
				return err
			}
		}
		for _, w := range p.Writes {
			if err := s.writeSyncChange(ctx, tx, w); err != nil {
				return err
			}
		}
		return s.writeSyncRun(ctx, tx, r)
	})
	if err != nil {
		return fmt.Errorf("write sync page of %s %s: %w", r.AccountID, r.Model, err)
	}
	return nil
}

// writeSyncChange applies one change to the cache, appends it to the feed
// and records its event.
func (s *Store) writeSyncChange(ctx context.Context, tx *sql.Tx, w store.SyncWrite) error {
	c := w.Change
	if c.ID == "" {
		c.ID = store.NewID("chg")
	}
	c.ChangedAt = normalizeTime(c.ChangedAt)
	var recordData, changeData any
	var packed string
	if c.Data != nil {
		packed = deflate(c.Data)
		var err error
		if changeData, err = s.seal(syncChangeData, c.ID, packed); err != nil {
			return err
		}
	}
	var recordID string
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM sync_records WHERE account_id = ? AND model = ? AND record_id = ?`),
		c.AccountID, c.Model, c.RecordID).Scan(&recordID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		recordID = store.NewID("rec")
		if c.Data != nil {
			if recordData, err = s.seal(syncRecordData, recordID, packed); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO sync_records (id, project_id, account_id, model, record_id, hash, data, first_seen_at,
			last_changed_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			recordID, c.ProjectID, c.AccountID, c.Model, c.RecordID, w.Hash, recordData, c.ChangedAt, c.ChangedAt, deletedAt(c))
	case err == nil:
		if c.Data != nil {
			if recordData, err = s.seal(syncRecordData, recordID, packed); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE sync_records SET hash = ?, data = ?, last_changed_at = ?, deleted_at = ? WHERE id = ?`),
			w.Hash, recordData, c.ChangedAt, deletedAt(c), recordID)
	}
	if err != nil {
		return fmt.Errorf("write record %s: %w", c.RecordID, s.translate(err))
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sync_changes (id, project_id, account_id, model, record_id, change, changed_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), c.ID, c.ProjectID, c.AccountID, c.Model, c.RecordID, c.Change, c.ChangedAt, changeData); err != nil {
		return fmt.Errorf("append change of %s: %w", c.RecordID, s.translate(err))
	}
	if w.Event == nil {
		return nil
	}
	_, err = s.insertEventTx(ctx, tx, *w.Event)
	return err
}

// Records are compressed before they are sealed: a unified record's JSON
// shrinks to a fifth or so, and each is kept twice (the cache, the feed).
// A compressor's tables are large to make: they are reused.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // BestSpeed is a valid level
	return w
}}

func deflate(data []byte) string {
	var b bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&b)
	w.Write(data)
	w.Close()
	return b.String()
}

func inflate(packed string) (json.RawMessage, error) {
	return io.ReadAll(flate.NewReader(strings.NewReader(packed)))
}

func deletedAt(c store.SyncChange) any {
	if c.Data != nil {
		return nil
	}
	return c.ChangedAt
}

// SyncHashes returns the hash of every record of the model the account has
// (deleted ones left out), by record id.
func (s *Store) SyncHashes(ctx context.Context, projectID, accountID, model string) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT record_id, hash FROM sync_records
		WHERE project_id = ? AND account_id = ? AND model = ? AND deleted_at IS NULL`), projectID, accountID, model)
	if err != nil {
		return nil, fmt.Errorf("record hashes of %s %s: %w", accountID, model, err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var hash []byte
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("record hashes of %s %s: %w", accountID, model, err)
		}
		out[id] = hash
	}
	return out, rows.Err()
}

// inList adds "column IN (?, …)" over values to a query's conditions and
// arguments, or nothing for no values.
func inList[T any](column string, values []T, where []string, args []any) ([]string, []any) {
	if len(values) == 0 {
		return where, args
	}
	where = append(where, column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")+")")
	for _, v := range values {
		args = append(args, v)
	}
	return where, args
}

// ListSyncChanges returns the feed entries f selects in feed order, each
// with the record as of the change.
func (s *Store) ListSyncChanges(ctx context.Context, f store.SyncChangeFilter) ([]store.SyncChange, error) {
	where, args := []string{"project_id = ?", "seq > ?"}, []any{f.ProjectID, f.After}
	where, args = inList("account_id", f.AccountIDs, where, args)
	if f.Model != "" {
		where, args = append(where, "model = ?"), append(args, f.Model)
	}
	args = append(args, f.Limit)
	out, err := queryAll(ctx, s, s.scanSyncChange, `SELECT seq, id, project_id, account_id, model, record_id, change, changed_at, data
		FROM sync_changes WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list sync changes: %w", err)
	}
	return out, nil
}

// GetSyncChange returns one feed entry of the project.
func (s *Store) GetSyncChange(ctx context.Context, projectID, id string) (store.SyncChange, error) {
	c, err := s.scanSyncChange(s.queryRow(ctx, `SELECT seq, id, project_id, account_id, model, record_id, change, changed_at, data
		FROM sync_changes WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.SyncChange{}, fmt.Errorf("get sync change %s: %w", id, s.translate(err))
	}
	return c, nil
}

func (s *Store) scanSyncChange(row scanner) (store.SyncChange, error) {
	var c store.SyncChange
	var data sql.NullString
	if err := row.Scan(&c.Seq, &c.ID, &c.ProjectID, &c.AccountID, &c.Model, &c.RecordID, &c.Change, &c.ChangedAt, &data); err != nil {
		return store.SyncChange{}, err
	}
	c.ChangedAt = c.ChangedAt.UTC()
	if data.Valid {
		plain, err := s.open(syncChangeData, c.ID, data.String)
		if err != nil {
			return store.SyncChange{}, fmt.Errorf("%w: %w", store.ErrSealed, err)
		}
		if c.Data, err = inflate(plain); err != nil {
			return store.SyncChange{}, fmt.Errorf("record of change %s: %w", c.ID, err)
		}
	}
	return c, nil
}

// ListSyncRecords returns the cached records f selects that the provider
// still has, ordered by account and record id.
func (s *Store) ListSyncRecords(ctx context.Context, f store.SyncRecordFilter) ([]store.SyncRecord, error) {
	where, args := []string{"project_id = ?", "model = ?", "deleted_at IS NULL"}, []any{f.ProjectID, f.Model}
	where, args = inList("account_id", f.AccountIDs, where, args)
	if f.AfterAccount != "" {
		where, args = append(where, "(account_id, record_id) > (?, ?)"), append(args, f.AfterAccount, f.AfterRecord)
	}
	if !f.ChangedAfter.IsZero() {
		where, args = append(where, "last_changed_at > ?"), append(args, normalizeTime(f.ChangedAfter))
	}
	args = append(args, f.Limit)
	out, err := queryAll(ctx, s, s.scanSyncRecord, `SELECT id, project_id, account_id, model, record_id, hash, data, first_seen_at, last_changed_at
		FROM sync_records WHERE `+strings.Join(where, " AND ")+` ORDER BY account_id, record_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list sync records: %w", err)
	}
	return out, nil
}

func (s *Store) scanSyncRecord(row scanner) (store.SyncRecord, error) {
	var r store.SyncRecord
	var id, data string
	if err := row.Scan(&id, &r.ProjectID, &r.AccountID, &r.Model, &r.RecordID, &r.Hash, &data, &r.FirstSeenAt, &r.LastChangedAt); err != nil {
		return store.SyncRecord{}, err
	}
	plain, err := s.open(syncRecordData, id, data)
	if err != nil {
		return store.SyncRecord{}, fmt.Errorf("%w: %w", store.ErrSealed, err)
	}
	if r.Data, err = inflate(plain); err != nil {
		return store.SyncRecord{}, fmt.Errorf("record %s: %w", r.RecordID, err)
	}
	r.FirstSeenAt, r.LastChangedAt = r.FirstSeenAt.UTC(), r.LastChangedAt.UTC()
	return r, nil
}

// DueSyncs returns up to limit active accounts of profiles that sync whose
// next run is due at now, or was never scheduled.
func (s *Store) DueSyncs(ctx context.Context, now time.Time, limit int) ([]store.SyncDue, error) {
	out, err := queryAll(ctx, s, func(row scanner) (store.SyncDue, error) {
		var d store.SyncDue
		err := row.Scan(&d.ProjectID, &d.AccountID, &d.First)
		return d, err
	}, `SELECT a.project_id, a.id, s.account_id IS NULL FROM accounts a
		JOIN connector_profiles p ON p.id = a.profile_id AND p.sync_enabled
		LEFT JOIN sync_schedule s ON s.account_id = a.id
		WHERE a.status = ? AND (s.account_id IS NULL OR s.next_run_at <= ?)
		ORDER BY s.next_run_at LIMIT ?`, store.StatusActive, normalizeTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due syncs: %w", err)
	}
	return out, nil
}

// ScheduleSync sets when the account's next run is due.
func (s *Store) ScheduleSync(ctx context.Context, projectID, accountID string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO sync_schedule (account_id, project_id, next_run_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET next_run_at = excluded.next_run_at`), accountID, projectID, normalizeTime(at))
	if err != nil {
		return fmt.Errorf("schedule sync of %s: %w", accountID, s.translate(err))
	}
	return nil
}

// deleteSyncDataTx removes the cache, feed and run states of a profile's
// accounts for every model but keep, in tx.
func (s *Store) deleteSyncDataTx(ctx context.Context, tx *sql.Tx, p store.ConnectorProfile, keep []string) error {
	where := []string{"project_id = ?", "account_id IN (SELECT id FROM accounts WHERE profile_id = ?)"}
	args := []any{p.ProjectID, p.ID}
	if len(keep) > 0 {
		in, kept := inList("model", keep, nil, nil)
		where, args = append(where, "NOT "+in[0]), append(args, kept...)
	}
	for _, table := range []string{"sync_records", "sync_changes", "sync_runs"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE `+strings.Join(where, " AND ")), args...); err != nil {
			return fmt.Errorf("delete from %s: %w", table, err)
		}
	}
	return nil
}

// DeleteSyncChangesBefore removes feed entries made before t.
func (s *Store) DeleteSyncChangesBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sync_changes WHERE changed_at < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete old sync changes: %w", err)
	}
	return res.RowsAffected()
}
