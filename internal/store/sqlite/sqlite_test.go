package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func TestConformance(t *testing.T) {
	backendtest.RunConformance(t, backendtest.SQLite)
}

// TestNoPlaintextOnDisk searches every byte SQLite wrote (database and WAL) for a
// sealed secret's plaintext.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "patchbay.db"), backendtest.TestKeys(t))
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
	backendtest.OpenURL(t, "sqlite:"+path, backendtest.TestKeys(t))
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("database file mode %o, want 600", mode)
	}
}

// TestOptimizeGathersStatistics: SQLite keeps no planner statistics unless
// asked; Optimize (run at open and by the hourly sweep) gathers them.
func TestOptimizeGathersStatistics(t *testing.T) {
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "patchbay.db"), backendtest.TestKeys(t))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "n", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks",
			OriginOwnerID: fmt.Sprint("owner-", i), OriginOwnerName: "Owner"}, store.EventAccountCreated); err != nil {
			t.Fatal(err)
		}
	}
	stats := func() int {
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'accounts'`).Scan(&n); err != nil {
			return 0 // no statistics table yet
		}
		return n
	}
	if n := stats(); n != 0 {
		t.Fatalf("%d statistics rows before Optimize", n)
	}
	if err := s.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if n := stats(); n == 0 {
		t.Fatal("Optimize gathered no statistics for accounts")
	}
	// Value samples would make every hot statement be prepared again on each
	// run with new values: Optimize keeps row counts only.
	var samples int
	if err := s.DB().QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'`).Scan(&samples); err != nil || samples != 0 {
		t.Fatalf("after Optimize sqlite_stat4 is there (%d, %v)", samples, err)
	}
}
