package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

const adminColumns = `id, email, password_hash, created_at`

func scanAdmin(row scanner) (store.Admin, error) {
	var a store.Admin
	if err := row.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.CreatedAt); err != nil {
		return store.Admin{}, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// CreateAdmin stores a and its project memberships in one transaction.
func (s *Store) CreateAdmin(ctx context.Context, a store.Admin, projectIDs []string) (store.Admin, error) {
	if a.ID == "" {
		a.ID = store.NewID("adm")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.CreatedAt, a.Email = normalizeTime(a.CreatedAt), strings.ToLower(a.Email)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admins (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`),
			a.ID, a.Email, a.PasswordHash, a.CreatedAt); err != nil {
			return s.translate(err)
		}
		for _, p := range projectIDs {
			if err := s.requireProject(ctx, tx, p); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admin_projects (admin_id, project_id) VALUES (?, ?)`), a.ID, p); err != nil {
				return s.translate(err)
			}
		}
		// A setup link exists to create the first admin: once there is one,
		// no link may create another.
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_setup_tokens`)
		return err
	})
	if err != nil {
		return store.Admin{}, fmt.Errorf("create admin: %w", err)
	}
	return a, nil
}

// AdminByEmail finds an admin by email, compared lower-case.
func (s *Store) AdminByEmail(ctx context.Context, email string) (store.Admin, error) {
	a, err := scanAdmin(s.queryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE email = ?`, strings.ToLower(email)))
	if err != nil {
		return store.Admin{}, fmt.Errorf("admin %s: %w", email, s.translate(err))
	}
	return a, nil
}

// GetAdmin returns one admin.
func (s *Store) GetAdmin(ctx context.Context, id string) (store.Admin, error) {
	a, err := scanAdmin(s.queryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = ?`, id))
	if err != nil {
		return store.Admin{}, fmt.Errorf("admin %s: %w", id, s.translate(err))
	}
	return a, nil
}

// ListAdmins returns every admin, oldest first.
func (s *Store) ListAdmins(ctx context.Context) ([]store.Admin, error) {
	out, err := queryAll(ctx, s, scanAdmin, `SELECT `+adminColumns+` FROM admins ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return out, nil
}

// AdminProjects lists the projects an admin is a member of.
func (s *Store) AdminProjects(ctx context.Context, adminID string) ([]store.Project, error) {
	out, err := queryAll(ctx, s, scanProject, `SELECT `+projectColumns+` FROM projects p
		JOIN admin_projects m ON m.project_id = p.id WHERE m.admin_id = ? ORDER BY p.created_at, p.id`, adminID)
	if err != nil {
		return nil, fmt.Errorf("projects of admin %s: %w", adminID, err)
	}
	return out, nil
}

// SignInFailures returns an email's failed sign-ins.
func (s *Store) SignInFailures(ctx context.Context, emailHash []byte) (store.SignInFailures, error) {
	var f store.SignInFailures
	err := s.queryRow(ctx, `SELECT failures, last_failed_at FROM sign_in_failures WHERE email_hash = ?`, emailHash).Scan(&f.Count, &f.Last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.SignInFailures{}, nil
	case err != nil:
		return store.SignInFailures{}, fmt.Errorf("sign-in failures: %w", err)
	}
	f.Last = f.Last.UTC()
	return f, nil
}

// RecordSignIn clears or counts an email's failed sign-ins.
func (s *Store) RecordSignIn(ctx context.Context, emailHash []byte, ok bool, at time.Time) error {
	query, args := `INSERT INTO sign_in_failures (email_hash, failures, last_failed_at) VALUES (?, 1, ?)
		ON CONFLICT (email_hash) DO UPDATE SET failures = sign_in_failures.failures + 1, last_failed_at = excluded.last_failed_at`,
		[]any{emailHash, normalizeTime(at)}
	if ok {
		query, args = `DELETE FROM sign_in_failures WHERE email_hash = ?`, []any{emailHash}
	}
	if _, err := s.w.ExecContext(ctx, s.q(query), args...); err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// DeleteSignInFailuresBefore forgets failures last counted before t.
func (s *Store) DeleteSignInFailuresBefore(ctx context.Context, t time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sign_in_failures WHERE last_failed_at < ?`), normalizeTime(t)); err != nil {
		return fmt.Errorf("sweep sign-in failures: %w", err)
	}
	return nil
}

// CreateAdminSession stores a session.
func (s *Store) CreateAdminSession(ctx context.Context, as store.AdminSession) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO admin_sessions (token_hash, admin_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`),
		as.TokenHash, as.AdminID, normalizeTime(as.CreatedAt), normalizeTime(as.LastSeenAt))
	if err != nil {
		return fmt.Errorf("create admin session: %w", s.translate(err))
	}
	return nil
}

// AdminSessionByHash finds a session by its token's hash.
func (s *Store) AdminSessionByHash(ctx context.Context, hash []byte) (store.AdminSession, error) {
	var as store.AdminSession
	err := s.queryRow(ctx, `SELECT token_hash, admin_id, created_at, last_seen_at FROM admin_sessions WHERE token_hash = ?`, hash).
		Scan(&as.TokenHash, &as.AdminID, &as.CreatedAt, &as.LastSeenAt)
	if err != nil {
		return store.AdminSession{}, fmt.Errorf("admin session: %w", s.translate(err))
	}
	as.CreatedAt, as.LastSeenAt = as.CreatedAt.UTC(), as.LastSeenAt.UTC()
	return as, nil
}

// TouchAdminSession moves the session's idle clock.
func (s *Store) TouchAdminSession(ctx context.Context, hash []byte, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE admin_sessions SET last_seen_at = ? WHERE token_hash = ?`), normalizeTime(at), hash); err != nil {
		return fmt.Errorf("touch admin session: %w", err)
	}
	return nil
}

// DeleteAdminSession ends a session.
func (s *Store) DeleteAdminSession(ctx context.Context, hash []byte) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE token_hash = ?`), hash); err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}

// DeleteAdminSessionsBefore sweeps sessions past their idle or absolute expiry.
func (s *Store) DeleteAdminSessionsBefore(ctx context.Context, idleSince, createdBefore time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE last_seen_at < ? OR created_at < ?`),
		normalizeTime(idleSince), normalizeTime(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired admin sessions: %w", err)
	}
	return res.RowsAffected()
}

// CreateSetupToken stores a sign-up token's hash in place of any earlier
// one, so at most one link is live; ErrConflict once an admin exists.
func (s *Store) CreateSetupToken(ctx context.Context, hash []byte, expires time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireNoAdmin(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_setup_tokens`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO admin_setup_tokens (token_hash, expires_at) VALUES (?, ?)`), hash, normalizeTime(expires))
		return s.translate(err)
	})
	if err != nil {
		return fmt.Errorf("create setup token: %w", err)
	}
	return nil
}

// requireNoAdmin is ErrConflict when any admin exists.
func (s *Store) requireNoAdmin(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM admins`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return store.ErrConflict
	}
	return nil
}

// ConsumeSetupToken uses a sign-up token exactly once.
func (s *Store) ConsumeSetupToken(ctx context.Context, hash []byte, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var expires time.Time
		var used sql.NullTime
		if err := tx.QueryRowContext(ctx, s.q(`SELECT expires_at, used_at FROM admin_setup_tokens WHERE token_hash = ?`+s.dialect.ForUpdate), hash).
			Scan(&expires, &used); err != nil {
			return s.translate(err)
		}
		switch {
		case used.Valid:
			return store.ErrUsed
		case !expires.After(at):
			return store.ErrExpired
		}
		if err := s.requireNoAdmin(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE admin_setup_tokens SET used_at = ? WHERE token_hash = ?`), normalizeTime(at), hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("use setup token: %w", err)
	}
	return nil
}

// CreateAdminInvite stores an invitation.
func (s *Store) CreateAdminInvite(ctx context.Context, inv store.AdminInvite) error {
	projects, err := json.Marshal(nonNil(inv.ProjectIDs))
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, p := range inv.ProjectIDs {
			if err := s.requireProject(ctx, tx, p); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO admin_invites (token_hash, email, project_ids, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
			inv.TokenHash, strings.ToLower(inv.Email), string(projects), inv.InvitedBy, normalizeTime(inv.CreatedAt), normalizeTime(inv.ExpiresAt))
		return s.translate(err)
	})
	if err != nil {
		return fmt.Errorf("create admin invite: %w", err)
	}
	return nil
}

// AdminInviteByHash finds a live invitation.
func (s *Store) AdminInviteByHash(ctx context.Context, hash []byte, at time.Time) (store.AdminInvite, error) {
	inv, err := s.inviteIn(ctx, s.db, hash, at, "")
	if err != nil {
		return store.AdminInvite{}, fmt.Errorf("admin invite: %w", err)
	}
	return inv, nil
}

// queryRower is a pool or a transaction.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inviteIn reads a live invitation through q, locking it with lock.
func (s *Store) inviteIn(ctx context.Context, q queryRower, hash []byte, at time.Time, lock string) (store.AdminInvite, error) {
	var inv store.AdminInvite
	var projects string
	var used sql.NullTime
	err := q.QueryRowContext(ctx, s.q(`SELECT token_hash, email, project_ids, invited_by, created_at, expires_at, used_at FROM admin_invites WHERE token_hash = ?`+lock), hash).
		Scan(&inv.TokenHash, &inv.Email, &projects, &inv.InvitedBy, &inv.CreatedAt, &inv.ExpiresAt, &used)
	switch {
	case err != nil:
		return inv, s.translate(err)
	case used.Valid:
		return inv, store.ErrUsed
	case !at.Before(inv.ExpiresAt):
		return inv, store.ErrExpired
	}
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	return inv, json.Unmarshal([]byte(projects), &inv.ProjectIDs)
}

// AcceptAdminInvite uses an invitation and creates its admin.
func (s *Store) AcceptAdminInvite(ctx context.Context, hash []byte, a store.Admin) (store.Admin, error) {
	if a.ID == "" {
		a.ID = store.NewID("adm")
	}
	a.CreatedAt = normalizeTime(a.CreatedAt)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		inv, err := s.inviteIn(ctx, tx, hash, a.CreatedAt, s.dialect.ForUpdate)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE admin_invites SET used_at = ? WHERE token_hash = ?`), a.CreatedAt, hash); err != nil {
			return err
		}
		a.Email = inv.Email
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admins (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`),
			a.ID, a.Email, a.PasswordHash, a.CreatedAt); err != nil {
			return s.translate(err)
		}
		return s.grantProjects(ctx, tx, a.ID, inv.ProjectIDs)
	})
	if err != nil {
		return store.Admin{}, fmt.Errorf("accept admin invite: %w", err)
	}
	return a, nil
}

// grantProjects gives an admin the projects that still exist.
func (s *Store) grantProjects(ctx context.Context, tx *sql.Tx, adminID string, projectIDs []string) error {
	for _, p := range projectIDs {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admin_projects (admin_id, project_id) SELECT ?, id FROM projects WHERE id = ?`), adminID, p); err != nil {
			return s.translate(err)
		}
	}
	return nil
}

// SetAdminProjects makes the admin see exactly these projects.
func (s *Store) SetAdminProjects(ctx context.Context, adminID string, projectIDs []string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM admins WHERE id = ?`+s.dialect.ForUpdate), adminID).Scan(&id); err != nil {
			return s.translate(err)
		}
		for _, p := range projectIDs {
			if err := s.requireProject(ctx, tx, p); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM admin_projects WHERE admin_id = ?`), adminID); err != nil {
			return err
		}
		return s.grantProjects(ctx, tx, adminID, projectIDs)
	})
	if err != nil {
		return fmt.Errorf("set admin projects: %w", err)
	}
	return nil
}

// DeleteAdmin removes an admin with their sessions, never the last one.
func (s *Store) DeleteAdmin(ctx context.Context, adminID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		// Counting under the rows' locks: two removals at once cannot leave none.
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT id FROM admins`+s.dialect.ForUpdate+`) AS a`)).Scan(&n); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM admins WHERE id = ?`), adminID)
		if err != nil {
			return err
		}
		switch k, _ := res.RowsAffected(); {
		case k == 0:
			return store.ErrNotFound
		case n <= 1:
			return store.ErrConflict
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE admin_id = ?`), adminID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete admin %s: %w", adminID, err)
	}
	return nil
}

// AdminsLastSeen is when each admin's sessions were last used.
func (s *Store) AdminsLastSeen(ctx context.Context) (map[string]time.Time, error) {
	sessions, err := queryAll(ctx, s, func(row scanner) (store.AdminSession, error) {
		var as store.AdminSession
		return as, row.Scan(&as.AdminID, &as.LastSeenAt)
	}, `SELECT admin_id, last_seen_at FROM admin_sessions`)
	if err != nil {
		return nil, fmt.Errorf("admins last seen: %w", err)
	}
	out := map[string]time.Time{}
	for _, as := range sessions {
		if at := as.LastSeenAt.UTC(); at.After(out[as.AdminID]) {
			out[as.AdminID] = at
		}
	}
	return out, nil
}

// RenameProject changes a project's name.
func (s *Store) RenameProject(ctx context.Context, id, name string) (store.Project, error) {
	return s.updateProject(ctx, id, "rename", `UPDATE projects SET name = ? WHERE id = ?`, name, id)
}
