package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

// startSync makes a running sync run of the model on the account.
func startSync(t *testing.T, s store.Store, a store.Account, model, runID string) store.SyncRun {
	t.Helper()
	r, err := s.UpdateSyncRun(context.Background(), a.ProjectID, a.ID, model, func(cur store.SyncRun) (store.SyncRun, error) {
		if cur.Status != store.SyncIdle || cur.ProjectID != a.ProjectID || cur.AccountID != a.ID || cur.Model != model {
			return cur, fmt.Errorf("a new state reads %+v", cur)
		}
		cur.Status, cur.RunID, cur.Full, cur.StartedAt = store.SyncRunning, runID, true, clock.System.Now()
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// syncWrite is a change of a record, with its event.
func syncWrite(a store.Account, model, id, change string, data string) store.SyncWrite {
	w := store.SyncWrite{Hash: []byte("hash-" + data),
		Event:  &store.Event{ProjectID: a.ProjectID, Type: "hris.employee." + change, AccountID: a.ID, Data: json.RawMessage(`{"record_id":"` + id + `"}`)},
		Change: store.SyncChange{ProjectID: a.ProjectID, AccountID: a.ID, Model: model, RecordID: id, Change: change, ChangedAt: clock.System.Now()}}
	if data != "" {
		w.Change.Data = json.RawMessage(`{"id":"` + id + `","name":"` + data + `"}`)
	}
	return w
}

// Sync runs write their pages only while they own their state; the feed
// comes in write order, filtered by account and model; deleted records
// leave the cache and their hashes; a profile's change of models drops
// the data of the models it no longer syncs, and an account's deletion all
// of its; record payloads are sealed and rotated with the other secrets.
func testSyncStore(t *testing.T, db Database) {
	k1, k2 := Key(t, "k1"), Key(t, "k2")
	s := db.Open(t, Ring(t, k1))
	ctx := context.Background()
	p := mustProject(t, s, "A")
	mustEndpoint(t, s, p.ID)
	prof := mustProfile(t, s, p.ID, "secret")
	a, b := mustAccount(t, s, prof, "t1"), mustAccount(t, s, prof, "t2")

	run := startSync(t, s, a, "hris.employees", "1/1")
	page := store.SyncPage{Run: run, Writes: []store.SyncWrite{
		syncWrite(a, "hris.employees", "e1", "ADDED", "Ada"), syncWrite(a, "hris.employees", "e2", "ADDED", "Bo")}}
	if err := s.WriteSyncPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	stale := page
	stale.Run.RunID = "1/2"
	wantErr(t, s.WriteSyncPage(ctx, stale), store.ErrStale)
	run.Status = store.SyncIdle
	if err := s.WriteSyncPage(ctx, store.SyncPage{Run: run, Writes: []store.SyncWrite{
		syncWrite(a, "hris.employees", "e1", "UPDATED", "Ada Lovelace"), syncWrite(a, "hris.employees", "e2", "DELETED", "")}}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.WriteSyncPage(ctx, page), store.ErrStale) // the run ended
	other := startSync(t, s, b, "hris.groups", "2/1")
	if err := s.WriteSyncPage(ctx, store.SyncPage{Run: other, Writes: []store.SyncWrite{syncWrite(b, "hris.groups", "g1", "ADDED", "Sales")}}); err != nil {
		t.Fatal(err)
	}

	feed, err := s.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: p.ID, Limit: 10})
	if err != nil || len(feed) != 5 {
		t.Fatalf("the feed: %+v, %v", feed, err)
	}
	var got string
	for i, c := range feed {
		if i > 0 && c.Seq <= feed[i-1].Seq {
			t.Fatalf("the feed is out of order: %+v", feed)
		}
		got += c.RecordID + ":" + c.Change + ":" + string(c.Data) + " "
	}
	if want := `e1:ADDED:{"id":"e1","name":"Ada"} e2:ADDED:{"id":"e2","name":"Bo"} e1:UPDATED:{"id":"e1","name":"Ada Lovelace"} e2:DELETED: g1:ADDED:{"id":"g1","name":"Sales"} `; got != want {
		t.Fatalf("the feed:\n%s\nwant\n%s", got, want)
	}
	if after, err := s.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: p.ID, AccountIDs: []string{a.ID}, Model: "hris.employees", After: feed[1].Seq, Limit: 10}); err != nil || len(after) != 2 {
		t.Fatalf("account a's employees after the second change: %+v, %v", after, err)
	}
	if c, err := s.GetSyncChange(ctx, p.ID, feed[2].ID); err != nil || string(c.Data) != string(feed[2].Data) {
		t.Fatalf("get change: %+v, %v", c, err)
	}
	if hashes, err := s.SyncHashes(ctx, p.ID, a.ID, "hris.employees"); err != nil || len(hashes) != 1 || string(hashes["e1"]) != "hash-Ada Lovelace" {
		t.Fatalf("hashes of the records still there: %v, %v", hashes, err)
	}
	records, err := s.ListSyncRecords(ctx, store.SyncRecordFilter{ProjectID: p.ID, Model: "hris.employees", Limit: 10})
	if err != nil || len(records) != 1 || string(records[0].Data) != `{"id":"e1","name":"Ada Lovelace"}` {
		t.Fatalf("the cache: %+v, %v", records, err)
	}
	if other, err := s.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: mustProject(t, s, "B").ID, Limit: 10}); err != nil || len(other) != 0 {
		t.Fatalf("another project's feed: %+v, %v", other, err)
	}
	c := &collector{}
	dispatchAll(t, s, c)
	if got := c.types(); len(got) < 2 || got[0] != "account.created" {
		t.Fatalf("queued events: %v", got)
	}

	// The payloads are sealed under the key of the day, and rotate with the rest.
	both := db.Open(t, Ring(t, k2, k1))
	if _, err := both.RotateSecrets(ctx, 100, nil); err != nil {
		t.Fatal(err)
	}
	onlyNew := db.Open(t, Ring(t, k2))
	if records, err := onlyNew.ListSyncRecords(ctx, store.SyncRecordFilter{ProjectID: p.ID, Model: "hris.employees", Limit: 10}); err != nil || len(records) != 1 {
		t.Fatalf("the cache under the new key: %+v, %v", records, err)
	}
	if feed, err := onlyNew.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: p.ID, Limit: 10}); err != nil || len(feed) != 5 {
		t.Fatalf("the feed under the new key: %d, %v", len(feed), err)
	}

	// Taking employees out of the profile's sync drops their data only.
	if _, err := onlyNew.UpdateConnectorProfile(ctx, p.ID, prof.ID, func(cur store.ConnectorProfile) (store.ProfileChange, error) {
		cur.Sync = store.SyncSettings{Enabled: true, Models: []string{"hris.groups"}, Interval: time.Hour}
		return store.ProfileChange{Profile: cur, KeepSync: &cur.Sync.Models}, nil
	}); err != nil {
		t.Fatal(err)
	}
	left, err := onlyNew.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: p.ID, Limit: 10})
	if err != nil || len(left) != 1 || left[0].Model != "hris.groups" {
		t.Fatalf("after employees left the sync: %+v, %v", left, err)
	}
	if runs, err := onlyNew.SyncRuns(ctx, p.ID, a.ID); err != nil || len(runs) != 0 {
		t.Fatalf("account a's run states: %+v, %v", runs, err)
	}
	if err := deleteAccount(ctx, onlyNew, p.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if left, err := onlyNew.ListSyncChanges(ctx, store.SyncChangeFilter{ProjectID: p.ID, Limit: 10}); err != nil || len(left) != 0 {
		t.Fatalf("after its account was deleted: %+v, %v", left, err)
	}
}

// Due accounts are the active accounts of syncing profiles whose next run
// has come, or which never had one; old changes are deleted.
func testSyncSchedule(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	off, on := mustProfile(t, s, p.ID, "off"), mustProfile(t, s, p.ID, "on")
	on.Enabled, on.Sync = true, store.SyncSettings{Enabled: true, Models: []string{"hris.employees"}, Interval: time.Hour}
	if _, err := updateProfile(ctx, s, on); err != nil {
		t.Fatal(err)
	}
	mustAccount(t, s, off, "x")
	first, later := mustAccount(t, s, on, "y"), mustAccount(t, s, on, "z")
	now := clock.System.Now()
	if err := s.ScheduleSync(ctx, p.ID, later.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueSyncs(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].AccountID != first.ID || !due[0].First {
		t.Fatalf("due now: %+v, %v", due, err)
	}
	if err := s.ScheduleSync(ctx, p.ID, first.ID, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err = s.DueSyncs(ctx, now.Add(90*time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].AccountID != later.ID || due[0].First {
		t.Fatalf("due in 90 minutes: %+v, %v", due, err)
	}
	run := startSync(t, s, first, "hris.employees", "1/1")
	if err := s.WriteSyncPage(ctx, store.SyncPage{Run: run, Writes: []store.SyncWrite{syncWrite(first, "hris.employees", "e1", "ADDED", "Ada")}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteSyncChangesBefore(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("deleted %d recent changes, %v", n, err)
	}
	if n, err := s.DeleteSyncChangesBefore(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("deleted %d old changes, %v; want 1", n, err)
	}
}
