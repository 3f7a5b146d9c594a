package postgres_test

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/postgres"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/store/storetest"
)

func openMigrated(t *testing.T, dbURL string, keys *secrets.Keyring) *sqlstore.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dbURL, keys)
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
	dbURL := pgtest.NewSchema(t)
	return storetest.Database{
		Open: func(t *testing.T, keys *secrets.Keyring) store.Store { return openMigrated(t, dbURL, keys) },
		Exec: func(t *testing.T, statement string) {
			raw := openMigrated(t, dbURL, storetest.Ring(t, storetest.Key(t, "raw")))
			if _, err := raw.DB().Exec(statement); err != nil {
				t.Fatalf("exec %q: %v", statement, err)
			}
		},
	}
}

func TestConformance(t *testing.T) {
	pgtest.BaseURL(t)
	storetest.Run(t, newDatabase)
}

// TestNoPlaintextInDump dumps the profiles table with pg_dump and searches it.
func TestNoPlaintextInDump(t *testing.T) {
	dbURL := pgtest.NewSchema(t)
	s := openMigrated(t, dbURL, storetest.Ring(t, storetest.Key(t, "k1")))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	const plaintext = "client-secret-91be-must-never-touch-disk"
	if _, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "n", ClientID: "visible-client-id", ClientSecret: plaintext}); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command("pg_dump", "--data-only", "--table", schema+".connector_profiles", u.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dump := string(out)
	if !strings.Contains(dump, "visible-client-id") {
		t.Fatalf("the dump does not hold the row at all; it proves nothing:\n%s", dump)
	}
	if strings.Contains(dump, plaintext) {
		t.Fatal("the client secret is stored in clear text")
	}
}

// TestConcurrentMigrations starts several nodes' migrators on one empty schema.
func TestConcurrentMigrations(t *testing.T) {
	dbURL := pgtest.NewSchema(t)
	keys := storetest.Ring(t, storetest.Key(t, "k1"))
	var wg sync.WaitGroup
	applied := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), dbURL, keys)
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
