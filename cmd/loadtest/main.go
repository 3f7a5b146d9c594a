// Command loadtest measures what Patchbay adds to a provider call, or (with
// -abuse) how a node holds up against abusive clients. It runs the
// Justworks simulator and Patchbay as separate processes, as they would be in
// production (a provider elsewhere, Patchbay a service of its own), and from
// this process sends justworks_list_members (one page of 100) both through
// POST /actions/rpc and, with the same HTTP client settings, straight to the
// simulator. It prints requests per second and p50/p99 latency for both.
//
//	go run ./cmd/loadtest -duration 10s -concurrency 1,64
//	go run ./cmd/loadtest -abuse
//
// Run it from the repository root: it builds the patchbay binary first.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement runs")
	levels := flag.String("concurrency", "1,64", "comma-separated numbers of concurrent callers")
	abusive := flag.Bool("abuse", false, "instead: 2,000 slow-body connections and 20,000 requests with made-up methods, with /healthz latency and heap before, during and after")
	flag.StringVar(&prebuilt, "patchbay", "", "a patchbay binary to measure instead of building this tree (e.g. an older version)")
	databaseURL := flag.String("database-url", "", "measure on this database, e.g. postgres://… (the run adds a project to it); default a fresh SQLite file")
	flag.Parse()
	run := func() error { return measureOverhead(*duration, *levels, *databaseURL) }
	if *abusive {
		run = abuse
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

func measureOverhead(duration time.Duration, levels, databaseURL string) error {
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
	sim, out, err := start(dir, bin, regexp.MustCompile(`base URL:\s+(\S+)/justworks`),
		"sandbox", "--listen", "127.0.0.1:0", "--members", "1000", "--seed", "1")
	if err != nil {
		return err
	}
	children = append(children, sim)
	simURL := out[1]
	jwURL := simURL + "/justworks"

	// An account linked straight in the database, with a token from the simulator.
	key, err := secrets.GenerateKey("load")
	if err != nil {
		return err
	}
	ring, _ := secrets.NewKeyring(key)
	dbURL := cmp.Or(databaseURL, "sqlite:"+filepath.Join(dir, "patchbay.db"))
	fmt.Println("database:", strings.SplitN(dbURL, ":", 2)[0])
	apiKey, accountID, token, err := seed(ctx, dbURL, ring, jwURL)
	if err != nil {
		return err
	}

	fmt.Println("starting patchbay serve …")
	serve, out, err := start(dir, bin, regexp.MustCompile(`is listening on (\S+)`),
		"serve", "--listen", "127.0.0.1:0", "--database-url", dbURL, "--encryption-keys", secrets.Format(key),
		"--sandbox-url", simURL, "--key-rate-limit", "1000000000") // the harness measures Patchbay's cost, not its per-key limit
	if err != nil {
		return err
	}
	children = append(children, serve)
	patchbayURL := "http://" + out[1]

	rpcBody := []byte(`{"action":"justworks_list_members","query":{"limit":100}}`)
	through := func() (*http.Request, error) {
		req, err := http.NewRequest("POST", patchbayURL+"/actions/rpc", bytes.NewReader(rpcBody))
		if err == nil {
			req.SetBasicAuth(apiKey, "")
			req.Header.Set("X-Account-Id", accountID)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	direct := func() (*http.Request, error) {
		req, err := http.NewRequest("GET", jwURL+"/v1/members?limit=100", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, err
	}

	fmt.Printf("\njustworks_list_members, 1 page of 100, %s per measurement, 2-core machine\n\n", duration)
	fmt.Printf("%-12s %-9s %10s %10s %10s %16s\n", "concurrency", "path", "req/s", "p50", "p99", "CPU s/10k calls")
	for _, level := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(level))
		if err != nil || n < 1 {
			return fmt.Errorf("-concurrency: %q is not a positive number", level)
		}
		// The two paths take turns in short rounds, after a warm-up of each, so
		// that drift on a shared machine (other processes, CPU frequency) falls
		// on both alike rather than on whichever ran second.
		measure(n, warmUp, direct)
		measure(n, warmUp, through)
		var d, t sample
		var cpu float64 // seconds the patchbay process ran during its turns
		for range rounds {
			d.add(measure(n, duration/rounds, direct))
			before, err := cpuSeconds(serve.Process.Pid)
			if err != nil {
				return err
			}
			t.add(measure(n, duration/rounds, through))
			after, err := cpuSeconds(serve.Process.Pid)
			if err != nil {
				return err
			}
			cpu += after - before
		}
		df, tf := d.figures(), t.figures()
		fmt.Printf("%-12d %-9s %10.0f %10s %10s %16s\n", n, "direct", df.rate, df.p50, df.p99, "")
		fmt.Printf("%-12d %-9s %10.0f %10s %10s %16.1f\n", n, "patchbay", tf.rate, tf.p50, tf.p99, cpu/float64(len(t.latencies))*10_000)
		fmt.Printf("%-12d %-9s %9.0f%% %10s\n\n", n, "ratio", 100*tf.rate/df.rate, "+"+(tf.p50-df.p50).String())
	}
	return nil
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
	logFile, err := os.Create(filepath.Join(dir, args[0]+".log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
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
func seed(ctx context.Context, dbURL string, ring *secrets.Keyring, jwURL string) (apiKey, accountID, token string, err error) {
	s, _, err := backend.Open(ctx, dbURL, ring)
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
		EnabledActions: []string{"justworks_list_members"}})
	if err != nil {
		return "", "", "", err
	}
	resp, err := http.Post(jwURL+"/_sim/tokens", "application/json", strings.NewReader(`{}`))
	if err != nil {
		return "", "", "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", "", "", fmt.Errorf("mint a simulator token: %d, %v", resp.StatusCode, err)
	}
	acc, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o", OriginOwnerName: "O",
		Credentials: store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(24 * time.Hour),
			Obtained: time.Now(), Scopes: strings.Fields(tok.Scope)}})
	if err != nil {
		return "", "", "", err
	}
	return apiKey, acc.ID, tok.AccessToken, nil
}

// Rounds per measurement, and the unmeasured warm-up before them.
const (
	rounds = 10
	warmUp = time.Second
)

// sample gathers the latencies of several rounds.
type sample struct {
	latencies []time.Duration
	elapsed   time.Duration
}

func (s *sample) add(other sample) {
	s.latencies = append(s.latencies, other.latencies...)
	s.elapsed += other.elapsed
}

type figures struct {
	rate     float64
	p50, p99 time.Duration
}

func (s sample) figures() figures {
	lat := slices.Clone(s.latencies)
	slices.Sort(lat)
	return figures{rate: float64(len(lat)) / s.elapsed.Seconds(), p50: lat[len(lat)/2].Round(10 * time.Microsecond),
		p99: lat[len(lat)*99/100].Round(10 * time.Microsecond)}
}

// measure runs n callers for d and returns their latencies. Every caller uses
// one shared client, as a service calling Patchbay or a provider would.
func measure(n int, d time.Duration, build func() (*http.Request, error)) sample {
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
				var sink json.RawMessage
				json.NewDecoder(resp.Body).Decode(&sink)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					log.Fatalf("%s answered %d", req.URL.Path, resp.StatusCode)
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return sample{latencies: lat, elapsed: time.Since(start)}
}
