// Command loadtest measures what Patchbay adds to a provider call. In one run it
// sends justworks_list_members (one page of 100) through POST /actions/rpc and,
// with the same HTTP client settings, straight to the Justworks simulator, and
// prints requests per second and p50/p99 latency for both.
//
//	go run ./cmd/loadtest -duration 10s -concurrency 1,64
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement runs")
	levels := flag.String("concurrency", "1,64", "comma-separated numbers of concurrent callers")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *levels); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(duration time.Duration, levels string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "patchbay-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, _ := secrets.GenerateKey("load")
	ring, _ := secrets.NewKeyring(key)
	s, _, err := backend.Open(ctx, "sqlite:"+filepath.Join(dir, "patchbay.db"), ring)
	if err != nil {
		return err
	}
	defer s.Close()
	registry, err := connectors.Embedded()
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Options{Seed: 1, Members: 1000, NoRateLimit: true})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv.Config.Handler = api.New(api.Options{Store: s, Registry: registry, PublicURL: srv.URL, Sandbox: sb.Handler(), Logger: quiet,
		KeyRateLimit: 1 << 30}) // the harness measures Patchbay's cost, not its per-key limit

	// An account linked straight in the database, with a token from the simulator.
	jw, _ := sb.Provider("justworks")
	p, _ := s.CreateProject(ctx, store.Project{Name: "load"})
	apiKey, _, err := apikeys.Issue(ctx, s, p.ID, "load")
	if err != nil {
		return err
	}
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: jw.DemoApp.ClientID, ClientSecret: jw.DemoApp.ClientSecret, Environment: "sandbox", Enabled: true,
		EnabledActions: []string{"justworks_list_members"}})
	if err != nil {
		return err
	}
	tok, err := jw.OAuth.MintToken(jw.DemoApp.ClientID, jw.DemoUser, nil)
	if err != nil {
		return err
	}
	acc, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o", OriginOwnerName: "O",
		Credentials: store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(24 * time.Hour),
			Obtained: time.Now(), Scopes: strings.Fields(tok.Scope)}})
	if err != nil {
		return err
	}

	rpcBody := []byte(`{"action":"justworks_list_members","query":{"limit":100}}`)
	through := func(c *http.Client) (*http.Request, error) {
		req, err := http.NewRequest("POST", srv.URL+"/actions/rpc", bytes.NewReader(rpcBody))
		if err == nil {
			req.SetBasicAuth(apiKey, "")
			req.Header.Set("X-Account-Id", acc.ID)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	direct := func(c *http.Client) (*http.Request, error) {
		req, err := http.NewRequest("GET", srv.URL+"/sandbox/justworks/v1/members?limit=100", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		return req, err
	}

	fmt.Printf("justworks_list_members, 1 page of 100, %s per measurement, 2-core machine\n\n", duration)
	fmt.Printf("%-12s %-9s %10s %10s %10s\n", "concurrency", "path", "req/s", "p50", "p99")
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
		for range rounds {
			d.add(measure(n, duration/rounds, direct))
			t.add(measure(n, duration/rounds, through))
		}
		df, tf := d.figures(), t.figures()
		fmt.Printf("%-12d %-9s %10.0f %10s %10s\n", n, "direct", df.rate, df.p50, df.p99)
		fmt.Printf("%-12d %-9s %10.0f %10s %10s\n", n, "patchbay", tf.rate, tf.p50, tf.p99)
		fmt.Printf("%-12d %-9s %9.0f%% %10s\n\n", n, "ratio", 100*tf.rate/df.rate, "+"+(tf.p50-df.p50).String())
	}
	return nil
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
func measure(n int, d time.Duration, build func(*http.Client) (*http.Request, error)) sample {
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
				req, err := build(client)
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
