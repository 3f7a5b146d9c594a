package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL's backends, for their CPU

	"github.com/patchbayhq/patchbay/internal/secrets"
)

// Rounds per measurement, and the unmeasured warm-up before them.
const (
	rounds = 10
	warmUp = time.Second
)

// path is one way to get the same page: straight to the provider, through a
// minimal proxy, or through Patchbay, whose process (pid, and its allocation
// count at metrics) is measured.
type path struct {
	name    string
	pid     int
	helper  int // a process that works for this path only (the OTLP receiver), 0 when none
	metrics string
	build   func() (*http.Request, error)
	scrape  float64 // heap allocations one read of metrics makes
	length  int64   // every answer's length, learned in the warm-up
	turns   []turn  // this concurrency level's rounds
}

// turn is one path's share of one round.
type turn struct {
	latencies []time.Duration
	elapsed   time.Duration
	cpu       float64 // seconds the path's own process ran
	allocs    float64 // heap allocations it made
	simCPU    float64 // seconds the simulator ran
	dbCPU     float64 // seconds PostgreSQL's backends ran (0 on SQLite)
	helperCPU float64 // seconds the path's helper ran
}

func (t turn) calls() float64 { return float64(len(t.latencies)) }

// shared are the processes every path's calls cost: the simulator, and on
// PostgreSQL the database's backends.
type shared struct {
	simPID int
	db     *sql.DB // nil on SQLite
}

// cpu returns the simulator's CPU seconds so far and each database backend's.
func (s shared) cpu() (sim float64, backends map[int]float64, err error) {
	if sim, err = cpuSeconds(s.simPID); err != nil {
		return 0, nil, err
	}
	backends, err = backendsCPU(s.db)
	return sim, backends, err
}

// backendsCPU returns the CPU seconds so far of each backend of db's
// PostgreSQL database (none when db is nil: SQLite).
func backendsCPU(db *sql.DB) (map[int]float64, error) {
	if db == nil {
		return nil, nil
	}
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backends: %w", err)
	}
	defer rows.Close()
	backends := map[int]float64{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		if cpu, err := cpuSeconds(pid); err == nil { // a backend may end meanwhile
			backends[pid] = cpu
		}
	}
	return backends, rows.Err()
}

// dbSpent is what the backends ran between two readings; a backend that
// started meanwhile counts whole.
func dbSpent(before, after map[int]float64) float64 {
	var spent float64
	for pid, cpu := range after {
		spent += cpu - before[pid]
	}
	return spent
}

// turn runs the path's callers for d and reads every process's CPU around it.
func (p *path) turn(n int, d time.Duration, on shared) error {
	var t turn
	simBefore, dbBefore, err := on.cpu()
	if err != nil {
		return err
	}
	cpuBefore, allocsBefore, err := p.counters()
	if err != nil {
		return err
	}
	helperBefore, err := p.helperCPU()
	if err != nil {
		return err
	}
	t.latencies, t.elapsed = measure(n, d, p.build, &p.length)
	cpuAfter, allocsAfter, err := p.counters()
	if err != nil {
		return err
	}
	helperAfter, err := p.helperCPU()
	if err != nil {
		return err
	}
	t.helperCPU = helperAfter - helperBefore
	simAfter, dbAfter, err := on.cpu()
	if err != nil {
		return err
	}
	t.cpu, t.allocs = cpuAfter-cpuBefore, allocsAfter-allocsBefore-p.scrape
	t.simCPU, t.dbCPU = simAfter-simBefore, dbSpent(dbBefore, dbAfter)
	p.turns = append(p.turns, t)
	return nil
}

// helperCPU reads the CPU seconds of the path's helper, 0 without one.
func (p *path) helperCPU() (float64, error) {
	if p.helper == 0 {
		return 0, nil
	}
	return cpuSeconds(p.helper)
}

// counters reads the path's process's CPU seconds and heap allocations so far.
func (p *path) counters() (cpu, allocs float64, err error) {
	if p.pid == 0 {
		return 0, 0, nil
	}
	if cpu, err = cpuSeconds(p.pid); err != nil {
		return 0, 0, err
	}
	allocs, err = mallocs(p.metrics)
	return cpu, allocs, err
}

// scrapeCost measures what reading the allocation count costs the process
// itself: the mean of ten reads in a row, taken off every turn's count.
func (p *path) scrapeCost() error {
	if p.pid == 0 {
		return nil
	}
	first, err := mallocs(p.metrics)
	if err != nil {
		return err
	}
	last := first
	for range 10 {
		if last, err = mallocs(p.metrics); err != nil {
			return err
		}
	}
	p.scrape = (last - first) / 10
	return nil
}

// measure runs n callers for d and returns their latencies and the time
// taken. Every caller uses one shared client, as a service calling Patchbay or
// a provider would, and reads each answer whole, checking its status and its
// length: the first answer sets *length (when 0), and every other must match.
func measure(n int, d time.Duration, build func() (*http.Request, error), length *int64) ([]time.Duration, time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	defer client.CloseIdleConnections()
	start := time.Now()
	deadline := start.Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				req, err := build()
				if err != nil {
					log.Fatal(err)
				}
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					log.Fatal(err)
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(began))
				switch want := atomic.LoadInt64(length); {
				case err != nil:
					log.Fatalf("%s: reading the answer: %v", req.URL.Path, err)
				case resp.StatusCode != http.StatusOK:
					log.Fatalf("%s answered %d", req.URL.Path, resp.StatusCode)
				case got < 1000:
					log.Fatalf("%s answered %d bytes, not a page of members", req.URL.Path, got)
				case want == 0 && atomic.CompareAndSwapInt64(length, 0, got):
				case got != atomic.LoadInt64(length):
					log.Fatalf("%s answered %d bytes where it answered %d before", req.URL.Path, got, atomic.LoadInt64(length))
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, time.Since(start)
}

// spread is a figure's median over the rounds and its range.
type spread struct{ median, low, high float64 }

func spreadOf(values []float64) spread {
	v := slices.Clone(values)
	slices.Sort(v)
	mid := v[len(v)/2]
	if len(v)%2 == 0 {
		mid = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread{mid, v[0], v[len(v)-1]}
}

// format prints the spread with verb's precision, e.g. "412 (398..430)".
func (s spread) format(verb string) string {
	return fmt.Sprintf(verb+" ("+verb+".."+verb+")", s.median, s.low, s.high)
}

// perRound applies f to each of the path's turns.
func (p *path) perRound(f func(i int, t turn) float64) []float64 {
	out := make([]float64, len(p.turns))
	for i, t := range p.turns {
		out[i] = f(i, t)
	}
	return out
}

func p50(lat []time.Duration) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)/2]
}

// row is one path's figures at one concurrency level: medians over the
// rounds with their range, and p99 pooled over them.
type row struct {
	level                      int
	name                       string
	measured                   bool   // the path has a process of its own
	rate, p50, added           spread // req/s, µs, µs
	p99                        time.Duration
	cpu, simCPU, dbCPU, allocs spread // µs per call, allocations per call
	cpuVersusTuned             spread // per round: CPU per call over the tuned proxy's
}

// rows turns a level's rounds into figures; paths[0] is the direct path and
// tuned the tuned proxy's index.
func rows(level int, paths []path, tuned int) []row {
	direct := paths[0]
	var out []row
	for _, p := range paths {
		var pooled []time.Duration
		for _, t := range p.turns {
			pooled = append(pooled, t.latencies...)
		}
		slices.Sort(pooled)
		r := row{level: level, name: p.name, measured: p.pid != 0, p99: pooled[len(pooled)*99/100],
			rate: spreadOf(p.perRound(func(_ int, t turn) float64 { return t.calls() / t.elapsed.Seconds() })),
			p50:  spreadOf(p.perRound(func(_ int, t turn) float64 { return micros(p50(t.latencies)) })),
			added: spreadOf(p.perRound(func(i int, t turn) float64 {
				return micros(p50(t.latencies)) - micros(p50(direct.turns[i].latencies))
			})),
			cpu:    spreadOf(p.perRound(func(_ int, t turn) float64 { return t.cpu / t.calls() * 1e6 })),
			allocs: spreadOf(p.perRound(func(_ int, t turn) float64 { return t.allocs / t.calls() })),
			simCPU: spreadOf(p.perRound(func(_ int, t turn) float64 { return t.simCPU / t.calls() * 1e6 })),
			dbCPU:  spreadOf(p.perRound(func(_ int, t turn) float64 { return t.dbCPU / t.calls() * 1e6 })),
		}
		if p.pid != 0 {
			r.cpuVersusTuned = spreadOf(p.perRound(func(i int, t turn) float64 {
				// The database's backends count for Patchbay: they work for it.
				own := (t.cpu + t.dbCPU) / t.calls()
				tt := paths[tuned].turns[i]
				return own / ((tt.cpu + tt.dbCPU) / tt.calls())
			}))
		}
		out = append(out, r)
	}
	return out
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// printRounds prints every round's p50 and CPU per call of each path.
func printRounds(paths []path) {
	for _, p := range paths {
		var p50s, cpus []string
		for _, t := range p.turns {
			p50s = append(p50s, fmt.Sprintf("%.0f", micros(p50(t.latencies))))
			if p.pid != 0 {
				cpus = append(cpus, fmt.Sprintf("%.0f", t.cpu/t.calls()*1e6))
			}
		}
		fmt.Printf("  %-14s p50 µs by round: %s\n", p.name, strings.Join(p50s, " "))
		if len(cpus) > 0 {
			fmt.Printf("  %-14s CPU µs/call by round: %s\n", "", strings.Join(cpus, " "))
		}
		if p.helper != 0 {
			var helper []string
			for _, t := range p.turns {
				helper = append(helper, fmt.Sprintf("%.0f", t.helperCPU/t.calls()*1e6))
			}
			fmt.Printf("  %-14s OTLP receiver CPU µs/call by round (not in the table's CPU): %s\n", "", strings.Join(helper, " "))
		}
	}
}

// printTable prints the rows as a Markdown table, ready to paste.
func printTable(all []row, onPostgres bool) {
	db := ""
	if onPostgres {
		db = " PostgreSQL backends µs/call |"
	}
	fmt.Printf("| c | path | req/s | p50 µs | added p50 µs | p99 µs | CPU µs/call | CPU × tuned proxy (backends counted) | simulator µs/call |%s allocs/call |\n", db)
	fmt.Printf("|---|---|---|---|---|---|---|---|---|%s---|\n", strings.Repeat("---|", strings.Count(db, "|")))
	for _, r := range all {
		dash := "–"
		cpu, versus, allocs, added := dash, dash, dash, dash
		if r.measured {
			cpu, allocs = r.cpu.format("%.0f"), r.allocs.format("%.0f")
			versus = r.cpuVersusTuned.format("%.2f")
		}
		if r.name != "direct" {
			added = r.added.format("%+.0f")
		}
		dbCell := ""
		if onPostgres {
			dbCell = " " + r.dbCPU.format("%.0f") + " |"
		}
		fmt.Printf("| %d | %s | %s | %s | %s | %.0f | %s | %s | %s |%s %s |\n", r.level, r.name, r.rate.format("%.0f"), r.p50.format("%.0f"), added,
			micros(r.p99), cpu, versus, r.simCPU.format("%.0f"), dbCell, allocs)
	}
}

// measureOverhead runs the simulator, Patchbay and the two minimal proxies
// as processes of their own and measures the paths in interleaved rounds at
// each concurrency level.
// candidates are the further Patchbays a run measures beside this tree's.
type candidates struct {
	otel     bool   // this tree's, exporting OpenTelemetry
	baseline string // an older binary
}

func measureOverhead(duration time.Duration, levels, databaseURL, cpuProfile string, frontEnds bool, more candidates) error {
	ctx := context.Background()
	dir, bin, err := build()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Println("starting the Justworks simulator …")
	var children []*exec.Cmd
	defer func() {
		for _, c := range children {
			c.Process.Kill()
			c.Wait()
		}
	}()
	control := rand.Text() // the simulator's control token, to mint the account's token
	sim, out, err := start(dir, bin, regexp.MustCompile(`base URL:\s+(\S+)/justworks`),
		"sandbox", "--listen", "127.0.0.1:0", "--members", "1000", "--seed", "1", "--control-token", control)
	if err != nil {
		return err
	}
	children = append(children, sim)
	simURL := out[1]
	jwURL := simURL + "/justworks"

	// An account linked straight in the database, with a token from the simulator.
	key, ring, dbURL, err := database(dir, databaseURL)
	if err != nil {
		return err
	}
	apiKey, accountID, token, err := seed(ctx, dbURL, ring, jwURL, control)
	if err != nil {
		return err
	}
	on := shared{simPID: sim.Process.Pid}
	onPostgres := strings.HasPrefix(dbURL, "postgres")
	if onPostgres {
		if on.db, err = sql.Open("pgx", dbURL); err != nil {
			return err
		}
		defer on.db.Close()
	}

	fmt.Println("starting patchbay serve …")
	args := []string{"serve", "--listen", "127.0.0.1:0", "--database-url", dbURL, "--encryption-keys", secrets.Format(key),
		"--sandbox-url", simURL, "--key-rate-limit", "1000000000"} // the harness measures Patchbay's cost, not its per-key limit
	var debugAddr string
	if cpuProfile != "" {
		if debugAddr, err = freeAddress(); err != nil {
			return err
		}
		args = append(args, "--debug-listen", debugAddr)
	}
	serve, out, err := start(dir, bin, regexp.MustCompile(`is listening on (\S+)`), args...)
	if err != nil {
		return err
	}
	children = append(children, serve)
	patchbayURL := "http://" + out[1]

	// The minimal proxy a user might write instead of Patchbay: a static key
	// and the account's token, in a process of its own (this program), with
	// Go's default transport and with Patchbay's provider transport.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	proxy := func(name string, extra ...string) (path, error) {
		cmd, out, err := start(dir, self, regexp.MustCompile(`proxy listening on (\S+)`),
			append([]string{"-minimal-proxy", jwURL, "-proxy-key", apiKey, "-proxy-token", token}, extra...)...)
		if err != nil {
			return path{}, err
		}
		children = append(children, cmd)
		base := "http://" + out[1]
		return path{name: name, pid: cmd.Process.Pid, metrics: base + proxyMetrics, build: func() (*http.Request, error) {
			req, err := http.NewRequest("GET", base+"/v1/members?limit=100", nil)
			if err == nil {
				req.SetBasicAuth(apiKey, "")
			}
			return req, err
		}}, nil
	}
	plain, err := proxy("proxy")
	if err != nil {
		return err
	}
	tuned, err := proxy("proxy-tuned", "-proxy-tuned")
	if err != nil {
		return err
	}

	paths := []path{
		{name: "direct", build: func() (*http.Request, error) {
			req, err := http.NewRequest("GET", jwURL+"/v1/members?limit=100", nil)
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return req, err
		}},
		plain,
		tuned,
		rpcPath("patchbay", patchbayURL, apiKey, accountID, serve.Process.Pid),
	}
	// Further Patchbays, each with an account of its own (on SQLite, in a
	// database file of its own) on the same simulator.
	another := func(name, bin string, env []string) (path, error) {
		key, ring, dbURL, err := database(dir, databaseURL)
		if err != nil {
			return path{}, err
		}
		if databaseURL == "" {
			dbURL = "sqlite:" + filepath.Join(dir, name+".db")
		}
		apiKey, accountID, _, err := seed(ctx, dbURL, ring, jwURL, control)
		if err != nil {
			return path{}, err
		}
		cmd, out, err := startWith(dir, bin, env, regexp.MustCompile(`is listening on (\S+)`), "serve", "--listen", "127.0.0.1:0", "--database-url", dbURL,
			"--encryption-keys", secrets.Format(key), "--sandbox-url", simURL, "--key-rate-limit", "1000000000")
		if err != nil {
			return path{}, err
		}
		children = append(children, cmd)
		return rpcPath(name, "http://"+out[1], apiKey, accountID, cmd.Process.Pid), nil
	}
	if more.otel {
		receiver, out, err := start(dir, self, regexp.MustCompile(`otlp sink listening on (\S+)`), "-otlp-sink")
		if err != nil {
			return err
		}
		children = append(children, receiver)
		p, err := another("patchbay+otel", bin, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + out[1], "OTEL_TRACES_SAMPLER=always_on"})
		if err != nil {
			return err
		}
		p.helper = receiver.Process.Pid
		paths = append(paths, p)
	}
	if more.baseline != "" {
		old, err := filepath.Abs(more.baseline)
		if err != nil {
			return err
		}
		p, err := another("baseline", old, nil)
		if err != nil {
			return err
		}
		paths = append(paths, p)
	}
	const tunedIndex = 2
	what := "justworks_list_members, 1 page of 100"
	if frontEnds {
		paths, what = frontEndPaths(patchbayURL, apiKey, accountID, serve.Process.Pid), "MCP tools/call, the unified API and /actions/rpc"
	}
	for i := range paths {
		if err := paths[i].scrapeCost(); err != nil {
			return err
		}
	}
	fmt.Printf("\n%s, %d interleaved rounds of %s per path, %d-core machine, database %s\n",
		what, rounds, duration/rounds, runtime.NumCPU(), strings.SplitN(dbURL, ":", 2)[0])
	var all []row
	for _, level := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(level))
		if err != nil || n < 1 {
			return fmt.Errorf("-concurrency: %q is not a positive number", level)
		}
		// The paths take turns in short rounds, after a warm-up of each, in an
		// order that rotates every round, so that drift on a shared machine
		// (other processes, CPU frequency) falls on all alike rather than on
		// whichever runs last.
		for i := range paths {
			measure(n, warmUp, paths[i].build, &paths[i].length)
			paths[i].turns = nil
		}
		var profiled chan error
		if cpuProfile != "" {
			// Over every path's rounds: patchbay idles during the others'.
			file := strings.TrimSuffix(cpuProfile, filepath.Ext(cpuProfile)) + "-c" + strconv.Itoa(n) + filepath.Ext(cpuProfile)
			profiled = make(chan error, 1)
			go func() { profiled <- writeProfile(debugAddr, time.Duration(len(paths))*duration, file) }()
		}
		for round := range rounds {
			turns := make([]*path, len(paths))
			for k := range paths {
				turns[k] = &paths[(round+k)%len(paths)]
			}
			for _, p := range turns {
				if err := p.turn(n, duration/rounds, on); err != nil {
					return err
				}
			}
		}
		if profiled != nil {
			if err := <-profiled; err != nil {
				return err
			}
		}
		fmt.Printf("\nconcurrency %d\n", n)
		printRounds(paths)
		if frontEnds {
			printFrontEnds(paths)
			continue
		}
		all = append(all, rows(n, paths, tunedIndex)...)
	}
	if frontEnds {
		return nil
	}
	fmt.Println("\nMedians over the rounds, with their range; p99 pooled over the rounds:")
	fmt.Println()
	printTable(all, onPostgres)
	return nil
}

// rpcPath is the page of 100 members through /actions/rpc of the Patchbay
// at base (process pid).
func rpcPath(name, base, apiKey, accountID string, pid int) path {
	body := []byte(`{"action":"justworks_list_members","query":{"limit":100}}`)
	return path{name: name, pid: pid, metrics: base + "/metrics", build: func() (*http.Request, error) {
		req, err := http.NewRequest("POST", base+"/actions/rpc", bytes.NewReader(body))
		if err == nil {
			req.SetBasicAuth(apiKey, "")
			req.Header.Set("X-Account-Id", accountID)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}}
}

// otlpSink is an OTLP/HTTP receiver that takes every export and keeps
// nothing: what a collector's receiving costs, in a process of its own.
func otlpSink() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("otlp sink listening on", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
}

// frontEndPaths are the same calls through the front ends, all on Patchbay:
// a page of 100 members and one record through MCP tools/call and through
// /actions/rpc, and the same page of employees through the unified API.
func frontEndPaths(base, apiKey, accountID string, pid int) []path {
	request := func(name, method, endpoint, body string) path {
		return path{name: name, pid: pid, metrics: base + "/metrics", build: func() (*http.Request, error) {
			var r io.Reader
			if body != "" {
				r = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, base+endpoint, r)
			if err == nil {
				req.SetBasicAuth(apiKey, "")
				req.Header.Set("X-Account-Id", accountID)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
			}
			return req, err
		}}
	}
	call := func(tool, args string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
	}
	return []path{
		request("rpc-page", "POST", "/actions/rpc", `{"action":"justworks_list_members","query":{"limit":100}}`),
		request("mcp-page", "POST", "/mcp", call("justworks_list_members", `{"query":{"limit":100}}`)),
		request("unified-page", "GET", "/unified/hris/employees?page_size=100", ""),
		request("rpc-record", "POST", "/actions/rpc", `{"action":"justworks_get_company"}`),
		request("mcp-record", "POST", "/mcp", call("justworks_get_company", `{}`)),
	}
}

// frontEndPairs are the comparisons printFrontEnds makes: a front end's path
// against the RPC path of the same call.
var frontEndPairs = [][2]string{{"rpc-page", "mcp-page"}, {"rpc-record", "mcp-record"}, {"rpc-page", "unified-page"}}

// printFrontEnds prints Patchbay's CPU per call of each front end's path
// against its RPC twin, round by round: the median and the range.
func printFrontEnds(paths []path) {
	byName := map[string]*path{}
	for i := range paths {
		byName[paths[i].name] = &paths[i]
	}
	fmt.Println("\n| front end, call | RPC CPU µs/call | its CPU µs/call | × RPC | RPC p50 µs | its p50 µs | answer bytes RPC / it |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, pair := range frontEndPairs {
		rpc, other := byName[pair[0]], byName[pair[1]]
		perCall := func(p *path) spread {
			return spreadOf(p.perRound(func(_ int, t turn) float64 { return t.cpu / t.calls() * 1e6 }))
		}
		ratio := spreadOf(other.perRound(func(k int, t turn) float64 {
			r := rpc.turns[k]
			return (t.cpu / t.calls()) / (r.cpu / r.calls())
		}))
		p50s := func(p *path) spread {
			return spreadOf(p.perRound(func(_ int, t turn) float64 { return micros(p50(t.latencies)) }))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %d / %d |\n", strings.Replace(other.name, "-", ", ", 1), perCall(rpc).format("%.0f"),
			perCall(other).format("%.0f"), ratio.format("%.2f"), p50s(rpc).format("%.0f"), p50s(other).format("%.0f"), rpc.length, other.length)
	}
}
