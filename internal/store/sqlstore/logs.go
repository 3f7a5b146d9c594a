package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

const logColumns = `id, project_id, request_id, account_id, provider, action, http_method, path, status, success, duration_ms, start_time, end_time, steps, source, client_id, error, duration_us, start_hour`

// logRowsPerInsert bounds one multi-row INSERT: 64 rows of 19 values stay far
// below both databases' limits on statement parameters.
const logRowsPerInsert = 64

// CreateRequestLogs stores logs in one transaction, filling each empty ID. Rows
// go in multi-row INSERTs: one round trip per 64 entries rather than per entry.
// Their statements are prepared once per row count and kept. A batch that
// fits one INSERT needs no BEGIN and COMMIT: a statement is a transaction of
// its own.
func (s *Store) CreateRequestLogs(ctx context.Context, logs []store.RequestLog) error {
	if len(logs) == 0 {
		return nil
	}
	// Prepared before any transaction: on SQLite the transaction holds the
	// write pool's one connection.
	for chunk := range slices.Chunk(logs, logRowsPerInsert) {
		if _, err := s.logInsert(ctx, len(chunk)); err != nil {
			return fmt.Errorf("create request logs: %w", err)
		}
	}
	// insert writes one chunk, in tx when there is one.
	insert := func(tx *sql.Tx, chunk []store.RequestLog) error {
		st, err := s.logInsert(ctx, len(chunk))
		if err != nil {
			return err
		}
		args, err := logArgs(chunk)
		if err != nil {
			return err
		}
		if tx != nil {
			st = tx.StmtContext(ctx, st)
		}
		_, err = st.ExecContext(ctx, args...)
		return s.translate(err)
	}
	var err error
	if len(logs) <= logRowsPerInsert {
		err = insert(nil, logs)
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			for chunk := range slices.Chunk(logs, logRowsPerInsert) {
				if err := insert(tx, chunk); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("create request logs: %w", err)
	}
	return nil
}

// logArgs are the values of one INSERT of logs, filling each empty ID.
func logArgs(logs []store.RequestLog) ([]any, error) {
	args := make([]any, 0, 19*len(logs))
	for i := range logs {
		l := &logs[i]
		if l.ID == "" {
			l.ID = store.NewID("log")
		}
		if l.Steps == nil {
			l.Steps = []store.LogStep{}
		}
		l.StartTime, l.EndTime = normalizeTime(l.StartTime), normalizeTime(l.EndTime)
		steps, err := json.Marshal(l.Steps)
		if err != nil {
			return nil, err
		}
		args = append(args, l.ID, l.ProjectID, l.RequestID, l.AccountID, l.Provider, l.Action, l.HTTPMethod, l.Path,
			l.Status, l.Success, l.DurationMS, l.StartTime, l.EndTime, string(steps), cmp.Or(l.Source, store.SourceAPI), l.ClientID,
			l.Error, l.DurationUS, l.StartTime.Unix()/3600)
	}
	return args, nil
}

// logInsert returns the prepared INSERT of rows request logs. An id already
// stored (an entry written again after a crash) is skipped.
func (s *Store) logInsert(ctx context.Context, rows int) (*sql.Stmt, error) {
	if st, ok := s.logInserts.Load(rows); ok {
		return st.(*sql.Stmt), nil
	}
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	st, err := s.writeStmt(ctx, `INSERT INTO request_logs (`+logColumns+`) VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")+
		` ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	s.logInserts.Store(rows, st) // writeStmt gives every caller the same one
	return st, nil
}

// ListRequestLogs returns the project's logs matching f, newest first.
func (s *Store) ListRequestLogs(ctx context.Context, projectID string, f store.LogFilter) ([]store.RequestLog, error) {
	where := []string{"project_id = ?"}
	args := []any{projectID}
	where, args = inList("account_id", f.AccountIDs, where, args)
	where, args = inList("request_id", f.RequestIDs, where, args)
	where, args = inList("action", f.Actions, where, args)
	where, args = inList("provider", f.Providers, where, args)
	where, args = inList("status", f.StatusCodes, where, args)
	if f.Success != nil {
		where, args = append(where, "success = ?"), append(args, *f.Success)
	}
	if len(f.StatusClasses) > 0 {
		var any []string
		for _, c := range f.StatusClasses {
			any, args = append(any, "(status >= ? AND status < ?)"), append(args, c*100, c*100+100)
		}
		where = append(where, "("+strings.Join(any, " OR ")+")")
	}
	if f.Search != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(f.Search)) + "%"
		where = append(where, `(lower(action) LIKE ? ESCAPE '\' OR lower(account_id) LIKE ? ESCAPE '\' OR lower(request_id) LIKE ? ESCAPE '\'
			OR lower(error) LIKE ? ESCAPE '\' OR account_id IN (SELECT id FROM accounts WHERE project_id = ? AND lower(origin_owner_id) LIKE ? ESCAPE '\'))`)
		args = append(args, like, like, like, like, projectID, like)
	}
	if !f.Start.IsZero() {
		where, args = append(where, "start_time >= ?"), append(args, normalizeTime(f.Start))
	}
	if !f.End.IsZero() {
		where, args = append(where, "start_time <= ?"), append(args, normalizeTime(f.End))
	}
	if !f.AfterTime.IsZero() {
		// Newest first: the next page holds what is older than the cursor.
		where = append(where, "(start_time < ? OR (start_time = ? AND id < ?))")
		args = append(args, normalizeTime(f.AfterTime), normalizeTime(f.AfterTime), f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 25
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+logColumns+` FROM request_logs WHERE `+strings.Join(where, " AND ")+
		` ORDER BY start_time DESC, id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("list request logs: %w", err)
	}
	out, err := collect(rows, scanLog)
	if err != nil {
		return nil, fmt.Errorf("list request logs: %w", err)
	}
	return out, nil
}

// GetRequestLog returns one log entry of the project, by its id or by its
// request id (the newest entry of that request).
func (s *Store) GetRequestLog(ctx context.Context, projectID, id string) (store.RequestLog, error) {
	l, err := scanLog(s.queryRow(ctx, `SELECT `+logColumns+` FROM request_logs WHERE project_id = ? AND (id = ? OR request_id = ?)
		ORDER BY start_time DESC LIMIT 1`, projectID, id, id))
	if err != nil {
		return store.RequestLog{}, fmt.Errorf("get request log %s: %w", id, s.translate(err))
	}
	return l, nil
}

// DeleteRequestLogsBefore removes logs that started before t.
func (s *Store) DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM request_logs WHERE start_time < ?`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete request logs: %w", err)
	}
	return res.RowsAffected()
}

// likeEscaper makes a search term match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// LogStats counts calls per hour since since, per provider or per account.
func (s *Store) LogStats(ctx context.Context, projectID string, since time.Time, byAccount bool) ([]store.LogBucket, error) {
	group := "provider"
	if byAccount {
		group = "provider, account_id"
	}
	query := `SELECT start_hour, ` + group + `, COUNT(*), SUM(CASE WHEN success THEN 0 ELSE 1 END) FROM request_logs
		WHERE project_id = ? AND start_hour >= ? GROUP BY start_hour, ` + group + ` ORDER BY start_hour`
	out, err := queryAll(ctx, s, func(row scanner) (store.LogBucket, error) {
		var b store.LogBucket
		if byAccount {
			return b, row.Scan(&b.Hour, &b.Provider, &b.Account, &b.Calls, &b.Failed)
		}
		return b, row.Scan(&b.Hour, &b.Provider, &b.Calls, &b.Failed)
	}, query, projectID, since.Unix()/3600)
	if err != nil {
		return nil, fmt.Errorf("request log stats: %w", err)
	}
	return out, nil
}

func scanLog(row scanner) (store.RequestLog, error) {
	var l store.RequestLog
	var steps string
	var hour int64
	if err := row.Scan(&l.ID, &l.ProjectID, &l.RequestID, &l.AccountID, &l.Provider, &l.Action, &l.HTTPMethod, &l.Path,
		&l.Status, &l.Success, &l.DurationMS, &l.StartTime, &l.EndTime, &steps, &l.Source, &l.ClientID, &l.Error, &l.DurationUS, &hour); err != nil {
		return store.RequestLog{}, err
	}
	l.StartTime, l.EndTime = l.StartTime.UTC(), l.EndTime.UTC()
	if err := json.Unmarshal([]byte(steps), &l.Steps); err != nil {
		return store.RequestLog{}, fmt.Errorf("steps of log %s: %w", l.ID, err)
	}
	return l, nil
}
