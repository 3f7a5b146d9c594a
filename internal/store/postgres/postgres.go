// Package postgres is the scale-out storage backend: any number of Patchbay nodes
// share one PostgreSQL database through pgx.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var dialect = sqlstore.Dialect{
	Name:           "postgres",
	NumberedParams: true,
	ForUpdate:      " FOR UPDATE",
	KeyLock:        `SELECT pg_advisory_xact_lock(CAST(? AS bigint))`,
	SkipLocked:     " FOR UPDATE SKIP LOCKED",
	Queue:          func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(db) },
	// Keyed by schema so that separate schemas (one per test) migrate independently.
	MigrationLock: `SELECT pg_advisory_xact_lock(hashtext('patchbay.migrate.' || current_schema()))`,
	IsUniqueViolation: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
	Migrations: migrationFiles,
}

// Open connects to the database at url (postgres://…) and checks that it answers.
// Call Migrate on the result before use.
// o's pools and dialect are the backend's own; its keys, clock and wrap are used.
func Open(ctx context.Context, url string, o sqlstore.Options) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included; keep it out.
		return nil, errors.New("postgres: the database URL is not a valid postgres:// URL")
	}
	db := sql.OpenDB(o.Wrap.Connector(stdlib.GetConnector(*cfg)))
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		// pgx reports one line per address tried; keep the message on one line.
		msg := strings.NewReplacer(":\n\t", ": ", "\n\t", "; ").Replace(err.Error())
		return nil, fmt.Errorf("postgres: connect to %s:%d: %s (is PostgreSQL running, and is the URL right?)", cfg.Host, cfg.Port, msg)
	}
	d := dialect
	d.ListenEvents = func(ctx context.Context, wake func()) error { return listenEvents(ctx, cfg, wake) }
	o.Reads, o.Writes, o.Dialect = db, db, d
	return sqlstore.New(o), nil
}

// listenEvents waits for the notifications of events_notify (migration
// 0032) on a connection of its own, outside the pool: it is held for as long
// as the node runs.
func listenEvents(ctx context.Context, cfg *pgx.ConnConfig, wake func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{"patchbay_events." + schema}.Sanitize()); err != nil {
		return err
	}
	wake() // for the events committed before the LISTEN
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}
