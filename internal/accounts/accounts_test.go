package accounts_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

type world struct {
	store   *sqlstore.Store
	svc     *accounts.Service
	project store.Project
	profile store.ConnectorProfile
	changes []accounts.ChangeKind
}

func newWorld(t *testing.T, b backendtest.Backend) *world {
	t.Helper()
	ctx := context.Background()
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s := b.Open(t, backendtest.TestKeys(t))
	// No simulator listens: a revocation on delete fails at once, and the
	// account is deleted anyway.
	a, err := app.New(app.Options{Store: s, Registry: registry, PublicURL: "http://patchbay.test", SandboxURL: "http://127.0.0.1:1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{store: s, svc: a.Accounts}
	w.svc.Observe(func(_ context.Context, c accounts.Change) { w.changes = append(w.changes, c.Kind) })
	if w.project, err = s.CreateProject(ctx, store.Project{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if w.profile, err = s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: w.project.ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: "c", ClientSecret: "s", Enabled: true, Environment: store.Sandbox}); err != nil {
		t.Fatal(err)
	}
	return w
}

// link runs one authorized attempt of a new connect session cs through the
// create-or-update rule.
func (w *world) link(t *testing.T, cs store.ConnectSession, token string) (store.Account, bool) {
	t.Helper()
	ctx := context.Background()
	cs.ProjectID, cs.TokenHash, cs.ExpiresAt = w.project.ID, []byte(token), time.Now().Add(time.Hour)
	cs, err := w.store.CreateConnectSession(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	att, err := w.store.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: w.project.ID, SessionID: cs.ID, ProfileID: w.profile.ID})
	if err != nil {
		t.Fatal(err)
	}
	acc, got, created, err := w.svc.Link(ctx, accounts.Link{ProjectID: w.project.ID, AttemptID: att.ID, At: time.Now(),
		Credentials: store.Credentials{AccessToken: "at-" + token, RefreshToken: "rt-" + token}})
	if err != nil || got.Status != store.AttemptAuthenticated || got.AccountID != acc.ID {
		t.Fatalf("link %s: %+v, %v", token, got, err)
	}
	return acc, created
}

func (w *world) events(t *testing.T) []string {
	t.Helper()
	rows, err := w.store.DB().Query(`SELECT type FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ)
	}
	return out
}

// The create-or-update rule: an end user linking the same provider again
// gets the same account back, active with the new tokens; a session that
// allows several makes a new one; a session for an account (edit mode)
// updates that one. Each change is one event and one observed change.
func TestLinkCreatesOrUpdatesByTheRule(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			owner := store.ConnectSession{OriginOwnerID: "tenant-1", OriginOwnerName: "Tenant", Label: "Payroll"}
			first, created := w.link(t, owner, "one")
			if !created || first.Status != store.StatusActive || first.Label != "Payroll" || first.Provider != "justworks" {
				t.Fatalf("first link: created %v, %+v", created, first)
			}
			again, created := w.link(t, owner, "two")
			if created || again.ID != first.ID || again.Credentials.AccessToken != "at-two" || again.CredentialVersion != first.CredentialVersion+1 {
				t.Fatalf("the same owner again: created %v, %+v", created, again)
			}
			several := owner
			several.Multiple = true
			if other, created := w.link(t, several, "three"); !created || other.ID == first.ID {
				t.Fatalf("a session allowing several: created %v, %s", created, other.ID)
			}
			edit := store.ConnectSession{OriginOwnerID: "someone-else", OriginOwnerName: "Else", AccountID: first.ID}
			if edited, created := w.link(t, edit, "four"); created || edited.ID != first.ID || edited.Credentials.AccessToken != "at-four" {
				t.Fatalf("edit mode: created %v, %+v", created, edited)
			}
			want := []string{store.EventAccountCreated, store.EventAccountUpdated, store.EventAccountCreated, store.EventAccountUpdated}
			if got := w.events(t); !slices.Equal(got, want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			if wantKinds := []accounts.ChangeKind{accounts.Created, accounts.Relinked, accounts.Created, accounts.Relinked}; !slices.Equal(w.changes, wantKinds) {
				t.Fatalf("observed %v, want %v", w.changes, wantKinds)
			}
		})
	}
}

// An edit carries the version it read: a stale one is refused and changes
// nothing; an invalid edit is refused naming the field.
func TestUpdateAndDeleteCheckTheVersion(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			ctx := context.Background()
			acc, _ := w.link(t, store.ConnectSession{OriginOwnerID: "o", OriginOwnerName: "O"}, "one")
			label := "first"
			edited, err := w.svc.Update(ctx, w.project.ID, acc.ID, acc.Version, accounts.Patch{Label: &label})
			if err != nil || edited.Label != "first" || edited.Version == acc.Version {
				t.Fatalf("an edit with the version read: %+v, %v", edited, err)
			}
			late := "second"
			if _, err := w.svc.Update(ctx, w.project.ID, acc.ID, acc.Version, accounts.Patch{Label: &late}); problem.KindOf(err) != problem.Stale {
				t.Fatalf("a stale edit: %v", err)
			}
			empty := ""
			if _, err := w.svc.Update(ctx, w.project.ID, acc.ID, store.AnyVersion, accounts.Patch{OriginOwnerName: &empty}); problem.KindOf(err) != problem.Invalid {
				t.Fatalf("an empty owner name: %v", err)
			}
			if _, err := w.svc.Delete(ctx, w.project.ID, acc.ID, acc.Version); problem.KindOf(err) != problem.Stale {
				t.Fatalf("a stale delete: %v", err)
			}
			if got, err := w.svc.Get(ctx, w.project.ID, acc.ID); err != nil || got.Label != "first" {
				t.Fatalf("after refused writes: %+v, %v", got, err)
			}
			if _, err := w.svc.Delete(ctx, w.project.ID, acc.ID, edited.Version); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Get(ctx, w.project.ID, acc.ID); problem.KindOf(err) != problem.NotFound {
				t.Fatalf("after delete: %v", err)
			}
			want := []string{store.EventAccountCreated, store.EventAccountUpdated, store.EventAccountDeleted}
			if got := w.events(t); !slices.Equal(got, want) {
				t.Fatalf("events %v, want %v", got, want)
			}
		})
	}
}
