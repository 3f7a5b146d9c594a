package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

const apiKeyColumns = `id, project_id, name, prefix, hash, created_at, revoked_at, role`

// CreateAPIKey stores k, filling ID and CreatedAt when empty.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	if k.ID == "" {
		k.ID = store.NewID("key")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	k.CreatedAt = normalizeTime(k.CreatedAt)
	if k.Role == "" {
		k.Role = store.RoleAdmin
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, k.ProjectID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			k.ID, k.ProjectID, k.Name, k.Prefix, k.Hash, k.CreatedAt, nullTime(k.RevokedAt), k.Role)
		return s.translate(err)
	})
	if err != nil {
		return store.APIKey{}, fmt.Errorf("create api key: %w", err)
	}
	return k, nil
}

// requireProject fails with ErrNotFound when the project does not exist.
func (s *Store) requireProject(ctx context.Context, tx *sql.Tx, projectID string) error {
	var id string
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM projects WHERE id = ?`), projectID).Scan(&id)
	if err != nil {
		return fmt.Errorf("project %s: %w", projectID, s.translate(err))
	}
	return nil
}

// ListAPIKeys returns the project's keys in w, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context, projectID string, w store.Window) ([]store.APIKey, error) {
	where, args := window(w, projectID, "")
	out, err := queryAll(ctx, s, scanAPIKey,
		`SELECT `+apiKeyColumns+`, last_used_at FROM api_keys WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// APIKeyByHash finds a key by the hash of its plaintext.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error) {
	row := s.queryRow(ctx, `SELECT `+apiKeyColumns+`, last_used_at FROM api_keys WHERE hash = ?`, hash)
	k, err := scanAPIKey(row)
	if err != nil {
		return store.APIKey{}, fmt.Errorf("api key by hash: %w", s.translate(err))
	}
	return k, nil
}

// RevokeAPIKey marks a key revoked; a second revoke keeps the first time.
func (s *Store) RevokeAPIKey(ctx context.Context, projectID, id string, at time.Time) (store.APIKey, error) {
	var k store.APIKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The project's row lock makes concurrent revocations take turns, so
		// two of them can never revoke the last two admin keys at once.
		var project string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM projects WHERE id = ?`+s.dialect.ForUpdate), projectID).Scan(&project); err != nil {
			return s.translate(err)
		}
		var others int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM api_keys WHERE project_id = ? AND id <> ? AND revoked_at IS NULL AND role = ?`),
			projectID, id, store.RoleAdmin).Scan(&others); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE project_id = ? AND id = ? AND revoked_at IS NULL`),
			normalizeTime(at), projectID, id)
		if err != nil {
			return err
		}
		k, err = scanAPIKey(tx.QueryRowContext(ctx, s.q(`SELECT `+apiKeyColumns+`, last_used_at FROM api_keys WHERE project_id = ? AND id = ?`), projectID, id))
		if err != nil {
			return s.translate(err)
		}
		if n, _ := res.RowsAffected(); n == 1 && k.Role == store.RoleAdmin && others == 0 {
			return fmt.Errorf("%w: it is the project's last valid admin key; create another first", store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return store.APIKey{}, fmt.Errorf("revoke api key %s: %w", id, err)
	}
	return k, nil
}

func scanAPIKey(row scanner) (store.APIKey, error) {
	var k apiKeyRow
	if err := row.Scan(k.dest()...); err != nil {
		return store.APIKey{}, err
	}
	return k.decode(), nil
}

// apiKeyRow is a key as read: apiKeyColumns and last_used_at.
type apiKeyRow struct {
	k             store.APIKey
	revoked, used sql.NullTime
}

func (r *apiKeyRow) dest() []any {
	return []any{&r.k.ID, &r.k.ProjectID, &r.k.Name, &r.k.Prefix, &r.k.Hash, &r.k.CreatedAt, &r.revoked, &r.k.Role, &r.used}
}

func (r *apiKeyRow) decode() store.APIKey {
	k := r.k
	k.CreatedAt = k.CreatedAt.UTC()
	k.RevokedAt, k.LastUsedAt = fromNullTime(r.revoked), fromNullTime(r.used)
	return k
}

// keyAndAccount joins a key to an account of its project and the account's
// profile, with the three rows' versions; no row means the key or the account
// is not there.
var keyAndAccount = `SELECT ` + qualify("k", apiKeyColumns) + `, k.last_used_at, ` + qualify("a", accountSelect) + `, ` + qualify("p", profileSelect) +
	`, k.version` + keyAndAccountJoin

// keyAndAccountCurrent reads only the versions of what keyAndAccount reads.
const keyAndAccountCurrent = `SELECT ` + keyAndAccountVersions + keyAndAccountJoin

const (
	keyAndAccountVersions = `k.version, a.version, p.version`
	keyAndAccountJoin     = ` FROM api_keys k JOIN accounts a ON a.project_id = k.project_id JOIN connector_profiles p ON p.id = a.profile_id WHERE k.hash = ? AND a.id = ?`
)

// APIKeyAndAccount reads a key and an account of its project in one query.
// Only when that finds nothing does it read the key alone, to tell an unknown
// key from an unknown account.
//
// What it read is kept (see keptReads): when the same key asks for the same
// account again, one query reads the three rows' versions, and only when one
// has changed is everything read again. Still one round trip per call, and
// every change made on any node is seen by the next call.
func (s *Store) APIKeyAndAccount(ctx context.Context, hash []byte, accountID string) (store.KeyedAccount, error) {
	var buf [128]byte
	id := keptID(buf[:0], hash, accountID)
	if kept, ok := s.kept.get(id); ok {
		var now rowVersions
		err := s.queryRow(ctx, keyAndAccountCurrent, hash, accountID).Scan(&now[0], &now[1], &now[2])
		switch {
		case err == nil && now == kept.versions:
			return kept.ka, nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return store.KeyedAccount{}, fmt.Errorf("api key and account %s: %w", accountID, s.translate(err))
		}
		s.kept.drop(id) // changed or gone: read it all again
	}
	var k apiKeyRow
	var a accountRow
	var p profileScan
	var keyVersion int64
	err := s.queryRow(ctx, keyAndAccount, hash, accountID).Scan(slices.Concat(k.dest(), a.dest(), p.dest(), []any{&keyVersion})...)
	if errors.Is(err, sql.ErrNoRows) {
		key, err := s.APIKeyByHash(ctx, hash)
		return store.KeyedAccount{Key: key, AccountID: accountID,
			AccountErr: fmt.Errorf("get account %s: %w", accountID, store.ErrNotFound)}, err
	}
	if err != nil {
		return store.KeyedAccount{}, fmt.Errorf("api key and account %s: %w", accountID, s.translate(err))
	}
	out := store.KeyedAccount{Key: k.decode(), AccountID: accountID}
	out.Account, out.Profile, out.AccountErr = s.decodeAccountAndProfile(a, p)
	s.kept.put(id, keptRead{versions: rowVersions{keyVersion, a.a.Version, p.p.Version}, ka: out})
	return out, nil
}
