package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// measureSyncFairness answers: do sync runs slow live calls down? One
// `patchbay serve` holds n Justworks accounts whose profile syncs employees
// and employments, against a simulator in its own process. Rounds alternate
// (the order flipping every pair) between live /actions/rpc calls alone and
// the same calls while a full sync of every account runs; the table gives
// each kind's p50 per round and the ratio of the medians.
func measureSyncFairness(n, level int, d time.Duration, databaseURL string) error {
	ctx := context.Background()
	rig, err := newSyncRig(ctx, databaseURL, 300)
	if err != nil {
		return err
	}
	defer rig.close()
	h, simURL, control := rig.h, rig.simURL, rig.control
	fmt.Printf("linking %d accounts …\n", n)
	apiKey, accounts, err := syncedAccounts(ctx, h.store, simURL, control, n, "hris.employees", "hris.employments")
	if err != nil {
		return err
	}

	fmt.Println("starting patchbay serve …")
	serve, base, err := rig.serve()
	if err != nil {
		return err
	}
	q := syncQueue{base: base, apiKey: apiKey, accounts: accounts, db: h.store.DB()}
	// The first runs add every record; the measured ones compare hashes.
	fmt.Println("first sync of every account …")
	if err := q.syncAll(true); err != nil {
		return err
	}
	took, err := q.drain(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("first sync of %d accounts took %s\n", n, took.Round(time.Millisecond))

	body := []byte(`{"action":"justworks_list_members","query":{"limit":100}}`)
	var length int64
	live := func() (*http.Request, error) {
		req, err := http.NewRequest("POST", base+"/actions/rpc", bytes.NewReader(body))
		if err == nil {
			req.SetBasicAuth(apiKey, "")
			req.Header.Set("X-Account-Id", accounts[rand.IntN(len(accounts))])
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	measure(level, warmUp, live, &length)
	kinds := map[bool]*[]float64{false: {}, true: {}}
	cpus := map[bool]*[]float64{false: {}, true: {}}
	fmt.Printf("%d rounds of %s at c=%d, live calls alone and during a full sync of %d accounts …\n", rounds, d, level, n)
	for r := range rounds {
		withSync := (r%2 == 0) != (r/2%2 == 0) // off,on then on,off …
		if withSync {
			if err := q.syncAll(true); err != nil {
				return err
			}
		}
		before, err := cpuSeconds(serve.Pid)
		if err != nil {
			return err
		}
		lat, _ := measure(level, d, live, &length)
		after, err := cpuSeconds(serve.Pid)
		if err != nil {
			return err
		}
		left, err := q.queued(ctx)
		if err != nil {
			return err
		}
		*kinds[withSync] = append(*kinds[withSync], micros(p50(lat)))
		*cpus[withSync] = append(*cpus[withSync], (after-before)/float64(len(lat))*1e6)
		label := "alone"
		if withSync {
			label = "during sync"
		}
		fmt.Printf("  round %2d %-12s p50 %6.0f µs, %5d calls, serve CPU %5.0f µs/call, sync runs still queued at the end: %d\n",
			r+1, label, micros(p50(lat)), len(lat), (after-before)/float64(len(lat))*1e6, left)
		if _, err := q.drain(ctx); err != nil {
			return err
		}
	}
	off, on := spreadOf(*kinds[false]), spreadOf(*kinds[true])
	fmt.Println()
	fmt.Println("| live calls | p50 µs, median (min..max) over rounds | serve CPU µs/call |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| alone | %s | %s |\n", off.format("%.0f"), spreadOf(*cpus[false]).format("%.0f"))
	fmt.Printf("| during a full sync of %d accounts | %s | %s |\n", n, on.format("%.0f"), spreadOf(*cpus[true]).format("%.0f"))
	fmt.Printf("\np50 during sync ÷ alone: %.2f× (target ≤ 1.2×)\n", on.median/off.median)
	return nil
}

// mintToken asks the simulator's controls for a token of the demo company.
func mintToken(jwURL, control string) (store.Credentials, error) {
	req, err := http.NewRequest(http.MethodPost, jwURL+"/_sim/tokens", strings.NewReader(`{}`))
	if err != nil {
		return store.Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+control)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return store.Credentials{}, err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return store.Credentials{}, fmt.Errorf("mint a simulator token: %d, %v", resp.StatusCode, err)
	}
	return store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(24 * time.Hour),
		Obtained: time.Now(), Scopes: strings.Fields(tok.Scope)}, nil
}

// syncedAccounts creates a project with an API key and a Justworks profile
// that syncs the models (once a day: the harness asks for the runs it
// measures), and links n accounts straight in the database, each with a
// token of its own from the simulator at simURL.
func syncedAccounts(ctx context.Context, s *sqlstore.Store, simURL, control string, n int, models ...string) (string, []string, error) {
	p, err := s.CreateProject(ctx, store.Project{Name: "sync load"})
	if err != nil {
		return "", nil, err
	}
	apiKey, _, err := apikeys.Issue(ctx, s, p.ID, "load")
	if err != nil {
		return "", nil, err
	}
	demo := sandbox.DemoApp("justworks")
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: demo.ClientID, ClientSecret: demo.ClientSecret, Environment: "sandbox", Enabled: true,
		EnabledActions: []string{"justworks_list_members", "hris_list_employees", "hris_list_employments"},
		Sync:           store.SyncSettings{Enabled: true, Models: models, Interval: 24 * time.Hour}})
	if err != nil {
		return "", nil, err
	}
	accounts := make([]string, n)
	for i := range accounts {
		tok, err := mintToken(simURL+"/justworks", control)
		if err != nil {
			return "", nil, err
		}
		a, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: fmt.Sprint("o", i),
			OriginOwnerName: "O", Credentials: tok}, store.EventAccountCreated)
		if err != nil {
			return "", nil, err
		}
		accounts[i] = a.ID
	}
	return apiKey, accounts, nil
}

// syncQueue asks a Patchbay for sync runs and watches its job queue.
type syncQueue struct {
	base, apiKey string
	accounts     []string
	db           *sql.DB
}

// syncAll asks for a run of every account.
func (q syncQueue) syncAll(full bool) error {
	for _, id := range q.accounts {
		req, _ := http.NewRequest("POST", q.base+"/accounts/"+id+"/sync", strings.NewReader(fmt.Sprintf(`{"full":%t}`, full)))
		req.SetBasicAuth(q.apiKey, "")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("sync %s: %s", id, resp.Status)
		}
	}
	return nil
}

// queued counts the runs queued or under way.
func (q syncQueue) queued(ctx context.Context) (int, error) {
	var left int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'sync_run' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&left)
	return left, err
}

// drain waits until no run is queued or under way, and says how long it took.
func (q syncQueue) drain(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	for {
		left, err := q.queued(ctx)
		if err != nil || left == 0 {
			return time.Since(began), err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncRig is a sync measurement's harness: the database, and a Justworks
// simulator in a process of its own.
type syncRig struct {
	h               *harness
	simURL, control string
	children        []*os.Process
}

// newSyncRig builds patchbay, opens the database and starts a simulator of
// members people with no rate limit.
func newSyncRig(ctx context.Context, databaseURL string, members int) (*syncRig, error) {
	h, err := newHarness(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	r := &syncRig{h: h, control: crand.Text()}
	sim, out, err := start(h.dir, h.bin, regexp.MustCompile(`base URL:\s+(\S+)/justworks`),
		"sandbox", "--listen", "127.0.0.1:0", "--members", fmt.Sprint(members), "--seed", "1", "--control-token", r.control, "--no-rate-limit")
	if err != nil {
		h.close()
		return nil, err
	}
	r.children, r.simURL = append(r.children, sim.Process), out[1]
	return r, nil
}

// serve starts a `patchbay serve` node on the rig's database and simulator.
func (r *syncRig) serve() (*os.Process, string, error) {
	cmd, out, err := start(r.h.dir, r.h.bin, regexp.MustCompile(`is listening on (\S+)`), "serve", "--listen", "127.0.0.1:0", "--database-url", r.h.dbURL,
		"--encryption-keys", secrets.Format(r.h.key), "--sandbox-url", r.simURL, "--key-rate-limit", "1000000000")
	if err != nil {
		return nil, "", err
	}
	r.children = append(r.children, cmd.Process)
	return cmd.Process, "http://" + out[1], nil
}

// close stops the rig's processes and removes its files.
func (r *syncRig) close() {
	for _, p := range r.children {
		p.Kill()
		p.Wait()
	}
	r.h.close()
}
