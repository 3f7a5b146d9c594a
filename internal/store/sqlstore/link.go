package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
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
		existing, err := s.linkTarget(ctx, tx, cs, provider)
		if err != nil {
			return err
		}
		if existing.ID != "" {
			existing.ProfileID, existing.Status, existing.StatusReasons = a.ProfileID, store.StatusActive, nil
			existing.OriginUsername = cmp.Or(cs.OriginUsername, existing.OriginUsername)
			existing.Label = cmp.Or(cs.Label, existing.Label)
			existing.SetupInformation, existing.Credentials = l.SetupInformation, l.Credentials
			existing.UpdatedAt = now()
			if err := s.updateAccountTx(ctx, tx, existing); err != nil {
				return err
			}
			acc = existing
			acc.CredentialVersion++
			if err := s.accountEventTx(ctx, tx, store.EventAccountUpdated, acc); err != nil {
				return err
			}
		} else if acc, err = s.insertAccountTx(ctx, tx, store.Account{
			ID: l.NewAccountID, ProjectID: l.ProjectID, ProfileID: a.ProfileID, Provider: provider, Status: store.StatusActive,
			OriginOwnerID: cs.OriginOwnerID, OriginOwnerName: cs.OriginOwnerName, OriginUsername: cs.OriginUsername,
			Label: cs.Label, Type: cs.Type, Metadata: cs.Metadata, SetupInformation: l.SetupInformation, Credentials: l.Credentials,
		}); err != nil {
			return err
		} else if err := s.accountEventTx(ctx, tx, store.EventAccountCreated, acc); err != nil {
			return err
		}
		options, _, err := s.attemptFields(store.ConnectionAttempt{})
		if err != nil {
			return err
		}
		a.Status, a.AccountID, a.SetupOptions, a.PendingCredentials, a.UpdatedAt = store.AttemptAuthenticated, acc.ID, nil, nil, now()
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

// linkTarget finds, under lock, the account a link updates: the session's
// account in edit mode, else the owner's account for the provider unless the
// session allows several. A zero account means the link creates one. The
// link replaces the credentials, so the old ones are not read: an account
// whose credentials cannot be opened can be linked again.
func (s *Store) linkTarget(ctx context.Context, tx *sql.Tx, cs store.ConnectSession, provider string) (store.Account, error) {
	if cs.AccountID != "" {
		a, err := scanWithoutCredentials(tx.QueryRowContext(ctx, s.q(`SELECT `+listColumns+` FROM accounts WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate),
			cs.ProjectID, cs.AccountID))
		if err != nil {
			return store.Account{}, fmt.Errorf("account %s to re-link: %w", cs.AccountID, s.translate(err))
		}
		return a, nil
	}
	if cs.Multiple {
		return store.Account{}, nil
	}
	query := `SELECT ` + listColumns + ` FROM accounts WHERE project_id = ? AND provider = ? AND origin_owner_id = ? AND origin_owner_name = ?`
	args := []any{cs.ProjectID, provider, cs.OriginOwnerID, cs.OriginOwnerName}
	if cs.ProfileID != "" {
		query += ` AND profile_id = ?`
		args = append(args, cs.ProfileID)
	}
	a, err := scanWithoutCredentials(tx.QueryRowContext(ctx, s.q(query+` ORDER BY created_at, id LIMIT 1`+s.dialect.ForUpdate), args...))
	if isNoRows(err) {
		return store.Account{}, nil
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("account of owner %s: %w", cs.OriginOwnerID, err)
	}
	return a, nil
}
