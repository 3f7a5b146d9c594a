package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// sealedColumn is a column whose values are sealed secrets. Rows are identified by
// their "id" column.
type sealedColumn struct{ table, column string }

// sealedColumns lists every column that holds a sealed secret; rotation walks them.
// A new secret column must be added here or `patchbay secrets rotate` will miss it.
var sealedColumns = []sealedColumn{
	{"connector_profiles", "client_secret"},
	{"accounts", "credentials"},
	{"connection_attempts", "pending_credentials"}, // NULL when there are none
	{"oauth_states", "code_verifier"},
	{"oauth_states", "redirect_uri"}, // the Hub address, with the session token
	{"webhook_endpoints", "secrets"},
}

// aad binds a ciphertext to its row and field.
func (c sealedColumn) aad(rowID string) string { return c.table + "/" + rowID + "/" + c.column }

func (s *Store) seal(c sealedColumn, rowID, plaintext string) (string, error) {
	sealed, err := s.keys.Seal([]byte(plaintext), c.aad(rowID))
	if err != nil {
		return "", fmt.Errorf("seal %s.%s: %w", c.table, c.column, err)
	}
	return sealed, nil
}

func (s *Store) open(c sealedColumn, rowID, sealed string) (string, error) {
	plaintext, err := s.keys.Open(sealed, c.aad(rowID))
	if err != nil {
		return "", fmt.Errorf("open %s.%s of %s: %w", c.table, c.column, rowID, err)
	}
	return string(plaintext), nil
}

// RotateSecrets re-seals every secret not sealed under the primary key.
func (s *Store) RotateSecrets(ctx context.Context, batchSize int, progress func(int)) (int, error) {
	if batchSize <= 0 {
		return 0, fmt.Errorf("rotate secrets: batch size must be positive, got %d", batchSize)
	}
	total := 0
	for _, c := range sealedColumns {
		after := "" // each batch continues past the last row read: one pass over the table
		for {
			selected, resealed, last, err := s.resealBatch(ctx, c, after, batchSize)
			after = last
			total += resealed
			if err != nil {
				return total, fmt.Errorf("rotate secrets: %w", err)
			}
			if progress != nil && resealed > 0 {
				progress(total)
			}
			if selected < batchSize {
				break
			}
		}
	}
	return total, nil
}

// resealBatch re-seals up to limit values of one column, in rows after the
// id after, in one transaction, and returns the last id it read. A row whose
// value changed since it was read is left alone: its writer sealed it afresh.
func (s *Store) resealBatch(ctx context.Context, c sealedColumn, after string, limit int) (selected, resealed int, last string, err error) {
	prefix := s.keys.SealedPrefix()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		type pending struct{ id, sealed string }
		var batch []pending
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, `+c.column+` FROM `+c.table+
			` WHERE id > ? AND `+c.column+` IS NOT NULL AND substr(`+c.column+`, 1, ?) <> ? ORDER BY id LIMIT ?`),
			after, len(prefix), prefix, limit)
		if err != nil {
			return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
		}
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.id, &p.sealed); err != nil {
				rows.Close()
				return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
			}
			batch = append(batch, p)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
		}
		selected = len(batch)
		if selected > 0 {
			last = batch[selected-1].id
		}
		for _, p := range batch {
			plaintext, err := s.open(c, p.id, p.sealed)
			if err != nil {
				return err
			}
			fresh, err := s.seal(c, p.id, plaintext)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, s.q(`UPDATE `+c.table+` SET `+c.column+` = ? WHERE id = ? AND `+c.column+` = ?`),
				fresh, p.id, p.sealed)
			if err != nil {
				return fmt.Errorf("update %s.%s of %s: %w", c.table, c.column, p.id, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				resealed++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, after, err
	}
	return selected, resealed, last, nil
}
