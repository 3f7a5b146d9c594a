package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

func testAuditTrail(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for i, action := range []string{"api_key.created", "api_key.revoked", "connector_profile.updated"} {
		if _, err := s.AppendAudit(ctx, store.AuditEntry{ProjectID: p.ID, At: at.Add(time.Duration(i) * time.Hour), Actor: "admin:ann@a.test",
			Action: action, TargetType: "api_key", TargetID: "key_1", Changes: []byte(`{"name":{"after":"ci"}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// A change written with its entry appends it in the same transaction.
	e := store.AuditEntry{ProjectID: p.ID, Actor: "api_key:key_9", Action: "connector_profile.created", TargetType: "connector_profile"}
	prof, err := s.CreateConnectorProfile(store.WithAudit(ctx, &e), store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: "c", ClientSecret: "s", Enabled: true})
	if err != nil || e.Seq != 4 || e.ID == "" || e.Hash == nil {
		t.Fatalf("the profile's entry: %+v (%v)", e, err)
	}
	// A change that fails leaves no entry.
	failed := store.AuditEntry{ProjectID: p.ID, Actor: "api_key:key_9", Action: "connector_profile.updated"}
	_, err = s.UpdateConnectorProfile(store.WithAudit(ctx, &failed), p.ID, prof.ID, func(store.ConnectorProfile) (store.ProfileChange, error) {
		return store.ProfileChange{}, errors.New("refused")
	})
	if err == nil || failed.Hash != nil {
		t.Fatalf("a refused change: %v, entry %+v", err, failed)
	}

	all, err := s.ListAudit(ctx, store.AuditFilter{ProjectID: p.ID})
	if err != nil || len(all) != 4 || all[0].Action != "connector_profile.created" || all[3].Seq != 1 {
		t.Fatalf("the trail, newest first: %+v (%v)", all, err)
	}
	for _, tc := range []struct {
		f    store.AuditFilter
		want int
	}{
		{store.AuditFilter{Actor: "admin:ann@a.test"}, 3},
		{store.AuditFilter{Action: "api_key."}, 2},
		{store.AuditFilter{Action: "api_key.revoked"}, 1},
		{store.AuditFilter{TargetID: prof.ID}, 0}, // the entry named no target id
		{store.AuditFilter{From: at.Add(time.Hour), To: at.Add(2 * time.Hour)}, 1},
		{store.AuditFilter{BeforeSeq: 3, Limit: 1}, 1},
	} {
		tc.f.ProjectID = p.ID
		got, err := s.ListAudit(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d entries (%v), want %d", tc.f, len(got), err, tc.want)
		}
	}
	if other, _ := s.ListAudit(ctx, store.AuditFilter{ProjectID: mustProject(t, s, "B").ID}); len(other) != 0 {
		t.Fatalf("another project sees %d entries", len(other))
	}

	// The chain links each entry to the one before, up to the head.
	chain, err := s.AuditChain(ctx, p.ID, 0, 100)
	if err != nil || len(chain) != 4 {
		t.Fatalf("chain: %d (%v)", len(chain), err)
	}
	prev := []byte{}
	for _, c := range chain {
		if !bytes.Equal(c.PrevHash, prev) || !bytes.Equal(c.Hash, store.AuditHash(prev, c)) {
			t.Fatalf("entry %d does not chain: %+v", c.Seq, c)
		}
		prev = c.Hash
	}
	heads, err := s.AuditHeads(ctx)
	if err != nil || len(heads) != 1 || heads[0].Seq != 4 || !bytes.Equal(heads[0].Hash, prev) {
		t.Fatalf("heads %+v (%v)", heads, err)
	}
	if n, err := s.DeleteAuditBefore(ctx, at.Add(90*time.Minute)); err != nil || n != 2 {
		t.Fatalf("retention deleted %d (%v), want 2", n, err)
	}
	if rest, _ := s.AuditChain(ctx, p.ID, 0, 100); len(rest) != 2 || rest[0].Seq != 3 {
		t.Fatalf("after retention the chain starts at %+v", rest)
	}
}

// Entries appended on two nodes at once make one chain without gaps.
func testAuditTrailConcurrentNodes(t *testing.T, db Database) {
	nodes := []store.Store{openDefault(t, db), openDefault(t, db)}
	p := mustProject(t, nodes[0], "A")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := nodes[i%2].AppendAudit(context.Background(), store.AuditEntry{ProjectID: p.ID, Actor: "system:test", Action: "x.y"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	chain, err := nodes[0].AuditChain(context.Background(), p.ID, 0, 100)
	if err != nil || len(chain) != 20 {
		t.Fatalf("%d entries (%v)", len(chain), err)
	}
	prev := []byte{}
	for i, c := range chain {
		if c.Seq != int64(i+1) || !bytes.Equal(c.PrevHash, prev) {
			t.Fatalf("entry %d: seq %d, chained %v", i, c.Seq, bytes.Equal(c.PrevHash, prev))
		}
		prev = c.Hash
	}
}
