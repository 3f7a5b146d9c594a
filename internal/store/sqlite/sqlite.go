// Package sqlite is the embedded storage backend: one SQLite file in WAL mode,
// driven by the pure-Go modernc.org/sqlite.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// dialect: every transaction starts with BEGIN IMMEDIATE (_txlock), which takes the
// single writer lock up front, so migrations need no extra lock.
var dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Migrations: migrationFiles,
	Queue:      func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riversqlite.New(db) },
	Optimize:   optimize,
	IsBusy: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
	},
	IsUniqueViolation: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
}

// optimize gathers the planner's statistics: SQLite gathers none by itself,
// and without them it may pick an index that serves the order over one that
// serves the filter. 0x10002 checks every table, not only those this
// connection has queried, and analyses those whose statistics are missing or
// stale.
//
// It keeps the row counts (sqlite_stat1) and drops the value samples
// (sqlite_stat4): with samples, a prepared statement whose plan might depend
// on its bound values is prepared again on every run with new values — on
// the hot path, every query — and no plan here depends on how common a value
// is. Dropping them bumps the schema version, so every connection reloads.
func optimize(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "PRAGMA optimize=0x10002; DROP TABLE IF EXISTS sqlite_stat4")
	return err
}

// sqliteDriver is the driver modernc.org/sqlite registers (sql.Open connects nothing).
var sqliteDriver = func() driver.Driver {
	db, _ := sql.Open("sqlite", "")
	defer db.Close()
	return db.Driver()
}()

// dsnConnector opens connections to one database with the sqlite driver.
type dsnConnector struct{ dsn string }

// Connect opens a connection. Turning a new file to WAL mode takes a lock the
// busy timeout does not wait for, so a second process opening the file at that
// moment (a CLI command while serve starts) gets SQLITE_BUSY at once: it tries
// again for up to about two seconds.
func (c dsnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	for attempt := 1; ; attempt++ {
		conn, err := sqliteDriver.Open(c.dsn)
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || attempt == 80 {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}
func (dsnConnector) Driver() driver.Driver { return sqliteDriver }

// Open opens the database file at path, creating it with mode 0600 when missing.
// Call Migrate on the result before use.
// o's pools and dialect are the backend's own; its keys, clock and wrap are used.
func Open(ctx context.Context, path string, o sqlstore.Options) (*sqlstore.Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}
	// Create the file ourselves so it is private from the first byte.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f.Close()

	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Set("_txlock", "immediate")
	params.Set("_time_format", "sqlite")
	dsn := dsnConnector{"file:" + path + "?" + params.Encode()}
	// Opening a connection reads and parses the whole schema, so the pools keep
	// theirs instead of closing all but two after a burst. Readers run side by
	// side in WAL mode, a few per core; writers take turns on one connection.
	reads := sql.OpenDB(o.Wrap.Connector(dsn))
	reads.SetMaxOpenConns(readConns())
	reads.SetMaxIdleConns(readConns())
	writes := sql.OpenDB(o.Wrap.Connector(dsn))
	writes.SetMaxOpenConns(1)
	writes.SetMaxIdleConns(1)
	for _, db := range []*sql.DB{writes, reads} {
		if err := db.PingContext(ctx); err != nil {
			reads.Close()
			writes.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	o.Reads, o.Writes, o.Dialect = reads, writes, dialect
	return sqlstore.New(o), nil
}

// readConns is the size of the read pool: enough to keep every core busy while
// some readers wait on the disk, few enough that a burst of requests queues for
// a connection rather than opening hundreds.
func readConns() int { return max(8, 4*runtime.GOMAXPROCS(0)) }
