package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

func mustAccount(t *testing.T, s store.Store, p store.ConnectorProfile, owner string) store.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), store.Account{
		ProjectID: p.ProjectID, ProfileID: p.ID, Provider: p.ConnectorKey,
		OriginOwnerID: owner, OriginOwnerName: owner + " Inc", OriginUsername: "admin@" + owner + ".test",
		Metadata: map[string]any{"plan": "gold"}, SetupInformation: map[string]string{"organisation_id": "org-1"},
		Credentials: store.Credentials{AccessToken: "at-" + owner, RefreshToken: "rt-" + owner, TokenType: "Bearer",
			Expiry: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Scopes: []string{"a:read"}},
	}, store.EventAccountCreated)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	return a
}

func testAccountRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	prof := mustProfile(t, s, p.ID, "secret")
	created := mustAccount(t, s, prof, "tenant_1")
	if created.ID == "" || created.Status != store.StatusActive || created.CredentialVersion != 1 {
		t.Fatalf("create did not fill defaults: %+v", created)
	}
	got, err := s.GetAccount(context.Background(), p.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Credentials, created.Credentials) || got.Metadata["plan"] != "gold" ||
		got.SetupInformation["organisation_id"] != "org-1" || got.OriginUsername != created.OriginUsername || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("got %+v, want %+v", got, created)
	}
}

func testAccountNeedsProfileOfItsProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	profB := mustProfile(t, s, b.ID, "secret")
	_, err := s.CreateAccount(context.Background(), store.Account{ProjectID: a.ID, ProfileID: profB.ID, Provider: "justworks", OriginOwnerID: "x", OriginOwnerName: "x"}, store.EventAccountCreated)
	wantErr(t, err, store.ErrNotFound)
}

func testAccountsFilteredAndIsolated(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	profA := mustProfile(t, s, a.ID, "secret")
	a1, a2 := mustAccount(t, s, profA, "t1"), mustAccount(t, s, profA, "t2")
	mustAccount(t, s, mustProfile(t, s, b.ID, "secret"), "t1")
	all, err := s.ListAccounts(ctx, a.ID, store.AccountFilter{})
	if err != nil || len(all) != 2 || all[0].ID != a1.ID || all[1].ID != a2.ID {
		t.Fatalf("project A accounts: %v %v", all, err)
	}
	for _, tc := range []struct {
		f    store.AccountFilter
		want int
	}{
		{store.AccountFilter{OriginOwnerIDs: []string{"t2"}}, 1},
		{store.AccountFilter{AccountIDs: []string{a1.ID, a2.ID}}, 2},
		{store.AccountFilter{Providers: []string{"employmenthero"}}, 0},
		{store.AccountFilter{Statuses: []string{string(store.StatusActive)}, ProfileID: profA.ID}, 2},
	} {
		got, err := s.ListAccounts(ctx, a.ID, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("filter %+v: %d accounts, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
	_, err = s.GetAccount(ctx, b.ID, a1.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testAccountsListedInPages(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	prof := mustProfile(t, s, p.ID, "secret")
	var ids []string
	for i := range 7 {
		ids = append(ids, mustAccount(t, s, prof, []string{"odd", "even"}[i%2]).ID)
	}
	var paged []string
	for offset := 0; offset < 9; offset += 3 {
		page, err := s.ListAccounts(ctx, p.ID, store.AccountFilter{Offset: offset, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			paged = append(paged, a.ID)
			// Listing never opens credentials.
			if a.Credentials.AccessToken != "" || a.Credentials.RefreshToken != "" {
				t.Fatalf("a listed account carries credentials: %+v", a.Credentials)
			}
			// The token's dates are not secret, and a listing shows them.
			if !a.Credentials.Expiry.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
				t.Fatalf("listed expiry %v", a.Credentials.Expiry)
			}
		}
	}
	if !reflect.DeepEqual(paged, ids) {
		t.Fatalf("pages %v, want %v", paged, ids)
	}
	// Keyset pages: each continues after the last account of the one before.
	var keyed []string
	var after *store.ListKey
	for range 3 {
		page, err := s.ListAccounts(ctx, p.ID, store.AccountFilter{After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			keyed = append(keyed, a.ID)
			after = &store.ListKey{CreatedAt: a.CreatedAt, ID: a.ID}
		}
	}
	if !reflect.DeepEqual(keyed, ids) {
		t.Fatalf("keyset pages %v, want %v", keyed, ids)
	}
	evens, err := s.ListAccounts(ctx, p.ID, store.AccountFilter{OriginOwnerIDs: []string{"even"}, Offset: 1, Limit: 2})
	if err != nil || len(evens) != 2 || evens[0].ID != ids[3] || evens[1].ID != ids[5] {
		t.Fatalf("second page of one owner's accounts: %v %v", evens, err)
	}
}

func testUpdateCredentialsChecksVersion(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	acc := mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	next := store.Credentials{AccessToken: "at-2", RefreshToken: "rt-2", Expiry: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	updated, err := s.UpdateCredentials(ctx, p.ID, acc.ID, 1, next)
	if err != nil || updated.CredentialVersion != 2 || updated.Credentials.RefreshToken != "rt-2" {
		t.Fatalf("first update: %+v %v", updated, err)
	}
	// A stale writer (still at version 1) must not overwrite the newer tokens.
	_, err = s.UpdateCredentials(ctx, p.ID, acc.ID, 1, store.Credentials{AccessToken: "stale", RefreshToken: "stale"})
	wantErr(t, err, store.ErrStale)
	got, _ := s.GetAccount(ctx, p.ID, acc.ID)
	if got.Credentials.RefreshToken != "rt-2" {
		t.Fatalf("a stale write landed: %+v", got.Credentials)
	}
	_, err = s.UpdateCredentials(ctx, p.ID, "acc_missing", 1, next)
	wantErr(t, err, store.ErrNotFound)
}

func testUpdateAndDeleteAccount(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	acc := mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	acc.Status = store.StatusError
	acc.StatusReasons = []store.StatusReason{{Code: "refresh_failed", Description: "re-authorization needed", Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	acc.Label = "Main"
	updated, err := updateAccount(ctx, s, acc)
	if err != nil || updated.Status != store.StatusError || len(updated.StatusReasons) != 1 || updated.Label != "Main" ||
		updated.Credentials.AccessToken != "" {
		t.Fatalf("update: %+v %v", updated, err)
	}
	if got, _ := s.GetAccount(ctx, p.ID, acc.ID); got.Credentials.AccessToken != "at-t1" {
		t.Fatalf("the update touched the credentials: %+v", got.Credentials)
	}
	if err := deleteAccount(ctx, s, p.ID, acc.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, deleteAccount(ctx, s, p.ID, acc.ID), store.ErrNotFound)
}

func testProfileDefaultsAndDisabling(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	create := func(name string, def bool) store.ConnectorProfile {
		prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: name, ClientID: "c", ClientSecret: "s", Default: def, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return prof
	}
	first, second := create("first", true), create("second", true)
	isDefault := func(id string) bool {
		prof, err := s.GetConnectorProfile(ctx, p.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return prof.Default
	}
	if isDefault(first.ID) || !isDefault(second.ID) {
		t.Fatal("a new default did not replace the old one")
	}
	first.Default = true
	if _, err := updateProfile(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	if !isDefault(first.ID) || isDefault(second.ID) {
		t.Fatal("updating to default did not replace the old one")
	}

	active, broken := mustAccount(t, s, first, "t1"), mustAccount(t, s, first, "t2")
	broken.Status = store.StatusError
	if _, err := updateAccount(ctx, s, broken); err != nil {
		t.Fatal(err)
	}
	status := func(id string) store.AccountStatus {
		a, err := s.GetAccount(ctx, p.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.Status
	}
	first.Enabled = false
	if _, err := updateProfile(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	if status(active.ID) != store.StatusInactive || status(broken.ID) != store.StatusError {
		t.Fatalf("after disabling: %s, %s", status(active.ID), status(broken.ID))
	}
	first.Enabled = true
	if _, err := updateProfile(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	if status(active.ID) != store.StatusActive || status(broken.ID) != store.StatusError {
		t.Fatalf("after enabling: %s, %s", status(active.ID), status(broken.ID))
	}

	wantErr(t, deleteProfile(ctx, s, p.ID, first.ID), store.ErrConflict)
	for _, id := range []string{active.ID, broken.ID} {
		if err := deleteAccount(ctx, s, p.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := deleteProfile(ctx, s, p.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, deleteProfile(ctx, s, p.ID, first.ID), store.ErrNotFound)
	_, err := updateProfile(ctx, s, first)
	wantErr(t, err, store.ErrNotFound)
}

func testAccountCredentialsRotate(t *testing.T, db Database) {
	k1, k2 := Key(t, "k1"), Key(t, "k2")
	old := db.Open(t, Ring(t, k1))
	p := mustProject(t, old, "Acme")
	acc := mustAccount(t, old, mustProfile(t, old, p.ID, "secret"), "t1")
	if _, err := db.Open(t, Ring(t, k2, k1)).RotateSecrets(context.Background(), 10, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.Open(t, Ring(t, k2)).GetAccount(context.Background(), p.ID, acc.ID)
	if err != nil || got.Credentials.RefreshToken != "rt-t1" {
		t.Fatalf("after rotation: %+v %v", got.Credentials, err)
	}
}

func testLockAccountSerialises(t *testing.T, db Database) {
	ring := Ring(t, Key(t, "k1"))
	s := db.Open(t, ring)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	acc := mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	// A second store is a second node with its own connections.
	other := db.Open(t, ring)
	var mu sync.Mutex
	inside, maxInside, refreshed := 0, 0, 0
	var wg sync.WaitGroup
	for i := range 8 {
		node := s
		if i%2 == 1 {
			node = other
		}
		wg.Go(func() {
			_, err := node.LockAccount(ctx, p.ID, acc.ID, func(a store.Account) (store.AccountChange, error) {
				mu.Lock()
				inside++
				maxInside = max(maxInside, inside)
				mu.Unlock()
				defer func() { mu.Lock(); inside--; mu.Unlock() }()
				if a.Credentials.AccessToken != "at-t1" {
					return store.AccountChange{}, nil // someone else refreshed already
				}
				time.Sleep(30 * time.Millisecond)
				mu.Lock()
				refreshed++
				mu.Unlock()
				return store.AccountChange{Credentials: &store.Credentials{AccessToken: "at-new", RefreshToken: "rt-new"}}, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if maxInside != 1 || refreshed != 1 {
		t.Fatalf("%d deciders ran at once and %d refreshed; want 1 and 1", maxInside, refreshed)
	}
	got, err := s.GetAccount(ctx, p.ID, acc.ID)
	if err != nil || got.Credentials.AccessToken != "at-new" || got.CredentialVersion != 2 {
		t.Fatalf("after the locked refresh: %+v %v", got, err)
	}
	failed, err := s.LockAccount(ctx, p.ID, acc.ID, func(a store.Account) (store.AccountChange, error) {
		return store.AccountChange{Status: store.StatusError, StatusReasons: []store.StatusReason{{Code: "refresh_failed", Description: "re-authorization needed"}}}, nil
	})
	if err != nil || failed.Status != store.StatusError || failed.CredentialVersion != 2 {
		t.Fatalf("status change: %+v %v", failed, err)
	}
	_, err = s.LockAccount(ctx, p.ID, "acc_missing", func(store.Account) (store.AccountChange, error) { return store.AccountChange{}, nil })
	wantErr(t, err, store.ErrNotFound)
}

func testDeleteProfileOfAnotherProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	prof := mustProfile(t, s, a.ID, "secret")
	mustAccount(t, s, prof, "tenant_1")
	wantErr(t, deleteProfile(context.Background(), s, b.ID, prof.ID), store.ErrNotFound)
	wantErr(t, deleteProfile(context.Background(), s, a.ID, prof.ID), store.ErrConflict)
}

// An account and its profile read together are what each reads alone.
func testAccountAndProfileTogether(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, other := mustProject(t, s, "A"), mustProject(t, s, "B")
	prof := mustProfile(t, s, p.ID, "the-secret")
	a := mustAccount(t, s, prof, "t1")
	gotA, gotP, err := s.GetAccountAndProfile(ctx, p.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantA, _ := s.GetAccount(ctx, p.ID, a.ID)
	wantP, _ := s.GetConnectorProfile(ctx, p.ID, prof.ID)
	if !reflect.DeepEqual(gotA, wantA) || !reflect.DeepEqual(gotP, wantP) || gotP.ClientSecret != "the-secret" {
		t.Fatalf("together: %+v %+v\nalone: %+v %+v", gotA, gotP, wantA, wantP)
	}
	_, _, err = s.GetAccountAndProfile(ctx, other.ID, a.ID)
	wantErr(t, err, store.ErrNotFound)
}

// A key read with an account of its project is the key APIKeyByHash reads and
// the account and profile GetAccountAndProfile reads; another project's
// account is not found, and an unknown key is an error of its own.
func testAPIKeyAndAccount(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, other := mustProject(t, s, "A"), mustProject(t, s, "B")
	key := mustKey(t, s, p.ID, "key-a")
	mustKey(t, s, p.ID, "key-a2") // so that key-a is not the last one and can be revoked
	mustKey(t, s, other.ID, "key-b")
	a := mustAccount(t, s, mustProfile(t, s, p.ID, "the-secret"), "t1")
	got, err := s.APIKeyAndAccount(ctx, []byte("key-a"), a.ID)
	if err != nil || got.AccountErr != nil {
		t.Fatal(err, got.AccountErr)
	}
	wantK, _ := s.APIKeyByHash(ctx, []byte("key-a"))
	wantA, wantP, _ := s.GetAccountAndProfile(ctx, p.ID, a.ID)
	if !reflect.DeepEqual(got, store.KeyedAccount{Key: wantK, AccountID: a.ID, Account: wantA, Profile: wantP}) || got.Key.ID != key.ID {
		t.Fatalf("together: %+v\nalone: %+v %+v %+v", got, wantK, wantA, wantP)
	}
	got, err = s.APIKeyAndAccount(ctx, []byte("key-b"), a.ID)
	if err != nil || got.Key.ProjectID != other.ID || got.Account.ID != "" || got.AccountID != a.ID {
		t.Fatalf("another project's account: %+v, %v", got, err)
	}
	wantErr(t, got.AccountErr, store.ErrNotFound)
	_, err = s.APIKeyAndAccount(ctx, []byte("no-such-key"), a.ID)
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.RevokeAPIKey(ctx, p.ID, key.ID, clock.System.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err = s.APIKeyAndAccount(ctx, []byte("key-a"), a.ID); err != nil || !got.Key.Revoked() || got.Account.ID != a.ID {
		t.Fatalf("a revoked key is read as revoked: %+v, %v", got.Key, err)
	}
}

// What APIKeyAndAccount gives on one node is what the rows hold now, however
// and wherever they were changed: through every store method that writes a
// key, an account or a profile, and through a statement the store did not
// write, each made on another node (its own store and connections) between
// two reads.
func testAPIKeyAndAccountSeesEveryChange(t *testing.T, db Database) {
	ring := Ring(t, Key(t, "k1"))
	reader, writer := db.Open(t, ring), db.Open(t, ring)
	ctx := context.Background()
	p := mustProject(t, writer, "A")
	key := mustKey(t, writer, p.ID, "key-a")
	mustKey(t, writer, p.ID, "key-a2") // so that key-a can be revoked
	prof := mustProfile(t, writer, p.ID, "the-secret")
	a := mustAccount(t, writer, prof, "t1")
	check := func(after string) {
		t.Helper()
		wantK, err := reader.APIKeyByHash(ctx, []byte("key-a"))
		if err != nil {
			t.Fatal(err)
		}
		want := store.KeyedAccount{Key: wantK, AccountID: a.ID}
		want.Account, want.Profile, want.AccountErr = reader.GetAccountAndProfile(ctx, p.ID, a.ID)
		for range 2 { // the read that finds the change, and the one after
			got, err := reader.APIKeyAndAccount(ctx, []byte("key-a"), a.ID)
			if err != nil {
				t.Fatalf("after %s: %v", after, err)
			}
			if want.AccountErr != nil {
				if !errors.Is(got.AccountErr, store.ErrNotFound) || !reflect.DeepEqual(got.Key, want.Key) {
					t.Fatalf("after %s: %+v, want the key and no account", after, got)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after %s:\n got %+v\nwant %+v", after, got, want)
			}
		}
	}
	check("the first read")
	for _, change := range []struct {
		name string
		make func() error
	}{
		{"a key quota lease (last used)", func() error {
			_, err := writer.TakeKeyQuota(ctx, key.ID, clock.System.Now().Truncate(time.Minute), 5, 100)
			return err
		}},
		{"disabling the profile", func() error {
			prof.Enabled = false
			_, err := updateProfile(ctx, writer, prof)
			return err
		}},
		{"new enabled actions and secret", func() error {
			prof.Enabled, prof.EnabledActions, prof.ClientSecret = true, []string{"justworks_get_company"}, "new-secret"
			_, err := updateProfile(ctx, writer, prof)
			return err
		}},
		{"new credentials", func() error {
			cur, err := writer.GetAccount(ctx, p.ID, a.ID)
			if err != nil {
				return err
			}
			_, err = writer.UpdateCredentials(ctx, p.ID, a.ID, cur.CredentialVersion, store.Credentials{AccessToken: "at-2", RefreshToken: "rt-2"})
			return err
		}},
		{"a status change under lock", func() error {
			_, err := writer.LockAccount(ctx, p.ID, a.ID, func(store.Account) (store.AccountChange, error) {
				return store.AccountChange{Status: store.StatusError, StatusReasons: []store.StatusReason{{Code: "x", Description: "y"}}}, nil
			})
			return err
		}},
		{"an account update", func() error {
			cur, err := writer.GetAccount(ctx, p.ID, a.ID)
			if err != nil {
				return err
			}
			cur.Label, cur.Metadata = "relabelled", map[string]any{"plan": "silver"}
			_, err = updateAccount(ctx, writer, cur)
			return err
		}},
		{"a statement the store did not write", func() error {
			db.Exec(t, "UPDATE accounts SET origin_owner_name = 'Changed by hand' WHERE id = '"+a.ID+"'")
			return nil
		}},
		{"revoking the key", func() error {
			_, err := writer.RevokeAPIKey(ctx, p.ID, key.ID, clock.System.Now())
			return err
		}},
		{"deleting the account", func() error { return deleteAccount(ctx, writer, p.ID, a.ID) }},
	} {
		if err := change.make(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		check(change.name)
	}
}

// A kept read is only ever given after the database has confirmed it: when
// the versions cannot be read (here, the store's connections are closed, as
// in an outage), the call fails rather than trusting what the node kept.
func testAPIKeyAndAccountNeedsTheDatabase(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	mustKey(t, s, p.ID, "key-a")
	a := mustAccount(t, s, mustProfile(t, s, p.ID, "the-secret"), "t1")
	if got, err := s.APIKeyAndAccount(ctx, []byte("key-a"), a.ID); err != nil || got.AccountErr != nil {
		t.Fatal(err, got.AccountErr)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.APIKeyAndAccount(ctx, []byte("key-a"), a.ID); err == nil {
		t.Fatalf("with the database gone, a kept read was given: %+v", got.Key)
	}
}
