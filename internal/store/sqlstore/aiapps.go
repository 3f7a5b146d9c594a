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

// CreateAIClient stores a registered AI app.
func (s *Store) CreateAIClient(ctx context.Context, c store.AIClient) error {
	uris, err := json.Marshal(nonNil(c.RedirectURIs))
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, s.q(`INSERT INTO ai_clients (id, name, redirect_uris, client_uri, secret_hash, auth_method, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), c.ID, c.Name, string(uris), c.ClientURI, c.SecretHash, c.AuthMethod, normalizeTime(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("create ai client: %w", s.translate(err))
	}
	return nil
}

// GetAIClient returns a registered AI app.
func (s *Store) GetAIClient(ctx context.Context, id string) (store.AIClient, error) {
	var c store.AIClient
	var uris string
	err := s.queryRow(ctx, `SELECT id, name, redirect_uris, client_uri, secret_hash, auth_method, created_at FROM ai_clients WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &uris, &c.ClientURI, &c.SecretHash, &c.AuthMethod, &c.CreatedAt)
	if err != nil {
		return store.AIClient{}, fmt.Errorf("get ai client: %w", s.translate(err))
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, json.Unmarshal([]byte(uris), &c.RedirectURIs)
}

// CreateAIGrant stores the grant and its code in one transaction.
func (s *Store) CreateAIGrant(ctx context.Context, g store.AIGrant, code store.AIToken) error {
	accounts, err1 := json.Marshal(nonNil(g.AccountIDs))
	actions, err2 := json.Marshal(nonNil(g.Actions))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, g.ProjectID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ai_grants (id, project_id, client_id, admin_email, account_ids, owner_id, actions, read_only, resource, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), g.ID, g.ProjectID, g.ClientID, g.AdminEmail, string(accounts), g.OwnerID, string(actions),
			g.ReadOnly, g.Resource, normalizeTime(g.CreatedAt)); err != nil {
			return s.translate(err)
		}
		return s.insertAITokens(ctx, tx, code)
	})
	if err != nil {
		return fmt.Errorf("create ai grant: %w", err)
	}
	return nil
}

func (s *Store) insertAITokens(ctx context.Context, tx *sql.Tx, tokens ...store.AIToken) error {
	for _, t := range tokens {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ai_tokens (hash, grant_id, kind, expires_at, redirect_uri, code_challenge) VALUES (?, ?, ?, ?, ?, ?)`),
			t.Hash, t.GrantID, t.Kind, normalizeTime(t.ExpiresAt), t.RedirectURI, t.CodeChallenge); err != nil {
			return s.translate(err)
		}
	}
	return nil
}

const aiGrantColumns = `g.id, g.project_id, g.client_id, c.name, g.admin_email, g.account_ids, g.owner_id, g.actions, g.read_only, g.resource, g.created_at, g.last_used_at, g.revoked_at`

func scanAIGrant(row scanner, extra ...any) (store.AIGrant, error) {
	var g store.AIGrant
	var accounts, actions string
	var used, revoked sql.NullTime
	dest := append([]any{&g.ID, &g.ProjectID, &g.ClientID, &g.ClientName, &g.AdminEmail, &accounts, &g.OwnerID, &actions, &g.ReadOnly,
		&g.Resource, &g.CreatedAt, &used, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return g, err
	}
	g.CreatedAt, g.LastUsedAt, g.RevokedAt = g.CreatedAt.UTC(), fromNullTime(used), fromNullTime(revoked)
	return g, errors.Join(json.Unmarshal([]byte(accounts), &g.AccountIDs), json.Unmarshal([]byte(actions), &g.Actions))
}

// RedeemAIToken lets decide exchange a code or refresh token. Only the one
// UPDATE that finds used_at still NULL marks it used, so of concurrent
// redemptions exactly one issues tokens; the others see it used.
func (s *Store) RedeemAIToken(ctx context.Context, hash []byte, kind string, decide func(store.AIGrant, store.AIToken) (store.AIRedemption, error)) (store.AIGrant, error) {
	var g store.AIGrant
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var t store.AIToken
		var used sql.NullTime
		var err error
		g, err = scanAIGrant(tx.QueryRowContext(ctx, s.q(`SELECT `+aiGrantColumns+`, t.expires_at, t.used_at, t.redirect_uri, t.code_challenge
			FROM ai_tokens t JOIN ai_grants g ON g.id = t.grant_id JOIN ai_clients c ON c.id = g.client_id
			WHERE t.hash = ? AND t.kind = ? AND g.revoked_at IS NULL`), hash, kind), &t.ExpiresAt, &used, &t.RedirectURI, &t.CodeChallenge)
		if err != nil {
			return s.translate(err)
		}
		t.Hash, t.GrantID, t.Kind, t.ExpiresAt, t.UsedAt = hash, g.ID, kind, t.ExpiresAt.UTC(), fromNullTime(used)
		now := s.now()
		for {
			r, err := decide(g, t)
			if err != nil {
				return err
			}
			if r.RevokeGrant {
				return s.revokeAIGrant(ctx, tx, g.ID, now)
			}
			res, err := tx.ExecContext(ctx, s.q(`UPDATE ai_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`), now, hash)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				t.UsedAt = now // another redemption got there first: decide again
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE ai_grants SET last_used_at = ? WHERE id = ?`), now, g.ID); err != nil {
				return err
			}
			g.LastUsedAt = now
			return s.insertAITokens(ctx, tx, r.Issue...)
		}
	})
	if err != nil {
		return store.AIGrant{}, fmt.Errorf("redeem ai %s: %w", kind, err)
	}
	return g, nil
}

func (s *Store) revokeAIGrant(ctx context.Context, tx *sql.Tx, grantID string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE ai_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), normalizeTime(at), grantID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM ai_tokens WHERE grant_id = ?`), grantID)
	return err
}

// aiUseEvery is how stale a grant's last use may be before a call writes it
// again: calls come often, and the console needs the minute, not the instant.
const aiUseEvery = time.Minute

// AIAccess returns the grant of an unexpired access token. The expiry is
// compared in Go, not SQL, as for OAuth states.
func (s *Store) AIAccess(ctx context.Context, hash []byte, at time.Time) (store.AIGrant, error) {
	var expires time.Time
	g, err := scanAIGrant(s.queryRow(ctx, `SELECT `+aiGrantColumns+`, t.expires_at
		FROM ai_tokens t JOIN ai_grants g ON g.id = t.grant_id JOIN ai_clients c ON c.id = g.client_id
		WHERE t.hash = ? AND t.kind = 'access' AND g.revoked_at IS NULL`, hash), &expires)
	if err != nil {
		return store.AIGrant{}, fmt.Errorf("ai access: %w", s.translate(err))
	}
	if !expires.After(at) {
		return store.AIGrant{}, fmt.Errorf("ai access: %w at %s", store.ErrExpired, expires.UTC().Format(time.RFC3339))
	}
	if at.Sub(g.LastUsedAt) >= aiUseEvery {
		g.LastUsedAt = normalizeTime(at)
		if _, err := s.w.ExecContext(ctx, s.q(`UPDATE ai_grants SET last_used_at = ? WHERE id = ?`), g.LastUsedAt, g.ID); err != nil {
			return store.AIGrant{}, fmt.Errorf("ai access: note use: %w", err)
		}
	}
	return g, nil
}

// RevokeAIToken ends a token of one of the client's grants.
func (s *Store) RevokeAIToken(ctx context.Context, clientID string, hash []byte, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var grantID, kind string
		err := tx.QueryRowContext(ctx, s.q(`SELECT t.grant_id, t.kind FROM ai_tokens t JOIN ai_grants g ON g.id = t.grant_id
			WHERE t.hash = ? AND g.client_id = ?`), hash, clientID).Scan(&grantID, &kind)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case kind == store.AIRefreshToken:
			return s.revokeAIGrant(ctx, tx, grantID, at)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM ai_tokens WHERE hash = ?`), hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke ai token: %w", err)
	}
	return nil
}

// ListAIGrants lists the project's live grants, newest first.
func (s *Store) ListAIGrants(ctx context.Context, projectID string) ([]store.AIGrant, error) {
	out, err := queryAll(ctx, s, func(row scanner) (store.AIGrant, error) { return scanAIGrant(row) },
		`SELECT `+aiGrantColumns+` FROM ai_grants g JOIN ai_clients c ON c.id = g.client_id
		WHERE g.project_id = ? AND g.revoked_at IS NULL ORDER BY g.created_at DESC, g.id DESC`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list ai grants: %w", err)
	}
	return out, nil
}

// SweepAI deletes expired codes and tokens, and grants revoked long ago.
func (s *Store) SweepAI(ctx context.Context, now, revokedBefore time.Time) (int64, error) {
	var total int64
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{`DELETE FROM ai_tokens WHERE expires_at < ?`, now},
		{`DELETE FROM ai_grants WHERE revoked_at IS NOT NULL AND revoked_at < ?`, revokedBefore},
	} {
		res, err := s.w.ExecContext(ctx, s.q(q.sql), normalizeTime(q.at))
		if err != nil {
			return total, fmt.Errorf("sweep ai grants: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// RevokeAIGrant revokes one of the project's live grants.
func (s *Store) RevokeAIGrant(ctx context.Context, projectID, grantID string, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM ai_grants WHERE id = ? AND project_id = ? AND revoked_at IS NULL`), grantID, projectID).Scan(&id); err != nil {
			return s.translate(err)
		}
		return s.revokeAIGrant(ctx, tx, id, at)
	})
	if err != nil {
		return fmt.Errorf("revoke ai grant %s: %w", grantID, err)
	}
	return nil
}
