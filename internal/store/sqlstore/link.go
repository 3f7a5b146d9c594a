package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// LinkAccount decides a pending attempt and links its account in one
// transaction. The attempt row is read FOR UPDATE (SQLite's transactions hold
// the single write lock from their start), so of concurrent callers for one
// attempt exactly one finds it pending; the others get ErrStale.
func (s *Store) LinkAccount(ctx context.Context, l store.Link) (store.Account, store.ConnectionAttempt, error) {
	var acc store.Account
	var att store.ConnectionAttempt
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a, err := s.scanAttempt(tx.QueryRowContext(ctx, s.q(`SELECT `+attemptColumns+` FROM connection_attempts WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate),
			l.ProjectID, l.AttemptID))
		if err != nil {
			return s.translate(err)
		}
		if a.Status != store.AttemptPending {
			return fmt.Errorf("%w: the attempt is %s", store.ErrStale, a.Status)
		}
		cs, err := scanConnectSession(tx.QueryRowContext(ctx, s.q(`SELECT id, `+connectSessionColumns+` FROM connect_sessions WHERE project_id = ? AND id = ?`),
			l.ProjectID, a.SessionID))
		if err != nil {
			return fmt.Errorf("connect session %d: %w", a.SessionID, s.translate(err))
		}
		if !cs.ExpiresAt.After(l.At) {
			return fmt.Errorf("connect session %d: %w at %s", cs.ID, store.ErrExpired, cs.ExpiresAt.Format(time.RFC3339))
		}
		var provider string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT connector_key FROM connector_profiles WHERE project_id = ? AND id = ?`), l.ProjectID, a.ProfileID).Scan(&provider); err != nil {
			return fmt.Errorf("connector profile %s: %w", a.ProfileID, s.translate(err))
		}
		lc := store.LinkContext{Attempt: a, Session: cs, Provider: provider}
		existing, err := s.linkTarget(ctx, tx, cs.ProjectID, l.Target(lc))
		if err != nil {
			return err
		}
		var event string
		if acc, event = l.Write(lc, existing); existing != nil {
			acc.ID, acc.UpdatedAt = existing.ID, s.now()
			if err := s.updateAccountTx(ctx, tx, acc); err != nil {
				return err
			}
			acc.CredentialVersion = existing.CredentialVersion + 1
			if err := tx.QueryRowContext(ctx, s.q(`SELECT version FROM accounts WHERE id = ?`), acc.ID).Scan(&acc.Version); err != nil {
				return err
			}
		} else if acc, err = s.insertAccountTx(ctx, tx, acc); err != nil {
			return err
		}
		if err := s.accountEventTx(ctx, tx, event, acc); err != nil {
			return err
		}
		options, _, err := s.attemptFields(store.ConnectionAttempt{})
		if err != nil {
			return err
		}
		a.Status, a.AccountID, a.SetupOptions, a.PendingCredentials, a.UpdatedAt = store.AttemptAuthenticated, acc.ID, nil, nil, s.now()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE connection_attempts SET status = ?, account_id = ?, setup_options = ?, pending_credentials = NULL,
			updated_at = ? WHERE id = ?`), a.Status, a.AccountID, options, a.UpdatedAt, a.ID); err != nil {
			return err
		}
		att = a
		return nil
	})
	if err != nil {
		return store.Account{}, store.ConnectionAttempt{}, fmt.Errorf("link account for attempt %s: %w", l.AttemptID, err)
	}
	return acc, att, nil
}

// linkTarget finds, under lock, the account t names; nil when it names none
// or no account matches its owner. The link replaces the credentials, so the
// old ones are not read: an account whose credentials cannot be opened can be
// linked again.
func (s *Store) linkTarget(ctx context.Context, tx *sql.Tx, projectID string, t store.LinkTarget) (*store.Account, error) {
	if t.AccountID != "" {
		a, err := s.lockWithoutCredentials(ctx, tx, projectID, t.AccountID)
		if err != nil {
			return nil, fmt.Errorf("account %s to re-link: %w", t.AccountID, err)
		}
		return &a, nil
	}
	o := t.Owner
	if o == nil {
		return nil, nil
	}
	// Links for one owner take turns, on every node: the account they would
	// create does not exist yet, so there is no row to lock.
	if s.dialect.KeyLock != "" {
		if _, err := tx.ExecContext(ctx, s.q(s.dialect.KeyLock), lockKey("link", projectID, o.Provider, o.OwnerID, o.OwnerName)); err != nil {
			return nil, fmt.Errorf("lock the links of owner %s: %w", o.OwnerID, err)
		}
	}
	query := `SELECT ` + listSelect + ` FROM accounts WHERE project_id = ? AND provider = ? AND origin_owner_id = ? AND origin_owner_name = ?`
	args := []any{projectID, o.Provider, o.OwnerID, o.OwnerName}
	if o.ProfileID != "" {
		query += ` AND profile_id = ?`
		args = append(args, o.ProfileID)
	}
	a, err := scanWithoutCredentials(tx.QueryRowContext(ctx, s.q(query+` ORDER BY created_at, id LIMIT 1`+s.dialect.ForUpdate), args...))
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("account of owner %s: %w", o.OwnerID, err)
	}
	return &a, nil
}

// lockKey is the 64-bit key of a KeyLock on the parts: a hash of them, each
// length-prefixed so that no two lists of parts share a key by concatenation.
func lockKey(parts ...string) int64 {
	h := sha256.New()
	for _, p := range parts {
		binary.Write(h, binary.BigEndian, uint32(len(p)))
		h.Write([]byte(p))
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)))
}
