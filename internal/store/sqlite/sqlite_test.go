package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/sqlite"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/store/storetest"
)

func openMigrated(t *testing.T, path string, keys *secrets.Keyring) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func newDatabase(t *testing.T) storetest.Database {
	path := filepath.Join(t.TempDir(), "patchbay.db")
	return storetest.Database{
		Open: func(t *testing.T, keys *secrets.Keyring) store.Store { return openMigrated(t, path, keys) },
		Exec: func(t *testing.T, statement string) {
			raw := openMigrated(t, path, storetest.Ring(t, storetest.Key(t, "raw")))
			if _, err := raw.DB().Exec(statement); err != nil {
				t.Fatalf("exec %q: %v", statement, err)
			}
		},
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newDatabase)
}

// TestNoPlaintextOnDisk searches every byte SQLite wrote (database and WAL) for a
// sealed secret's plaintext.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "patchbay.db")
	s := openMigrated(t, path, storetest.Ring(t, storetest.Key(t, "k1")))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	const plaintext = "client-secret-7f3a9c-must-never-touch-disk"
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "n", ClientID: "visible-client-id", ClientSecret: plaintext})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConnectorProfile(ctx, p.ID, prof.ID)
	if err != nil || got.ClientSecret != plaintext {
		t.Fatalf("read back %q, %v", got.ClientSecret, err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "patchbay.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files: %v", err)
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	// The client id is stored in clear, so finding it proves the search sees the row.
	if !bytes.Contains(all, []byte("visible-client-id")) {
		t.Fatal("the search did not find the row at all; it proves nothing")
	}
	if bytes.Contains(all, []byte(plaintext)) {
		t.Fatal("the client secret is stored in clear text")
	}
}

func TestFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "patchbay.db")
	openMigrated(t, path, storetest.Ring(t, storetest.Key(t, "k1")))
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("database file mode %o, want 600", mode)
	}
}

// TestConcurrentMigrations starts several openers on one new file at once.
func TestConcurrentMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "patchbay.db")
	keys := storetest.Ring(t, storetest.Key(t, "k1"))
	var wg sync.WaitGroup
	applied := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			s, err := sqlite.Open(context.Background(), path, keys)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			versions, err := s.Migrate(context.Background())
			if err != nil {
				t.Error(err)
			}
			applied <- len(versions)
		})
	}
	wg.Wait()
	close(applied)
	total := 0
	for n := range applied {
		total += n
	}
	if total != 1 {
		t.Fatalf("migrations applied %d times in all, want exactly once", total)
	}
}
