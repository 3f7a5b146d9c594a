package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// TakeKeyQuota grants up to want more requests to the key in the minute that
// starts at window, never taking the minute's count past limit.
func (s *Store) TakeKeyQuota(ctx context.Context, keyID string, window time.Time, want, limit int) (store.QuotaLease, error) {
	window = normalizeTime(window)
	var lease store.QuotaLease
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_key_quota (key_id, window_start, used) VALUES (?, ?, 0)
			ON CONFLICT (key_id, window_start) DO NOTHING`), keyID, window)
		if err != nil {
			return err
		}
		if opened, _ := res.RowsAffected(); opened == 1 {
			// The key's first request this minute: note when it was last used.
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`), window, keyID); err != nil {
				return err
			}
		}
		var used int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT used FROM api_key_quota WHERE key_id = ? AND window_start = ?`+s.dialect.ForUpdate),
			keyID, window).Scan(&used); err != nil {
			return err
		}
		lease.Granted = max(0, min(want, limit-used))
		lease.Used = used + lease.Granted
		if lease.Granted == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE api_key_quota SET used = used + ? WHERE key_id = ? AND window_start = ?`), lease.Granted, keyID, window)
		return err
	})
	if err != nil {
		return store.QuotaLease{}, fmt.Errorf("take key quota: %w", err)
	}
	return lease, nil
}

// DeleteKeyQuotaBefore drops the counts of minutes that started before t.
func (s *Store) DeleteKeyQuotaBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM api_key_quota WHERE window_start < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete key quota: %w", err)
	}
	return res.RowsAffected()
}
