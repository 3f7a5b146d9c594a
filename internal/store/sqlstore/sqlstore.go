// Package sqlstore implements store.Store once over database/sql. The SQLite and
// PostgreSQL backends differ only in their driver, their migrations and a small
// Dialect, so the behaviour the conformance suite checks is written one time.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Dialect holds what differs between SQL databases.
type Dialect struct {
	// Name is the backend's name in error messages ("sqlite", "postgres").
	Name string
	// NumberedParams turns the "?" placeholders the queries are written with into
	// "$1", "$2", … for databases that need them.
	NumberedParams bool
	// MigrationLock runs first in the migration transaction and must serialise
	// concurrent migrators (e.g. an advisory lock). Empty when the transaction itself
	// already excludes other writers.
	MigrationLock string
	// IsUniqueViolation reports whether err is a unique-constraint failure.
	IsUniqueViolation func(error) bool
	// IsBusy reports whether err is a lock another connection held for
	// longer than the database waits (SQLite's SQLITE_BUSY); nil where a
	// wait for a lock does not fail.
	IsBusy func(error) bool
	// ForUpdate ends a SELECT that must lock its rows until the transaction ends
	// (" FOR UPDATE"); empty where the transaction already holds the write lock.
	ForUpdate string
	// KeyLock takes a lock on one 64-bit key (the "?") until the transaction ends,
	// so that writers of a row that does not exist yet take turns (e.g. an
	// advisory lock); empty where the transaction already holds the write lock.
	KeyLock string
	// SkipLocked ends a SELECT that locks its rows and passes over rows another
	// transaction holds (" FOR UPDATE SKIP LOCKED"); empty like ForUpdate.
	SkipLocked string
	// Migrations holds the schema files in a "migrations" directory, named
	// "0001_name.sql".
	Migrations fs.FS
	// Optimize refreshes the planner's statistics through db; nil where the
	// database gathers them itself.
	Optimize func(ctx context.Context, db *sql.DB) error
	// Queue returns the job queue's driver over db: the queue's tables live in
	// the same database.
	Queue func(db *sql.DB) riverdriver.Driver[*sql.Tx]
	// ListenEvents calls wake after every commit of a transaction that wrote
	// events, in any process, until ctx ends or the connection fails; nil
	// where the database cannot tell.
	ListenEvents func(ctx context.Context, wake func()) error
}

// Wrap lets a caller wrap the driver connector a backend opens, e.g. to see
// every statement sent (the plan check does); nil wraps nothing.
type Wrap func(driver.Connector) driver.Connector

// Connector opens c's connections through w, when set.
func (w Wrap) Connector(c driver.Connector) driver.Connector {
	if w == nil {
		return c
	}
	return w(c)
}

// Store is a store.Store over a database's connection pools: reads go through
// db, transactions and other writes through w. The two are one pool where the
// database runs writers side by side (PostgreSQL); SQLite, which takes one
// writer at a time, gets a single-connection w so that writers queue in Go, in
// order and bounded by their context, instead of spinning on the file lock
// while readers wait behind them for connections.
type Store struct {
	db, w   *sql.DB
	dialect Dialect
	keys    *secrets.Keyring
	clock   clock.Clock
	// "?" query → *sql.Stmt, prepared once per process on db (stmts) or w (writeStmts)
	stmts, writeStmts sync.Map
	logInserts        sync.Map  // rows → the *sql.Stmt of writeStmts inserting that many request logs
	kept              keptReads // what APIKeyAndAccount read, checked by version
}

// Options configure a Store over a database a backend opened.
type Options struct {
	// Reads and Writes are the pools reads and writes go through (they may be
	// the same).
	Reads, Writes *sql.DB
	Dialect       Dialect
	// Keys seal and open the stored secrets.
	Keys *secrets.Keyring
	// Clock dates the rows the store stamps itself; nil is the system clock.
	Clock clock.Clock
	// Wrap wraps the driver's connector when the backend opens it.
	Wrap Wrap
}

// New returns the store over o's pools.
func New(o Options) *Store {
	return &Store{db: o.Reads, w: o.Writes, dialect: o.Dialect, keys: o.Keys, clock: clock.Or(o.Clock)}
}

// DialectName is the backend's name ("sqlite", "postgres").
func (s *Store) DialectName() string { return s.dialect.Name }

// QueueDriver is the job queue's driver over this store's database.
func (s *Store) QueueDriver() riverdriver.Driver[*sql.Tx] { return s.dialect.Queue(s.w) }

// Keys returns the key ring the store seals secrets with.
func (s *Store) Keys() *secrets.Keyring { return s.keys }

// DB returns the pool reads go through (tests inspect raw rows with it).
func (s *Store) DB() *sql.DB { return s.db }

// ListenEvents calls wake after every commit of a transaction that wrote
// events, in any process, until ctx ends (it then returns nil) or the
// connection fails. It returns errors.ErrUnsupported at once where the
// database cannot tell: callers poll.
func (s *Store) ListenEvents(ctx context.Context, wake func()) error {
	if s.dialect.ListenEvents == nil {
		return errors.ErrUnsupported
	}
	err := s.dialect.ListenEvents(ctx, wake)
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("%s: listen for events: %w", s.dialect.Name, err)
}

// Optimize refreshes the planner's statistics where the dialect says how.
func (s *Store) Optimize(ctx context.Context) error {
	if s.dialect.Optimize == nil {
		return nil
	}
	if err := s.dialect.Optimize(ctx, s.w); err != nil {
		return fmt.Errorf("%s: optimize: %w", s.dialect.Name, err)
	}
	return nil
}

// q adapts a query written with "?" placeholders to the dialect.
func (s *Store) q(query string) string {
	if !s.dialect.NumberedParams {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations reads files named "0001_name.sql" from fsys, in version order.
func loadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		num, rest, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version, e.g. 0001_init.sql", name)
		}
		body, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: version, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %d_%s and %d_%s share a version", out[i].Version, out[i].Name, out[i-1].Version, out[i-1].Name)
		}
	}
	return out, nil
}

// migrationWait is how long a node waits for another that is migrating
// the same database.
const migrationWait = 2 * time.Minute

// beginMigration begins the migration transaction. Nodes starting together
// wait for the one migrating, which can take longer than one of the
// database's lock waits.
func (s *Store) beginMigration(ctx context.Context) (*sql.Tx, error) {
	deadline := s.clock.Now().Add(migrationWait)
	for {
		tx, err := s.w.BeginTx(ctx, nil)
		if err == nil || s.dialect.IsBusy == nil || !s.dialect.IsBusy(err) || !s.clock.Now().Before(deadline) {
			return tx, err
		}
	}
}

// Migrate applies the dialect's migrations not yet recorded, all in one transaction
// behind the dialect's migration lock, so nodes starting together never apply one
// twice. It returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	migrations, err := loadMigrations(s.dialect.Migrations)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.beginMigration(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if s.dialect.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.MigrationLock); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	var done []int
	for _, m := range migrations {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migrate: apply %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.Version, m.Name, s.now()); err != nil {
			return nil, fmt.Errorf("migrate: record %04d_%s: %w", m.Version, m.Name, err)
		}
		done = append(done, m.Version)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrate: commit: %w", err)
	}
	return done, s.migrateQueue(ctx)
}

// migrateQueue brings the job queue's tables up to date, one version per
// transaction (a PostgreSQL enum value cannot be used in the transaction that
// adds it), each behind the migration lock.
func (s *Store) migrateQueue(ctx context.Context) error {
	m, err := rivermigrate.New(s.QueueDriver(), nil)
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	for _, v := range m.AllVersions() {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if s.dialect.MigrationLock != "" {
				if _, err := tx.ExecContext(ctx, s.dialect.MigrationLock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			_, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: v.Version})
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate job queue to version %d: %w", v.Version, err)
		}
	}
	return nil
}

// window is the condition, order and limit that take w of a project's rows
// (keyset paging over an index on project_id, created_at, id) with the
// extra conditions in where and args, and its arguments.
func window(w store.Window, projectID string, where string, args ...any) (string, []any) {
	where, args = "project_id = ?"+where, append([]any{projectID}, args...)
	if w.After != nil {
		where += " AND (created_at, id) > (?, ?)"
		args = append(args, normalizeTime(w.After.CreatedAt), w.After.ID)
	}
	where += " ORDER BY created_at, id"
	if w.Limit > 0 {
		where += " LIMIT ?"
		args = append(args, w.Limit)
	}
	return where, args
}

// now is the store's clock, truncated to what every backend can hold.
// now is the store's clock, as the database keeps times.
func (s *Store) now() time.Time { return normalizeTime(s.clock.Now()) }

func normalizeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime maps the zero time to SQL NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return normalizeTime(t)
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.db, s.w} {
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("%s: ping: %w", s.dialect.Name, err)
		}
	}
	return nil
}

// Close closes the prepared statements and the pools.
func (s *Store) Close() error {
	for _, cache := range []*sync.Map{&s.stmts, &s.writeStmts} {
		cache.Range(func(_, st any) bool {
			st.(*sql.Stmt).Close()
			return true
		})
	}
	err := s.db.Close()
	if s.w != s.db {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// stmt returns the prepared form of a "?" query. Hot reads reuse their statements:
// on SQLite, parsing and planning a query costs more than running it.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.prepared(ctx, s.db, &s.stmts, query)
}

// writeStmt is stmt for the write pool, for transactions to run with tx.StmtContext.
func (s *Store) writeStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.prepared(ctx, s.w, &s.writeStmts, query)
}

func (s *Store) prepared(ctx context.Context, db *sql.DB, cache *sync.Map, query string) (*sql.Stmt, error) {
	if st, ok := cache.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := cache.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs a "?" query expected to return one row, through the statement cache.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errScanner reports a failure to prepare as the row's scan error.
type errScanner struct{ err error }

func (e errScanner) Scan(...any) error { return e.err }

// translate maps driver errors to the store's sentinel errors.
func (s *Store) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case s.dialect.IsUniqueViolation(err):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// inTx runs fn in a transaction, committing when it returns nil, with the
// audit entry ctx carries (store.WithAudit), if any.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	// The entry is filled in only once committed: a transaction tried again
	// appends it again.
	entries := store.AuditOf(ctx)
	appended := make([]store.AuditEntry, len(entries))
	for i, e := range entries {
		appended[i] = *e
		if err := s.appendAudit(ctx, tx, &appended[i]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", s.translate(err))
	}
	for i, e := range entries {
		*e = appended[i]
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

// queryAll runs a "?" query through the statement cache and scans every row.
func queryAll[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
