package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
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
		k.CreatedAt = now()
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

// ListAPIKeys returns the project's keys, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context, projectID string) ([]store.APIKey, error) {
	out, err := queryAll(ctx, s, scanAPIKey,
		`SELECT `+apiKeyColumns+`, last_used_at FROM api_keys WHERE project_id = ? ORDER BY created_at, id`, projectID)
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
	var k store.APIKey
	var revoked, used sql.NullTime
	if err := row.Scan(&k.ID, &k.ProjectID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt, &revoked, &k.Role, &used); err != nil {
		return store.APIKey{}, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.RevokedAt, k.LastUsedAt = fromNullTime(revoked), fromNullTime(used)
	return k, nil
}
