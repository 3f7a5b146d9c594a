package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// connectTime is a fixed instant with microseconds, the precision every backend keeps.
var connectTime = time.Date(2026, 5, 1, 10, 0, 0, 123456000, time.UTC)

func mustSession(t *testing.T, s store.Store, projectID, tokenHash string) store.ConnectSession {
	t.Helper()
	cs, err := s.CreateConnectSession(context.Background(), store.ConnectSession{
		ProjectID: projectID, TokenHash: []byte(tokenHash), OriginOwnerID: "tenant_1", OriginOwnerName: "Tenant One",
		ExpiresAt: connectTime.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("create connect session: %v", err)
	}
	return cs
}

func mustAttempt(t *testing.T, s store.Store, cs store.ConnectSession) store.ConnectionAttempt {
	t.Helper()
	a, err := s.CreateConnectionAttempt(context.Background(), store.ConnectionAttempt{ProjectID: cs.ProjectID, SessionID: cs.ID, ProfileID: "cp_1"})
	if err != nil {
		t.Fatalf("create connection attempt: %v", err)
	}
	return a
}

func mustState(t *testing.T, s store.Store, a store.ConnectionAttempt, stateHash, verifier string) store.OAuthState {
	t.Helper()
	st, err := s.CreateOAuthState(context.Background(), store.OAuthState{
		ProjectID: a.ProjectID, StateHash: []byte(stateHash), AttemptID: a.ID, CodeVerifier: verifier,
		RedirectURI: "https://app.example/done", ExpiresAt: connectTime.Add(10 * time.Minute),
	})
	if err != nil {
		t.Fatalf("create oauth state: %v", err)
	}
	return st
}

// sameRecord compares two records field by field: time fields with Equal, the rest
// with reflect.DeepEqual.
func sameRecord(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	timeType := reflect.TypeFor[time.Time]()
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if fa.Type() == timeType {
			if !fa.Interface().(time.Time).Equal(fb.Interface().(time.Time)) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			return false
		}
	}
	return true
}

func testConnectSessionRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	// JSON documents come back with JSON's types: numbers as float64, lists as []any.
	full := store.ConnectSession{
		ProjectID: p.ID, TokenHash: []byte{0x00, 0xff, 0x10, 0x80}, OriginOwnerID: "tenant_1", OriginOwnerName: "Tenant One ✓",
		OriginUsername: "admin@tenant.test", Provider: "employmenthero", ProfileID: "cp_other",
		Categories: []string{"hris", "payroll"}, AccountID: "acc_edit",
		Metadata: map[string]any{"plan": "gold", "seats": float64(12), "nested": map[string]any{"on": true}},
		Multiple: true, Label: "Main", Type: "test",
		Extras:        map[string]any{"shared": true, "scopes": []any{"a", "b"}},
		AllowedOrigin: "https://app.example", ExternalTriggerToken: "ett-1",
		ExpiresAt: connectTime.Add(30 * time.Minute),
	}
	created, err := s.CreateConnectSession(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID <= 0 || created.CreatedAt.IsZero() {
		t.Fatalf("create did not fill id and created_at: %+v", created)
	}
	got, err := s.ConnectSessionByTokenHash(ctx, full.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecord(got, created) {
		t.Fatalf("got %+v\nwant %+v", got, created)
	}

	minimal, err := s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: p.ID, TokenHash: []byte("minimal"), ExpiresAt: connectTime})
	if err != nil {
		t.Fatal(err)
	}
	if minimal.ID <= created.ID {
		t.Fatalf("second session id %d is not above the first's %d", minimal.ID, created.ID)
	}
	got, err = s.ConnectSessionByTokenHash(ctx, []byte("minimal"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecord(got, minimal) || got.Multiple || got.Provider != "" || got.ProfileID != "" || len(got.Categories) != 0 ||
		len(got.Metadata) != 0 || len(got.Extras) != 0 || !got.ExpiresAt.Equal(connectTime) {
		t.Fatalf("minimal session came back as %+v, want %+v", got, minimal)
	}

	_, err = s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: p.ID, TokenHash: []byte("minimal"), ExpiresAt: connectTime})
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: "prj_missing", TokenHash: []byte("orphan"), ExpiresAt: connectTime})
	wantErr(t, err, store.ErrNotFound)
}

func testConnectSessionByTokenHash(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	sa, sb := mustSession(t, s, a.ID, "token-a"), mustSession(t, s, b.ID, "token-b")
	for _, want := range []store.ConnectSession{sa, sb} {
		got, err := s.ConnectSessionByTokenHash(ctx, want.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.ProjectID != want.ProjectID {
			t.Fatalf("hash %q found session %d of %s, want %d of %s", want.TokenHash, got.ID, got.ProjectID, want.ID, want.ProjectID)
		}
	}
	_, err := s.ConnectSessionByTokenHash(ctx, []byte("token-unknown"))
	wantErr(t, err, store.ErrNotFound)

	got, err := s.GetConnectSession(ctx, a.ID, sa.ID)
	if err != nil || got.ID != sa.ID || got.OriginOwnerID != sa.OriginOwnerID {
		t.Fatalf("get by id: %+v %v", got, err)
	}
	_, err = s.GetConnectSession(ctx, b.ID, sa.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testConnectionAttemptRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	cs := mustSession(t, s, a.ID, "token-a")
	created := mustAttempt(t, s, cs)
	if !strings.HasPrefix(created.ID, "att_") || created.Status != store.AttemptPending || created.SessionID != cs.ID ||
		created.CreatedAt.IsZero() || !created.UpdatedAt.Equal(created.CreatedAt) || created.PendingCredentials != nil {
		t.Fatalf("create did not fill defaults: %+v", created)
	}
	got, err := s.GetConnectionAttempt(ctx, a.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecord(got, created) {
		t.Fatalf("got %+v\nwant %+v", got, created)
	}

	_, err = s.GetConnectionAttempt(ctx, b.ID, created.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetConnectionAttempt(ctx, a.ID, "att_missing")
	wantErr(t, err, store.ErrNotFound)
	// A session of another project, or none at all, cannot hold the attempt.
	_, err = s.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: b.ID, SessionID: cs.ID})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: a.ID, SessionID: cs.ID + 1000})
	wantErr(t, err, store.ErrNotFound)
}

func testConnectionAttemptUpdateOnlyWhilePending(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	att := mustAttempt(t, s, mustSession(t, s, a.ID, "token-a"))

	// Still pending: the user must choose an organisation first.
	choose := att
	choose.SetupField = "organisation_id"
	choose.SetupOptions = []store.SetupOption{{Value: "org-1", Label: "Org One"}, {Value: "org-2", Label: "Org Two"}}
	updated, err := s.UpdateConnectionAttempt(ctx, choose)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Status != store.AttemptPending || updated.SetupField != "organisation_id" ||
		!reflect.DeepEqual(updated.SetupOptions, choose.SetupOptions) || updated.UpdatedAt.Before(att.UpdatedAt) ||
		!updated.CreatedAt.Equal(att.CreatedAt) || updated.SessionID != att.SessionID || updated.ProfileID != att.ProfileID {
		t.Fatalf("first update: %+v", updated)
	}

	decided := updated
	decided.Status = store.AttemptAuthenticated
	decided.AccountID = "acc_1"
	decided.SetupField, decided.SetupOptions = "", nil
	updated, err = s.UpdateConnectionAttempt(ctx, decided)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Status != store.AttemptAuthenticated || updated.AccountID != "acc_1" || updated.SetupField != "" || len(updated.SetupOptions) != 0 {
		t.Fatalf("deciding update: %+v", updated)
	}

	// A decided attempt stays decided.
	late := updated
	late.Status = store.AttemptError
	late.ErrorCode, late.ErrorDescription = "access_denied", "the user refused"
	_, err = s.UpdateConnectionAttempt(ctx, late)
	wantErr(t, err, store.ErrStale)
	got, err := s.GetConnectionAttempt(ctx, a.ID, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecord(got, updated) {
		t.Fatalf("a stale update landed: %+v", got)
	}

	missing := late
	missing.ID = "att_missing"
	_, err = s.UpdateConnectionAttempt(ctx, missing)
	wantErr(t, err, store.ErrNotFound)
	other := mustAttempt(t, s, mustSession(t, s, a.ID, "token-a2"))
	other.ProjectID = b.ID
	other.Status = store.AttemptCancelled
	_, err = s.UpdateConnectionAttempt(ctx, other)
	wantErr(t, err, store.ErrNotFound)
	if got, err := s.GetConnectionAttempt(ctx, a.ID, other.ID); err != nil || got.Status != store.AttemptPending {
		t.Fatalf("project B decided project A's attempt: %+v %v", got, err)
	}
}

func testConnectionAttemptConcurrentDecisions(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	att := mustAttempt(t, s, mustSession(t, s, p.ID, "token"))
	oneWins(t, "decide the attempt", 10, func(int) error {
		decided := att
		decided.Status = store.AttemptError
		decided.ErrorCode = "x"
		_, err := s.UpdateConnectionAttempt(context.Background(), decided)
		return err
	})
}

// oneWins runs n tries at once and checks that exactly one succeeds and the
// others fail with ErrStale.
func oneWins(t *testing.T, what string, n int, try func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- try(i) })
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrStale):
			t.Fatalf("%s, concurrently: %v", what, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d tries to %s won, want exactly one", won, n, what)
	}
}

func testConnectionAttemptPendingCredentials(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	cs := mustSession(t, s, p.ID, "token")
	creds := &store.Credentials{AccessToken: "at-pending", RefreshToken: "rt-pending", TokenType: "Bearer",
		Expiry: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Scopes: []string{"a:read", "b:write"}}

	// Created with pending credentials.
	att, err := s.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: p.ID, SessionID: cs.ID, PendingCredentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConnectionAttempt(ctx, p.ID, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PendingCredentials == nil || !reflect.DeepEqual(*got.PendingCredentials, *creds) {
		t.Fatalf("pending credentials came back as %+v, want %+v", got.PendingCredentials, creds)
	}

	// Set by an update while pending, then cleared by the deciding update.
	later := mustAttempt(t, s, cs)
	later.SetupField = "organisation_id"
	later.PendingCredentials = creds
	updated, err := s.UpdateConnectionAttempt(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	if updated.PendingCredentials == nil || !reflect.DeepEqual(*updated.PendingCredentials, *creds) {
		t.Fatalf("update returned pending credentials %+v, want %+v", updated.PendingCredentials, creds)
	}
	updated.PendingCredentials = nil
	updated.Status = store.AttemptAuthenticated
	updated, err = s.UpdateConnectionAttempt(ctx, updated)
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.GetConnectionAttempt(ctx, p.ID, later.ID)
	if err != nil {
		t.Fatal(err)
	}
	if updated.PendingCredentials != nil || got.PendingCredentials != nil {
		t.Fatalf("cleared pending credentials came back as %+v / %+v", updated.PendingCredentials, got.PendingCredentials)
	}

	// The sealed credentials are bound to their attempt.
	db.Exec(t, `UPDATE connection_attempts SET pending_credentials = (SELECT pending_credentials FROM connection_attempts WHERE id = '`+att.ID+`') WHERE id = '`+later.ID+`'`)
	_, err = s.GetConnectionAttempt(ctx, p.ID, later.ID)
	wantErr(t, err, secrets.ErrOpen)
}

func testOAuthStateConsumedOnce(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	att := mustAttempt(t, s, mustSession(t, s, a.ID, "token"))
	created := mustState(t, s, att, "state-1", "verifier-1 ✓")
	if !strings.HasPrefix(created.ID, "st_") || !created.UsedAt.IsZero() {
		t.Fatalf("create did not fill the id, or marked it used: %+v", created)
	}

	at := connectTime.Add(time.Minute)
	got, err := s.ConsumeOAuthState(ctx, []byte("state-1"), at)
	if err != nil {
		t.Fatal(err)
	}
	want := created
	want.UsedAt = at
	if !sameRecord(got, want) {
		t.Fatalf("consumed %+v\nwant %+v", got, want)
	}
	_, err = s.ConsumeOAuthState(ctx, []byte("state-1"), at.Add(time.Second))
	wantErr(t, err, store.ErrUsed)
	_, err = s.ConsumeOAuthState(ctx, []byte("state-unknown"), at)
	wantErr(t, err, store.ErrNotFound)

	// An empty verifier (no PKCE) is sealed and comes back empty.
	mustState(t, s, att, "state-empty", "")
	got, err = s.ConsumeOAuthState(ctx, []byte("state-empty"), at)
	if err != nil || got.CodeVerifier != "" {
		t.Fatalf("empty verifier: %q, %v", got.CodeVerifier, err)
	}

	// The attempt must be in the state's project.
	_, err = s.CreateOAuthState(ctx, store.OAuthState{ProjectID: b.ID, StateHash: []byte("state-b"), AttemptID: att.ID, ExpiresAt: at})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.CreateOAuthState(ctx, store.OAuthState{ProjectID: a.ID, StateHash: []byte("state-c"), AttemptID: "att_missing", ExpiresAt: at})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.CreateOAuthState(ctx, store.OAuthState{ProjectID: a.ID, StateHash: []byte("state-1"), AttemptID: att.ID, ExpiresAt: at})
	wantErr(t, err, store.ErrConflict)
}

// A new state for an attempt replaces its unused ones, so however often an
// attempt's start is requested it holds one live state.
func testOAuthStateReplacedPerAttempt(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	cs := mustSession(t, s, p.ID, "token")
	att, other := mustAttempt(t, s, cs), mustAttempt(t, s, cs)
	mustState(t, s, other, "other", "v")
	for i := range 5 {
		mustState(t, s, att, fmt.Sprintf("state-%d", i), "v")
	}
	for i := range 4 {
		_, err := s.ConsumeOAuthState(ctx, []byte(fmt.Sprintf("state-%d", i)), connectTime)
		wantErr(t, err, store.ErrNotFound)
	}
	for _, live := range []string{"state-4", "other"} {
		if _, err := s.ConsumeOAuthState(ctx, []byte(live), connectTime); err != nil {
			t.Fatalf("%s: %v", live, err)
		}
	}
	// A used state stays, so that a replayed callback is told it was used.
	mustState(t, s, att, "state-5", "v")
	_, err := s.ConsumeOAuthState(ctx, []byte("state-4"), connectTime)
	wantErr(t, err, store.ErrUsed)
}

func testOAuthStateExpired(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	st := mustState(t, s, mustAttempt(t, s, mustSession(t, s, p.ID, "token")), "state", "verifier")
	// Expiry is exclusive: at the expiry instant the state is already late.
	for _, at := range []time.Time{st.ExpiresAt, st.ExpiresAt.Add(time.Microsecond), st.ExpiresAt.Add(time.Hour)} {
		_, err := s.ConsumeOAuthState(ctx, []byte("state"), at)
		wantErr(t, err, store.ErrExpired)
	}
	// A late attempt does not use the state up.
	got, err := s.ConsumeOAuthState(ctx, []byte("state"), st.ExpiresAt.Add(-time.Microsecond))
	if err != nil || got.CodeVerifier != "verifier" {
		t.Fatalf("consume before expiry after a late try: %+v %v", got, err)
	}
	// A used state reports being used, even once it is also past its expiry.
	_, err = s.ConsumeOAuthState(ctx, []byte("state"), st.ExpiresAt.Add(time.Hour))
	wantErr(t, err, store.ErrUsed)
}

func testOAuthStateConcurrentConsume(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	mustState(t, s, mustAttempt(t, s, mustSession(t, s, p.ID, "token")), "state", "verifier")
	const n = 20
	var wg sync.WaitGroup
	type result struct {
		st  store.OAuthState
		err error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			st, err := s.ConsumeOAuthState(context.Background(), []byte("state"), connectTime)
			results <- result{st, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	won := 0
	for r := range results {
		switch {
		case r.err == nil:
			won++
			if r.st.CodeVerifier != "verifier" {
				t.Errorf("the winner got verifier %q", r.st.CodeVerifier)
			}
		case !errors.Is(r.err, store.ErrUsed):
			t.Fatalf("concurrent consume: %v", r.err)
		}
	}
	if won != 1 {
		t.Fatalf("%d consumers got the state, want exactly one", won)
	}
}

func testOAuthStateVerifierBoundToRow(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	cs := mustSession(t, s, p.ID, "token")
	from, to := mustState(t, s, mustAttempt(t, s, cs), "from", "verifier-from"), mustState(t, s, mustAttempt(t, s, cs), "to", "verifier-to")
	db.Exec(t, `UPDATE oauth_states SET code_verifier = (SELECT code_verifier FROM oauth_states WHERE id = '`+from.ID+`') WHERE id = '`+to.ID+`'`)
	_, err := s.ConsumeOAuthState(ctx, []byte("to"), connectTime)
	wantErr(t, err, secrets.ErrOpen)
	if got, err := s.ConsumeOAuthState(ctx, []byte("from"), connectTime); err != nil || got.CodeVerifier != "verifier-from" {
		t.Fatalf("the original row stopped opening: %+v %v", got, err)
	}
}

func testConnectSecretsRotate(t *testing.T, db Database) {
	ctx := context.Background()
	k1, k2 := Key(t, "k1"), Key(t, "k2")
	old := db.Open(t, Ring(t, k1))
	p := mustProject(t, old, "Acme")
	cs := mustSession(t, old, p.ID, "token")
	creds := store.Credentials{AccessToken: "at-pending", RefreshToken: "rt-pending"}
	withCreds, err := old.CreateConnectionAttempt(ctx, store.ConnectionAttempt{ProjectID: p.ID, SessionID: cs.ID, PendingCredentials: &creds})
	if err != nil {
		t.Fatal(err)
	}
	without := mustAttempt(t, old, cs) // NULL pending credentials: nothing to re-seal
	mustState(t, old, withCreds, "state-1", "verifier-1")
	mustState(t, old, without, "state-2", "")

	n, err := db.Open(t, Ring(t, k2, k1)).RotateSecrets(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Fatalf("rotated %d secrets, want 5 (one set of pending credentials, two verifiers, two return addresses)", n)
	}

	onlyNew := db.Open(t, Ring(t, k2))
	got, err := onlyNew.GetConnectionAttempt(ctx, p.ID, withCreds.ID)
	if err != nil || got.PendingCredentials == nil || got.PendingCredentials.RefreshToken != "rt-pending" {
		t.Fatalf("pending credentials after rotation: %+v %v", got.PendingCredentials, err)
	}
	if got, err := onlyNew.GetConnectionAttempt(ctx, p.ID, without.ID); err != nil || got.PendingCredentials != nil {
		t.Fatalf("attempt without credentials after rotation: %+v %v", got.PendingCredentials, err)
	}
	for hash, want := range map[string]string{"state-1": "verifier-1", "state-2": ""} {
		st, err := onlyNew.ConsumeOAuthState(ctx, []byte(hash), connectTime)
		if err != nil || st.CodeVerifier != want || st.RedirectURI != "https://app.example/done" {
			t.Fatalf("%s after rotation: %q %q %v, want %q", hash, st.CodeVerifier, st.RedirectURI, err, want)
		}
	}
	// The old key alone no longer opens anything.
	_, err = db.Open(t, Ring(t, k1)).GetConnectionAttempt(ctx, p.ID, withCreds.ID)
	wantErr(t, err, secrets.ErrOpen)
}

func testConnectAttemptsPerSessionAreBounded(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	cs := mustSession(t, s, p.ID, "token")
	for range store.MaxAttemptsPerSession {
		mustAttempt(t, s, cs)
	}
	_, err := s.CreateConnectionAttempt(context.Background(), store.ConnectionAttempt{ProjectID: p.ID, SessionID: cs.ID, ProfileID: "cp_1"})
	wantErr(t, err, store.ErrLimit)
	mustAttempt(t, s, mustSession(t, s, p.ID, "another")) // the bound is per session
}

func testExpiredConnectDataIsSwept(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	old := mustSession(t, s, p.ID, "old") // expires connectTime + 1 h
	live, err := s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: p.ID, TokenHash: []byte("live"), ExpiresAt: connectTime.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	oldState := mustState(t, s, mustAttempt(t, s, old), "old-state", "v") // expires connectTime + 10 min
	liveAttempt := mustAttempt(t, s, live)
	if _, err := s.CreateOAuthState(ctx, store.OAuthState{ProjectID: p.ID, StateHash: []byte("live-state"), AttemptID: liveAttempt.ID,
		CodeVerifier: "v", ExpiresAt: connectTime.Add(47 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sweep := connectTime.Add(2 * time.Hour)
	if n, err := s.DeleteOAuthStatesExpiredBefore(ctx, sweep); err != nil || n != 1 {
		t.Fatalf("swept %d states (%v), want the expired one", n, err)
	}
	if n, err := s.DeleteConnectSessionsExpiredBefore(ctx, sweep); err != nil || n != 1 {
		t.Fatalf("swept %d sessions (%v), want the expired one", n, err)
	}
	_, err = s.ConsumeOAuthState(ctx, oldState.StateHash, connectTime)
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.GetConnectSession(ctx, p.ID, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the expired session: %v", err)
	}
	if _, err := s.GetConnectionAttempt(ctx, p.ID, liveAttempt.ID); err != nil {
		t.Fatalf("the live session's attempt: %v", err)
	}
	if _, err := s.ConsumeOAuthState(ctx, []byte("live-state"), connectTime); err != nil {
		t.Fatalf("the live state: %v", err)
	}
}
