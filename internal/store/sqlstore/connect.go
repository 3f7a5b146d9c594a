package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

var (
	attemptPendingCredentials = sealedColumns[2]
	stateCodeVerifier         = sealedColumns[3]
	stateRedirectURI          = sealedColumns[4]
)

// connectSessionColumns leaves out id, which the database assigns.
const connectSessionColumns = `project_id, token_hash, origin_owner_id, origin_owner_name, origin_username, provider, profile_id,
	categories, account_id, metadata, multiple, label, account_type, extras, allowed_origin, external_trigger_token, expires_at, created_at`

const attemptColumns = `id, project_id, session_id, profile_id, status, account_id, error_code, error_description,
	setup_field, setup_options, pending_credentials, created_at, updated_at`

const oauthStateColumns = `id, project_id, state_hash, attempt_id, code_verifier, redirect_uri, expires_at, used_at`

// CreateConnectSession stores cs; the database assigns its numeric id.
func (s *Store) CreateConnectSession(ctx context.Context, cs store.ConnectSession) (store.ConnectSession, error) {
	if cs.CreatedAt.IsZero() {
		cs.CreatedAt = s.now()
	}
	cs.CreatedAt, cs.ExpiresAt = normalizeTime(cs.CreatedAt), normalizeTime(cs.ExpiresAt)
	cs.Categories = nonNil(cs.Categories)
	cs.Metadata, cs.Extras = nonNilMap(cs.Metadata), nonNilMap(cs.Extras)
	categories, err := json.Marshal(cs.Categories)
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("create connect session: categories: %w", err)
	}
	metadata, err := json.Marshal(cs.Metadata)
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("create connect session: metadata: %w", err)
	}
	extras, err := json.Marshal(cs.Extras)
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("create connect session: extras: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, cs.ProjectID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO connect_sessions (`+connectSessionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			cs.ProjectID, cs.TokenHash, cs.OriginOwnerID, cs.OriginOwnerName, cs.OriginUsername, cs.Provider, cs.ProfileID,
			string(categories), cs.AccountID, string(metadata), cs.Multiple, cs.Label, cs.Type, string(extras),
			cs.AllowedOrigin, cs.ExternalTriggerToken, cs.ExpiresAt, cs.CreatedAt).Scan(&cs.ID)
		return s.translate(err)
	})
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("create connect session: %w", err)
	}
	return cs, nil
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// ConnectSessionByTokenHash finds a session of any project by its token's hash.
func (s *Store) ConnectSessionByTokenHash(ctx context.Context, hash []byte) (store.ConnectSession, error) {
	cs, err := scanConnectSession(s.queryRow(ctx, `SELECT id, `+connectSessionColumns+` FROM connect_sessions WHERE token_hash = ?`, hash))
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("connect session by token hash: %w", s.translate(err))
	}
	return cs, nil
}

// GetConnectSession returns one session of the project by its numeric id.
func (s *Store) GetConnectSession(ctx context.Context, projectID string, id int64) (store.ConnectSession, error) {
	cs, err := scanConnectSession(s.queryRow(ctx, `SELECT id, `+connectSessionColumns+` FROM connect_sessions WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.ConnectSession{}, fmt.Errorf("get connect session %d: %w", id, s.translate(err))
	}
	return cs, nil
}

func scanConnectSession(row scanner) (store.ConnectSession, error) {
	var cs store.ConnectSession
	var categories, metadata, extras string
	if err := row.Scan(&cs.ID, &cs.ProjectID, &cs.TokenHash, &cs.OriginOwnerID, &cs.OriginOwnerName, &cs.OriginUsername,
		&cs.Provider, &cs.ProfileID, &categories, &cs.AccountID, &metadata, &cs.Multiple, &cs.Label, &cs.Type, &extras,
		&cs.AllowedOrigin, &cs.ExternalTriggerToken, &cs.ExpiresAt, &cs.CreatedAt); err != nil {
		return store.ConnectSession{}, err
	}
	cs.ExpiresAt, cs.CreatedAt = cs.ExpiresAt.UTC(), cs.CreatedAt.UTC()
	for _, part := range []struct {
		name, raw string
		v         any
	}{{"categories", categories, &cs.Categories}, {"metadata", metadata, &cs.Metadata}, {"extras", extras, &cs.Extras}} {
		if err := json.Unmarshal([]byte(part.raw), part.v); err != nil {
			return store.ConnectSession{}, fmt.Errorf("%s of connect session %d: %w", part.name, cs.ID, err)
		}
	}
	cs.Categories = nonNil(cs.Categories)
	cs.Metadata, cs.Extras = nonNilMap(cs.Metadata), nonNilMap(cs.Extras)
	return cs, nil
}

// attemptFields returns the stored forms of a's setup options and pending
// credentials (sealed, or nil for SQL NULL).
func (s *Store) attemptFields(a store.ConnectionAttempt) (options string, creds any, err error) {
	raw, err := json.Marshal(nonNilOptions(a.SetupOptions))
	if err != nil {
		return "", nil, fmt.Errorf("setup options: %w", err)
	}
	if a.PendingCredentials == nil {
		return string(raw), nil, nil
	}
	plain, err := json.Marshal(a.PendingCredentials)
	if err != nil {
		return "", nil, fmt.Errorf("pending credentials: %w", err)
	}
	sealed, err := s.seal(attemptPendingCredentials, a.ID, string(plain))
	if err != nil {
		return "", nil, err
	}
	return string(raw), sealed, nil
}

func nonNilOptions(v []store.SetupOption) []store.SetupOption {
	if v == nil {
		return []store.SetupOption{}
	}
	return v
}

// CreateConnectionAttempt stores a for a session of its project.
func (s *Store) CreateConnectionAttempt(ctx context.Context, a store.ConnectionAttempt) (store.ConnectionAttempt, error) {
	if a.ID == "" {
		a.ID = store.NewID("att")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.CreatedAt, a.UpdatedAt = normalizeTime(a.CreatedAt), normalizeTime(a.UpdatedAt)
	if a.Status == "" {
		a.Status = store.AttemptPending
	}
	a.SetupOptions = nonNilOptions(a.SetupOptions)
	options, creds, err := s.attemptFields(a)
	if err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("create connection attempt: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var sessionProject string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT project_id FROM connect_sessions WHERE id = ?`), a.SessionID).Scan(&sessionProject); err != nil || sessionProject != a.ProjectID {
			if err != nil && !isNoRows(err) {
				return err
			}
			return fmt.Errorf("connect session %d: %w", a.SessionID, store.ErrNotFound)
		}
		var attempts int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM connection_attempts WHERE session_id = ?`), a.SessionID).Scan(&attempts); err != nil {
			return err
		}
		if attempts >= store.MaxAttemptsPerSession {
			return fmt.Errorf("connect session %d has %d attempts: %w", a.SessionID, attempts, store.ErrLimit)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO connection_attempts (`+attemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			a.ID, a.ProjectID, a.SessionID, a.ProfileID, a.Status, a.AccountID, a.ErrorCode, a.ErrorDescription,
			a.SetupField, options, creds, a.CreatedAt, a.UpdatedAt)
		return s.translate(err)
	})
	if err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("create connection attempt: %w", err)
	}
	return a, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// GetConnectionAttempt returns one attempt of the project, pending credentials opened.
func (s *Store) GetConnectionAttempt(ctx context.Context, projectID, id string) (store.ConnectionAttempt, error) {
	a, err := s.scanAttempt(s.queryRow(ctx, `SELECT `+attemptColumns+` FROM connection_attempts WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("get connection attempt %s: %w", id, s.translate(err))
	}
	return a, nil
}

// UpdateConnectionAttempt writes a's outcome fields while the stored attempt is
// still pending. The status condition sits in the UPDATE itself, so of two writers
// deciding one attempt exactly one wins; the other gets ErrStale.
func (s *Store) UpdateConnectionAttempt(ctx context.Context, a store.ConnectionAttempt) (store.ConnectionAttempt, error) {
	if a.Status == "" {
		a.Status = store.AttemptPending
	}
	options, creds, err := s.attemptFields(a)
	if err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("update connection attempt %s: %w", a.ID, err)
	}
	var out store.ConnectionAttempt
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE connection_attempts SET status = ?, account_id = ?, error_code = ?, error_description = ?,
			setup_field = ?, setup_options = ?, pending_credentials = ?, updated_at = ? WHERE project_id = ? AND id = ? AND status = ?`),
			a.Status, a.AccountID, a.ErrorCode, a.ErrorDescription, a.SetupField, options, creds, s.now(),
			a.ProjectID, a.ID, store.AttemptPending)
		if err != nil {
			return s.translate(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var status string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM connection_attempts WHERE project_id = ? AND id = ?`), a.ProjectID, a.ID).Scan(&status); err != nil {
				return s.translate(err)
			}
			return fmt.Errorf("%w: the attempt is %s", store.ErrStale, status)
		}
		out, err = s.scanAttempt(tx.QueryRowContext(ctx, s.q(`SELECT `+attemptColumns+` FROM connection_attempts WHERE project_id = ? AND id = ?`), a.ProjectID, a.ID))
		return s.translate(err)
	})
	if err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("update connection attempt %s: %w", a.ID, err)
	}
	return out, nil
}

func (s *Store) scanAttempt(row scanner) (store.ConnectionAttempt, error) {
	var a store.ConnectionAttempt
	var options string
	var creds sql.NullString
	if err := row.Scan(&a.ID, &a.ProjectID, &a.SessionID, &a.ProfileID, &a.Status, &a.AccountID, &a.ErrorCode, &a.ErrorDescription,
		&a.SetupField, &options, &creds, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return store.ConnectionAttempt{}, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(options), &a.SetupOptions); err != nil {
		return store.ConnectionAttempt{}, fmt.Errorf("setup options of connection attempt %s: %w", a.ID, err)
	}
	a.SetupOptions = nonNilOptions(a.SetupOptions)
	if creds.Valid {
		plain, err := s.open(attemptPendingCredentials, a.ID, creds.String)
		if err != nil {
			return store.ConnectionAttempt{}, err
		}
		a.PendingCredentials = new(store.Credentials)
		if err := json.Unmarshal([]byte(plain), a.PendingCredentials); err != nil {
			return store.ConnectionAttempt{}, fmt.Errorf("pending credentials of connection attempt %s: %w", a.ID, err)
		}
	}
	return a, nil
}

// CreateOAuthState stores st for an attempt of its project, the verifier
// sealed, in place of the attempt's unused states.
func (s *Store) CreateOAuthState(ctx context.Context, st store.OAuthState) (store.OAuthState, error) {
	if st.ID == "" {
		st.ID = store.NewID("st")
	}
	st.ExpiresAt = normalizeTime(st.ExpiresAt)
	if !st.UsedAt.IsZero() {
		st.UsedAt = normalizeTime(st.UsedAt)
	}
	verifier, err := s.seal(stateCodeVerifier, st.ID, st.CodeVerifier)
	if err != nil {
		return store.OAuthState{}, fmt.Errorf("create oauth state: %w", err)
	}
	redirect, err := s.seal(stateRedirectURI, st.ID, st.RedirectURI)
	if err != nil {
		return store.OAuthState{}, fmt.Errorf("create oauth state: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var attemptProject string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT project_id FROM connection_attempts WHERE id = ?`+s.dialect.ForUpdate), st.AttemptID).Scan(&attemptProject); err != nil || attemptProject != st.ProjectID {
			if err != nil && !isNoRows(err) {
				return err
			}
			return fmt.Errorf("connection attempt %s: %w", st.AttemptID, store.ErrNotFound)
		}
		// A new state replaces the attempt's unused ones: an attempt has one
		// live sign-in, however often its start is requested.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM oauth_states WHERE attempt_id = ? AND used_at IS NULL`), st.AttemptID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO oauth_states (`+oauthStateColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			st.ID, st.ProjectID, st.StateHash, st.AttemptID, verifier, redirect, st.ExpiresAt, nullTime(st.UsedAt))
		return s.translate(err)
	})
	if err != nil {
		return store.OAuthState{}, fmt.Errorf("create oauth state: %w", err)
	}
	return st, nil
}

// ConsumeOAuthState marks the state with the given hash used at the given time and
// returns it, verifier opened. Only the one UPDATE that finds used_at still NULL
// succeeds, so of concurrent consumers exactly one wins. An expired state is left
// unused. The expiry is compared in Go, not SQL, so SQLite's text timestamps
// never take part in a comparison.
func (s *Store) ConsumeOAuthState(ctx context.Context, hash []byte, at time.Time) (store.OAuthState, error) {
	at = normalizeTime(at)
	var st store.OAuthState
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var verifier, redirect string
		var err error
		st, verifier, redirect, err = scanOAuthState(tx.QueryRowContext(ctx, s.q(`SELECT `+oauthStateColumns+` FROM oauth_states WHERE state_hash = ?`), hash))
		switch {
		case err != nil:
			return s.translate(err)
		case !st.UsedAt.IsZero():
			return store.ErrUsed
		case !st.ExpiresAt.After(at):
			return fmt.Errorf("%w at %s", store.ErrExpired, st.ExpiresAt.Format(time.RFC3339Nano))
		}
		// Open before marking it used: a state whose secrets cannot be opened stays unused.
		if st.CodeVerifier, err = s.open(stateCodeVerifier, st.ID, verifier); err != nil {
			return err
		}
		if st.RedirectURI, err = s.open(stateRedirectURI, st.ID, redirect); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE oauth_states SET used_at = ? WHERE id = ? AND used_at IS NULL`), at, st.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Another consumer got there between our read and our write.
			return store.ErrUsed
		}
		st.UsedAt = at
		return nil
	})
	if err != nil {
		return store.OAuthState{}, fmt.Errorf("consume oauth state: %w", err)
	}
	return st, nil
}

// scanOAuthState reads a state row; the verifier and redirect URI come back still sealed.
func scanOAuthState(row scanner) (st store.OAuthState, sealedVerifier, sealedRedirect string, err error) {
	var used sql.NullTime
	if err := row.Scan(&st.ID, &st.ProjectID, &st.StateHash, &st.AttemptID, &sealedVerifier, &sealedRedirect, &st.ExpiresAt, &used); err != nil {
		return store.OAuthState{}, "", "", err
	}
	st.ExpiresAt, st.UsedAt = st.ExpiresAt.UTC(), fromNullTime(used)
	return st, sealedVerifier, sealedRedirect, nil
}

// DeleteConnectSessionsExpiredBefore removes expired sessions; their attempts
// and states go with them (ON DELETE CASCADE).
func (s *Store) DeleteConnectSessionsExpiredBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM connect_sessions WHERE expires_at < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete connect sessions expired before %s: %w", t, err)
	}
	return res.RowsAffected()
}

// DeleteOAuthStatesExpiredBefore removes expired OAuth states.
func (s *Store) DeleteOAuthStatesExpiredBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM oauth_states WHERE expires_at < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete oauth states expired before %s: %w", t, err)
	}
	return res.RowsAffected()
}
