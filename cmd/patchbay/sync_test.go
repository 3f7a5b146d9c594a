package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// TestSyncSurvivesAKilledNode: node A is killed (SIGKILL) in the middle of
// an account's first run on PostgreSQL, its second page held at the
// provider; node B takes the run over from A's checkpoint once River
// rescues the job, and the feed then holds every member once.
func TestSyncSurvivesAKilledNode(t *testing.T) {
	t.Parallel() // most of it is waiting for the queue to rescue the dead node's job
	jwSim := startSandbox(t, "--members", "300", "--no-rate-limit")
	dbURL := pgtest.NewSchema(t)
	k, _ := secrets.GenerateKey("k1")
	ring, _ := secrets.NewKeyring(k)
	environ := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k),
		"PATCHBAY_SANDBOX_URL="+strings.TrimSuffix(jwSim, "/justworks"))
	dir := t.TempDir()
	out, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: %d %s", code, errOut)
	}
	s := backendtest.OpenURL(t, dbURL, ring)
	acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"hris_list_employees"}, time.Now().Add(time.Hour))
	s.Close()
	if out, errOut, code := run(t, dir, environ, "profiles", "update", acc.ProfileID, "--sync", "--sync-models", "hris.employees"); code != 0 ||
		!strings.Contains(out, "sync:             hris.employees") {
		t.Fatalf("profiles update --sync: %d %s %s", code, out, errOut)
	}
	call := func(n *node, method, path string) (int, map[string]any) {
		req, _ := http.NewRequest(method, n.url+path, nil)
		req.SetBasicAuth(key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		return resp.StatusCode, body
	}

	// Page 1 goes through; page 2 is held at the provider while A is killed.
	simControl(t, jwSim, "POST", "/_sim/faults", `{"path_prefix":"/v1/members","count":1,"kind":"delay","delay_ms":1}`)
	simControl(t, jwSim, "POST", "/_sim/faults", `{"path_prefix":"/v1/members","count":1,"kind":"delay","delay_ms":600000}`)
	a := startServe(t, t.TempDir(), environ)
	if st, body := call(a, "POST", "/accounts/"+acc.ID+"/sync"); st != http.StatusAccepted || body["queued"] != true {
		t.Fatalf("sync now: %d %v", st, body)
	}
	testwait.For(t, "node A's second page at the provider", func() bool { return simStats(t, jwSim)["fault.delay"] == 2 })
	a.cmd.Process.Kill()
	a.cmd.Wait()

	b := startServe(t, t.TempDir(), environ)
	var status map[string]any
	waitLonger(t, "node B to finish the run", func() bool {
		_, status = call(b, "GET", "/accounts/"+acc.ID+"/sync")
		models, _ := status["models"].([]any)
		if len(models) != 1 {
			return false
		}
		m := models[0].(map[string]any)
		return m["status"] == "idle" && m["ended_at"] != nil
	})
	m := status["models"].([]any)[0].(map[string]any)
	if m["records"] != float64(300) || m["changes"] != float64(300) {
		t.Fatalf("the run read %v records and made %v changes, want 300 each (A's first page and B's rest): %v", m["records"], m["changes"], m)
	}
	seen := map[string]int{}
	cursor := ""
	for {
		st, page := call(b, "GET", "/sync/changes?page_size=70&cursor="+url.QueryEscape(cursor))
		if st != http.StatusOK {
			t.Fatalf("change feed: %d %v", st, page)
		}
		data := page["data"].([]any)
		for _, c := range data {
			c := c.(map[string]any)
			if c["change"] != "ADDED" {
				t.Fatalf("a first run made %v", c)
			}
			seen[c["record_id"].(string)]++
		}
		cursor = page["next_cursor"].(string)
		if len(data) == 0 {
			break
		}
	}
	if len(seen) != 300 {
		t.Fatalf("the feed has %d members, want 300", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("member %s was added %d times", id, n)
		}
	}
}

// waitLonger waits up to three minutes: River rescues a dead node's job a
// job timeout (45 s) after its attempt began, at its next rescue pass.
func waitLonger(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !testwait.Try(3*time.Minute, cond) {
		t.Fatalf("waited 3 minutes for %s", what)
	}
}
