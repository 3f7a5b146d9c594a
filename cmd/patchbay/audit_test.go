package main_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// Changes made on the command line are in the audit trail as system:cli;
// `patchbay audit verify` passes, then names the entry a raw SQL edit
// changed, and then notices that the newest entry was deleted.
func TestAuditTrailFromTheCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	environ := env()
	if _, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme"); code != 0 {
		t.Fatalf("projects create: %s", errOut)
	}
	cmd := exec.Command(binary, "profiles", "create", "--connector", "justworks", "--client-id", "jw-client", "--client-secret-stdin",
		"--actions", "justworks_list_members")
	cmd.Dir, cmd.Env = dir, environ
	cmd.Stdin = strings.NewReader("cli-secret-value\n")
	created, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("profiles create: %v\n%s", err, created)
	}
	profile := regexp.MustCompile(`cp_[a-z0-9]+`).FindString(string(created))
	if _, errOut, code := run(t, dir, environ, "profiles", "update", profile, "--enabled=false"); code != 0 {
		t.Fatalf("profiles update: %s", errOut)
	}

	out, errOut, code := run(t, dir, environ, "audit", "list", "--json")
	var entries []struct {
		Seq     int64
		Actor   string
		Action  string
		Target  string `json:"target_id"`
		Changes json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &entries); code != 0 || err != nil {
		t.Fatalf("audit list: %d %v %s%s", code, err, out, errOut)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor != "system:cli" {
			t.Errorf("entry %d by %s, want system:cli", e.Seq, e.Actor)
		}
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "connector_profile.updated connector_profile.created api_key.created project.created" {
		t.Fatalf("actions newest first: %s", got)
	}
	var changes bytes.Buffer
	if json.Compact(&changes, entries[0].Changes); changes.String() != `{"enabled":{"after":false,"before":true}}` {
		t.Fatalf("the update's changes: %s", changes.String())
	}
	if strings.Contains(out, "cli-secret-value") {
		t.Fatal("the client secret is in the audit trail")
	}
	if out, _, code := run(t, dir, environ, "audit", "list", "--action", "connector_profile."); code != 0 || strings.Count(out, "connector_profile.") != 2 {
		t.Fatalf("audit list --action: %d\n%s", code, out)
	}

	if out, errOut, code := run(t, dir, environ, "audit", "verify"); code != 0 || !strings.Contains(out, "intact: 4 entries in 1 chains") {
		t.Fatalf("verify: %d %s%s", code, out, errOut)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "patchbay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Someone hides that the profile was disabled.
	exec(`UPDATE audit_log SET changes = '{}' WHERE seq = 4`)
	if _, errOut, code := run(t, dir, environ, "audit", "verify"); code != 1 || !strings.Contains(errOut, "entry 4") || !strings.Contains(errOut, "was changed") {
		t.Fatalf("verify after an edit: %d %s", code, errOut)
	}
	exec(`DELETE FROM audit_log WHERE seq = 4`)
	if _, errOut, code := run(t, dir, environ, "audit", "verify"); code != 1 || !strings.Contains(errOut, "entries after it were deleted") {
		t.Fatalf("verify after a delete: %d %s", code, errOut)
	}
	exec(`DELETE FROM audit_log WHERE seq = 2`)
	if _, errOut, code := run(t, dir, environ, "audit", "verify"); code != 1 || !strings.Contains(errOut, "entries 2 to 2 are missing") {
		t.Fatalf("verify after a delete in the middle: %d %s", code, errOut)
	}
}
