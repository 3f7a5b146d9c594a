package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/patchbayhq/patchbay/internal/store"
)

var profileClientSecret = sealedColumns[0]

const profileColumns = `id, project_id, connector_key, name, client_id, client_secret, enabled_actions, created_at, updated_at`

// CreateConnectorProfile stores p with its client secret sealed.
func (s *Store) CreateConnectorProfile(ctx context.Context, p store.ConnectorProfile) (store.ConnectorProfile, error) {
	if p.ID == "" {
		p.ID = store.NewID("cp")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now()
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.CreatedAt, p.UpdatedAt = normalizeTime(p.CreatedAt), normalizeTime(p.UpdatedAt)
	if p.EnabledActions == nil {
		p.EnabledActions = []string{}
	}
	actions, err := json.Marshal(p.EnabledActions)
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("create connector profile: %w", err)
	}
	secret, err := s.seal(profileClientSecret, p.ID, p.ClientSecret)
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("create connector profile: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, p.ProjectID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO connector_profiles (`+profileColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.ProjectID, p.ConnectorKey, p.Name, p.ClientID, secret, string(actions), p.CreatedAt, p.UpdatedAt)
		return s.translate(err)
	})
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("create connector profile: %w", err)
	}
	return p, nil
}

// GetConnectorProfile returns one profile of the project, secret opened.
func (s *Store) GetConnectorProfile(ctx context.Context, projectID, id string) (store.ConnectorProfile, error) {
	row := s.queryRow(ctx, `SELECT `+profileColumns+` FROM connector_profiles WHERE project_id = ? AND id = ?`, projectID, id)
	p, err := s.scanProfile(row)
	if err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("get connector profile %s: %w", id, s.translate(err))
	}
	return p, nil
}

// ListConnectorProfiles returns the project's profiles, oldest first.
func (s *Store) ListConnectorProfiles(ctx context.Context, projectID string) ([]store.ConnectorProfile, error) {
	out, err := queryAll(ctx, s, s.scanProfile,
		`SELECT `+profileColumns+` FROM connector_profiles WHERE project_id = ? ORDER BY created_at, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list connector profiles: %w", err)
	}
	return out, nil
}

func (s *Store) scanProfile(row scanner) (store.ConnectorProfile, error) {
	var p store.ConnectorProfile
	var secret, actions string
	if err := row.Scan(&p.ID, &p.ProjectID, &p.ConnectorKey, &p.Name, &p.ClientID, &secret, &actions, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return store.ConnectorProfile{}, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(actions), &p.EnabledActions); err != nil {
		return store.ConnectorProfile{}, fmt.Errorf("enabled actions of %s: %w", p.ID, err)
	}
	var err error
	if p.ClientSecret, err = s.open(profileClientSecret, p.ID, secret); err != nil {
		return store.ConnectorProfile{}, err
	}
	return p, nil
}
