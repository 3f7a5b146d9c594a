package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// appendAudit chains e to its project's trail in tx. The head row's lock
// (a row lock on PostgreSQL; SQLite has one writer) orders the entries of a
// project across nodes; it is taken last in the transaction, after the
// change's own rows, so two changes never wait on each other in a circle.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = store.NewID("aud")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = normalizeTime(e.At)
	if len(e.Changes) == 0 {
		e.Changes = []byte("{}")
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_heads (project_id, seq, hash) VALUES (?, 0, ?) ON CONFLICT (project_id) DO NOTHING`),
		e.ProjectID, []byte{}); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT seq, hash FROM audit_heads WHERE project_id = ?`+s.dialect.ForUpdate), e.ProjectID).
		Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Seq++
	e.PrevHash = append([]byte{}, e.PrevHash...) // never NULL: the first entry follows an empty hash
	e.Hash = store.AuditHash(e.PrevHash, *e)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (id, project_id, seq, at, actor, action, target_type, target_id, changes, request_id, address, outcome, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.ID, e.ProjectID, e.Seq, e.At, e.Actor, e.Action, e.TargetType, e.TargetID,
		string(e.Changes), e.RequestID, e.Address, e.Outcome, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit entry: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE audit_heads SET seq = ?, hash = ? WHERE project_id = ?`), e.Seq, e.Hash, e.ProjectID); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AppendAudit appends e in a transaction of its own.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := s.inTx(store.WithAudit(ctx, &e), func(*sql.Tx) error { return nil })
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

const auditColumns = `id, project_id, seq, at, actor, action, target_type, target_id, changes, request_id, address, outcome, prev_hash, hash`

func scanAudit(row scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var changes string
	err := row.Scan(&e.ID, &e.ProjectID, &e.Seq, &e.At, &e.Actor, &e.Action, &e.TargetType, &e.TargetID, &changes,
		&e.RequestID, &e.Address, &e.Outcome, &e.PrevHash, &e.Hash)
	e.At, e.Changes = e.At.UTC(), []byte(changes)
	return e, err
}

// ListAudit returns the entries f selects, newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	where, args := []string{"project_id = ?"}, []any{f.ProjectID}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		add("substr(action, 1, ?) = ?", len(f.Action))
		args = append(args, f.Action)
	case f.Action != "":
		add("action = ?", f.Action)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	if !f.From.IsZero() {
		add("at >= ?", normalizeTime(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", normalizeTime(f.To))
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := queryAll(ctx, s, scanAudit, `SELECT `+auditColumns+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// AuditHeads returns the last entry of every chain.
func (s *Store) AuditHeads(ctx context.Context) ([]store.AuditHead, error) {
	out, err := queryAll(ctx, s, func(row scanner) (store.AuditHead, error) {
		var h store.AuditHead
		return h, row.Scan(&h.ProjectID, &h.Seq, &h.Hash)
	}, `SELECT project_id, seq, hash FROM audit_heads ORDER BY project_id`)
	if err != nil {
		return nil, fmt.Errorf("audit heads: %w", err)
	}
	return out, nil
}

// AuditChain returns a project's entries after afterSeq in chain order.
func (s *Store) AuditChain(ctx context.Context, projectID string, afterSeq int64, limit int) ([]store.AuditEntry, error) {
	out, err := queryAll(ctx, s, scanAudit, `SELECT `+auditColumns+` FROM audit_log WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		projectID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("audit chain: %w", err)
	}
	return out, nil
}

// DeleteAuditBefore removes entries made before t.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM audit_log WHERE at < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	return res.RowsAffected()
}
