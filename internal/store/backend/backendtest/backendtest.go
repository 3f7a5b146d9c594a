// Package backendtest runs a test against every storage backend: SQLite always,
// PostgreSQL when PATCHBAY_TEST_DATABASE_URL is set.
package backendtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/store/storetest"
)

// Backend is one storage backend a test can open fresh databases on.
type Backend struct {
	Name string
	// URL returns the database URL of a new, empty database for t.
	URL func(t testing.TB) string
}

var (
	SQLite   = Backend{Name: "sqlite", URL: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "patchbay.db") }}
	Postgres = Backend{Name: "postgres", URL: pgtest.NewSchema}
	// All lists the backends.
	All = []Backend{SQLite, Postgres}
)

// NewDatabase gives the conformance suite a fresh database on b.
func (b Backend) NewDatabase(t *testing.T) storetest.Database {
	url := b.URL(t)
	return storetest.Database{
		Open: func(t *testing.T, keys *secrets.Keyring) store.Store { return OpenURL(t, url, keys) },
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
	s, _, err := backend.Open(context.Background(), url, keys)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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
