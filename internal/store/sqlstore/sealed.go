package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/store"
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
	{"idempotency_keys", "body"}, // NULL until the answer is kept
	{"sync_records", "data"},     // NULL once the record is deleted
	{"sync_changes", "data"},     // NULL for a deletion
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

// keyCheck is the value every key check seals.
const keyCheck = "patchbay key check"

func keyCheckAAD(keyID string) string { return "key_checks/" + keyID }

// CheckKeys compares the key ring with the keys the data is sealed with (one
// check value each), then notes the primary key.
func (s *Store) CheckKeys(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, sealed FROM key_checks ORDER BY key_id`)
	if err != nil {
		return fmt.Errorf("check encryption keys: %w", err)
	}
	var needed, missing, other []string
	for rows.Next() {
		var id, sealed string
		if err := rows.Scan(&id, &sealed); err != nil {
			rows.Close()
			return fmt.Errorf("check encryption keys: %w", err)
		}
		needed = append(needed, id)
		switch _, err := s.keys.Open(sealed, keyCheckAAD(id)); {
		case !slices.Contains(s.keys.IDs(), id):
			missing = append(missing, id)
		case err != nil:
			other = append(other, id)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("check encryption keys: %w", err)
	}
	if len(missing)+len(other) > 0 {
		msg := fmt.Sprintf("the data is sealed with the keys %s; this node has %s", strings.Join(needed, ", "), strings.Join(s.keys.IDs(), ", "))
		if len(missing) > 0 {
			msg += " (missing: " + strings.Join(missing, ", ") + ")"
		}
		if len(other) > 0 {
			msg += " (a different key under the id " + strings.Join(other, ", ") + ")"
		}
		return fmt.Errorf("%w: %s; start the node with every key the data needs, as the other nodes have them", store.ErrWrongKeys, msg)
	}
	sealed, err := s.keys.Seal([]byte(keyCheck), keyCheckAAD(s.keys.Primary()))
	if err != nil {
		return fmt.Errorf("check encryption keys: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO key_checks (key_id, sealed) VALUES (?, ?) ON CONFLICT (key_id) DO NOTHING`),
		s.keys.Primary(), sealed); err != nil {
		return fmt.Errorf("note the primary encryption key: %w", err)
	}
	return nil
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
	// Every secret is sealed under the primary key now: the other keys may go.
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM key_checks WHERE key_id <> ?`), s.keys.Primary()); err != nil {
		return total, fmt.Errorf("rotate secrets: forget the retired keys: %w", err)
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
