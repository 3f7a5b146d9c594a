package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// measureSyncScale syncs n Justworks accounts of members employees each on
// two `patchbay serve` nodes sharing one database: a first full run of
// every account, then, after 1 % of the people changed, an incremental run
// of every account. It prints records per second per node, CPU per 1,000
// records (both nodes and, on PostgreSQL, the database's backends),
// provider calls per run, the database's size per 100,000 records, and
// checks that the second run wrote only the changed records.
func measureSyncScale(n, members int, databaseURL string) error {
	ctx := context.Background()
	rig, err := newSyncRig(ctx, databaseURL, members)
	if err != nil {
		return err
	}
	defer rig.close()
	h, simURL, control := rig.h, rig.simURL, rig.control
	fmt.Printf("linking %d accounts …\n", n)
	apiKey, accounts, err := syncedAccounts(ctx, h.store, simURL, control, n, "hris.employees")
	if err != nil {
		return err
	}
	fmt.Println("starting two patchbay serve nodes …")
	var nodes []*os.Process
	var base string
	for range 2 {
		node, url, err := rig.serve()
		if err != nil {
			return err
		}
		nodes, base = append(nodes, node), url
	}
	on := shared{simPID: rig.children[0].Pid}
	if strings.HasPrefix(h.dbURL, "postgres") {
		if on.db, err = sql.Open("pgx", h.dbURL); err != nil {
			return err
		}
		defer on.db.Close()
	}
	q := syncQueue{base: base, apiKey: apiKey, accounts: accounts, db: h.store.DB()}
	jw := simURL + "/justworks"

	// pass runs every account's sync once and reports it.
	pass := func(name string, full bool) (records int64, err error) {
		calls0, err := simCalls(jw, control)
		if err != nil {
			return 0, err
		}
		cpu0, err := processesCPU(nodes)
		if err != nil {
			return 0, err
		}
		_, db0, err := on.cpu()
		if err != nil {
			return 0, err
		}
		changes0, err := count(ctx, q.db, `SELECT COUNT(*) FROM sync_changes`)
		if err != nil {
			return 0, err
		}
		if err := q.syncAll(full); err != nil {
			return 0, err
		}
		took, err := q.drain(ctx)
		if err != nil {
			return 0, err
		}
		cpu1, err := processesCPU(nodes)
		if err != nil {
			return 0, err
		}
		_, db1, err := on.cpu()
		if err != nil {
			return 0, err
		}
		calls1, err := simCalls(jw, control)
		if err != nil {
			return 0, err
		}
		changes1, err := count(ctx, q.db, `SELECT COUNT(*) FROM sync_changes`)
		if err != nil {
			return 0, err
		}
		var read int64
		if err := q.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(records), 0) FROM sync_runs`).Scan(&read); err != nil {
			return 0, err
		}
		nodeCPU, dbCPU := 0.0, dbSpent(db0, db1)
		for i := range cpu1 {
			nodeCPU += cpu1[i] - cpu0[i]
		}
		fmt.Printf("\n%s: %d accounts in %s: %d records read, %.0f records/s (%.0f per node), %d changes written\n",
			name, n, took.Round(time.Millisecond), read, float64(read)/took.Seconds(), float64(read)/took.Seconds()/2, changes1-changes0)
		backends := ""
		if on.db != nil {
			backends = fmt.Sprintf(", PostgreSQL backends %.0f ms", dbCPU/float64(read)*1e6)
		}
		fmt.Printf("  CPU per 1,000 records: nodes %.0f ms%s; provider calls per run: %.1f\n",
			nodeCPU/float64(read)*1e6, backends, float64(calls1-calls0)/float64(n))
		return changes1 - changes0, nil
	}

	first, err := pass("first sync (full)", true)
	if err != nil {
		return err
	}
	if on.db != nil {
		var size int64
		if err := on.db.QueryRowContext(ctx, `SELECT pg_total_relation_size('sync_records') + pg_total_relation_size('sync_changes')`).Scan(&size); err != nil {
			return err
		}
		fmt.Printf("  database size of records and changes: %.1f MB per 100,000 records\n", float64(size)/float64(first)*1e5/1e6)
	}

	changed := max(members/100, 1)
	body := fmt.Sprintf(`{"update": %d}`, changed)
	req, _ := http.NewRequest("POST", jw+"/_sim/changes", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+control)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	second, err := pass(fmt.Sprintf("re-sync after %d of %d people changed (incremental)", changed, members), false)
	if err != nil {
		return err
	}
	if want := int64(changed * n); second != want {
		return fmt.Errorf("the re-sync wrote %d changes, want exactly the %d changed records", second, want)
	}
	fmt.Printf("  the re-sync wrote only the %d changed records\n", second)
	return nil
}

// processesCPU reads each process's CPU seconds.
func processesCPU(ps []*os.Process) ([]float64, error) {
	out := make([]float64, len(ps))
	for i, p := range ps {
		cpu, err := cpuSeconds(p.Pid)
		if err != nil {
			return nil, err
		}
		out[i] = cpu
	}
	return out, nil
}

func count(ctx context.Context, db *sql.DB, query string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

// simCalls is how many member pages the simulator has answered.
func simCalls(jw, control string) (int64, error) {
	req, _ := http.NewRequest("GET", jw+"/_sim/stats", nil)
	req.Header.Set("Authorization", "Bearer "+control)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var stats map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return 0, err
	}
	return stats["api.GET /v1/members"], nil
}
