package postgres_test

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
)

func TestConformance(t *testing.T) {
	pgtest.BaseURL(t)
	backendtest.RunConformance(t, backendtest.Postgres)
}

// TestNoPlaintextInDump dumps the profiles table with pg_dump and searches it.
func TestNoPlaintextInDump(t *testing.T) {
	dbURL := pgtest.NewSchema(t)
	s := backendtest.OpenURL(t, dbURL, backendtest.TestKeys(t))
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
