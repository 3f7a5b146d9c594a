package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// linkFixture is a project with a profile and a live connect session.
type linkFixture struct {
	s    store.Store
	prof store.ConnectorProfile
	cs   store.ConnectSession
}

func newLinkFixture(t *testing.T, db Database, session store.ConnectSession) linkFixture {
	t.Helper()
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	prof := mustProfile(t, s, p.ID, "secret")
	session.ProjectID, session.TokenHash = p.ID, []byte(store.NewID("tok"))
	session.OriginOwnerID, session.OriginOwnerName = "tenant_1", "Tenant One"
	if session.ExpiresAt.IsZero() {
		session.ExpiresAt = connectTime.Add(time.Hour)
	}
	cs, err := s.CreateConnectSession(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	return linkFixture{s: s, prof: prof, cs: cs}
}

func (f linkFixture) attempt(t *testing.T) store.ConnectionAttempt {
	t.Helper()
	a, err := f.s.CreateConnectionAttempt(context.Background(), store.ConnectionAttempt{ProjectID: f.cs.ProjectID, SessionID: f.cs.ID, ProfileID: f.prof.ID})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f linkFixture) link(a store.ConnectionAttempt, token string) (store.Account, store.ConnectionAttempt, error) {
	creds := store.Credentials{AccessToken: token, RefreshToken: "rt-" + token}
	setup := map[string]string{"org": token}
	// The rule the accounts service applies, in its plainest form: the
	// session's account in edit mode, else the owner's unless the session
	// allows several, else a new one.
	return f.s.LinkAccount(context.Background(), store.Link{ProjectID: a.ProjectID, AttemptID: a.ID, At: connectTime,
		Target: func(c store.LinkContext) store.LinkTarget {
			switch cs := c.Session; {
			case cs.AccountID != "":
				return store.LinkTarget{AccountID: cs.AccountID}
			case cs.Multiple:
				return store.LinkTarget{}
			}
			return store.LinkTarget{Owner: &store.OwnerMatch{Provider: c.Provider, OwnerID: c.Session.OriginOwnerID,
				OwnerName: c.Session.OriginOwnerName, ProfileID: c.Session.ProfileID}}
		},
		Write: func(c store.LinkContext, existing *store.Account) (store.Account, string) {
			if existing == nil {
				return store.Account{ID: store.NewID("acc"), ProjectID: a.ProjectID, ProfileID: c.Attempt.ProfileID, Provider: c.Provider,
					Status: store.StatusActive, OriginOwnerID: c.Session.OriginOwnerID, OriginOwnerName: c.Session.OriginOwnerName,
					Label: c.Session.Label, Credentials: creds, SetupInformation: setup}, store.EventAccountCreated
			}
			acc := *existing
			acc.ProfileID, acc.Status, acc.StatusReasons, acc.Credentials, acc.SetupInformation = c.Attempt.ProfileID, store.StatusActive, nil, creds, setup
			return acc, store.EventAccountUpdated
		}})
}

func testLinkCreatesThenReopens(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{Label: "Payroll"})
	acc, att, err := f.link(f.attempt(t), "first")
	if err != nil {
		t.Fatal(err)
	}
	if att.Status != store.AttemptAuthenticated || att.AccountID != acc.ID || att.PendingCredentials != nil {
		t.Fatalf("attempt after link: %+v", att)
	}
	if acc.Status != store.StatusActive || acc.OriginOwnerID != "tenant_1" || acc.Label != "Payroll" || acc.Provider != f.prof.ConnectorKey {
		t.Fatalf("created account: %+v", acc)
	}
	// Break the account, then link again for the same owner: the same account
	// comes back active with the new tokens.
	if _, err := f.s.LockAccount(context.Background(), acc.ProjectID, acc.ID, func(store.Account) (store.AccountChange, error) {
		return store.AccountChange{Status: store.StatusError, StatusReasons: []store.StatusReason{{Code: "refresh_failed"}}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	again, _, err := f.link(f.attempt(t), "second")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.s.GetAccount(context.Background(), acc.ProjectID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != acc.ID || stored.Status != store.StatusActive || len(stored.StatusReasons) != 0 ||
		stored.Credentials.AccessToken != "second" || stored.SetupInformation["org"] != "second" || stored.CredentialVersion <= acc.CredentialVersion {
		t.Fatalf("re-link: returned %s, stored %+v", again.ID, stored)
	}
	all, _ := f.s.ListAccounts(context.Background(), acc.ProjectID, store.AccountFilter{})
	if len(all) != 1 {
		t.Fatalf("%d accounts after re-linking, want 1", len(all))
	}
}

func testLinkEditModeAndMultiple(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{Multiple: true})
	first, _, err := f.link(f.attempt(t), "one")
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := f.link(f.attempt(t), "two")
	if err != nil || second.ID == first.ID {
		t.Fatalf("a session allowing multiple accounts reopened %s (%v)", second.ID, err)
	}
	// Edit mode: a session naming an account links into it, whoever owns it.
	edit, err := f.s.CreateConnectSession(context.Background(), store.ConnectSession{ProjectID: f.cs.ProjectID, TokenHash: []byte("edit"),
		OriginOwnerID: "someone-else", OriginOwnerName: "Else", AccountID: first.ID, ExpiresAt: connectTime.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.cs = edit
	edited, _, err := f.link(f.attempt(t), "three")
	if err != nil || edited.ID != first.ID || edited.Credentials.AccessToken != "three" {
		t.Fatalf("edit mode linked %s (%v), want %s", edited.ID, err, first.ID)
	}
}

func testLinkOnlyPendingLiveAttempts(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{})
	cancelled := f.attempt(t)
	cancelled.Status = store.AttemptCancelled
	if _, err := f.s.UpdateConnectionAttempt(context.Background(), cancelled); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.link(cancelled, "x")
	wantErr(t, err, store.ErrStale)

	expired := newLinkFixture(t, db, store.ConnectSession{ExpiresAt: connectTime.Add(-time.Second)})
	_, _, err = expired.link(expired.attempt(t), "x")
	wantErr(t, err, store.ErrExpired)

	for _, fx := range []linkFixture{f, expired} {
		if all, _ := fx.s.ListAccounts(context.Background(), fx.cs.ProjectID, store.AccountFilter{}); len(all) != 0 {
			t.Fatalf("a refused link left %d accounts", len(all))
		}
	}
}

func testLinkConcurrentForOneAttempt(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{})
	for range 10 {
		att := f.attempt(t)
		oneWins(t, "link one attempt", 8, func(i int) error {
			_, _, err := f.link(att, "token"+string(rune('a'+i)))
			return err
		})
	}
	if all, _ := f.s.ListAccounts(context.Background(), f.cs.ProjectID, store.AccountFilter{}); len(all) != 1 {
		t.Fatalf("%d accounts after concurrent links, want 1", len(all))
	}
}

// linkRounds is how often the owner race runs per backend.
const linkRounds = 50

// Separate connect sessions for one end user, each with its own attempt,
// linked at once (callbacks on several nodes): one account for the owner,
// which every link reopens, in every round.
func testLinkConcurrentAttemptsForOneOwner(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{})
	ctx := context.Background()
	for round := range linkRounds {
		owner := fmt.Sprintf("owner_%d", round)
		var attempts []store.ConnectionAttempt
		for i := range 6 {
			cs, err := f.s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: f.cs.ProjectID, TokenHash: []byte(fmt.Sprintf("%s-%d", owner, i)),
				OriginOwnerID: owner, OriginOwnerName: "Owner", ExpiresAt: connectTime.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			g := f
			g.cs = cs
			attempts = append(attempts, g.attempt(t))
		}
		ids := make([]string, len(attempts))
		var wg sync.WaitGroup
		for i, a := range attempts {
			wg.Go(func() {
				acc, _, err := f.link(a, fmt.Sprintf("token-%d", i))
				if err != nil {
					t.Errorf("round %d, link %d: %v", round, i, err)
				}
				ids[i] = acc.ID
			})
		}
		wg.Wait()
		all, err := f.s.ListAccounts(ctx, f.cs.ProjectID, store.AccountFilter{OriginOwnerIDs: []string{owner}})
		if err != nil || len(all) != 1 {
			t.Fatalf("round %d: %d accounts for one owner (%v), want 1; links gave %v", round, len(all), err, ids)
		}
		for i, id := range ids {
			if id != all[0].ID {
				t.Fatalf("round %d: link %d gave %s, the owner's account is %s", round, i, id, all[0].ID)
			}
		}
	}
}
