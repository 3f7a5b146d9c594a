// Package pgtest gives each test its own PostgreSQL schema in the database named by
// PATCHBAY_TEST_DATABASE_URL, so tests run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/patchbayhq/patchbay/internal/store"
)

// EnvVar names the database that PostgreSQL tests use.
const EnvVar = "PATCHBAY_TEST_DATABASE_URL"

// BaseURL returns the test database URL, skipping the test when none is configured.
func BaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skipf("%s is not set; PostgreSQL tests need it (CI sets it)", EnvVar)
	}
	return base
}

// NewSchema creates an empty schema, drops it when the test ends, and returns a
// database URL whose connections use it.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	schema := strings.ReplaceAll(store.NewID("test"), "-", "_")
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		// Schemas of tests running in parallel are dropped at the same time,
		// and PostgreSQL may break a lock cycle between two drops by failing
		// one; that one is tried again.
		var err error
		for range 5 {
			_, err = db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "40P01" {
				break
			}
		}
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
