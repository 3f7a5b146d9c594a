// Package backendtest runs a test against every storage backend: SQLite always,
// PostgreSQL when PATCHBAY_TEST_DATABASE_URL is set.
package backendtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
	"github.com/patchbayhq/patchbay/internal/store/plancheck"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/store/storetest"
)

// Backend is one storage backend a test can open fresh databases on.
type Backend struct {
	Name string
	// URL returns the database URL of a new database for t, with the
	// current schema or one that gets it when first opened.
	URL func(t testing.TB) string
	// Empty returns the database URL of a new database with no schema at all.
	Empty func(t testing.TB) string
}

var (
	SQLite   = Backend{Name: "sqlite", URL: migratedSQLite, Empty: emptySQLite}
	Postgres = Backend{Name: "postgres", URL: pgtest.NewSchema, Empty: pgtest.NewSchema}
	// All lists the backends.
	All = []Backend{SQLite, Postgres}
)

func emptySQLite(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "patchbay.db") }

// sqliteSchema is an SQLite database file with every migration applied, made
// once per test process: a test's new database is a copy of it, as migrating
// one from scratch costs seconds under the race detector.
var sqliteSchema = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "patchbay-schema")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	k, err := secrets.GenerateKey("schema")
	if err != nil {
		return nil, err
	}
	keys, err := secrets.NewKeyring(k)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "patchbay.db")
	s, _, err := backend.Open(context.Background(), "sqlite:"+path, sqlstore.Options{Keys: keys})
	if err != nil {
		return nil, err
	}
	// Fold the write-ahead log into the file, so that the file is the whole database.
	if _, err := s.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

func migratedSQLite(t testing.TB) string {
	t.Helper()
	schema, err := sqliteSchema()
	if err != nil {
		t.Fatalf("migrate the SQLite schema: %v", err)
	}
	path := filepath.Join(t.TempDir(), "patchbay.db")
	if err := os.WriteFile(path, schema, 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite:" + path
}

// NewDatabase gives the conformance suite a fresh database on b.
func (b Backend) NewDatabase(t *testing.T) storetest.Database { return b.wrappedDatabase(t, nil) }

func (b Backend) wrappedDatabase(t *testing.T, wrap sqlstore.Wrap) storetest.Database {
	url := b.URL(t)
	return storetest.Database{
		Open: func(t *testing.T, keys *secrets.Keyring) store.Store { return OpenWrapped(t, url, keys, wrap) },
		Exec: func(t *testing.T, statement string) {
			raw := OpenURL(t, url, TestKeys(t))
			if _, err := raw.DB().Exec(statement); err != nil {
				t.Fatalf("exec %q: %v", statement, err)
			}
		},
	}
}

// Open opens and migrates a new database, closed when t ends.
func (b Backend) Open(t testing.TB, keys *secrets.Keyring) *sqlstore.Store {
	t.Helper()
	return OpenURL(t, b.URL(t), keys)
}

// OpenURL opens the database at url (again, as another node would), closed when t ends.
func OpenURL(t testing.TB, url string, keys *secrets.Keyring) *sqlstore.Store {
	t.Helper()
	return OpenWrapped(t, url, keys, nil)
}

// OpenWrapped is OpenURL with the driver's connections wrapped by wrap.
func OpenWrapped(t testing.TB, url string, keys *secrets.Keyring, wrap sqlstore.Wrap) *sqlstore.Store {
	t.Helper()
	return openOptions(t, url, sqlstore.Options{Keys: keys, Wrap: wrap})
}

// OpenWithClock opens and migrates a new database whose rows are dated by
// clk, the clock the test gives the services, closed when t ends.
func (b Backend) OpenWithClock(t testing.TB, keys *secrets.Keyring, clk clock.Clock) *sqlstore.Store {
	t.Helper()
	return openOptions(t, b.URL(t), sqlstore.Options{Keys: keys, Clock: clk})
}

func openOptions(t testing.TB, url string, o sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, _, err := backend.Open(context.Background(), url, o)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// RunConformance runs the conformance suite on b, recording every statement
// the store sends, then checks the plan of each on a seeded database: none
// may scan a big table (plancheck). The suite's statements are the store's.
func RunConformance(t *testing.T, b Backend) {
	rec := plancheck.NewRecorder()
	t.Run("suite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Database { return b.wrappedDatabase(t, rec.Wrap) })
	})
	t.Run("plans", func(t *testing.T) {
		statements := rec.Statements()
		if len(statements) < 100 {
			t.Fatalf("recorded %d statements; the suite sends far more", len(statements))
		}
		s := b.Open(t, TestKeys(t))
		plancheck.Seed(t, s, 4000)
		bad, err := plancheck.Check(context.Background(), s, statements)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bad {
			t.Errorf("reads a whole table: %s", line)
		}

		// The check itself, on the same seeded database: with the account
		// indexes gone, listing a project's accounts reads the whole table,
		// and the check says so.
		for _, index := range []string{"accounts_project", "accounts_project_owner", "accounts_owner"} {
			if _, err := s.DB().Exec("DROP INDEX " + index); err != nil {
				t.Fatal(err)
			}
		}
		if bad, err = plancheck.Check(context.Background(), s, statements); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range bad {
			found = found || strings.Contains(line, "FROM accounts WHERE project_id")
		}
		if !found {
			t.Fatalf("with the account indexes dropped the check found nothing about listing accounts: %q", bad)
		}
		t.Logf("with the account indexes dropped, the check reports %d statements, e.g.:\n%s", len(bad), bad[0])
	})
}

// Run runs fn as a subtest per backend, each with a fresh database.
func Run(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	for _, b := range All {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.Open(t, TestKeys(t)))
		})
	}
}

// TestKeys returns a one-key ring for tests.
func TestKeys(t testing.TB) *secrets.Keyring {
	t.Helper()
	k, err := secrets.GenerateKey("test")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}
