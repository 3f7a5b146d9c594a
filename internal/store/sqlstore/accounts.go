package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

var accountCredentials = sealedColumns[1]

const accountColumns = `id, project_id, profile_id, provider, status, status_reasons, origin_owner_id, origin_owner_name, origin_username,
	label, account_type, metadata, setup_information, credentials, credential_version, token_expires_at, token_obtained_at, created_at, updated_at`

// accountSelect is what a read of an account takes: its columns and its version.
const accountSelect = accountColumns + `, version`

// listSelect is accountSelect with the sealed credentials left unread.
var listSelect = strings.Replace(accountSelect, "credentials, credential_version", "'' AS credentials, credential_version", 1)

// CreateAccount stores a with its credentials sealed, and the event.
func (s *Store) CreateAccount(ctx context.Context, a store.Account, event string) (store.Account, error) {
	var out store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.createAccountTx(ctx, tx, a, event)
		return err
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("create account: %w", err)
	}
	return out, nil
}

// accountAndProfile reads an account and its profile in one query.
var accountAndProfile = `SELECT ` + qualify("a", accountSelect) + `, ` + qualify("p", profileSelect) +
	` FROM accounts a JOIN connector_profiles p ON p.id = a.profile_id WHERE a.project_id = ? AND a.id = ?`

// qualify prefixes each column of a column list with a table alias.
func qualify(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// GetAccountAndProfile returns an account, credentials opened, with its
// connector profile, secret opened, read together.
func (s *Store) GetAccountAndProfile(ctx context.Context, projectID, id string) (store.Account, store.ConnectorProfile, error) {
	var a accountRow
	var p profileScan
	if err := s.queryRow(ctx, accountAndProfile, projectID, id).Scan(append(a.dest(), p.dest()...)...); err != nil {
		return store.Account{}, store.ConnectorProfile{}, fmt.Errorf("get account %s: %w", id, s.translate(err))
	}
	return s.decodeAccountAndProfile(a, p)
}

// decodeAccountAndProfile opens an account and its profile read together.
func (s *Store) decodeAccountAndProfile(a accountRow, p profileScan) (store.Account, store.ConnectorProfile, error) {
	acc, creds, err := a.decode()
	if err != nil {
		return store.Account{}, store.ConnectorProfile{}, err
	}
	prof, err := s.decodeProfile(p)
	if err != nil {
		return store.Account{}, store.ConnectorProfile{}, err
	}
	acc, err = s.openCredentials(acc, creds)
	return acc, prof, err
}

// ImportAccounts stores accounts, each with an event, in one transaction.
func (s *Store) ImportAccounts(ctx context.Context, accounts []store.Account, event string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, a := range accounts {
			if _, err := s.createAccountTx(ctx, tx, a, event); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import %d accounts: %w", len(accounts), err)
	}
	return nil
}

// createAccountTx stores a new account and its event in tx.
func (s *Store) createAccountTx(ctx context.Context, tx *sql.Tx, a store.Account, event string) (store.Account, error) {
	out, err := s.insertAccountTx(ctx, tx, a)
	if err != nil {
		return store.Account{}, err
	}
	return out, s.accountEventTx(ctx, tx, event, out)
}

// insertAccountTx stores a new account in tx, filling its defaults.
func (s *Store) insertAccountTx(ctx context.Context, tx *sql.Tx, a store.Account) (store.Account, error) {
	if a.ID == "" {
		a.ID = store.NewID("acc")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.UpdatedAt = a.CreatedAt
	a.CreatedAt, a.UpdatedAt = normalizeTime(a.CreatedAt), normalizeTime(a.UpdatedAt)
	if a.CredentialVersion == 0 {
		a.CredentialVersion = 1
	}
	if a.Status == "" {
		a.Status = store.StatusActive
	}
	reasons, metadata, setup, err := accountJSON(a)
	if err != nil {
		return store.Account{}, err
	}
	creds, err := s.sealCredentials(a.ID, a.Credentials)
	if err != nil {
		return store.Account{}, err
	}
	var profileProject string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT project_id FROM connector_profiles WHERE id = ?`), a.ProfileID).Scan(&profileProject); err != nil || profileProject != a.ProjectID {
		return store.Account{}, fmt.Errorf("connector profile %s: %w", a.ProfileID, store.ErrNotFound)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.ID, a.ProjectID, a.ProfileID, a.Provider, a.Status, reasons, a.OriginOwnerID, a.OriginOwnerName, a.OriginUsername,
		a.Label, a.Type, metadata, setup, creds, a.CredentialVersion, nullTime(a.Credentials.Expiry), nullTime(a.Credentials.Obtained), a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return store.Account{}, s.translate(err)
	}
	return a, nil
}

func accountJSON(a store.Account) (reasons, metadata, setup string, err error) {
	if a.StatusReasons == nil {
		a.StatusReasons = []store.StatusReason{}
	}
	if a.Metadata == nil {
		a.Metadata = map[string]any{}
	}
	if a.SetupInformation == nil {
		a.SetupInformation = map[string]string{}
	}
	var b [3][]byte
	for i, v := range []any{a.StatusReasons, a.Metadata, a.SetupInformation} {
		if b[i], err = json.Marshal(v); err != nil {
			return "", "", "", err
		}
	}
	return string(b[0]), string(b[1]), string(b[2]), nil
}

func (s *Store) sealCredentials(accountID string, c store.Credentials) (string, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return s.seal(accountCredentials, accountID, string(raw))
}

// GetAccount returns one account of the project, credentials opened.
func (s *Store) GetAccount(ctx context.Context, projectID, id string) (store.Account, error) {
	a, err := s.scanAccount(s.queryRow(ctx, `SELECT `+accountSelect+` FROM accounts WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.Account{}, fmt.Errorf("get account %s: %w", id, s.translate(err))
	}
	return a, nil
}

// ListAccounts returns the project's accounts matching f, oldest first.
func (s *Store) ListAccounts(ctx context.Context, projectID string, f store.AccountFilter) ([]store.Account, error) {
	where, args := accountWhere(projectID, f)
	page := ""
	if f.Limit > 0 {
		page = " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, f.Offset)
	}
	// Filtered queries vary in shape, so they skip the statement cache.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+listSelect+` FROM accounts WHERE `+where+` ORDER BY created_at, id`+page), args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out, err := collect(rows, scanWithoutCredentials)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

// CountAccounts counts the project's accounts matching f (its paging ignored).
func (s *Store) CountAccounts(ctx context.Context, projectID string, f store.AccountFilter) (int, error) {
	f.After = nil
	where, args := accountWhere(projectID, f)
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM accounts WHERE `+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

// accountWhere is the WHERE clause of f's accounts and its arguments.
func accountWhere(projectID string, f store.AccountFilter) (string, []any) {
	where := []string{"project_id = ?"}
	args := []any{projectID}
	where, args = inList("origin_owner_id", f.OriginOwnerIDs, where, args)
	where, args = inList("id", f.AccountIDs, where, args)
	where, args = inList("provider", f.Providers, where, args)
	where, args = inList("status", f.Statuses, where, args)
	if f.ProfileID != "" {
		where = append(where, "profile_id = ?")
		args = append(args, f.ProfileID)
	}
	if f.After != nil {
		where = append(where, "(created_at, id) > (?, ?)")
		args = append(args, normalizeTime(f.After.CreatedAt), f.After.ID)
	}
	return strings.Join(where, " AND "), args
}

// UpdateAccount writes the edit decide makes to the account as stored, read
// under its write lock.
func (s *Store) UpdateAccount(ctx context.Context, projectID, id string, decide func(store.Account) (store.AccountEdit, error)) (store.Account, error) {
	var out store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockWithoutCredentials(ctx, tx, projectID, id)
		if err != nil {
			return err
		}
		edit, err := decide(cur)
		if err != nil {
			return err
		}
		a := edit.Account
		a.UpdatedAt = s.now()
		reasons, metadata, setup, err := accountJSON(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET profile_id = ?, status = ?, status_reasons = ?, origin_owner_id = ?, origin_owner_name = ?,
			origin_username = ?, label = ?, account_type = ?, metadata = ?, setup_information = ?, updated_at = ? WHERE project_id = ? AND id = ?`),
			a.ProfileID, a.Status, reasons, a.OriginOwnerID, a.OriginOwnerName, a.OriginUsername, a.Label, a.Type, metadata, setup, a.UpdatedAt, projectID, id); err != nil {
			return s.translate(err)
		}
		if out, err = scanWithoutCredentials(tx.QueryRowContext(ctx, s.q(`SELECT `+listSelect+` FROM accounts WHERE project_id = ? AND id = ?`), projectID, id)); err != nil {
			return fmt.Errorf("read it back: %w", s.translate(err))
		}
		return s.accountEventTx(ctx, tx, edit.Event, out)
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("update account %s: %w", id, err)
	}
	return out, nil
}

// lockWithoutCredentials reads an account under its write lock in tx, its
// credentials unread.
func (s *Store) lockWithoutCredentials(ctx context.Context, tx *sql.Tx, projectID, id string) (store.Account, error) {
	a, err := scanWithoutCredentials(tx.QueryRowContext(ctx, s.q(`SELECT `+listSelect+` FROM accounts WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id))
	return a, s.translate(err)
}

// UpdateCredentials stores new credentials only over the expected version.
func (s *Store) UpdateCredentials(ctx context.Context, projectID, id string, expectVersion int64, c store.Credentials) (store.Account, error) {
	creds, err := s.sealCredentials(id, c)
	if err != nil {
		return store.Account{}, fmt.Errorf("update credentials of %s: %w", id, err)
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE accounts SET credentials = ?, credential_version = credential_version + 1, token_expires_at = ?,
		token_obtained_at = ?, updated_at = ? WHERE project_id = ? AND id = ? AND credential_version = ?`),
		creds, nullTime(c.Expiry), nullTime(c.Obtained), s.now(), projectID, id, expectVersion)
	if err != nil {
		return store.Account{}, fmt.Errorf("update credentials of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetAccount(ctx, projectID, id); err != nil {
			return store.Account{}, err
		}
		return store.Account{}, fmt.Errorf("update credentials of %s: %w", id, store.ErrStale)
	}
	return s.GetAccount(ctx, projectID, id)
}

// DeleteAccount removes an account, with the event decide names, unless
// decide refuses.
func (s *Store) DeleteAccount(ctx context.Context, projectID, id string, decide func(store.Account) (string, error)) (store.Account, error) {
	var a store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		if a, err = s.lockWithoutCredentials(ctx, tx, projectID, id); err != nil {
			return err
		}
		event, err := decide(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM accounts WHERE id = ?`), id); err != nil {
			return err
		}
		return s.accountEventTx(ctx, tx, event, a)
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("delete account %s: %w", id, err)
	}
	return a, nil
}

func (s *Store) scanAccount(row scanner) (store.Account, error) {
	a, creds, err := scanAccountFields(row)
	if err != nil {
		return store.Account{}, err
	}
	return s.openCredentials(a, creds)
}

// openCredentials fills a's credentials from their sealed form.
func (s *Store) openCredentials(a store.Account, creds string) (store.Account, error) {
	plain, err := s.open(accountCredentials, a.ID, creds)
	if err != nil {
		return store.Account{}, fmt.Errorf("credentials of account %s: %w: %w", a.ID, store.ErrSealed, err)
	}
	if err := json.Unmarshal([]byte(plain), &a.Credentials); err != nil {
		return store.Account{}, fmt.Errorf("credentials of account %s: %w: %w", a.ID, store.ErrSealed, err)
	}
	return a, nil
}

// scanWithoutCredentials reads a listSelect row: the account, its
// credentials unread but for the token's dates.
func scanWithoutCredentials(row scanner) (store.Account, error) {
	a, _, err := scanAccountFields(row)
	return a, err
}

// accountRow is an account row as scanned, before decoding.
type accountRow struct {
	a                               store.Account
	reasons, metadata, setup, creds string
	expires, obtained               sql.NullTime
}

// dest is where a row of accountSelect scans to.
func (r *accountRow) dest() []any {
	a := &r.a
	return []any{&a.ID, &a.ProjectID, &a.ProfileID, &a.Provider, &a.Status, &r.reasons, &a.OriginOwnerID, &a.OriginOwnerName,
		&a.OriginUsername, &a.Label, &a.Type, &r.metadata, &r.setup, &r.creds, &a.CredentialVersion, &r.expires, &r.obtained, &a.CreatedAt, &a.UpdatedAt, &a.Version}
}

// scanAccountFields reads an account row, its credentials still sealed.
func scanAccountFields(row scanner) (store.Account, string, error) {
	var r accountRow
	if err := row.Scan(r.dest()...); err != nil {
		return store.Account{}, "", err
	}
	return r.decode()
}

// decode turns the scanned row into the account, its credentials still sealed.
func (r *accountRow) decode() (store.Account, string, error) {
	a, reasons, metadata, setup, creds, expires, obtained := r.a, r.reasons, r.metadata, r.setup, r.creds, r.expires, r.obtained
	// The token's dates are kept in the clear too (the keep-alive queries them):
	// an account read without its credentials still shows them.
	if expires.Valid {
		a.Credentials.Expiry = expires.Time.UTC()
	}
	if obtained.Valid {
		a.Credentials.Obtained = obtained.Time.UTC()
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	for _, part := range []struct {
		raw string
		v   any
	}{{reasons, &a.StatusReasons}, {metadata, &a.Metadata}, {setup, &a.SetupInformation}} {
		if err := json.Unmarshal([]byte(part.raw), part.v); err != nil {
			return store.Account{}, "", fmt.Errorf("account %s: %w", a.ID, err)
		}
	}
	return a, creds, nil
}

// LockAccount runs decide under the account's write lock and applies its change.
func (s *Store) LockAccount(ctx context.Context, projectID, id string, decide func(store.Account) (store.AccountChange, error)) (store.Account, error) {
	var out store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a, err := s.scanAccount(tx.QueryRowContext(ctx, s.q(`SELECT `+accountSelect+` FROM accounts WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id))
		if err != nil {
			return s.translate(err)
		}
		change, err := decide(a)
		if err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if change.Credentials != nil {
			creds, err := s.sealCredentials(a.ID, *change.Credentials)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET credentials = ?, credential_version = credential_version + 1, token_expires_at = ?,
				token_obtained_at = ?, updated_at = ? WHERE id = ?`),
				creds, nullTime(change.Credentials.Expiry), nullTime(change.Credentials.Obtained), a.UpdatedAt, a.ID); err != nil {
				return err
			}
			a.Credentials, a.CredentialVersion = *change.Credentials, a.CredentialVersion+1
		}
		if change.Status != "" {
			a.Status, a.StatusReasons = change.Status, change.StatusReasons
			reasons, _, _, err := accountJSON(a)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET status = ?, status_reasons = ?, updated_at = ? WHERE id = ?`),
				a.Status, reasons, a.UpdatedAt, a.ID); err != nil {
				return err
			}
		}
		if change.Credentials != nil || change.Status != "" {
			if err := tx.QueryRowContext(ctx, s.q(`SELECT version FROM accounts WHERE id = ?`), a.ID).Scan(&a.Version); err != nil {
				return err
			}
		}
		if err := s.accountEventTx(ctx, tx, change.Event, a); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("lock account %s: %w", id, err)
	}
	return out, nil
}

// AccountsObtainedBefore lists accounts of every project whose tokens were
// obtained before t (or never recorded), oldest first, for keep-alive refreshes.
func (s *Store) AccountsObtainedBefore(ctx context.Context, t time.Time, limit int) ([]store.Account, error) {
	out, err := queryAll(ctx, s, s.scanAccount, `SELECT `+accountSelect+` FROM accounts
		WHERE status IN ('active', 'error') AND (token_obtained_at IS NULL OR token_obtained_at < ?) ORDER BY token_obtained_at, id LIMIT ?`,
		normalizeTime(t), limit)
	if err != nil {
		return nil, fmt.Errorf("accounts obtained before %s: %w", t, err)
	}
	return out, nil
}

// updateAccountTx writes every field of a that linking sets, credentials
// included, in tx, bumping the credential version.
func (s *Store) updateAccountTx(ctx context.Context, tx *sql.Tx, a store.Account) error {
	reasons, metadata, setup, err := accountJSON(a)
	if err != nil {
		return err
	}
	creds, err := s.sealCredentials(a.ID, a.Credentials)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE accounts SET profile_id = ?, status = ?, status_reasons = ?, origin_username = ?, label = ?,
		setup_information = ?, metadata = ?, credentials = ?, credential_version = credential_version + 1, token_expires_at = ?, token_obtained_at = ?,
		updated_at = ? WHERE project_id = ? AND id = ?`),
		a.ProfileID, a.Status, reasons, a.OriginUsername, a.Label, setup, metadata, creds, nullTime(a.Credentials.Expiry),
		nullTime(a.Credentials.Obtained), a.UpdatedAt, a.ProjectID, a.ID)
	return s.translate(err)
}
