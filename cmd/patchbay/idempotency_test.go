package main_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// A node killed (SIGKILL) after Justworks carried out its write and before
// the answer reached the caller: the caller's retry with the same
// Idempotency-Key, on another node (PostgreSQL) or on the node started again
// (SQLite), never sends the write a second time. It answers 409 "still
// running" while the dead node's lock lasts, then 409 "outcome unknown".
func TestAKilledNodeNeverWritesTwice(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--no-rate-limit")
			jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
			environ := env("PATCHBAY_SANDBOX_URL=" + strings.TrimSuffix(jwSim, "/justworks"))
			dirA, dirB := t.TempDir(), t.TempDir()
			var dbURL string
			var ring *secrets.Keyring
			if backend == "postgres" {
				dbURL = pgtest.NewSchema(t)
				k, _ := secrets.GenerateKey("k1")
				ring, _ = secrets.NewKeyring(k)
				environ = append(environ, "PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k))
			} else {
				dirB = dirA // the same data directory, started again
				dbURL = "sqlite:" + filepath.Join(dirA, "data", "patchbay.db")
			}
			out, errOut, code := run(t, dirA, environ, "projects", "create", "--name", "Acme")
			key := keyPattern.FindString(out)
			if code != 0 || key == "" {
				t.Fatalf("projects create: %d %s", code, errOut)
			}
			if ring == nil {
				var err error
				if ring, _, err = secrets.LoadOrCreateKeyFile(filepath.Join(dirA, "data", "patchbay.key")); err != nil {
					t.Fatal(err)
				}
			}
			s := backendtest.OpenURL(t, dbURL, ring)
			acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"justworks_update_deductions"}, time.Now().Add(time.Hour))
			s.Close()

			a := startServe(t, dirA, environ)
			post := func(n *node, body string) (int, string) {
				req, _ := http.NewRequest("POST", n.url+"/actions/rpc", strings.NewReader(body))
				req.SetBasicAuth(key, "")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Account-Id", acc.ID)
				req.Header.Set("Idempotency-Key", "payroll-change-1")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0, err.Error()
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(raw)
			}
			update := fmt.Sprintf(`{"action":"justworks_update_deductions","body":{"items":[{"deduction_id":%q,"amount":7100}]}}`, "ded_acme_0001")
			writes := func() int { return simStats(t, jwSim)["api.PUT /v1/deductions"] }

			simControl(t, jwSim, "POST", "/_sim/faults", `{"method":"PUT","path_prefix":"/v1/deductions","count":1,"kind":"late","delay_ms":60000}`)
			go post(a, update)
			testwait.For(t, "Justworks to carry out node A's write", func() bool { return simStats(t, jwSim)["fault.late.held"] == 1 })
			a.cmd.Process.Kill()
			a.cmd.Wait()

			b := startServe(t, dirB, environ)
			var st int
			var answer string
			// The dead node's lock lasts up to 10 s; until then the retry is told to wait.
			testwait.For(t, "node A's lock to run out", func() bool {
				st, answer = post(b, update)
				return !strings.Contains(answer, "still running")
			})
			if st != http.StatusConflict || !strings.Contains(answer, "outcome is unknown") || !strings.Contains(answer, acc.ID) {
				t.Fatalf("the retry after node A died: %d %s", st, answer)
			}
			if n := writes(); n != 1 {
				t.Fatalf("Justworks received %d writes, want node A's one", n)
			}
		})
	}
}
