package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

var profileClientSecret = sealedColumns[0]

const profileColumns = `id, project_id, connector_key, name, client_id, client_secret, environment, enabled_actions, extra_scopes, is_default, enabled, created_at, updated_at, proxy, sync_enabled, sync_settings`

// profileSelect is what a read of a profile takes: its columns and its version.
const profileSelect = profileColumns + `, version`

// profileRow is a profile as stored: JSON lists and the sealed secret.
func (s *Store) profileRow(p store.ConnectorProfile) ([]any, error) {
	actions, err := json.Marshal(nonNil(p.EnabledActions))
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(nonNil(p.ExtraScopes))
	if err != nil {
		return nil, err
	}
	secret, err := s.seal(profileClientSecret, p.ID, p.ClientSecret)
	if err != nil {
		return nil, err
	}
	sync, err := json.Marshal(syncSettings{Models: nonNil(p.Sync.Models), IntervalSeconds: int64(p.Sync.Interval / time.Second)})
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.ProjectID, p.ConnectorKey, p.Name, p.ClientID, secret, p.Environment, string(actions), string(extra),
		p.Default, p.Enabled, normalizeTime(p.CreatedAt), normalizeTime(p.UpdatedAt), cmp.Or(p.Proxy, store.ProxyOff), p.Sync.Enabled, string(sync)}, nil
}

// syncSettings is how a profile's sync models and interval are stored.
type syncSettings struct {
	Models          []string `json:"models"`
	IntervalSeconds int64    `json:"interval_seconds"`
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// CreateConnectorProfile stores p with its client secret sealed. A new default
// replaces the connector's previous default in the same transaction.
func (s *Store) CreateConnectorProfile(ctx context.Context, p store.ConnectorProfile) (store.ConnectorProfile, error) {
	if p.ID == "" {
		p.ID = store.NewID("cp")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	if p.Environment == "" {
		p.Environment = "production"
	}
	p.CreatedAt, p.UpdatedAt = normalizeTime(p.CreatedAt), normalizeTime(p.UpdatedAt)
	p.EnabledActions, p.ExtraScopes = nonNil(p.EnabledActions), nonNil(p.ExtraScopes)
	row, err := s.profileRow(p)
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("create connector profile: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, p.ProjectID); err != nil {
			return err
		}
		if err := s.clearDefault(ctx, tx, p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO connector_profiles (`+profileColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), row...)
		return s.translate(err)
	})
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("create connector profile: %w", err)
	}
	p.SecretSet = p.ClientSecret != ""
	return p, nil
}

// clearDefault unsets the connector's current default when p becomes the default.
func (s *Store) clearDefault(ctx context.Context, tx *sql.Tx, p store.ConnectorProfile) error {
	if !p.Default {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE connector_profiles SET is_default = ? WHERE project_id = ? AND connector_key = ? AND id <> ? AND is_default`),
		false, p.ProjectID, p.ConnectorKey, p.ID)
	return err
}

// UpdateConnectorProfile writes the change decide makes to the profile as
// stored, read under the row's write lock.
func (s *Store) UpdateConnectorProfile(ctx context.Context, projectID, id string, decide func(store.ConnectorProfile) (store.ProfileChange, error)) (store.ConnectorProfile, error) {
	var out store.ConnectorProfile
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var r profileScan
		if err := tx.QueryRowContext(ctx, s.q(`SELECT `+profileSelect+` FROM connector_profiles WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id).
			Scan(r.dest()...); err != nil {
			return s.translate(err)
		}
		old, err := s.decodeProfile(r)
		unopened := errors.Is(err, store.ErrSealed)
		if unopened {
			// decide sees the profile without its secret: a change that
			// gives a new one repairs the profile; any other is refused below.
			old, err = decodeListedProfile(r)
		}
		if err != nil {
			return err
		}
		change, err := decide(old)
		if err != nil {
			return err
		}
		p := change.Profile
		if unopened && p.ClientSecret == "" {
			return fmt.Errorf("client secret of connector profile %s: %w", id, store.ErrSealed)
		}
		p.ID, p.ProjectID, p.ConnectorKey, p.CreatedAt, p.UpdatedAt = old.ID, old.ProjectID, old.ConnectorKey, old.CreatedAt, s.now()
		p.EnabledActions, p.ExtraScopes = nonNil(p.EnabledActions), nonNil(p.ExtraScopes)
		if err := s.clearDefault(ctx, tx, p); err != nil {
			return err
		}
		row, err := s.profileRow(p)
		if err != nil {
			return err
		}
		// row follows profileColumns: name … enabled are row[3:11], updated_at … sync_settings row[12:16].
		args := append(append(row[3:11:11], row[12:16]...), p.ProjectID, p.ID)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE connector_profiles SET name = ?, client_id = ?, client_secret = ?, environment = ?,
			enabled_actions = ?, extra_scopes = ?, is_default = ?, enabled = ?, updated_at = ?, proxy = ?, sync_enabled = ?, sync_settings = ?
			WHERE project_id = ? AND id = ?`), args...); err != nil {
			return s.translate(err)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT version FROM connector_profiles WHERE id = ?`), p.ID).Scan(&p.Version); err != nil {
			return err
		}
		if c := change.Cascade; c != nil {
			if err := s.cascadeTx(ctx, tx, p, *c); err != nil {
				return err
			}
		}
		if change.KeepSync != nil {
			if err := s.deleteSyncDataTx(ctx, tx, p, *change.KeepSync); err != nil {
				return err
			}
		}
		out = p
		out.SecretSet = p.ClientSecret != ""
		return nil
	})
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("update connector profile %s: %w", id, err)
	}
	return out, nil
}

// cascadeTx moves p's accounts from one status to another in tx, writing the
// cascade's event for each.
func (s *Store) cascadeTx(ctx context.Context, tx *sql.Tx, p store.ConnectorProfile, c store.StatusCascade) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+listSelect+` FROM accounts WHERE profile_id = ? AND status = ?`+s.dialect.ForUpdate), p.ID, c.From)
	if err != nil {
		return err
	}
	moved, err := collect(rows, scanWithoutCredentials)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET status = ?, updated_at = ? WHERE profile_id = ? AND status = ?`),
		c.To, p.UpdatedAt, p.ID, c.From); err != nil {
		return err
	}
	for _, a := range moved {
		a.Status, a.UpdatedAt, a.Version = c.To, p.UpdatedAt, a.Version+1
		if err := s.accountEventTx(ctx, tx, c.Event, a); err != nil {
			return err
		}
	}
	return nil
}

// DeleteConnectorProfile removes a profile unless check, given the profile and
// the accounts that use it, refuses.
func (s *Store) DeleteConnectorProfile(ctx context.Context, projectID, id string, check func(store.ConnectorProfile, int) error) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := scanListedProfile(tx.QueryRowContext(ctx, s.q(`SELECT `+profileSelect+` FROM connector_profiles WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id))
		if err != nil {
			return s.translate(err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM accounts WHERE project_id = ? AND profile_id = ?`), projectID, id).Scan(&n); err != nil {
			return err
		}
		if err := check(p, n); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM connector_profiles WHERE project_id = ? AND id = ?`), projectID, id)
		return s.translate(err)
	})
	if err != nil {
		return fmt.Errorf("delete connector profile %s: %w", id, err)
	}
	return nil
}

// GetConnectorProfile returns one profile of the project, secret opened.
func (s *Store) GetConnectorProfile(ctx context.Context, projectID, id string) (store.ConnectorProfile, error) {
	row := s.queryRow(ctx, `SELECT `+profileSelect+` FROM connector_profiles WHERE project_id = ? AND id = ?`, projectID, id)
	p, err := s.scanProfile(row)
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("get connector profile %s: %w", id, s.translate(err))
	}
	return p, nil
}

// ListConnectorProfiles returns the project's profiles matching f, oldest
// first, their secrets left sealed.
func (s *Store) ListConnectorProfiles(ctx context.Context, projectID string, f store.ProfileFilter) ([]store.ConnectorProfile, error) {
	var cond string
	var args []any
	if f.ConnectorKey != "" {
		cond, args = cond+" AND connector_key = ?", append(args, f.ConnectorKey)
	}
	if f.Enabled != nil {
		cond, args = cond+" AND enabled = ?", append(args, *f.Enabled)
	}
	where, args := window(f.Window, projectID, cond, args...)
	out, err := queryAll(ctx, s, scanListedProfile,
		`SELECT `+profileSelect+` FROM connector_profiles WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list connector profiles: %w", err)
	}
	return out, nil
}

// profileScan is a profile row as scanned, before decoding.
type profileScan struct {
	p                            store.ConnectorProfile
	secret, actions, extra, sync string
}

// dest is where a row of profileColumns scans to.
func (r *profileScan) dest() []any {
	p := &r.p
	return []any{&p.ID, &p.ProjectID, &p.ConnectorKey, &p.Name, &p.ClientID, &r.secret, &p.Environment, &r.actions, &r.extra,
		&p.Default, &p.Enabled, &p.CreatedAt, &p.UpdatedAt, &p.Proxy, &p.Sync.Enabled, &r.sync, &p.Version}
}

func (s *Store) scanProfile(row scanner) (store.ConnectorProfile, error) {
	var r profileScan
	if err := row.Scan(r.dest()...); err != nil {
		return store.ConnectorProfile{}, err
	}
	return s.decodeProfile(r)
}

// scanListedProfile scans a profile for a list: everything but the secret.
func scanListedProfile(row scanner) (store.ConnectorProfile, error) {
	var r profileScan
	if err := row.Scan(r.dest()...); err != nil {
		return store.ConnectorProfile{}, err
	}
	return decodeListedProfile(r)
}

// decodeListedProfile turns a scanned row into the profile, its secret sealed.
func decodeListedProfile(r profileScan) (store.ConnectorProfile, error) {
	p := r.p
	p.CreatedAt, p.UpdatedAt, p.SecretSet = p.CreatedAt.UTC(), p.UpdatedAt.UTC(), r.secret != ""
	if err := json.Unmarshal([]byte(r.actions), &p.EnabledActions); err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("enabled actions of %s: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(r.extra), &p.ExtraScopes); err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("extra scopes of %s: %w", p.ID, err)
	}
	var sync syncSettings
	if err := json.Unmarshal([]byte(r.sync), &sync); err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("sync settings of %s: %w", p.ID, err)
	}
	p.Sync.Models, p.Sync.Interval = sync.Models, time.Duration(sync.IntervalSeconds)*time.Second
	return p, nil
}

// decodeProfile turns a scanned row into the profile, its secret opened.
func (s *Store) decodeProfile(r profileScan) (store.ConnectorProfile, error) {
	p, err := decodeListedProfile(r)
	if err != nil {
		return store.ConnectorProfile{}, err
	}
	if p.ClientSecret, err = s.open(profileClientSecret, p.ID, r.secret); err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("client secret of connector profile %s: %w: %w", p.ID, store.ErrSealed, err)
	}
	return p, nil
}
