package main_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// countingReceiver counts deliveries by webhook-id and knows which are being
// answered; delay, when set, holds each answer.
type countingReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	seen     map[string]int
	inFlight map[string]bool
	delay    atomic.Int64 // nanoseconds
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	r := &countingReceiver{seen: map[string]int{}, inFlight: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.seen[id]++
		r.inFlight[id] = true
		r.mu.Unlock()
		select { // the receiver is slow to answer, as some are
		case <-time.After(time.Duration(r.delay.Load())):
		case <-req.Context().Done():
		}
		r.mu.Lock()
		delete(r.inFlight, id)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *countingReceiver) snapshot() (seen map[string]int, inFlight map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen, inFlight = map[string]int{}, map[string]bool{}
	for k, v := range r.seen {
		seen[k] = v
	}
	for k := range r.inFlight {
		inFlight[k] = true
	}
	return seen, inFlight
}

// webhookedProject creates, through the CLI, a project and a webhook for
// account.created to a new receiver, and a Justworks profile in the store.
func webhookedProject(t *testing.T, dbURL string, key secrets.Key, environ []string) (*countingReceiver, string, *sqlstore.Store, store.ConnectorProfile) {
	t.Helper()
	if out, errOut, code := run(t, t.TempDir(), environ, "projects", "create", "--name", "Acme"); code != 0 {
		t.Fatalf("projects create: %d %s %s", code, out, errOut)
	}
	r := newCountingReceiver(t)
	out, errOut, code := run(t, t.TempDir(), environ, "webhooks", "create", "--url", r.URL+"/hooks", "--events", "account.created")
	if code != 0 || !strings.Contains(out, "whsec_") {
		t.Fatalf("webhooks create: %d %s %s", code, out, errOut)
	}
	ring, _ := secrets.NewKeyring(key)
	s := backendtest.OpenURL(t, dbURL, ring)
	projects, _ := s.ListProjects(context.Background())
	prof, err := s.CreateConnectorProfile(context.Background(), store.ConnectorProfile{ProjectID: projects[0].ID, ConnectorKey: "justworks",
		Name: "JW", ClientID: "id", ClientSecret: "secret", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return r, regexp.MustCompile(`wh_[a-z0-9]+`).FindString(out), s, prof
}

// TestWebhooksAcrossTwoNodes: two serve nodes on one PostgreSQL deliver 1,000
// account events, each exactly once, sharing the work. Then node A is killed
// with deliveries in flight: node B delivers them; only those may arrive twice.
func TestWebhooksAcrossTwoNodes(t *testing.T) {
	t.Parallel() // most of it is waiting for the queue to rescue the dead node's jobs
	dbURL := pgtest.NewSchema(t)
	k, _ := secrets.GenerateKey("k1")
	environ := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k), "PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true")
	a, b := launch(t, t.TempDir(), environ), launch(t, t.TempDir(), environ)
	a.waitListening(t)
	b.waitListening(t)
	r, hook, s, prof := webhookedProject(t, dbURL, k, environ)
	ctx := context.Background()
	link := func(n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					if _, err := s.CreateAccount(ctx, store.Account{ProjectID: prof.ProjectID, ProfileID: prof.ID, Provider: "justworks",
						OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, store.EventAccountCreated); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}

	// Each answer takes a moment, so that one node alone could not keep up
	// and both take deliveries however fast the queue is.
	r.delay.Store(int64(20 * time.Millisecond))
	link(1000)
	testwait.For(t, "1,000 deliveries", func() bool { seen, _ := r.snapshot(); return len(seen) == 1000 })
	seen, _ := r.snapshot()
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s arrived %d times", id, n)
		}
	}
	var workers int
	if err := s.DB().QueryRow(`SELECT COUNT(DISTINCT attempted_by[array_length(attempted_by, 1)]) FROM river_job WHERE kind = 'webhook_delivery'`).Scan(&workers); err != nil {
		t.Fatal(err)
	}
	if workers != 2 {
		t.Fatalf("deliveries were sent by %d nodes, want both", workers)
	}

	// Node A dies with deliveries in flight.
	r.delay.Store(int64(2 * time.Second))
	link(40)
	testwait.For(t, "deliveries in flight", func() bool { _, busy := r.snapshot(); return len(busy) >= 4 })
	a.cmd.Process.Kill()
	a.cmd.Wait()
	// In flight when A died: events the receiver had been sent whose delivery
	// no node had recorded yet. A's stay unrecorded until B takes them over;
	// only those may arrive twice.
	sent, busy := r.snapshot()
	r.delay.Store(0)
	unrecorded := map[string]bool{}
	rows, err := s.DB().Query(`SELECT event_id FROM webhook_deliveries WHERE status = 'pending'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		unrecorded[id] = true
	}
	rows.Close()
	inFlight := map[string]bool{}
	for id := range sent {
		if unrecorded[id] {
			inFlight[id] = true
		}
	}
	t.Logf("killed node A: %d deliveries being answered, %d sent and unrecorded across both nodes", len(busy), len(inFlight))
	var pending int
	if !testwait.Try(3*time.Minute, func() bool {
		seen, _ = r.snapshot()
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return len(seen) == 1040 && pending == 0
	}) {
		t.Fatalf("%d of 1,040 events arrived, %d deliveries not done", len(seen), pending)
	}
	for id, n := range seen {
		if n > 1 && !inFlight[id] {
			t.Fatalf("event %s arrived %d times but was not in flight when node A died", id, n)
		}
	}
	out, errOut, code := run(t, t.TempDir(), environ, "webhooks", "deliveries", hook, "--limit", "3")
	if code != 0 || strings.Count(out, "succeeded") != 3 {
		t.Fatalf("webhooks deliveries: %d\n%s%s", code, out, errOut)
	}
	b.stop(t)
}

// TestANodeWithOtherKeysRefusesToStart: a node started with different
// encryption keys on the same PostgreSQL joined the job queue and claimed
// webhook deliveries it could not sign. It now exits at start, naming the key
// ids it has and those the data needs, before it claims anything; a node with
// the right key then delivers the event.
func TestANodeWithOtherKeysRefusesToStart(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewSchema(t)
	k1, _ := secrets.GenerateKey("k1")
	k2, _ := secrets.GenerateKey("k2")
	right := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k1), "PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true")
	r, _, s, prof := webhookedProject(t, dbURL, k1, right)
	ctx := context.Background()
	if _, err := s.CreateAccount(ctx, store.Account{ProjectID: prof.ProjectID, ProfileID: prof.ID, Provider: "justworks",
		OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, store.EventAccountCreated); err != nil {
		t.Fatal(err)
	}

	wrong := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k2), "PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true")
	n := launch(t, t.TempDir(), wrong)
	exited := make(chan error, 1)
	go func() {
		for line := range n.lines {
			if listeningPattern.MatchString(line) {
				t.Error("the node with other keys started listening")
			}
		}
		exited <- n.cmd.Wait()
	}()
	select {
	case err := <-exited:
		msg := n.stderr.String()
		if err == nil || !strings.Contains(msg, "PATCHBAY_ENCRYPTION_KEYS") || !strings.Contains(msg, "k1") || !strings.Contains(msg, "k2") {
			t.Fatalf("the node with other keys: %v\n%s", err, msg)
		}
	case <-time.After(testwait.Limit):
		t.Fatal("the node with other keys is still running")
	}
	var jobs int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_delivery'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 {
		t.Fatalf("the node with other keys queued %d deliveries", jobs)
	}
	// The node with the right key delivers the event.
	launch(t, t.TempDir(), right).waitListening(t)
	testwait.For(t, "the delivery", func() bool { seen, _ := r.snapshot(); return len(seen) == 1 })
}
