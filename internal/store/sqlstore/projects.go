package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/patchbayhq/patchbay/internal/store"
)

// CreateProject stores p, filling ID and CreatedAt when empty.
func (s *Store) CreateProject(ctx context.Context, p store.Project, adminIDs ...string) (store.Project, error) {
	if p.ID == "" {
		p.ID = store.NewID("prj")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	p.CreatedAt = normalizeTime(p.CreatedAt)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)`), p.ID, p.Name, p.CreatedAt); err != nil {
			return err
		}
		for _, a := range adminIDs {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admin_projects (admin_id, project_id) VALUES (?, ?)`), a, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.Project{}, fmt.Errorf("create project: %w", s.translate(err))
	}
	return p, nil
}

// GetProject returns one project.
func (s *Store) GetProject(ctx context.Context, id string) (store.Project, error) {
	row := s.queryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE id = ?`, id)
	p, err := scanProject(row)
	if err != nil {
		return store.Project{}, fmt.Errorf("get project %s: %w", id, s.translate(err))
	}
	return p, nil
}

// ListProjects returns every project, oldest first.
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	out, err := queryAll(ctx, s, scanProject, `SELECT `+projectColumns+` FROM projects p ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return out, nil
}

const projectColumns = `p.id, p.name, p.created_at, p.brand_name, p.brand_logo_url, p.brand_accent, p.brand_support_url`

func scanProject(row scanner) (store.Project, error) {
	var p store.Project
	b := &p.Branding
	if err := row.Scan(&p.ID, &p.Name, &p.CreatedAt, &b.Name, &b.LogoURL, &b.Accent, &b.SupportURL); err != nil {
		return store.Project{}, err
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// SetProjectBranding changes how the Hub presents the project.
func (s *Store) SetProjectBranding(ctx context.Context, id string, b store.Branding) (store.Project, error) {
	return s.updateProject(ctx, id, "brand", `UPDATE projects SET brand_name = ?, brand_logo_url = ?, brand_accent = ?, brand_support_url = ? WHERE id = ?`,
		b.Name, b.LogoURL, b.Accent, b.SupportURL, id)
}

// updateProject runs one UPDATE of project id (with the audit entry ctx
// carries) and returns the project as it then is.
func (s *Store) updateProject(ctx context.Context, id, what, query string, args ...any) (store.Project, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return store.Project{}, fmt.Errorf("%s project %s: %w", what, id, err)
	}
	return s.GetProject(ctx, id)
}
