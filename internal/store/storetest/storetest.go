// Package storetest is the conformance suite for store.Store: the definition of
// correct storage. Every backend runs it from its own tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Database is one test's private, empty database.
type Database struct {
	// Open opens the database with the given keys and applies migrations. It may be
	// called several times (for example to reopen with rotated keys); the harness
	// closes every store it returns when the test ends.
	Open func(t *testing.T, keys *secrets.Keyring) store.Store
	// Exec runs a raw SQL statement (no parameters) against the database, for
	// tests that tamper with stored rows.
	Exec func(t *testing.T, statement string)
}

// NewDatabase creates a fresh Database for one test.
type NewDatabase func(t *testing.T) Database

// Run runs the whole suite. Subtests run in parallel, each on its own database.
func Run(t *testing.T, newDB NewDatabase) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db Database)
	}{
		{"ProjectRoundTrip", testProjectRoundTrip},
		{"ProjectNotFound", testProjectNotFound},
		{"ProjectDuplicateID", testProjectDuplicateID},
		{"ProjectsListedOldestFirst", testProjectsListedOldestFirst},
		{"APIKeyRoundTrip", testAPIKeyRoundTrip},
		{"APIKeyNeedsProject", testAPIKeyNeedsProject},
		{"APIKeyDuplicateHash", testAPIKeyDuplicateHash},
		{"APIKeyUnknownHash", testAPIKeyUnknownHash},
		{"APIKeysIsolatedByProject", testAPIKeysIsolatedByProject},
		{"APIKeyRevoke", testAPIKeyRevoke},
		{"APIKeyRevokeKeepsTheLastKey", testAPIKeyRevokeKeepsTheLastKey},
		{"APIKeyRevokeOtherProject", testAPIKeyRevokeOtherProject},
		{"ConcurrentWrites", testConcurrentWrites},
		{"ProfileRoundTrip", testProfileRoundTrip},
		{"ProfileNeedsProject", testProfileNeedsProject},
		{"ProfilesIsolatedByProject", testProfilesIsolatedByProject},
		{"SecretMovedToAnotherRowFailsToOpen", testSecretMovedToAnotherRow},
		{"TamperedSecretFailsToOpen", testTamperedSecret},
		{"ProfileListKeepsSecretsSealed", testListKeepsSecretsSealed},
		{"SecretNeedsItsKey", testSecretNeedsItsKey},
		{"RotateSecrets", testRotateSecrets},
		{"RotateSecretsResumesAfterInterruption", testRotateResumes},
		{"RotateSecretsRejectsBadBatchSize", testRotateBadBatch},
		{"Ping", testPing},
		{"ProfileDefaultsAndDisabling", testProfileDefaultsAndDisabling},
		{"AccountRoundTrip", testAccountRoundTrip},
		{"AccountNeedsProfileOfItsProject", testAccountNeedsProfileOfItsProject},
		{"AccountsFilteredAndIsolated", testAccountsFilteredAndIsolated},
		{"AccountsListedInPages", testAccountsListedInPages},
		{"UpdateCredentialsChecksVersion", testUpdateCredentialsChecksVersion},
		{"UpdateAndDeleteAccount", testUpdateAndDeleteAccount},
		{"AccountCredentialsRotate", testAccountCredentialsRotate},
		{"LockAccountSerialises", testLockAccountSerialises},
		{"RequestLogs", testRequestLogs},
		{"RequestLogsWrittenTwiceAreStoredOnce", testRequestLogsWrittenTwiceAreStoredOnce},
		{"KeyQuota", testKeyQuota},
		{"KeyQuotaConcurrentNodes", testKeyQuotaConcurrentNodes},
		{"ConnectSessionRoundTrip", testConnectSessionRoundTrip},
		{"ConnectSessionByTokenHash", testConnectSessionByTokenHash},
		{"ConnectionAttemptRoundTrip", testConnectionAttemptRoundTrip},
		{"ConnectionAttemptUpdateOnlyWhilePending", testConnectionAttemptUpdateOnlyWhilePending},
		{"ConnectionAttemptConcurrentDecisions", testConnectionAttemptConcurrentDecisions},
		{"ConnectionAttemptPendingCredentials", testConnectionAttemptPendingCredentials},
		{"OAuthStateConsumedOnce", testOAuthStateConsumedOnce},
		{"OAuthStateReplacedPerAttempt", testOAuthStateReplacedPerAttempt},
		{"OAuthStateExpired", testOAuthStateExpired},
		{"OAuthStateConcurrentConsume", testOAuthStateConcurrentConsume},
		{"OAuthStateVerifierBoundToRow", testOAuthStateVerifierBoundToRow},
		{"ConnectSecretsRotate", testConnectSecretsRotate},
		{"ConnectAttemptsPerSessionAreBounded", testConnectAttemptsPerSessionAreBounded},
		{"ExpiredConnectDataIsSwept", testExpiredConnectDataIsSwept},
		{"DeleteProfileOfAnotherProject", testDeleteProfileOfAnotherProject},
		{"LinkCreatesThenReopens", testLinkCreatesThenReopens},
		{"LinkEditModeAndMultiple", testLinkEditModeAndMultiple},
		{"LinkOnlyPendingLiveAttempts", testLinkOnlyPendingLiveAttempts},
		{"LinkConcurrentForOneAttempt", testLinkConcurrentForOneAttempt},
		{"LinkConcurrentAttemptsForOneOwner", testLinkConcurrentAttemptsForOneOwner},
		{"EventsFollowAccountChanges", testEventsFollowAccountChanges},
		{"EventsOfLinks", testEventsOfLinks},
		{"DispatchRoutesEvents", testDispatchRoutesEvents},
		{"StrandedDeliveries", testStrandedDeliveries},
		{"DispatchConcurrentNodes", testDispatchConcurrentNodes},
		{"WebhookEndpointRoundTrip", testWebhookEndpointRoundTrip},
		{"WebhookDeliveryLog", testWebhookDeliveryLog},
		{"DispatchPastADamagedEndpoint", testDispatchPastADamagedEndpoint},
		{"Admins", testAdmins},
		{"AdminSessions", testAdminSessions},
		{"AdminPeople", testAdminPeople},
		{"SetupTokens", testSetupTokens},
		{"KeyLastUsedAndAccountCounts", testKeyLastUsedAndAccountCounts},
		{"ImportAccounts", testImportAccounts},
		{"AccountAndProfileTogether", testAccountAndProfileTogether},
		{"APIKeyAndAccount", testAPIKeyAndAccount},
		{"APIKeyAndAccountSeesEveryChange", testAPIKeyAndAccountSeesEveryChange},
		{"APIKeyAndAccountNeedsTheDatabase", testAPIKeyAndAccountNeedsTheDatabase},
		{"ListWindows", testListWindows},
		{"ToolFeedback", testToolFeedback},
		{"AIGrants", testAIGrants},
		{"IdempotencyKeys", testIdempotencyKeys},
		{"IdempotencyKeyConcurrentClaims", testIdempotencyKeyConcurrentClaims},
		{"AuditTrail", testAuditTrail},
		{"AuditTrailConcurrentNodes", testAuditTrailConcurrentNodes},
		{"SyncStore", testSyncStore},
		{"SyncSchedule", testSyncSchedule},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDB(t))
		})
	}
}

// Key returns a deterministic test key with the given id.
func Key(t *testing.T, id string) secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Ring builds a key ring, failing the test on error.
func Ring(t *testing.T, keys ...secrets.Key) *secrets.Keyring {
	t.Helper()
	r, err := secrets.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openDefault(t *testing.T, db Database) store.Store {
	return db.Open(t, Ring(t, Key(t, "k1")))
}

func mustProject(t *testing.T, s store.Store, name string) store.Project {
	t.Helper()
	p, err := s.CreateProject(context.Background(), store.Project{Name: name})
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	return p
}

func mustKey(t *testing.T, s store.Store, projectID, hash string) store.APIKey {
	t.Helper()
	k, err := s.CreateAPIKey(context.Background(), store.APIKey{ProjectID: projectID, Name: "key " + hash, Prefix: "v1." + hash, Hash: []byte(hash)})
	if err != nil {
		t.Fatalf("create api key: %v", err)
	}
	return k
}

func mustProfile(t *testing.T, s store.Store, projectID, secret string) store.ConnectorProfile {
	t.Helper()
	p, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{
		ProjectID: projectID, ConnectorKey: "justworks", Name: "Justworks", ClientID: "client-" + secret,
		ClientSecret: secret, EnabledActions: []string{"justworks_list_members"},
	})
	if err != nil {
		t.Fatalf("create connector profile: %v", err)
	}
	return p
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func testProjectRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	created := mustProject(t, s, "Acme")
	if created.ID == "" || created.CreatedAt.IsZero() {
		t.Fatalf("create did not fill id and created_at: %+v", created)
	}
	got, err := s.GetProject(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != created {
		t.Fatalf("got %+v, want %+v", got, created)
	}
}

func testProjectNotFound(t *testing.T, db Database) {
	s := openDefault(t, db)
	_, err := s.GetProject(context.Background(), "prj_missing")
	wantErr(t, err, store.ErrNotFound)
}

func testProjectDuplicateID(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "first")
	_, err := s.CreateProject(context.Background(), store.Project{ID: p.ID, Name: "second"})
	wantErr(t, err, store.ErrConflict)
}

func testProjectsListedOldestFirst(t *testing.T, db Database) {
	s := openDefault(t, db)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []store.Project
	for i, name := range []string{"c", "a", "b"} {
		p, err := s.CreateProject(context.Background(), store.Project{Name: name, CreatedAt: base.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	got, err := s.ListProjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func testAPIKeyRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	created := mustKey(t, s, p.ID, "hash-1")
	got, err := s.APIKeyByHash(context.Background(), []byte("hash-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !equalKey(got, created) || got.Revoked() {
		t.Fatalf("got %+v, want %+v", got, created)
	}
}

func equalKey(a, b store.APIKey) bool {
	return a.ID == b.ID && a.ProjectID == b.ProjectID && a.Name == b.Name && a.Prefix == b.Prefix &&
		string(a.Hash) == string(b.Hash) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.RevokedAt.Equal(b.RevokedAt)
}

func testAPIKeyNeedsProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	_, err := s.CreateAPIKey(context.Background(), store.APIKey{ProjectID: "prj_missing", Name: "k", Prefix: "p", Hash: []byte("h")})
	wantErr(t, err, store.ErrNotFound)
}

func testAPIKeyDuplicateHash(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	mustKey(t, s, p.ID, "same")
	_, err := s.CreateAPIKey(context.Background(), store.APIKey{ProjectID: p.ID, Name: "k", Prefix: "p", Hash: []byte("same")})
	wantErr(t, err, store.ErrConflict)
}

func testAPIKeyUnknownHash(t *testing.T, db Database) {
	s := openDefault(t, db)
	_, err := s.APIKeyByHash(context.Background(), []byte("nope"))
	wantErr(t, err, store.ErrNotFound)
}

func testAPIKeysIsolatedByProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	ka1, ka2 := mustKey(t, s, a.ID, "a1"), mustKey(t, s, a.ID, "a2")
	kb := mustKey(t, s, b.ID, "b1")
	gotA, err := s.ListAPIKeys(context.Background(), a.ID, store.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotA) != 2 || !equalKey(gotA[0], ka1) || !equalKey(gotA[1], ka2) {
		t.Fatalf("project A keys: got %+v", gotA)
	}
	gotB, err := s.ListAPIKeys(context.Background(), b.ID, store.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotB) != 1 || !equalKey(gotB[0], kb) {
		t.Fatalf("project B keys: got %+v", gotB)
	}
}

func testAPIKeyRevokeKeepsTheLastKey(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	keys := []store.APIKey{mustKey(t, s, p.ID, "a"), mustKey(t, s, p.ID, "b"), mustKey(t, s, p.ID, "c")}
	var revoked atomic.Int32
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			_, err := s.RevokeAPIKey(context.Background(), p.ID, k.ID, clock.System.Now())
			switch {
			case err == nil:
				revoked.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("revoke: %v", err)
			}
		})
	}
	wg.Wait()
	if revoked := revoked.Load(); revoked != 2 {
		t.Fatalf("%d of 3 keys revoked at once, want 2: the last must stay", revoked)
	}
}

func testAPIKeyRevoke(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	k := mustKey(t, s, p.ID, "h")
	last := mustKey(t, s, p.ID, "h2")
	first := time.Date(2026, 5, 1, 10, 0, 0, 123456000, time.UTC)
	revoked, err := s.RevokeAPIKey(ctx, p.ID, k.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	if !revoked.RevokedAt.Equal(first) {
		t.Fatalf("revoked_at = %v, want %v", revoked.RevokedAt, first)
	}
	again, err := s.RevokeAPIKey(ctx, p.ID, k.ID, first.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !again.RevokedAt.Equal(first) {
		t.Fatalf("second revoke moved revoked_at to %v", again.RevokedAt)
	}
	_, err = s.RevokeAPIKey(ctx, p.ID, last.ID, first)
	wantErr(t, err, store.ErrConflict)
	byHash, err := s.APIKeyByHash(ctx, []byte("h"))
	if err != nil {
		t.Fatal(err)
	}
	if !byHash.Revoked() {
		t.Fatal("lookup by hash does not show the revocation")
	}
	_, err = s.RevokeAPIKey(ctx, p.ID, "key_missing", first)
	wantErr(t, err, store.ErrNotFound)
}

func testAPIKeyRevokeOtherProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	kb := mustKey(t, s, b.ID, "b")
	_, err := s.RevokeAPIKey(ctx, a.ID, kb.ID, clock.System.Now())
	wantErr(t, err, store.ErrNotFound)
	got, err := s.APIKeyByHash(ctx, []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Revoked() {
		t.Fatal("project A revoked project B's key")
	}
}

func testConcurrentWrites(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := s.CreateAPIKey(context.Background(), store.APIKey{ProjectID: p.ID, Name: "k", Prefix: "p", Hash: fmt.Appendf(nil, "h%d", i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent create: %v", err)
		}
	}
	keys, err := s.ListAPIKeys(context.Background(), p.ID, store.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n {
		t.Fatalf("got %d keys, want %d", len(keys), n)
	}
}

func testProfileRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	created, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{
		ProjectID: p.ID, ConnectorKey: "employmenthero", Name: "EH prod", ClientID: "cid",
		ClientSecret: "s3cr3t ✓ with unicode", EnabledActions: []string{"a", "b"},
		Environment: "sandbox", ExtraScopes: []string{"x:read"}, Default: true, Enabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConnectorProfile(context.Background(), p.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !equalProfile(got, created) {
		t.Fatalf("got %+v, want %+v", got, created)
	}
	empty, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "n", ClientID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.GetConnectorProfile(context.Background(), p.ID, empty.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientSecret != "" || got.EnabledActions == nil || len(got.EnabledActions) != 0 {
		t.Fatalf("empty secret and actions came back as %q %#v", got.ClientSecret, got.EnabledActions)
	}
}

func equalProfile(a, b store.ConnectorProfile) bool {
	return a.ID == b.ID && a.ProjectID == b.ProjectID && a.ConnectorKey == b.ConnectorKey && a.Name == b.Name &&
		a.ClientID == b.ClientID && a.ClientSecret == b.ClientSecret && a.SecretSet == b.SecretSet && slices.Equal(a.EnabledActions, b.EnabledActions) &&
		a.Environment == b.Environment && slices.Equal(a.ExtraScopes, b.ExtraScopes) && a.Default == b.Default && a.Enabled == b.Enabled &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func testProfileNeedsProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	_, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{ProjectID: "prj_missing", ConnectorKey: "justworks", Name: "n", ClientID: "c"})
	wantErr(t, err, store.ErrNotFound)
}

func testProfilesIsolatedByProject(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	pa := mustProfile(t, s, a.ID, "secret-a")
	pb := mustProfile(t, s, b.ID, "secret-b")
	_, err := s.GetConnectorProfile(ctx, a.ID, pb.ID)
	wantErr(t, err, store.ErrNotFound)
	list, err := s.ListConnectorProfiles(ctx, a.ID, store.ProfileFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !equalProfile(list[0], listed(pa)) {
		t.Fatalf("project A profiles: %+v", list)
	}
}

// listed is a profile as lists return it: its secret stored, not opened.
func listed(p store.ConnectorProfile) store.ConnectorProfile {
	p.ClientSecret, p.SecretSet = "", true
	return p
}

// testListKeepsSecretsSealed: a profile whose secret cannot be opened (a
// damaged row) is listed with the others, and only reading it fails.
func testListKeepsSecretsSealed(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	good := mustProfile(t, s, p.ID, "secret-good")
	bad := mustProfile(t, s, p.ID, "secret-bad")
	db.Exec(t, `UPDATE connector_profiles SET client_secret = substr(client_secret, 1, length(client_secret) - 1) ||
		CASE WHEN substr(client_secret, length(client_secret), 1) = 'A' THEN 'B' ELSE 'A' END WHERE id = '`+bad.ID+`'`)
	list, err := s.ListConnectorProfiles(ctx, p.ID, store.ProfileFilter{})
	if err != nil {
		t.Fatalf("one damaged secret failed the list: %v", err)
	}
	if len(list) != 2 || !equalProfile(list[0], listed(good)) || list[1].ID != bad.ID || !list[1].SecretSet || list[1].ClientSecret != "" {
		t.Fatalf("profiles: %+v", list)
	}
	_, err = s.GetConnectorProfile(ctx, p.ID, bad.ID)
	wantErr(t, err, secrets.ErrOpen)
	if got, err := s.GetConnectorProfile(ctx, p.ID, good.ID); err != nil || got.ClientSecret != "secret-good" || !got.SecretSet {
		t.Fatalf("the good profile: %+v, %v", got, err)
	}
}

func testSecretMovedToAnotherRow(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	from := mustProfile(t, s, p.ID, "secret-from")
	to := mustProfile(t, s, p.ID, "secret-to")
	db.Exec(t, `UPDATE connector_profiles SET client_secret = (SELECT client_secret FROM connector_profiles WHERE id = '`+from.ID+`') WHERE id = '`+to.ID+`'`)
	_, err := s.GetConnectorProfile(ctx, p.ID, to.ID)
	wantErr(t, err, secrets.ErrOpen)
	if _, err := s.GetConnectorProfile(ctx, p.ID, from.ID); err != nil {
		t.Fatalf("the original row stopped opening: %v", err)
	}
}

func testTamperedSecret(t *testing.T, db Database) {
	s := openDefault(t, db)
	p := mustProject(t, s, "Acme")
	prof := mustProfile(t, s, p.ID, "secret")
	// Replace the ciphertext's last character with a different one.
	db.Exec(t, `UPDATE connector_profiles SET client_secret = substr(client_secret, 1, length(client_secret) - 1) ||
		CASE WHEN substr(client_secret, length(client_secret), 1) = 'A' THEN 'B' ELSE 'A' END WHERE id = '`+prof.ID+`'`)
	_, err := s.GetConnectorProfile(context.Background(), p.ID, prof.ID)
	wantErr(t, err, secrets.ErrOpen)
}

func testSecretNeedsItsKey(t *testing.T, db Database) {
	s1 := db.Open(t, Ring(t, Key(t, "k1")))
	p := mustProject(t, s1, "Acme")
	prof := mustProfile(t, s1, p.ID, "secret")
	s2 := db.Open(t, Ring(t, Key(t, "k2")))
	_, err := s2.GetConnectorProfile(context.Background(), p.ID, prof.ID)
	wantErr(t, err, secrets.ErrOpen)
}

func testRotateSecrets(t *testing.T, db Database) {
	ctx := context.Background()
	k1, k2 := Key(t, "k1"), Key(t, "k2")
	p, want := seedSecrets(t, db.Open(t, Ring(t, k1)), 7)
	both := db.Open(t, Ring(t, k2, k1))
	var reports []int
	n, err := both.RotateSecrets(ctx, 3, func(done int) { reports = append(reports, done) })
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 || !slices.Equal(reports, []int{3, 6, 7}) {
		t.Fatalf("rotated %d with progress %v, want 7 with [3 6 7]", n, reports)
	}
	if n, err := both.RotateSecrets(ctx, 3, nil); err != nil || n != 0 {
		t.Fatalf("second rotation: %d, %v; want 0, nil", n, err)
	}
	onlyNew := db.Open(t, Ring(t, k2))
	assertSecrets(t, onlyNew, p.ID, want)
}

// seedSecrets stores n profiles in a new project and returns their secrets by id.
func seedSecrets(t *testing.T, s store.Store, n int) (store.Project, map[string]string) {
	t.Helper()
	p := mustProject(t, s, "Acme")
	want := map[string]string{}
	for i := range n {
		prof := mustProfile(t, s, p.ID, fmt.Sprintf("secret-%d", i))
		want[prof.ID] = prof.ClientSecret
	}
	return p, want
}

func assertSecrets(t *testing.T, s store.Store, projectID string, want map[string]string) {
	t.Helper()
	profiles, err := s.ListConnectorProfiles(context.Background(), projectID, store.ProfileFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != len(want) {
		t.Fatalf("got %d profiles, want %d", len(profiles), len(want))
	}
	for _, listed := range profiles {
		prof, err := s.GetConnectorProfile(context.Background(), projectID, listed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if prof.ClientSecret != want[prof.ID] {
			t.Fatalf("profile %s secret = %q, want %q", prof.ID, prof.ClientSecret, want[prof.ID])
		}
	}
}

func testRotateResumes(t *testing.T, db Database) {
	k1, k2 := Key(t, "k1"), Key(t, "k2")
	p, want := seedSecrets(t, db.Open(t, Ring(t, k1)), 5)
	both := db.Open(t, Ring(t, k2, k1))
	ctx, cancel := context.WithCancel(context.Background())
	first, err := both.RotateSecrets(ctx, 2, func(int) { cancel() })
	if err == nil || first != 2 {
		t.Fatalf("interrupted rotation: %d, %v; want 2 and an error", first, err)
	}
	rest, err := both.RotateSecrets(context.Background(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first+rest != 5 {
		t.Fatalf("rotated %d then %d, want 5 in all", first, rest)
	}
	assertSecrets(t, db.Open(t, Ring(t, k2)), p.ID, want)
}

func testRotateBadBatch(t *testing.T, db Database) {
	s := openDefault(t, db)
	if _, err := s.RotateSecrets(context.Background(), 0, nil); err == nil {
		t.Fatal("batch size 0 accepted")
	}
}

func testPing(t *testing.T, db Database) {
	s := openDefault(t, db)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("ping with a cancelled context succeeded")
	}
}

// Keys and profiles are listed a window at a time, oldest first: each exactly
// once across the windows, whatever their creation times share; a profile
// filter applies before the window.
func testListWindows(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, other := mustProject(t, s, "A"), mustProject(t, s, "B")
	mustKey(t, s, other.ID, "other")
	var keys []string
	for i := range 7 {
		keys = append(keys, mustKey(t, s, p.ID, fmt.Sprint("k", i)).ID)
	}
	var seen []string
	w := store.Window{Limit: 3}
	for {
		got, err := s.ListAPIKeys(ctx, p.ID, w)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range got {
			seen = append(seen, k.ID)
		}
		if len(got) < w.Limit {
			break
		}
		last := got[len(got)-1]
		w.After = &store.ListKey{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	all, err := s.ListAPIKeys(ctx, p.ID, store.Window{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range all {
		want = append(want, k.ID)
	}
	if !slices.Equal(seen, want) || len(seen) != 7 {
		t.Fatalf("keys by windows of 3: %v, want %v (created %v)", seen, want, keys)
	}

	var enabledJW []string
	for i := range 6 {
		prof := store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: fmt.Sprint("p", i), ClientID: "c", ClientSecret: "s", Enabled: i%3 != 0}
		if i%2 == 1 {
			prof.ConnectorKey = "employmenthero"
		}
		created, err := s.CreateConnectorProfile(ctx, prof)
		if err != nil {
			t.Fatal(err)
		}
		if prof.ConnectorKey == "justworks" && prof.Enabled {
			enabledJW = append(enabledJW, created.ID)
		}
	}
	enabled := true
	f := store.ProfileFilter{ConnectorKey: "justworks", Enabled: &enabled, Window: store.Window{Limit: 1}}
	seen = nil
	for {
		got, err := s.ListConnectorProfiles(ctx, p.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		seen = append(seen, got[0].ID)
		f.After = &store.ListKey{CreatedAt: got[0].CreatedAt, ID: got[0].ID}
	}
	slices.Sort(seen)
	slices.Sort(enabledJW)
	if !slices.Equal(seen, enabledJW) || len(seen) != 2 {
		t.Fatalf("enabled Justworks profiles one at a time: %v, want %v", seen, enabledJW)
	}
}

// The suite writes through these as the services do: the services decide
// which events a change emits and which statuses follow; the store writes
// what it is given in the change's transaction.

// updateAccount writes a's fields with an account.updated event.
func updateAccount(ctx context.Context, s store.Store, a store.Account) (store.Account, error) {
	return s.UpdateAccount(ctx, a.ProjectID, a.ID, func(store.Account) (store.AccountEdit, error) {
		return store.AccountEdit{Account: a, Event: store.EventAccountUpdated}, nil
	})
}

// deleteAccount removes an account with an account.deleted event.
func deleteAccount(ctx context.Context, s store.Store, projectID, id string) error {
	_, err := s.DeleteAccount(ctx, projectID, id, func(store.Account) (string, error) { return store.EventAccountDeleted, nil })
	return err
}

// updateProfile writes p; a change of Enabled moves the profile's active
// accounts to inactive (or back), each with an account.updated event.
func updateProfile(ctx context.Context, s store.Store, p store.ConnectorProfile) (store.ConnectorProfile, error) {
	return s.UpdateConnectorProfile(ctx, p.ProjectID, p.ID, func(cur store.ConnectorProfile) (store.ProfileChange, error) {
		change := store.ProfileChange{Profile: p}
		if cur.Enabled != p.Enabled {
			from, to := store.StatusActive, store.StatusInactive
			if p.Enabled {
				from, to = to, from
			}
			change.Cascade = &store.StatusCascade{From: from, To: to, Event: store.EventAccountUpdated}
		}
		return change, nil
	})
}

// deleteProfile removes a profile no account uses; ErrConflict otherwise.
func deleteProfile(ctx context.Context, s store.Store, projectID, id string) error {
	return s.DeleteConnectorProfile(ctx, projectID, id, func(_ store.ConnectorProfile, accounts int) error {
		if accounts > 0 {
			return store.ErrConflict
		}
		return nil
	})
}
