package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// idempotentBody is the sealed column of a kept answer's body: answers may
// hold secrets (a new API key, a webhook secret) and personal data.
var idempotentBody = sealedColumn{"idempotency_keys", "body"}

// ClaimIdempotencyKey stores r, running, unless the project holds a record of
// its key made at or after notBefore, which it returns instead. Two claims of
// one key never both succeed: the unique (project, key) decides.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, r store.IdempotencyRecord, notBefore time.Time) (store.IdempotencyRecord, bool, error) {
	if r.ID == "" {
		r.ID = store.NewID("idem")
	}
	var existing store.IdempotencyRecord
	claimed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE project_id = ? AND key_hash = ? AND created_at < ?`),
			r.ProjectID, r.KeyHash, normalizeTime(notBefore)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (id, project_id, key_hash, fingerprint, request, owner, locked_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, key_hash) DO NOTHING`),
			r.ID, r.ProjectID, r.KeyHash, r.Fingerprint, r.Request, r.Owner, normalizeTime(r.LockedUntil), normalizeTime(r.CreatedAt))
		if err != nil {
			return s.translate(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		existing, err = s.scanIdempotencyRecord(tx.QueryRowContext(ctx, s.q(`SELECT id, project_id, key_hash, fingerprint, request, owner, locked_until, done, status, header, body, created_at
			FROM idempotency_keys WHERE project_id = ? AND key_hash = ?`), r.ProjectID, r.KeyHash))
		return err
	})
	if err != nil {
		return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	if claimed {
		return r, true, nil
	}
	return existing, false, nil
}

func (s *Store) scanIdempotencyRecord(row scanner) (store.IdempotencyRecord, error) {
	var r store.IdempotencyRecord
	var header string
	var body sql.NullString
	err := row.Scan(&r.ID, &r.ProjectID, &r.KeyHash, &r.Fingerprint, &r.Request, &r.Owner, &r.LockedUntil, &r.Done,
		&r.Answer.Status, &header, &body, &r.CreatedAt)
	if err != nil {
		return r, s.translate(err)
	}
	r.LockedUntil, r.CreatedAt = r.LockedUntil.UTC(), r.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(header), &r.Answer.Header); err != nil {
		return r, fmt.Errorf("idempotency record %s: header: %w", r.ID, err)
	}
	if body.Valid {
		plain, err := s.open(idempotentBody, r.ID, body.String)
		if err != nil {
			return r, err
		}
		r.Answer.Body = []byte(plain)
	}
	return r, nil
}

// TakeOverIdempotencyKey gives a running record whose lock has ended to owner.
func (s *Store) TakeOverIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, now, until time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE idempotency_keys SET owner = ?, locked_until = ?
		WHERE project_id = ? AND key_hash = ? AND done = ? AND locked_until < ?`),
		owner, normalizeTime(until), projectID, keyHash, false, normalizeTime(now))
	if err != nil {
		return false, fmt.Errorf("take over idempotency key: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RenewIdempotencyKey moves owner's lock to until.
func (s *Store) RenewIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, until time.Time) error {
	return s.ownIdempotencyKey(ctx, "renew", `UPDATE idempotency_keys SET locked_until = ?
		WHERE project_id = ? AND key_hash = ? AND owner = ? AND done = ?`, normalizeTime(until), projectID, keyHash, owner, false)
}

// FinishIdempotencyKey stores the answer of owner's running record.
func (s *Store) FinishIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string, a store.StoredAnswer) error {
	if a.Header == nil {
		a.Header = map[string]string{}
	}
	header, err := json.Marshal(a.Header)
	if err != nil {
		return err
	}
	var id string
	if err := s.queryRow(ctx, `SELECT id FROM idempotency_keys WHERE project_id = ? AND key_hash = ?`, projectID, keyHash).Scan(&id); err != nil {
		return fmt.Errorf("finish idempotency key: %w", s.translate(err))
	}
	body, err := s.seal(idempotentBody, id, string(a.Body))
	if err != nil {
		return err
	}
	return s.ownIdempotencyKey(ctx, "finish", `UPDATE idempotency_keys SET done = ?, status = ?, header = ?, body = ?
		WHERE project_id = ? AND key_hash = ? AND owner = ? AND done = ?`, true, a.Status, string(header), body, projectID, keyHash, owner, false)
}

// ReleaseIdempotencyKey removes owner's running record.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, projectID string, keyHash []byte, owner string) error {
	return s.ownIdempotencyKey(ctx, "release", `DELETE FROM idempotency_keys
		WHERE project_id = ? AND key_hash = ? AND owner = ? AND done = ?`, projectID, keyHash, owner, false)
}

// ownIdempotencyKey runs a write that only the record's owner may make.
func (s *Store) ownIdempotencyKey(ctx context.Context, what, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("%s idempotency key: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s idempotency key: %w", what, store.ErrStale)
	}
	return nil
}

// DeleteIdempotencyKeysBefore removes the records made before t.
func (s *Store) DeleteIdempotencyKeysBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE created_at < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
