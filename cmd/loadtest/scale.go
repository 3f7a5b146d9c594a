package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// measureScale seeds n accounts (sealed credentials, as linking stores them,
// with their events) and n request-log entries into one project, starts
// `patchbay serve` on the database, and prints the latency of the lists and
// lookups a console or an integrator makes, and the server's memory after them.
func measureScale(n int, databaseURL string) error {
	ctx := context.Background()
	h, err := newHarness(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer h.close()
	s, dbURL := h.store, h.dbURL
	p, err := s.CreateProject(ctx, store.Project{Name: fmt.Sprintf("scale %d", n)})
	if err != nil {
		return err
	}
	apiKey, _, err := apikeys.Issue(ctx, s, p.ID, "load")
	if err != nil {
		return err
	}
	profiles := map[string]string{}
	for _, c := range []string{"justworks", "employmenthero"} {
		prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: c, Name: c,
			ClientID: "id", ClientSecret: "secret", Enabled: true})
		if err != nil {
			return err
		}
		profiles[c] = prof.ID
	}
	// Accounts are created a second apart, oldest first; every tenth is in
	// error; providers alternate; each has an owner of its own.
	first := time.Now().Add(-time.Duration(n) * time.Second).UTC().Truncate(time.Second)
	// Account ids carry the project's, so that a run on a database an earlier
	// run left accounts in does not collide with them.
	idPrefix := "acc_" + strings.TrimPrefix(p.ID, "prj_")[:8]
	account := func(i int) store.Account {
		provider, status := "justworks", store.StatusActive
		if i%2 == 1 {
			provider = "employmenthero"
		}
		if i%10 == 9 {
			status = store.StatusError
		}
		at := first.Add(time.Duration(i) * time.Second)
		return store.Account{ID: fmt.Sprintf("%s%08d", idPrefix, i), ProjectID: p.ID, ProfileID: profiles[provider], Provider: provider,
			Status: status, OriginOwnerID: fmt.Sprintf("owner-%d", i), OriginOwnerName: fmt.Sprintf("Customer %d", i), CreatedAt: at,
			Credentials: store.Credentials{AccessToken: fmt.Sprintf("at-%d-%032d", i, i), RefreshToken: fmt.Sprintf("rt-%d-%032d", i, i),
				Expiry: at.Add(time.Hour), Obtained: at}}
	}
	began := time.Now()
	const batch = 5000
	for from := 0; from < n; from += batch {
		accounts := make([]store.Account, 0, batch)
		logs := make([]store.RequestLog, 0, batch)
		for i := from; i < min(n, from+batch); i++ {
			a := account(i)
			accounts = append(accounts, a)
			logs = append(logs, store.RequestLog{ProjectID: p.ID, RequestID: fmt.Sprintf("req-%08d", i), Source: store.SourceAPI,
				AccountID: a.ID, Provider: a.Provider, Action: a.Provider + "_get_company", HTTPMethod: "GET", Path: "/v1/company",
				Status: 200, Success: true, DurationMS: 40, StartTime: a.CreatedAt, EndTime: a.CreatedAt})
		}
		if err := s.ImportAccounts(ctx, accounts, store.EventAccountCreated); err != nil {
			return err
		}
		if err := s.CreateRequestLogs(ctx, logs); err != nil {
			return err
		}
		fmt.Printf("\rseeded %d of %d accounts and request logs (%s)", min(n, from+batch), n, time.Since(began).Round(time.Second))
	}
	fmt.Println()
	// The account.created events of accounts linked long ago were dispatched
	// long ago. Left as a backlog, a million of them would keep the webhook
	// dispatcher writing all through the measurement.
	if _, err := s.DB().ExecContext(ctx, "UPDATE events SET dispatched_at = created_at WHERE dispatched_at IS NULL"); err != nil {
		return fmt.Errorf("mark the seeded events dispatched: %w", err)
	}
	if err := s.Optimize(ctx); err != nil {
		return err
	}
	if strings.HasPrefix(dbURL, "postgres") {
		// Statistics, as autovacuum gathers them after a bulk load.
		if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			return err
		}
	}
	serve, out, err := start(h.dir, h.bin, regexp.MustCompile(`is listening on (\S+)`),
		"serve", "--listen", "127.0.0.1:0", "--database-url", dbURL, "--encryption-keys", secrets.Format(h.key), "--key-rate-limit", "1000000000")
	if err != nil {
		return err
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	base := "http://" + out[1]
	middle := account(n / 2)
	cursor := base64.RawURLEncoding.EncodeToString([]byte(middle.CreatedAt.Format(time.RFC3339Nano) + " " + middle.ID))
	probes := []struct{ name, path string }{
		{"accounts, first page", "/accounts?page_size=25"},
		{"accounts, middle page by next", "/accounts?page_size=25&next=" + cursor},
		{"accounts, middle page by page=", "/accounts?page_size=25&page=" + strconv.Itoa(max(1, n/50))},
		{"accounts, one owner", "/accounts?page_size=25&origin_owner_id=owner-" + strconv.Itoa(n/2)},
		{"accounts, provider and status", "/accounts?page_size=25&providers[]=employmenthero&status[]=error"},
		{"account by id", "/accounts/" + middle.ID},
		{"request logs, first page", "/requests/logs?page_size=25"},
		{"request logs of an account", "/requests/logs?page_size=25&filter[account_ids]=" + url.QueryEscape(middle.ID)},
	}
	fmt.Printf("\n%d accounts and %d request logs, %s, p50 and p99 of 50 requests after 5 unmeasured\n\n", n, n, strings.SplitN(dbURL, ":", 2)[0])
	for _, probe := range probes {
		var lat []time.Duration
		for i := range 55 {
			began := time.Now()
			if err := apiCall("GET", base+probe.path, apiKey, "", http.StatusOK); err != nil {
				return err
			}
			if i >= 5 {
				lat = append(lat, time.Since(began))
			}
		}
		slices.Sort(lat)
		fmt.Printf("  %-32s p50 %9s   p99 %9s\n", probe.name, lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*99/100].Round(10*time.Microsecond))
	}
	rss, err := rssMB(serve.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("\nserver RSS after listing: %.0f MB\n", rss)
	return nil
}

// rssMB is the resident memory of process pid, from /proc/pid/status.
func rssMB(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("memory of patchbay (Linux only): %w", err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(raw)
	if m == nil {
		return 0, fmt.Errorf("memory of patchbay: no VmRSS in /proc/%d/status", pid)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024, nil
}
