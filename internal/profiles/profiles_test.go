package profiles_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

type world struct {
	store    *sqlstore.Store
	service  *profiles.Service
	project  store.Project
	profile  store.ConnectorProfile
	accounts []store.Account
}

func newWorld(t *testing.T, b backendtest.Backend) world {
	t.Helper()
	ctx := context.Background()
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	w := world{store: b.Open(t, backendtest.TestKeys(t))}
	w.service = profiles.New(profiles.Options{Store: w.store, Registry: registry, PublicURL: "http://patchbay.test"})
	if w.project, err = w.store.CreateProject(ctx, store.Project{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	key, id, secret := "justworks", "client", "secret"
	if w.profile, err = w.service.Create(ctx, w.project.ID, profiles.Input{ConnectorKey: &key, ClientID: &id, ClientSecret: &secret}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []store.AccountStatus{store.StatusActive, store.StatusActive, store.StatusError} {
		a, err := w.store.CreateAccount(ctx, store.Account{ProjectID: w.project.ID, ProfileID: w.profile.ID, Provider: key, Status: st,
			OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		w.accounts = append(w.accounts, a)
	}
	return w
}

// events lists the types and accounts of every event written, in commit order.
func (w world) events(t *testing.T) []string {
	t.Helper()
	rows, err := w.store.DB().Query(`SELECT type, account_id FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, account string
		if err := rows.Scan(&typ, &account); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+account)
	}
	return out
}

func (w world) statuses(t *testing.T) []store.AccountStatus {
	t.Helper()
	var out []store.AccountStatus
	for _, a := range w.accounts {
		got, err := w.store.GetAccount(context.Background(), w.project.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got.Status)
	}
	return out
}

// Disabling a profile makes its active accounts inactive, each reported once
// as account.updated; enabling it brings them back the same way. An account
// in error keeps its status and gets no event.
func TestDisablingMovesAccountsAndReportsEachOnce(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			ctx := context.Background()
			p, err := w.service.SetEnabled(ctx, w.project.ID, w.profile.ID, w.profile.Version, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.statuses(t); !slices.Equal(got, []store.AccountStatus{store.StatusInactive, store.StatusInactive, store.StatusError}) {
				t.Fatalf("after disabling: %v", got)
			}
			updated := []string{store.EventAccountUpdated + " " + w.accounts[0].ID, store.EventAccountUpdated + " " + w.accounts[1].ID}
			if got := w.events(t); !slices.Equal(got, updated) {
				t.Fatalf("events after disabling = %v, want %v", got, updated)
			}
			// Disabling again changes nothing and reports nothing.
			if p, err = w.service.SetEnabled(ctx, w.project.ID, w.profile.ID, p.Version, false); err != nil {
				t.Fatal(err)
			}
			if got := w.events(t); len(got) != 2 {
				t.Fatalf("disabling twice wrote events: %v", got)
			}
			if _, err = w.service.SetEnabled(ctx, w.project.ID, w.profile.ID, p.Version, true); err != nil {
				t.Fatal(err)
			}
			if got := w.statuses(t); !slices.Equal(got, []store.AccountStatus{store.StatusActive, store.StatusActive, store.StatusError}) {
				t.Fatalf("after enabling: %v", got)
			}
			if got := w.events(t); !slices.Equal(got, append(updated, updated...)) {
				t.Fatalf("events after enabling = %v", got)
			}
		})
	}
}

// A write that carries a version someone else has changed since is refused
// and changes nothing; of two writers holding the same version, one wins.
func TestStaleVersionsAreRefused(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			ctx := context.Background()
			read := w.profile.Version
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, name := range []string{"first", "second"} {
				wg.Go(func() {
					_, errs[i] = w.service.Update(ctx, w.project.ID, w.profile.ID, read, profiles.Input{Name: &name})
				})
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("two writers with one version: %v, %v; want exactly one refused", errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && problem.KindOf(err) != problem.Stale {
					t.Fatalf("the loser got %v, want a stale problem", err)
				}
			}
			now, err := w.service.Get(ctx, w.project.ID, w.profile.ID)
			if err != nil || now.Version == read {
				t.Fatalf("after the winner: version %d (read %d), %v", now.Version, read, err)
			}
			enabled := false
			if _, err := w.service.Update(ctx, w.project.ID, w.profile.ID, read, profiles.Input{Enabled: &enabled}); problem.KindOf(err) != problem.Stale {
				t.Fatalf("a stale disable: %v", err)
			}
			if err := w.service.Delete(ctx, w.project.ID, w.profile.ID, read); problem.KindOf(err) != problem.Stale {
				t.Fatalf("a stale delete: %v", err)
			}
			if got := w.statuses(t); got[0] != store.StatusActive || len(w.events(t)) != 0 {
				t.Fatalf("a refused write changed something: %v, events %v", got, w.events(t))
			}
			if err := w.service.Delete(ctx, w.project.ID, w.profile.ID, store.AnyVersion); problem.KindOf(err) != problem.Conflict {
				t.Fatalf("deleting a profile in use: %v", err)
			}
		})
	}
}
