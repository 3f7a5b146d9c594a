package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// measureWebhooks runs one `patchbay serve` with a webhook pointing at a
// receiver in this process, then links accounts straight in the database:
// two bursts of n (events per second from the first change to the last
// receipt), then a steady 20 a second for paced, made through the node's API
// and then by another process (latency from the change's commit to its
// receipt, p50 and p99).
func measureWebhooks(n int, paced time.Duration, databaseURL string) error {
	ctx := context.Background()
	h, err := newHarness(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer h.close()
	s := h.store
	p, err := s.CreateProject(ctx, store.Project{Name: "webhook load"})
	if err != nil {
		return err
	}
	apiKey, _, err := apikeys.Issue(ctx, s, p.ID, "load")
	if err != nil {
		return err
	}
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: "id", ClientSecret: "secret", Enabled: true})
	if err != nil {
		return err
	}

	rec := &latencyReceiver{got: map[string]time.Duration{}, arrived: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, rec)

	fmt.Println("starting patchbay serve …")
	serve, out, err := start(h.dir, h.bin, regexp.MustCompile(`is listening on (\S+)`),
		"serve", "--listen", "127.0.0.1:0", "--database-url", h.dbURL, "--encryption-keys", secrets.Format(h.key), "--webhook-allow-private=true")
	if err != nil {
		return err
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	if err := apiCall("POST", "http://"+out[1]+"/webhooks", apiKey, `{"url":"http://`+ln.Addr().String()+`/hooks"}`, http.StatusCreated); err != nil {
		return fmt.Errorf("create the webhook: %w", err)
	}
	account := func() store.Account {
		return store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks",
			OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}
	}
	link := func() error {
		_, err := s.CreateAccount(ctx, account(), store.EventAccountCreated)
		return err
	}
	procs := processes{patchbay: serve.Process.Pid}
	if strings.HasPrefix(h.dbURL, "postgres") {
		procs.db = s.DB()
	}
	// The delivery pipeline's throughput: a backlog that grows faster than
	// it is sent, the accounts imported 100 to a transaction; three rounds.
	var rounds []burstResult
	for round := range burstRounds {
		rec.reset()
		r, err := burst(rec, procs, fmt.Sprintf("round %d of %d: %d account.created events, imported 100 to a transaction by 8 writers",
			round+1, burstRounds, n), n, batchOf, func(k int) error {
			accounts := make([]store.Account, k)
			for i := range accounts {
				accounts[i] = account()
			}
			return s.ImportAccounts(ctx, accounts, store.EventAccountCreated)
		})
		if err != nil {
			return err
		}
		rounds = append(rounds, r)
	}
	fmt.Printf("\nbatched bursts over %d rounds, median (range): %s events/s; CPU per event: Patchbay %s ms, %s, the harness (writers and receiver) %s ms\n",
		burstRounds, spreadOf(burstFigures(rounds, func(r burstResult) float64 { return r.rate })).format("%.0f"),
		spreadOf(burstFigures(rounds, func(r burstResult) float64 { return r.patchbay })).format("%.2f"),
		procs.dbCPU(spreadOf(burstFigures(rounds, func(r burstResult) float64 { return r.db })).format("%.2f")),
		spreadOf(burstFigures(rounds, func(r burstResult) float64 { return r.harness })).format("%.2f"))
	// End to end: each account linked in a transaction of its own, as the Hub
	// links them; the writers' own work bounds it.
	rec.reset()
	if _, err := burst(rec, procs, fmt.Sprintf("%d account.created events, one account to a transaction, from 8 writers", n), n, 1, func(int) error { return link() }); err != nil {
		return err
	}

	// Steady: through the node's own API (an account's label changed), as
	// changes are made in production, then written by another process.
	acc, err := s.CreateAccount(ctx, account(), "")
	if err != nil {
		return err
	}
	relabel := func() error {
		return apiCall("PATCH", "http://"+out[1]+"/accounts/"+acc.ID, apiKey, `{"label":"`+store.NewID("l")+`"}`, http.StatusOK)
	}
	if err := steady(rec, "account.updated through the API", paced, relabel); err != nil {
		return err
	}
	return steady(rec, "account.created written by another process", paced, link)
}

// steady makes 20 events a second through write for d and reports how long
// each took from its commit to its receipt.
func steady(rec *latencyReceiver, label string, d time.Duration, write func() error) error {
	rec.reset()
	fmt.Printf("\nsteady: 20 events/s for %s, %s …\n", d, label)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for end := time.Now().Add(d); time.Now().Before(end); sent++ {
		<-tick.C
		if err := write(); err != nil {
			return err
		}
	}
	if err := rec.wait(sent, time.Minute); err != nil {
		return err
	}
	lat := rec.latencies()
	fmt.Printf("  change to receipt: p50 %s, p99 %s over %d events\n", percentile(lat, 50), percentile(lat, 99), len(lat))
	return nil
}

// batchOf is how many accounts a write of the batched burst imports, and
// burstRounds how many batched bursts run.
const batchOf, burstRounds = 100, 3

// processes are those whose CPU a burst counts: Patchbay, this harness (the
// writers and the receiver) and, on PostgreSQL, the database's backends.
type processes struct {
	patchbay int
	db       *sql.DB // nil on SQLite
}

// dbCPU says what the database's backends spent, given as figure.
func (p processes) dbCPU(figure string) string {
	if p.db == nil {
		return "the database inside Patchbay (SQLite)"
	}
	return "PostgreSQL's backends " + figure + " ms"
}

// cpu reads each one's CPU seconds so far.
func (p processes) cpu() (patchbay, harness float64, backends map[int]float64, err error) {
	if patchbay, err = cpuSeconds(p.patchbay); err != nil {
		return
	}
	if harness, err = cpuSeconds(os.Getpid()); err != nil {
		return
	}
	backends, err = backendsCPU(p.db)
	return
}

// burstResult is one burst's rate and its CPU per event, in milliseconds.
type burstResult struct {
	rate                  float64
	patchbay, db, harness float64
}

func burstFigures(rs []burstResult, f func(burstResult) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// burst has 8 writers make n events, k at a time through write, and reports
// how fast they reached the receiver and what every process spent.
func burst(rec *latencyReceiver, procs processes, label string, n, k int, write func(k int) error) (burstResult, error) {
	fmt.Printf("\nburst: %s …\n", label)
	pb0, own0, db0, err := procs.cpu()
	if err != nil {
		return burstResult{}, err
	}
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w * k; i < n; i += 8 * k {
				if err := write(min(k, n-i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	written := time.Since(begin)
	close(errs)
	if err := <-errs; err != nil {
		return burstResult{}, err
	}
	if err := rec.wait(n, 5*time.Minute); err != nil {
		return burstResult{}, err
	}
	took := time.Since(begin)
	pb1, own1, db1, err := procs.cpu()
	if err != nil {
		return burstResult{}, err
	}
	perEvent := func(seconds float64) float64 { return seconds * 1000 / float64(n) }
	r := burstResult{rate: float64(n) / took.Seconds(), patchbay: perEvent(pb1 - pb0), db: perEvent(dbSpent(db0, db1)), harness: perEvent(own1 - own0)}
	lat := rec.latencies()
	fmt.Printf("  written in %s; delivered in %s: %.0f events/s (change to receipt p50 %s, p99 %s)\n", written.Round(time.Millisecond),
		took.Round(time.Millisecond), r.rate, percentile(lat, 50), percentile(lat, 99))
	fmt.Printf("  CPU per event: Patchbay %.2f ms, %s, the harness %.2f ms\n", r.patchbay, procs.dbCPU(fmt.Sprintf("%.2f", r.db)), r.harness)
	return r, nil
}

// latencyReceiver keeps, per event id, how long after the event's commit it arrived.
type latencyReceiver struct {
	mu      sync.Mutex
	got     map[string]time.Duration
	arrived chan struct{}
}

func (r *latencyReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	var ev struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"created_at"`
	}
	body, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	if _, dup := r.got[ev.ID]; !dup {
		r.got[ev.ID] = at.Sub(ev.CreatedAt)
	}
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *latencyReceiver) wait(n int, limit time.Duration) error {
	timeout := time.After(limit)
	for {
		r.mu.Lock()
		have := len(r.got)
		r.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-r.arrived:
		case <-time.After(100 * time.Millisecond):
		case <-timeout:
			return fmt.Errorf("%d of %d events arrived in %s", have, n, limit)
		}
	}
}

func (r *latencyReceiver) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, 0, len(r.got))
	for _, d := range r.got {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

func (r *latencyReceiver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = map[string]time.Duration{}
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)].Round(time.Millisecond)
}
