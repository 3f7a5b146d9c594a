package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

func testRequestLogs(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	base := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var batch []store.RequestLog
	for i := range 5 {
		batch = append(batch, store.RequestLog{ProjectID: a.ID, RequestID: "r", AccountID: []string{"acc1", "acc2"}[i%2],
			Provider: "justworks", Action: []string{"justworks_get_company", "justworks_list_members"}[i%2], HTTPMethod: "GET", Path: "/v1/company",
			Status: []int{200, 502}[i%2], Success: i%2 == 0, DurationMS: int64(i), DurationUS: int64(i)*1000 + 7,
			Error: []string{"", "Justworks failed; provider answered 502 error: Upstream_Timeout"}[i%2], StartTime: base.Add(time.Duration(i) * time.Minute),
			EndTime: base.Add(time.Duration(i)*time.Minute + time.Second),
			Steps:   []store.LogStep{{Method: "GET", URL: "https://api.test/v1/company", Status: 200, DurationMS: 3, StartTime: base}}})
	}
	if err := s.CreateRequestLogs(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range batch {
		if l.ID == "" {
			t.Fatal("CreateRequestLogs left an ID empty")
		}
		ids = append(ids, l.ID)
	}
	if err := s.CreateRequestLogs(ctx, []store.RequestLog{{ProjectID: b.ID, RequestID: "r", AccountID: "x", Provider: "justworks", Action: "a",
		HTTPMethod: "GET", Path: "/", Status: 200, Success: true, StartTime: base, EndTime: base}}); err != nil {
		t.Fatal(err)
	}
	// A batch is all or nothing: one entry that cannot be stored (of a project
	// that does not exist) keeps the others out too.
	bad := []store.RequestLog{{ID: "log_batch_new", ProjectID: b.ID, StartTime: base, EndTime: base}, {ID: "log_batch_bad", ProjectID: "prj_missing", StartTime: base, EndTime: base}}
	if err := s.CreateRequestLogs(ctx, bad); err == nil {
		t.Fatal("a batch with an entry of no project was accepted")
	}
	if _, err := s.GetRequestLog(ctx, b.ID, "log_batch_new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed batch stored part of itself: %v", err)
	}
	// So is a batch longer than one INSERT takes (64 rows), whose bad entry
	// comes in its second INSERT.
	long := make([]store.RequestLog, 70)
	for i := range long {
		long[i] = store.RequestLog{ProjectID: b.ID, StartTime: base, EndTime: base}
	}
	long[0].ID, long[69].ProjectID = "log_long_first", "prj_missing"
	if err := s.CreateRequestLogs(ctx, long); err == nil {
		t.Fatal("a long batch with an entry of no project was accepted")
	}
	if _, err := s.GetRequestLog(ctx, b.ID, "log_long_first"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed long batch stored its first INSERT: %v", err)
	}
	all, err := s.ListRequestLogs(ctx, a.ID, store.LogFilter{})
	if err != nil || len(all) != 5 || all[0].ID != ids[4] || len(all[0].Steps) != 1 || all[0].Steps[0].URL != "https://api.test/v1/company" {
		t.Fatalf("list: %d entries, newest %v, %v", len(all), all[0].ID, err)
	}
	failed := false
	for _, tc := range []struct {
		f    store.LogFilter
		want int
	}{
		{store.LogFilter{AccountIDs: []string{"acc2"}}, 2},
		{store.LogFilter{Actions: []string{"justworks_get_company"}, StatusCodes: []int{200}}, 3},
		{store.LogFilter{Success: &failed}, 2},
		{store.LogFilter{Start: base.Add(2 * time.Minute), End: base.Add(3 * time.Minute)}, 2},
		{store.LogFilter{Providers: []string{"employmenthero"}}, 0},
		{store.LogFilter{StatusClasses: []int{5}}, 2},
		{store.LogFilter{StatusClasses: []int{2, 4}}, 3},
		{store.LogFilter{Search: "upstream_TIMEOUT"}, 2}, // the error, in any case
		{store.LogFilter{Search: "ACC1"}, 3},             // the account
		{store.LogFilter{Search: "list_members"}, 2},     // the action
		{store.LogFilter{Search: "100%_"}, 0},            // LIKE's wildcards match themselves
	} {
		got, err := s.ListRequestLogs(ctx, a.ID, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("filter %+v: %d, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
	// Paging with the cursor visits every entry once.
	seen := map[string]bool{}
	f := store.LogFilter{Limit: 2}
	for {
		page, err := s.ListRequestLogs(ctx, a.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page {
			if seen[l.ID] {
				t.Fatalf("%s seen twice", l.ID)
			}
			seen[l.ID] = true
		}
		if len(page) < 2 {
			break
		}
		last := page[len(page)-1]
		f.AfterTime, f.AfterID = last.StartTime, last.ID
	}
	if len(seen) != 5 {
		t.Fatalf("paging saw %d entries, want 5", len(seen))
	}
	if _, err := s.GetRequestLog(ctx, b.ID, ids[0]); err == nil {
		t.Fatal("project B read project A's log")
	}
	if got, _ := s.GetRequestLog(ctx, a.ID, ids[1]); got.Error == "" || got.DurationUS != 1007 {
		t.Fatalf("a failed entry's reason and duration: %q %d", got.Error, got.DurationUS)
	}
	// Stats: the five calls fall in base's hour, per provider and per account.
	stats, err := s.LogStats(ctx, a.ID, base, false)
	if err != nil || len(stats) != 1 || stats[0].Calls != 5 || stats[0].Failed != 2 || stats[0].Hour != base.Unix()/3600 || stats[0].Provider != "justworks" {
		t.Fatalf("stats per provider: %+v %v", stats, err)
	}
	byAccount, err := s.LogStats(ctx, a.ID, base, true)
	if err != nil || len(byAccount) != 2 {
		t.Fatalf("stats per account: %+v %v", byAccount, err)
	}
	for _, b := range byAccount {
		if want := map[string][2]int{"acc1": {3, 0}, "acc2": {2, 2}}[b.Account]; b.Calls != want[0] || b.Failed != want[1] {
			t.Fatalf("stats of %s: %+v", b.Account, b)
		}
	}
	if later, _ := s.LogStats(ctx, a.ID, base.Add(time.Hour), false); len(later) != 0 {
		t.Fatalf("stats from the next hour: %+v", later)
	}
	n, err := s.DeleteRequestLogsBefore(ctx, base.Add(150*time.Second))
	if err != nil || n != 4 {
		t.Fatalf("retention deleted %d (%v), want 4 (3 of A, 1 of B)", n, err)
	}
}

func testRequestLogsWrittenTwiceAreStoredOnce(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	now := clock.System.Now()
	batch := []store.RequestLog{{ID: "log_a", ProjectID: p.ID, Action: "a", StartTime: now, EndTime: now}, {ID: "log_b", ProjectID: p.ID, Action: "b", StartTime: now, EndTime: now}}
	for range 2 {
		if err := s.CreateRequestLogs(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.ListRequestLogs(ctx, p.ID, store.LogFilter{Limit: 10}); err != nil || len(got) != 2 {
		t.Fatalf("%d entries after writing two twice (%v), want 2", len(got), err)
	}
}
