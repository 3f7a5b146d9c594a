// Command loadtest measures what Patchbay adds to a provider call, (with
// -webhooks) how fast account events reach a webhook receiver, or (with
// -abuse) how a node holds up against abusive clients. It runs the
// Justworks simulator and Patchbay as separate processes, as they would be in
// production (a provider elsewhere, Patchbay a service of its own), and from
// this process sends justworks_list_members (one page of 100) through POST
// /actions/rpc, through a minimal reverse proxy (a static key and the token,
// what a user might write instead; once with Go's default transport, once
// with Patchbay's provider transport), and straight to the simulator, with
// the same HTTP client settings, reading every answer whole and checking its
// status and length. The paths take turns in rounds; it prints each round's
// figures and, per path, the median and range over the rounds of requests per
// second, p50 and added p50, and CPU per call of the path's process, of the
// simulator and (on PostgreSQL) of the database's backends, all from /proc,
// with heap allocations per call (from go_memstats_mallocs_total), then a
// summary table to paste into BENCHMARKS.md.
//
//	go run ./cmd/loadtest -duration 10s -concurrency 1,64
//	go run ./cmd/loadtest -webhooks [-database-url postgres://…]
//	go run ./cmd/loadtest -accounts 1000000 [-database-url postgres://…]
//	go run ./cmd/loadtest -abuse
//
// Run it from the repository root: it builds the patchbay binary first.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement runs")
	levels := flag.String("concurrency", "1,64", "comma-separated numbers of concurrent callers")
	frontEnds := flag.Bool("front-ends", false, "instead: CPU per call of MCP tools/call (a page of 100 members, one record) and of the unified employees page, each against the same /actions/rpc call")
	hooks := flag.Bool("webhooks", false, "instead: webhook delivery throughput (a burst of -events) and change-to-receipt latency (20 events/s for -duration)")
	events := flag.Int("events", 2000, "events in the -webhooks burst")
	accounts := flag.Int("accounts", 0, "instead: seed this many sealed accounts and request logs, then time account and log lists and lookups, and the server's memory")
	fairness := flag.Int("sync-fairness", 0, "instead: live /actions/rpc calls alone and during a full sync of this many accounts, in alternating rounds at the first -concurrency level")
	scale := flag.Int("sync-scale", 0, "instead: sync this many accounts of -sync-members people each on two nodes, first whole, then after 1 % changed")
	syncMembers := flag.Int("sync-members", 200, "people per account in -sync-scale")
	abusive := flag.Bool("abuse", false, "instead: 2,000 slow-body connections and 20,000 requests with made-up methods, with /healthz latency and heap before, during and after")
	flag.StringVar(&prebuilt, "patchbay", "", "a patchbay binary to measure instead of building this tree (e.g. an older version)")
	databaseURL := flag.String("database-url", "", "measure on this database, e.g. postgres://… (the run adds a project to it); default a fresh SQLite file")
	proxyTarget := flag.String("minimal-proxy", "", "internal: serve the minimal proxy to this provider URL (the harness starts it)")
	proxyKey := flag.String("proxy-key", "", "internal: the minimal proxy's key")
	proxyToken := flag.String("proxy-token", "", "internal: the minimal proxy's bearer token")
	proxyTuned := flag.Bool("proxy-tuned", false, "internal: give the minimal proxy Patchbay's provider transport")
	sink := flag.Bool("otlp-sink", false, "internal: serve an OTLP/HTTP receiver that takes every export and keeps nothing")
	withOTel := flag.Bool("otel", false, "also measure a second patchbay serve exporting traces (sampling every call) and metrics over OTLP/HTTP to a receiver process")
	baseline := flag.String("baseline", "", "also measure this older patchbay binary, on a database of its own, beside this tree's")
	cpuProfile := flag.String("cpuprofile", "", "also write a CPU profile of patchbay serve over each concurrency level's rounds to this file, with -c<N> before its extension")
	flag.Parse()
	run := func() error {
		return measureOverhead(*duration, *levels, *databaseURL, *cpuProfile, *frontEnds, candidates{otel: *withOTel, baseline: *baseline})
	}
	switch {
	case *sink:
		run = otlpSink
	case *proxyTarget != "":
		run = func() error { return minimalProxy(*proxyTarget, *proxyKey, *proxyToken, *proxyTuned) }
	case *abusive:
		run = abuse
	case *accounts > 0:
		run = func() error { return measureScale(*accounts, *databaseURL) }
	case *fairness > 0:
		run = func() error {
			c, err := strconv.Atoi(strings.Split(*levels, ",")[0])
			if err != nil {
				return fmt.Errorf("-concurrency: %w", err)
			}
			return measureSyncFairness(*fairness, c, *duration, *databaseURL)
		}
	case *scale > 0:
		run = func() error { return measureSyncScale(*scale, *syncMembers, *databaseURL) }
	case *hooks:
		run = func() error { return measureWebhooks(*events, *duration, *databaseURL) }
	}
	if err := run(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// prebuilt, when set, is the binary to measure instead of a fresh build.
var prebuilt string

// build makes a temporary directory with the patchbay binary in it.
func build() (dir, bin string, err error) {
	dir, err = os.MkdirTemp("", "patchbay-load")
	if err != nil {
		return "", "", err
	}
	if prebuilt != "" {
		bin, err = filepath.Abs(prebuilt)
		return dir, bin, err
	}
	fmt.Println("building patchbay …")
	bin = filepath.Join(dir, "patchbay")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/patchbay").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("build patchbay (run loadtest from the repository root): %v\n%s", err, out)
	}
	return dir, bin, nil
}

// database picks the run's database (a fresh SQLite file in dir unless
// databaseURL names one) and a new encryption key for it.
func database(dir, databaseURL string) (secrets.Key, *secrets.Keyring, string, error) {
	key, err := secrets.GenerateKey("load")
	if err != nil {
		return secrets.Key{}, nil, "", err
	}
	ring, err := secrets.NewKeyring(key)
	dbURL := cmp.Or(databaseURL, "sqlite:"+filepath.Join(dir, "patchbay.db"))
	fmt.Println("database:", strings.SplitN(dbURL, ":", 2)[0])
	return key, ring, dbURL, err
}

// harness is a run's working directory, patchbay binary, key and open store.
type harness struct {
	dir, bin, dbURL string
	key             secrets.Key
	store           *sqlstore.Store
}

// newHarness builds patchbay and opens the run's database (database()).
func newHarness(ctx context.Context, databaseURL string) (*harness, error) {
	dir, bin, err := build()
	if err != nil {
		return nil, err
	}
	h := &harness{dir: dir, bin: bin}
	var ring *secrets.Keyring
	if h.key, ring, h.dbURL, err = database(dir, databaseURL); err == nil {
		h.store, _, err = backend.Open(ctx, h.dbURL, sqlstore.Options{Keys: ring})
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return h, nil
}

// close closes the store and removes the working directory.
func (h *harness) close() {
	h.store.Close()
	os.RemoveAll(h.dir)
}

// mallocs reads go_memstats_mallocs_total, the heap allocations a process has
// made so far, from its Prometheus text at url.
func mallocs(url string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, fmt.Errorf("allocation count: %w", err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for lines.Scan() {
		if value, ok := strings.CutPrefix(lines.Text(), "go_memstats_mallocs_total "); ok {
			return strconv.ParseFloat(value, 64)
		}
	}
	return 0, fmt.Errorf("allocation count: no go_memstats_mallocs_total at %s (%v)", url, lines.Err())
}

// proxyMetrics is where the minimal proxy tells its allocation count, in the
// form Patchbay's /metrics does; it is no part of what a user would write.
const proxyMetrics = "/_metrics"

// minimalProxy serves what a user might write instead of Patchbay: a reverse
// proxy to the provider that checks one static key and adds the bearer token.
// tuned gives it the transport of Patchbay's own provider client (many idle
// connections per host); without it, it keeps Go's default (two).
func minimalProxy(target, key, token string, tuned bool) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	if tuned {
		proxy.Transport = app.ProviderClient().Transport
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("proxy listening on", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == proxyMetrics {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Fprintf(w, "go_memstats_mallocs_total %d\n", m.Mallocs)
			return
		}
		if user, _, ok := r.BasicAuth(); !ok || subtle.ConstantTimeCompare([]byte(user), []byte(key)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Header.Set("Authorization", "Bearer "+token)
		proxy.ServeHTTP(w, r)
	}))
}

// cpuSeconds is the CPU time (user and system) process pid has used, from
// /proc/pid/stat, whose times are in clock ticks of 1/100 s on Linux.
func cpuSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("CPU time of patchbay (Linux only): %w", err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is the first, utime the 12th and stime the 13th.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("CPU time of patchbay: unexpected /proc/%d/stat", pid)
	}
	user, err1 := strconv.ParseFloat(fields[11], 64)
	system, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("CPU time of patchbay: %w", err)
	}
	return (user + system) / 100, nil
}

// start runs bin with args in the background, its output going to a file in
// dir, and waits for a line matching ready. The caller stops the process.
func start(dir, bin string, ready *regexp.Regexp, args ...string) (*exec.Cmd, []string, error) {
	return startWith(dir, bin, nil, ready, args...)
}

// startWith is start with extra environment variables for the process.
func startWith(dir, bin string, env []string, ready *regexp.Regexp, args ...string) (*exec.Cmd, []string, error) {
	logFile, err := os.CreateTemp(dir, args[0]+"-*.log")
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := ready.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return cmd, m, nil
		}
	}
	cmd.Wait()
	logged, _ := os.ReadFile(logFile.Name())
	return nil, nil, fmt.Errorf("patchbay %s did not start:\n%s", args[0], logged)
}

// seed creates a project, an API key, a Justworks profile for the simulator's
// demo app and an account holding a token the simulator minted.
func seed(ctx context.Context, dbURL string, ring *secrets.Keyring, jwURL, control string) (apiKey, accountID, token string, err error) {
	s, _, err := backend.Open(ctx, dbURL, sqlstore.Options{Keys: ring})
	if err != nil {
		return "", "", "", err
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, store.Project{Name: "load"})
	if err != nil {
		return "", "", "", err
	}
	if apiKey, _, err = apikeys.Issue(ctx, s, p.ID, "load"); err != nil {
		return "", "", "", err
	}
	app := sandbox.DemoApp("justworks")
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: app.ClientID, ClientSecret: app.ClientSecret, Environment: "sandbox", Enabled: true,
		EnabledActions: []string{"justworks_list_members", "justworks_get_company", "hris_list_employees"}})
	if err != nil {
		return "", "", "", err
	}
	creds, err := mintToken(jwURL, control)
	if err != nil {
		return "", "", "", err
	}
	acc, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o", OriginOwnerName: "O",
		Credentials: creds}, store.EventAccountCreated)
	if err != nil {
		return "", "", "", err
	}
	return apiKey, acc.ID, creds.AccessToken, nil
}

// apiCall sends one request to Patchbay with apiKey, reads the answer to
// its end and checks its status.
func apiCall(method, url, apiKey, body string, want int) error {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(apiKey, "")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d", method, url, resp.StatusCode, want)
	}
	return nil
}

// freeAddress is a loopback address no one listens on at the moment.
func freeAddress() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// writeProfile saves a CPU profile of the process whose profiler listens on
// debugAddr, taken over the next d (rounded up to whole seconds), to file.
func writeProfile(debugAddr string, d time.Duration, file string) error {
	seconds := int((d + time.Second - 1) / time.Second)
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debugAddr, seconds))
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: the profiler answered %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	fmt.Printf("CPU profile of patchbay serve: %s (go tool pprof %s)\n", file, file)
	return f.Close()
}
