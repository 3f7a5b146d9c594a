package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchbayhq/patchbay/internal/store"
)

// CreateToolFeedback stores f in its project.
func (s *Store) CreateToolFeedback(ctx context.Context, f store.ToolFeedback) (store.ToolFeedback, error) {
	if f.ID == "" {
		f.ID = store.NewID("fb")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	f.CreatedAt = normalizeTime(f.CreatedAt)
	accounts, err1 := json.Marshal(nonNil(f.AccountIDs))
	tools, err2 := json.Marshal(nonNil(f.ToolNames))
	if err := errors.Join(err1, err2); err != nil {
		return store.ToolFeedback{}, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, f.ProjectID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO tool_feedback (id, project_id, feedback, account_ids, tool_names, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			f.ID, f.ProjectID, f.Feedback, string(accounts), string(tools), f.CreatedAt)
		return s.translate(err)
	})
	if err != nil {
		return store.ToolFeedback{}, fmt.Errorf("create tool feedback: %w", err)
	}
	return f, nil
}

// ListToolFeedback lists a project's feedback in window, oldest first.
func (s *Store) ListToolFeedback(ctx context.Context, projectID string, w store.Window) ([]store.ToolFeedback, error) {
	where, args := window(w, projectID, "")
	out, err := queryAll(ctx, s, func(row scanner) (store.ToolFeedback, error) {
		var f store.ToolFeedback
		var accounts, tools string
		if err := row.Scan(&f.ID, &f.ProjectID, &f.Feedback, &accounts, &tools, &f.CreatedAt); err != nil {
			return f, err
		}
		f.CreatedAt = f.CreatedAt.UTC()
		return f, errors.Join(json.Unmarshal([]byte(accounts), &f.AccountIDs), json.Unmarshal([]byte(tools), &f.ToolNames))
	}, `SELECT id, project_id, feedback, account_ids, tool_names, created_at FROM tool_feedback WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list tool feedback: %w", err)
	}
	return out, nil
}
