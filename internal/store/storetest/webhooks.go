package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

// collector keeps the deliveries the store hands over to queue.
type collector struct {
	mu  sync.Mutex
	got []store.WebhookDelivery
}

func (c *collector) add(d []store.WebhookDelivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, d...)
}

// dispatch dispatches up to limit events through s and keeps the
// deliveries to queue.
func (c *collector) dispatch(t *testing.T, s store.Store, limit int) {
	t.Helper()
	_, queue, err := s.DispatchEvents(context.Background(), limit)
	if err != nil {
		t.Error(err)
	}
	c.add(queue)
}

// record records an attempt and keeps the delivery it says to queue next.
func (c *collector) record(t *testing.T, s store.Store, d store.WebhookDelivery, o store.AttemptOutcome) store.WebhookEndpoint {
	t.Helper()
	ep, next, err := s.RecordWebhookAttempt(context.Background(), d, o)
	if err != nil {
		t.Fatalf("record attempt %d of %s: %v", o.Attempt.Attempt, d.ID, err)
	}
	c.add(next)
	return ep
}

func (c *collector) types() []string {
	var out []string
	for _, d := range c.got {
		out = append(out, d.EventType)
	}
	return out
}

func mustEndpoint(t *testing.T, s store.Store, projectID string, events ...string) store.WebhookEndpoint {
	t.Helper()
	e, err := s.CreateWebhookEndpoint(context.Background(), store.WebhookEndpoint{ProjectID: projectID, URL: "https://hooks.example.test/" + projectID,
		Events: events, Enabled: true, Secrets: []store.WebhookSecret{{Secret: "whsec_" + projectID, CreatedAt: clock.System.Now()}}})
	if err != nil {
		t.Fatalf("create webhook endpoint: %v", err)
	}
	return e
}

func dispatchAll(t *testing.T, s store.Store, c *collector) {
	t.Helper()
	c.dispatch(t, s, 100)
	if t.Failed() {
		t.FailNow()
	}
}

// deliverAll dispatches every event and delivers each queued delivery of
// an account, so that the account's next one is queued in turn.
func deliverAll(t *testing.T, s store.Store, c *collector) {
	t.Helper()
	dispatchAll(t, s, c)
	for i := 0; i < len(c.got); i++ {
		if d := c.got[i]; d.AccountID != "" {
			c.record(t, s, d, store.AttemptOutcome{Status: store.DeliverySucceeded,
				Attempt: store.WebhookAttempt{Attempt: 1, StartedAt: clock.System.Now(), StatusCode: 200}})
		}
	}
}

// Every account change, whichever method makes it, records its event in the
// same transaction, in commit order, and no event carries a credential.
func testEventsFollowAccountChanges(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "Acme")
	mustEndpoint(t, s, p.ID)
	prof := mustProfile(t, s, p.ID, "secret")
	a := mustAccount(t, s, prof, "t1")
	a.Label = "renamed"
	if _, err := updateAccount(ctx, s, a); err != nil {
		t.Fatal(err)
	}
	setStatus := func(st store.AccountStatus, event string) {
		t.Helper()
		if _, err := s.LockAccount(ctx, p.ID, a.ID, func(store.Account) (store.AccountChange, error) {
			return store.AccountChange{Status: st, StatusReasons: []store.StatusReason{{Code: string(st), Description: "test"}}, Event: event}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(store.StatusError, store.EventAccountError)
	setStatus(store.StatusError, "") // no event asked, none written
	setStatus(store.StatusActive, store.EventAccountRecovered)
	setStatus(store.StatusExpired, store.EventAccountExpired)
	setStatus(store.StatusActive, store.EventAccountRecovered)
	// A refresh that only writes tokens is no event.
	if _, err := s.LockAccount(ctx, p.ID, a.ID, func(store.Account) (store.AccountChange, error) {
		return store.AccountChange{Credentials: &store.Credentials{AccessToken: "at-new", RefreshToken: "rt-new"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// (mustProfile's profile starts disabled, with active accounts: enabling it moves none.)
	for _, enabled := range []bool{true, false, true} {
		prof.Enabled = enabled
		if _, err := updateProfile(ctx, s, prof); err != nil {
			t.Fatal(err)
		}
	}
	if err := deleteAccount(ctx, s, p.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	deliverAll(t, s, c)
	want := []string{store.EventAccountCreated, store.EventAccountUpdated, store.EventAccountError, store.EventAccountRecovered,
		store.EventAccountExpired, store.EventAccountRecovered, store.EventAccountUpdated, store.EventAccountUpdated, store.EventAccountDeleted}
	if got := c.types(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", got, want)
	}
	var statuses []string
	for i, d := range c.got {
		if i > 0 && d.EventSeq <= c.got[i-1].EventSeq {
			t.Fatalf("events out of order: %+v", c.got)
		}
		ev, err := s.GetEvent(ctx, p.ID, d.EventID)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"at-", "rt-", "secret\""} {
			if strings.Contains(string(ev.Data), secret) {
				t.Fatalf("event %s carries a credential: %s", ev.Type, ev.Data)
			}
		}
		if !strings.Contains(string(ev.Data), `"account_id":"`+a.ID+`"`) {
			t.Fatalf("event data %s does not name the account", ev.Data)
		}
		statuses = append(statuses, strings.Split(strings.Split(string(ev.Data), `"status":"`)[1], `"`)[0])
	}
	if got := strings.Join(statuses[6:8], ","); got != "inactive,active" {
		t.Fatalf("profile disable and enable report statuses %s", got)
	}
	// Dispatched events are not taken again.
	again := &collector{}
	dispatchAll(t, s, again)
	if len(again.got) != 0 {
		t.Fatalf("dispatched again: %v", again.types())
	}
}

// The events of a link are created, then updated by a re-link.
func testEventsOfLinks(t *testing.T, db Database) {
	f := newLinkFixture(t, db, store.ConnectSession{})
	mustEndpoint(t, f.s, f.cs.ProjectID)
	for _, token := range []string{"first", "second"} {
		if _, _, err := f.link(f.attempt(t), token); err != nil {
			t.Fatal(err)
		}
	}
	c := &collector{}
	deliverAll(t, f.s, c)
	if got := strings.Join(c.types(), ","); got != "account.created,account.updated" {
		t.Fatalf("events = %s", got)
	}
}

// Endpoints filter what they are sent; disabled ones get nothing; an event
// meant for one endpoint reaches only it; other projects see nothing.
func testDispatchRoutesEvents(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, other := mustProject(t, s, "A"), mustProject(t, s, "B")
	all := mustEndpoint(t, s, p.ID)
	deletedOnly := mustEndpoint(t, s, p.ID, store.EventAccountDeleted)
	off := mustEndpoint(t, s, p.ID)
	if _, err := s.UpdateWebhookEndpoint(ctx, p.ID, off.ID, func(e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		e.Enabled = false
		return e, nil
	}); err != nil {
		t.Fatal(err)
	}
	otherEndpoint := mustEndpoint(t, s, other.ID)
	a := mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	if err := deleteAccount(ctx, s, p.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEvent(ctx, store.Event{ProjectID: p.ID, Type: store.EventWebhookTest, EndpointID: deletedOnly.ID, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	deliverAll(t, s, c)
	got := map[string][]string{}
	for _, d := range c.got {
		got[d.EndpointID] = append(got[d.EndpointID], d.EventType)
	}
	// The test event goes to the endpoint it names, whatever that one subscribes to.
	if strings.Join(got[all.ID], ",") != "account.created,account.deleted" || strings.Join(got[deletedOnly.ID], ",") != "account.deleted,webhook.test" ||
		len(got[off.ID]) != 0 || len(got[otherEndpoint.ID]) != 0 {
		t.Fatalf("deliveries by endpoint: %v", got)
	}
}

// A delivery handed to the queue that was never attempted is stranded once
// it is older than the sweep's cutoff: a crash may have kept it from the
// queue. One attempted, or handed over after the cutoff, is not.
func testStrandedDeliveries(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	mustEndpoint(t, s, p.ID)
	prof := mustProfile(t, s, p.ID, "secret")
	mustAccount(t, s, prof, "t1")
	mustAccount(t, s, prof, "t2")
	c := &collector{}
	dispatchAll(t, s, c) // and the caller "crashes": nothing is queued
	if len(c.got) != 2 {
		t.Fatalf("deliveries to queue: %+v", c.got)
	}
	at := clock.System.Now()
	if got, err := s.StrandedDeliveries(ctx, at.Add(-time.Minute), 10); err != nil || len(got) != 0 {
		t.Fatalf("stranded before they were made: %+v, %v", got, err)
	}
	got, err := s.StrandedDeliveries(ctx, at.Add(time.Minute), 10)
	if err != nil || len(got) != 2 || !sameIDs(got, c.got) {
		t.Fatalf("stranded: %+v, %v; want %+v", got, err, c.got)
	}
	c.record(t, s, got[0], store.AttemptOutcome{Status: store.DeliveryPending, NextAttemptAt: at.Add(time.Minute), Failing: true,
		Attempt: store.WebhookAttempt{Attempt: 1, StartedAt: at, StatusCode: 503, Error: "the endpoint answered 503"}})
	if again, err := s.StrandedDeliveries(ctx, at.Add(time.Minute), 10); err != nil || len(again) != 1 || again[0].ID != got[1].ID {
		t.Fatalf("stranded after an attempt of one: %+v, %v", again, err)
	}
}

func sameIDs(a, b []store.WebhookDelivery) bool {
	ids := map[string]bool{}
	for _, d := range a {
		ids[d.ID] = true
	}
	for _, d := range b {
		if !ids[d.ID] {
			return false
		}
	}
	return len(a) == len(b)
}

// Nodes dispatching at once take each event exactly once.
func testDispatchConcurrentNodes(t *testing.T, db Database) {
	ring := Ring(t, Key(t, "k1"))
	nodes := []store.Store{db.Open(t, ring), db.Open(t, ring)}
	p := mustProject(t, nodes[0], "A")
	mustEndpoint(t, nodes[0], p.ID)
	prof := mustProfile(t, nodes[0], p.ID, "secret")
	const n = 60
	c := &collector{}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			node := nodes[i%2]
			for range n / 4 {
				mustAccount(t, node, prof, "t")
				c.dispatch(t, node, 7)
			}
		})
	}
	wg.Wait()
	dispatchAll(t, nodes[1], c)
	seen := map[string]bool{}
	for _, d := range c.got {
		if seen[d.EventID] {
			t.Fatalf("event %s dispatched twice", d.EventID)
		}
		seen[d.EventID] = true
	}
	if len(seen) != n {
		t.Fatalf("dispatched %d events, want %d", len(seen), n)
	}
}

// Endpoints keep their secrets sealed, apart per project.
func testWebhookEndpointRoundTrip(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p, other := mustProject(t, s, "A"), mustProject(t, s, "B")
	e := mustEndpoint(t, s, p.ID, store.EventAccountCreated)
	got, err := s.GetWebhookEndpoint(ctx, p.ID, e.ID)
	if err != nil || got.URL != e.URL || len(got.Secrets) != 1 || got.Secrets[0].Secret != "whsec_"+p.ID ||
		strings.Join(got.Events, ",") != store.EventAccountCreated || !got.Enabled {
		t.Fatalf("got %+v, %v", got, err)
	}
	db.Exec(t, `UPDATE webhook_endpoints SET description = secrets WHERE id = '`+e.ID+`'`)
	raw, err := s.GetWebhookEndpoint(ctx, p.ID, e.ID)
	if err != nil || strings.Contains(raw.Description, "whsec_") {
		t.Fatalf("secrets are stored in the clear: %q, %v", raw.Description, err)
	}
	_, err = s.GetWebhookEndpoint(ctx, other.ID, e.ID)
	wantErr(t, err, store.ErrNotFound)
	keep := func(store.WebhookEndpoint) error { return nil }
	wantErr(t, s.DeleteWebhookEndpoint(ctx, other.ID, e.ID, keep), store.ErrNotFound)
	failing := clock.System.Now().UTC().Truncate(time.Second)
	updated, err := s.UpdateWebhookEndpoint(ctx, p.ID, e.ID, func(cur store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		cur.Secrets = append([]store.WebhookSecret{{Secret: "whsec_new", CreatedAt: clock.System.Now()}}, cur.Secrets...)
		cur.FailingSince = failing
		return cur, nil
	})
	if err != nil || len(updated.Secrets) != 2 || updated.Secrets[0].Secret != "whsec_new" || !updated.FailingSince.Equal(failing) || updated.Version != got.Version+1 {
		t.Fatalf("update: %+v, %v", updated, err)
	}
	if stored, err := s.GetWebhookEndpoint(ctx, p.ID, e.ID); err != nil || stored.Version != updated.Version || len(stored.Secrets) != 2 {
		t.Fatalf("stored after the update: %+v, %v", stored, err)
	}
	refused := errors.New("refused")
	if _, err := s.UpdateWebhookEndpoint(ctx, p.ID, e.ID, func(store.WebhookEndpoint) (store.WebhookEndpoint, error) { return store.WebhookEndpoint{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("a refused update: %v", err)
	}
	wantErr(t, s.DeleteWebhookEndpoint(ctx, p.ID, e.ID, func(store.WebhookEndpoint) error { return store.ErrConflict }), store.ErrConflict)
	if list, err := s.ListWebhookEndpoints(ctx, other.ID); err != nil || len(list) != 0 {
		t.Fatalf("another project lists %v, %v", list, err)
	}
	if err := s.DeleteWebhookEndpoint(ctx, p.ID, e.ID, keep); err != nil {
		t.Fatal(err)
	}
}

// Attempts are logged; failures date the endpoint's trouble and a success
// clears it; deliveries page newest first; a delivery waits for the
// account's earlier one; a redelivery repeats the event.
func testWebhookDeliveryLog(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	e := mustEndpoint(t, s, p.ID)
	a := mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	if err := deleteAccount(ctx, s, p.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	dispatchAll(t, s, c)
	// The account's second delivery is made, but queued only once the first ends.
	if len(c.got) != 1 {
		t.Fatalf("dispatch queued %d deliveries of one account, want the first only", len(c.got))
	}
	first := c.got[0]
	made, err := s.ListWebhookDeliveries(ctx, p.ID, store.DeliveryFilter{EndpointID: e.ID, Limit: 10})
	if err != nil || len(made) != 2 || (made[0].ID != first.ID && made[1].ID != first.ID) {
		t.Fatalf("deliveries made: %+v, %v", made, err)
	}
	second := made[0]
	if second.ID == first.ID {
		second = made[1] // both made in one transaction: the same time
	}
	waitingOn := func(d store.WebhookDelivery) (store.Earlier, error) {
		out, err := s.OutgoingDelivery(ctx, d.ProjectID, d.ID)
		return out.Earlier, err
	}
	// What sending needs, read at once.
	out, err := s.OutgoingDelivery(ctx, p.ID, first.ID)
	if err != nil || out.Delivery.ID != first.ID || out.Delivery.EventType != store.EventAccountCreated || out.Event.ID != first.EventID ||
		out.Event.Type != store.EventAccountCreated || len(out.Event.Data) == 0 || out.Endpoint.ID != e.ID || out.Endpoint.URL != e.URL ||
		len(out.Endpoint.Secrets) != 1 || out.Endpoint.Secrets[0].Secret != "whsec_"+p.ID {
		t.Fatalf("outgoing: %+v, %v", out, err)
	}
	_, err = s.OutgoingDelivery(ctx, mustProject(t, s, "C").ID, first.ID)
	wantErr(t, err, store.ErrNotFound)
	if waiting, err := waitingOn(second); err != nil || waiting.ID != first.ID || !waiting.NextAttemptAt.IsZero() {
		t.Fatalf("second waits on %+v, %v; want %s, not tried yet", waiting, err, first.ID)
	}
	if waiting, err := waitingOn(first); err != nil || waiting.ID != "" {
		t.Fatalf("first waits on %+v, %v", waiting, err)
	}
	start := clock.System.Now().UTC().Truncate(time.Millisecond)
	ep := c.record(t, s, first, store.AttemptOutcome{Status: store.DeliveryPending, NextAttemptAt: start.Add(time.Minute), Failing: true,
		Attempt: store.WebhookAttempt{Attempt: 1, StartedAt: start, StatusCode: 503, Error: "the endpoint answered 503", DurationMS: 12}})
	if !ep.FailingSince.Equal(start) || len(c.got) != 1 {
		t.Fatalf("after a failure the endpoint is %+v; %d queued", ep, len(c.got))
	}
	// A second failure keeps the time the trouble began.
	if ep = c.record(t, s, first, store.AttemptOutcome{Status: store.DeliveryPending, NextAttemptAt: start.Add(time.Minute), Failing: true,
		Attempt: store.WebhookAttempt{Attempt: 2, StartedAt: start.Add(time.Millisecond), StatusCode: 503, Error: "the endpoint answered 503"}}); !ep.FailingSince.Equal(start) {
		t.Fatalf("after a second failure the endpoint is failing since %s, want %s", ep.FailingSince, start)
	}
	if waiting, err := waitingOn(second); err != nil || !waiting.NextAttemptAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("second waits on %+v, %v; want the first's retry time", waiting, err)
	}
	later := start.Add(time.Second)
	c.record(t, s, first, store.AttemptOutcome{Status: store.DeliverySucceeded,
		Attempt: store.WebhookAttempt{Attempt: 3, StartedAt: later, StatusCode: 200, DurationMS: 3}})
	if ep, err = s.GetWebhookEndpoint(ctx, p.ID, e.ID); err != nil || !ep.FailingSince.IsZero() {
		t.Fatalf("after a success the endpoint is %+v, %v", ep, err)
	}
	if len(c.got) != 2 || c.got[1].ID != second.ID {
		t.Fatalf("the first ended; queued %+v, want the second next", c.got)
	}
	if waiting, err := waitingOn(second); err != nil || waiting.ID != "" {
		t.Fatalf("second still waits on %q, %v", waiting, err)
	}
	again, err := s.Redeliver(ctx, p.ID, first.ID)
	if err != nil || again.EventID != first.EventID || again.ID == first.ID || again.Status != store.DeliveryPending {
		t.Fatalf("redeliver: %+v, %v", again, err)
	}
	_, err = s.Redeliver(ctx, mustProject(t, s, "B").ID, first.ID)
	wantErr(t, err, store.ErrNotFound)
	page, err := s.ListWebhookDeliveries(ctx, p.ID, store.DeliveryFilter{EndpointID: e.ID, Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != again.ID {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	rest, err := s.ListWebhookDeliveries(ctx, p.ID, store.DeliveryFilter{EndpointID: e.ID, Limit: 2, Before: page[1].ID})
	if err != nil || len(rest) != 1 {
		t.Fatalf("second page: %+v, %v", rest, err)
	}
	var logged store.WebhookDelivery
	for _, d := range append(page, rest...) {
		if d.ID == first.ID {
			logged = d
		}
	}
	if logged.Status != store.DeliverySucceeded || logged.Attempts != 3 || logged.LastStatusCode != 200 || len(logged.AttemptLog) != 3 ||
		logged.AttemptLog[0].Attempt != 3 || logged.AttemptLog[2].StatusCode != 503 || logged.AttemptLog[2].Error == "" ||
		logged.EventType != store.EventAccountCreated {
		t.Fatalf("delivery log: %+v", logged)
	}
	// Retention removes dispatched events with their deliveries.
	if n, err := s.DeleteEventsBefore(ctx, clock.System.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("deleted %d events, %v", n, err)
	}
	if list, err := s.ListWebhookDeliveries(ctx, p.ID, store.DeliveryFilter{EndpointID: e.ID, Limit: 10}); err != nil || len(list) != 0 {
		t.Fatalf("deliveries outlived their events: %v, %v", list, err)
	}
}

// An endpoint whose secrets cannot be opened still gets its deliveries
// routed, and does not stop anyone else's: only sending needs the secrets.
func testDispatchPastADamagedEndpoint(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	p := mustProject(t, s, "A")
	damaged, healthy := mustEndpoint(t, s, p.ID), mustEndpoint(t, s, p.ID)
	db.Exec(t, `UPDATE webhook_endpoints SET secrets = 'damaged' WHERE id = '`+damaged.ID+`'`)
	mustAccount(t, s, mustProfile(t, s, p.ID, "secret"), "t1")
	c := &collector{}
	dispatchAll(t, s, c)
	if len(c.got) != 2 {
		t.Fatalf("deliveries: %+v", c.got)
	}
	_, err := s.GetWebhookEndpoint(ctx, p.ID, damaged.ID)
	wantErr(t, err, store.ErrSealed)
	for _, d := range c.got {
		out, err := s.OutgoingDelivery(ctx, p.ID, d.ID)
		if d.EndpointID == damaged.ID {
			wantErr(t, err, store.ErrSealed)
			if out.Delivery.ID != d.ID || out.Event.ID != d.EventID || out.Endpoint.ID != damaged.ID {
				t.Fatalf("a delivery to the damaged endpoint reads %+v", out)
			}
		} else if err != nil || len(out.Endpoint.Secrets) != 1 {
			t.Fatalf("a delivery to the healthy endpoint reads %+v, %v", out, err)
		}
	}
	for _, d := range c.got {
		if ep := c.record(t, s, d, store.AttemptOutcome{Status: store.DeliveryFailed, Failing: true,
			Attempt: store.WebhookAttempt{Attempt: 1, StartedAt: clock.System.Now(), Error: "x"}}); ep.FailingSince.IsZero() {
			t.Fatalf("record an attempt to %s: %+v", d.EndpointID, ep)
		}
	}
	if got, err := s.GetWebhookEndpoint(ctx, p.ID, healthy.ID); err != nil || len(got.Secrets) != 1 {
		t.Fatalf("the healthy endpoint: %+v, %v", got, err)
	}
}
