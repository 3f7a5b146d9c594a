package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Admins: unique emails (any case), their projects only, sign-in counts.
func testAdmins(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	admin, err := s.CreateAdmin(ctx, store.Admin{Email: "Ops@Example.com", PasswordHash: "$argon2id$x"}, []string{a.ID})
	if err != nil || admin.Email != "ops@example.com" {
		t.Fatalf("create admin: %+v, %v", admin, err)
	}
	_, err = s.CreateAdmin(ctx, store.Admin{Email: "ops@example.COM", PasswordHash: "h"}, nil)
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreateAdmin(ctx, store.Admin{Email: "ghost@example.com", PasswordHash: "h"}, []string{"prj_missing"})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.AdminByEmail(ctx, "ghost@example.com"); err == nil {
		t.Fatal("an admin with an unknown project was kept")
	}
	got, err := s.AdminByEmail(ctx, "OPS@example.com")
	if err != nil || got.ID != admin.ID {
		t.Fatalf("by email: %+v, %v", got, err)
	}
	projects, err := s.AdminProjects(ctx, admin.ID)
	if err != nil || len(projects) != 1 || projects[0].ID != a.ID {
		t.Fatalf("projects: %v, %v (B is %s)", projects, err, b.ID)
	}
	// Failures are counted per email hash, known to an admin or not.
	at := clock.System.Now().UTC().Truncate(time.Second)
	email, stranger := []byte("hash of ops@example.com"), []byte("hash of nobody")
	for range 3 {
		if err := s.RecordSignIn(ctx, email, false, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordSignIn(ctx, stranger, false, at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SignInFailures(ctx, email); err != nil || got.Count != 3 || !got.Last.Equal(at) {
		t.Fatalf("after three failures: %+v, %v", got, err)
	}
	if err := s.RecordSignIn(ctx, email, true, at); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SignInFailures(ctx, email); err != nil || got.Count != 0 {
		t.Fatalf("after a success: %+v, %v", got, err)
	}
	if err := s.DeleteSignInFailuresBefore(ctx, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SignInFailures(ctx, stranger); err != nil || got.Count != 0 {
		t.Fatalf("an hour-old failure after the sweep: %+v, %v", got, err)
	}
}

// Sessions are found by hash, touched, expired and ended; setup tokens work once.
func testAdminSessions(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	admin, err := s.CreateAdmin(ctx, store.Admin{Email: "ops@example.com", PasswordHash: "h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := clock.System.Now().UTC().Truncate(time.Second)
	old, fresh := []byte("old-session-hash"), []byte("fresh-session-hash")
	for _, h := range [][]byte{old, fresh} {
		if err := s.CreateAdminSession(ctx, store.AdminSession{TokenHash: h, AdminID: admin.ID, CreatedAt: start, LastSeenAt: start}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchAdminSession(ctx, fresh, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.AdminSessionByHash(ctx, fresh)
	if err != nil || !bytes.Equal(got.TokenHash, fresh) || got.AdminID != admin.ID || !got.LastSeenAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("session: %+v, %v", got, err)
	}
	if n, err := s.DeleteAdminSessionsBefore(ctx, start.Add(time.Minute), start.Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	_, err = s.AdminSessionByHash(ctx, old)
	wantErr(t, err, store.ErrNotFound)
	if err := s.DeleteAdminSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	_, err = s.AdminSessionByHash(ctx, fresh)
	wantErr(t, err, store.ErrNotFound)

}

// Setup tokens work once, and only until there is an admin: a new one
// replaces the old, creating an admin deletes it, and none is made or used
// once an admin exists.
func testSetupTokens(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	start := clock.System.Now().UTC().Truncate(time.Second)
	first, token := []byte("first-setup-token"), []byte("setup-token-hash")
	for _, h := range [][]byte{first, token} {
		if err := s.CreateSetupToken(ctx, h, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, s.ConsumeSetupToken(ctx, first, start), store.ErrNotFound)
	wantErr(t, s.ConsumeSetupToken(ctx, []byte("other"), start), store.ErrNotFound)
	wantErr(t, s.ConsumeSetupToken(ctx, token, start.Add(2*time.Hour)), store.ErrExpired)
	if err := s.ConsumeSetupToken(ctx, token, start); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.ConsumeSetupToken(ctx, token, start), store.ErrUsed)

	live := []byte("live-setup-token")
	if err := s.CreateSetupToken(ctx, live, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAdmin(ctx, store.Admin{Email: "ops@example.com", PasswordHash: "h"}, nil); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.ConsumeSetupToken(ctx, live, start), store.ErrNotFound)
	wantErr(t, s.CreateSetupToken(ctx, []byte("late"), start.Add(time.Hour)), store.ErrConflict)
}

// A key's first request of a minute notes when it was last used; accounts
// are counted by filter.
func testKeyLastUsedAndAccountCounts(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	k := mustKey(t, s, p.ID, "h1")
	if !k.LastUsedAt.IsZero() {
		t.Fatal("a new key was used")
	}
	minute := clock.System.Now().UTC().Truncate(time.Minute)
	for range 2 {
		if _, err := s.TakeKeyQuota(ctx, k.ID, minute, 1, 100); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.APIKeyByHash(ctx, []byte("h1"))
	if err != nil || !got.LastUsedAt.Equal(minute) {
		t.Fatalf("last used %v, %v; want %v", got.LastUsedAt, err, minute)
	}
	prof := mustProfile(t, s, p.ID, "secret")
	for _, owner := range []string{"t1", "t1", "t2"} {
		mustAccount(t, s, prof, owner)
	}
	for f, want := range map[*store.AccountFilter]int{{}: 3, {OriginOwnerIDs: []string{"t1"}}: 2, {ProfileID: prof.ID, Limit: 1}: 3, {Statuses: []string{"error"}}: 0} {
		if n, err := s.CountAccounts(ctx, p.ID, *f); err != nil || n != want {
			t.Errorf("count %+v: %d, %v; want %d", *f, n, err, want)
		}
	}
	if n, err := s.CountAccounts(ctx, mustProject(t, s, "B").ID, store.AccountFilter{}); err != nil || n != 0 {
		t.Fatalf("another project counts %d, %v", n, err)
	}
}

// Imported accounts are stored as created ones are, all or none.
func testImportAccounts(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	prof := mustProfile(t, s, p.ID, "secret")
	batch := []store.Account{
		{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o1", OriginOwnerName: "O1", Credentials: store.Credentials{AccessToken: "at-1"}},
		{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o2", OriginOwnerName: "O2", Credentials: store.Credentials{AccessToken: "at-2"}},
	}
	if err := s.ImportAccounts(ctx, batch, store.EventAccountCreated); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAccounts(ctx, p.ID, store.AccountFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("imported: %v, %v", list, err)
	}
	if full, err := s.GetAccount(ctx, p.ID, list[1].ID); err != nil || full.Credentials.AccessToken != "at-2" {
		t.Fatalf("imported credentials: %+v, %v", full.Credentials, err)
	}
	bad := append(batch, store.Account{ProjectID: p.ID, ProfileID: "cp_missing", Provider: "justworks", OriginOwnerID: "o3", OriginOwnerName: "O3"})
	if err := s.ImportAccounts(ctx, bad, store.EventAccountCreated); err == nil {
		t.Fatal("a batch with an unknown profile was imported")
	}
	if n, _ := s.CountAccounts(ctx, p.ID, store.AccountFilter{}); n != 2 {
		t.Fatalf("a failed batch left %d accounts", n)
	}
}

// Invitations, project grants, removal and renaming.
func testAdminPeople(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ann, err := s.CreateAdmin(ctx, store.Admin{Email: "ann@a.test", PasswordHash: "h", CreatedAt: now}, []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	inv := store.AdminInvite{TokenHash: []byte("invite-1"), Email: "Bob@B.test", ProjectIDs: []string{b.ID}, InvitedBy: ann.ID,
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	if err := s.CreateAdminInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAdminInvite(ctx, store.AdminInvite{TokenHash: []byte("x"), Email: "x@x.test", ProjectIDs: []string{"prj_missing"},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invite to a missing project: %v", err)
	}
	if got, err := s.AdminInviteByHash(ctx, []byte("invite-1"), now.Add(time.Hour)); err != nil || got.Email != "bob@b.test" || len(got.ProjectIDs) != 1 {
		t.Fatalf("the invite: %+v %v", got, err)
	}
	if _, err := s.AdminInviteByHash(ctx, []byte("invite-1"), now.Add(25*time.Hour)); !errors.Is(err, store.ErrExpired) {
		t.Fatalf("a day-old invite: %v", err)
	}
	bob, err := s.AcceptAdminInvite(ctx, []byte("invite-1"), store.Admin{PasswordHash: "h2", CreatedAt: now.Add(time.Hour)})
	if err != nil || bob.Email != "bob@b.test" {
		t.Fatalf("accept: %+v %v", bob, err)
	}
	if projects, _ := s.AdminProjects(ctx, bob.ID); len(projects) != 1 || projects[0].ID != b.ID {
		t.Fatalf("bob's projects: %+v", projects)
	}
	if _, err := s.AcceptAdminInvite(ctx, []byte("invite-1"), store.Admin{PasswordHash: "h3", CreatedAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrUsed) {
		t.Fatalf("an invite used twice: %v", err)
	}
	if err := s.SetAdminProjects(ctx, bob.ID, []string{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	if projects, _ := s.AdminProjects(ctx, bob.ID); len(projects) != 2 {
		t.Fatalf("bob's projects after the grant: %+v", projects)
	}
	if err := s.SetAdminProjects(ctx, bob.ID, []string{a.ID, "prj_missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a grant of a missing project: %v", err)
	}
	if projects, _ := s.AdminProjects(ctx, bob.ID); len(projects) != 2 {
		t.Fatalf("a refused grant changed bob's projects: %+v", projects)
	}
	if err := s.CreateAdminSession(ctx, store.AdminSession{TokenHash: []byte("s1"), AdminID: bob.ID, CreatedAt: now, LastSeenAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if seen, err := s.AdminsLastSeen(ctx); err != nil || !seen[bob.ID].Equal(now.Add(time.Minute)) || !seen[ann.ID].IsZero() {
		t.Fatalf("last seen: %v %v", seen, err)
	}
	if err := s.DeleteAdmin(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdminSessionByHash(ctx, []byte("s1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a removed admin's session: %v", err)
	}
	if err := s.DeleteAdmin(ctx, ann.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the last admin removed: %v", err)
	}
	if p, err := s.RenameProject(ctx, a.ID, "Acme HR"); err != nil || p.Name != "Acme HR" {
		t.Fatalf("rename: %+v %v", p, err)
	}
}
