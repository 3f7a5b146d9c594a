package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// receiver is an integrator's webhook endpoint: it keeps every delivery and
// answers with status() (200 unless set).
type receiver struct {
	*httptest.Server
	mu         sync.Mutex
	deliveries []delivery
	status     atomic.Int32
	requests   atomic.Int32
}

type delivery struct {
	header http.Header
	body   []byte
	event  map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.requests.Add(1)
		status := int(r.status.Load())
		if status == http.StatusOK {
			var event map[string]any
			if err := json.Unmarshal(body, &event); err != nil {
				t.Errorf("delivery is not JSON: %s", body)
			}
			r.mu.Lock()
			r.deliveries = append(r.deliveries, delivery{header: req.Header.Clone(), body: body, event: event})
			r.mu.Unlock()
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "thanks for %s", req.Header.Get("Webhook-Id")) // what the delivery log keeps the start of
	}))
	t.Cleanup(r.Close)
	return r
}

// await waits for n accepted deliveries and returns them.
func (r *receiver) await(t *testing.T, n int) []delivery {
	t.Helper()
	var got []delivery
	testwait.For(t, fmt.Sprintf("%d deliveries at the receiver", n), func() bool {
		r.mu.Lock()
		got = append([]delivery(nil), r.deliveries...)
		r.mu.Unlock()
		return len(got) >= n
	})
	return got
}

// deliver runs the background jobs of e's node (webhook deliveries, syncs) until the test ends.
func (e *linkEnv) deliver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.services.RunJobs(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhook delivery stopped: %v", err)
		}
	})
}

// awaitDeliveries waits until the webhook's log shows n deliveries, all
// succeeded, and checks each with check.
func (e *linkEnv) awaitDeliveries(t *testing.T, hook string, n int, check func(map[string]any)) {
	t.Helper()
	var entries []any
	testwait.For(t, fmt.Sprintf("%d succeeded deliveries in the log", n), func() bool {
		st, _, log := e.do(t, "GET", "/webhooks/"+hook+"/deliveries", basic(e.keyA), "")
		if st != http.StatusOK {
			t.Fatalf("delivery log: %d %v", st, log)
		}
		entries, _ = log["data"].([]any)
		done := 0
		for _, entry := range entries {
			if entry.(map[string]any)["status"] == "succeeded" {
				done++
			}
		}
		return len(entries) == n && done == n
	})
	for _, entry := range entries {
		check(entry.(map[string]any))
	}
}

// createWebhook registers url for the project and returns its id and secret.
func (e *linkEnv) createWebhook(t *testing.T, body string) (string, string) {
	t.Helper()
	st, _, out := e.do(t, "POST", "/webhooks", basic(e.keyA), body)
	if st != http.StatusCreated {
		t.Fatalf("create webhook: %d %v", st, out)
	}
	secret, _ := out["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("no signing secret in %v", out)
	}
	return out["id"].(string), secret
}

// stackOneSignature is how a receiver written for StackOne checks a
// delivery: base64url HMAC-SHA256 of the raw body under the secret as given.
func stackOneSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestWebhookAccountLifecycle: link, re-link, disable the profile (and enable
// it again), a refresh refused with invalid_grant, delete: the receiver gets
// each event once, in order, signed, with no credential in it.
func TestWebhookAccountLifecycle(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, b)
			e.deliver(t)
			r := newReceiver(t)
			hook, secret := e.createWebhook(t, `{"url":"`+r.URL+`/hooks","description":"CRM sync"}`)

			acc := e.linkProvider(t, "justworks", "admin@acme.test")
			if again := e.linkProvider(t, "justworks", "admin@acme.test"); again != acc {
				t.Fatalf("re-link made a new account %s", again)
			}
			_, _, view := e.do(t, "GET", "/accounts/"+acc, basic(e.keyA), "")
			profile := view["connector_profile_id"].(string)
			for _, enabled := range []string{"false", "true"} {
				if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"enabled":`+enabled+`}`); st != http.StatusOK {
					t.Fatalf("profile enabled=%s: %d %v", enabled, st, body)
				}
			}
			e.expire(t, acc)
			jw, _ := e.sb.Provider("justworks")
			jw.Faults.Add(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
			if st, body := e.rpc(t, acc, `{"action":"justworks_get_company"}`); st != http.StatusPreconditionFailed {
				t.Fatalf("call after invalid_grant: %d %v", st, body)
			}
			if st, _, body := e.do(t, "DELETE", "/accounts/"+acc, basic(e.keyA), ""); st != http.StatusOK {
				t.Fatalf("delete: %d %v", st, body)
			}

			got := r.await(t, 6)
			want := []string{"account.created", "account.updated", "account.updated", "account.updated", "account.error", "account.deleted"}
			wantStatus := []string{"active", "active", "inactive", "active", "error", "deleted"}
			ids := map[string]bool{}
			for i, d := range got {
				id := d.header.Get("webhook-id")
				if ids[id] || id != d.event["id"] {
					t.Fatalf("delivery %d: webhook-id %q repeated or not the event id %v", i, id, d.event["id"])
				}
				ids[id] = true
				data, _ := d.event["data"].(map[string]any)
				if d.event["type"] != want[i] || d.event["event"] != want[i] || data["account_id"] != acc || d.event["account_id"] != acc ||
					data["status"] != wantStatus[i] || data["provider"] != "justworks" || data["origin_owner_id"] != "cust_42" {
					t.Fatalf("delivery %d: %s, want %s with status %s", i, d.body, want[i], wantStatus[i])
				}
				if sig := d.header.Get("x-stackone-signature"); !hmac.Equal([]byte(sig), []byte(stackOneSignature(secret, d.body))) {
					t.Fatalf("delivery %d: x-stackone-signature %q does not verify", i, sig)
				}
				if !strings.HasPrefix(d.header.Get("webhook-signature"), "v1,") || d.header.Get("webhook-timestamp") == "" {
					t.Fatalf("delivery %d: Standard Webhooks headers missing: %v", i, d.header)
				}
				for _, secretish := range []string{"access_token", "refresh_token", "Bearer"} {
					if strings.Contains(string(d.body), secretish) {
						t.Fatalf("delivery %d carries %s: %s", i, secretish, d.body)
					}
				}
			}
			reasons, _ := got[4].event["data"].(map[string]any)["status_reasons"].([]any)
			if len(reasons) != 1 {
				t.Fatalf("account.error without its reason: %s", got[4].body)
			}
			// The delivery log agrees, once the last outcome is recorded (the
			// receiver has the delivery a moment before): six deliveries, each
			// done at its first attempt.
			e.awaitDeliveries(t, hook, 6, func(d map[string]any) {
				if d["attempts"] != float64(1) || len(d["attempt_log"].([]any)) != 1 {
					t.Fatalf("delivery %v", d)
				}
			})
			if n := r.requests.Load(); n != 6 {
				t.Fatalf("the receiver was called %d times, want 6", n)
			}
		})
	}
}

// TestWebhookReceiverOutage: while the receiver answers 503 the events wait;
// once it answers 200 they arrive, with the same ids, in order, and the
// delivery log shows the failed attempts.
func TestWebhookReceiverOutage(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.deliver(t)
	r := newReceiver(t)
	r.status.Store(http.StatusServiceUnavailable)
	hook, _ := e.createWebhook(t, `{"url":"`+r.URL+`","events":["account.created","account.deleted"]}`)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	if st, _, body := e.do(t, "DELETE", "/accounts/"+acc, basic(e.keyA), ""); st != http.StatusOK {
		t.Fatalf("delete: %d %v", st, body)
	}
	// Wait until the first delivery has failed twice, then end the outage.
	testwait.For(t, "two failed attempts", func() bool { return r.requests.Load() >= 2 })
	st, _, log := e.do(t, "GET", "/webhooks/"+hook+"/deliveries", basic(e.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("delivery log: %d %v", st, log)
	}
	var failing map[string]any
	for _, entry := range log["data"].([]any) {
		if d := entry.(map[string]any); d["event_type"] == "account.created" {
			failing = d
		}
	}
	if failing["status"] != "pending" || failing["last_status_code"] != float64(503) || failing["next_retry_at"] == nil {
		t.Fatalf("during the outage the delivery is %v", failing)
	}
	r.status.Store(http.StatusOK)

	got := r.await(t, 2)
	if got[0].event["type"] != "account.created" || got[1].event["type"] != "account.deleted" {
		t.Fatalf("after the outage: %s then %s", got[0].body, got[1].body)
	}
	if got[0].header.Get("webhook-id") != failing["event_id"] {
		t.Fatalf("the event arrived as %s, was sent as %s", got[0].header.Get("webhook-id"), failing["event_id"])
	}
	_, _, log = e.do(t, "GET", "/webhooks/"+hook+"/deliveries", basic(e.keyA), "")
	for _, entry := range log["data"].([]any) {
		d := entry.(map[string]any)
		attempts := d["attempt_log"].([]any)
		if d["event_type"] != "account.created" {
			continue
		}
		if d["status"] != "succeeded" || len(attempts) < 3 || attempts[0].(map[string]any)["status_code"] != float64(200) ||
			attempts[len(attempts)-1].(map[string]any)["status_code"] != float64(503) || d["next_retry_at"] != nil {
			t.Fatalf("delivery log after the outage: %v", d)
		}
	}
	// A redelivery sends the same event again, under the same id.
	delivered := failing["id"].(string)
	if st, _, body := e.do(t, "POST", "/webhooks/"+hook+"/deliveries/"+delivered+"/redeliver", basic(e.keyA), ""); st != http.StatusAccepted {
		t.Fatalf("redeliver: %d %v", st, body)
	}
	if again := r.await(t, 3)[2]; again.header.Get("webhook-id") != failing["event_id"] {
		t.Fatalf("redelivered as %s", again.header.Get("webhook-id"))
	}
	e.awaitDeliveries(t, hook, 3, func(map[string]any) {})
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`patchbay_webhook_attempts_total{status="pending"} 2`, `patchbay_webhook_attempts_total{status="succeeded"} 3`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// verifyStandard checks a delivery's Standard Webhooks signature against secret.
func verifyStandard(d delivery, secret string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(d.header.Get("webhook-id") + "." + d.header.Get("webhook-timestamp") + "." + string(d.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(d.header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// TestWebhookSecretRotation: after a rotation both secrets verify until the
// overlap ends; then only the new one does.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.deliver(t)
	r := newReceiver(t)
	hook, old := e.createWebhook(t, `{"url":"`+r.URL+`"}`)
	st, _, rotated := e.do(t, "POST", "/webhooks/"+hook+"/rotate_secret", basic(e.keyA), `{"overlap_seconds":3600}`)
	fresh, _ := rotated["secret"].(string)
	if st != http.StatusOK || fresh == "" || fresh == old || len(rotated["secrets"].([]any)) != 2 {
		t.Fatalf("rotate: %d %v", st, rotated)
	}
	test := func() delivery {
		t.Helper()
		before := len(r.await(t, 0))
		if st, _, body := e.do(t, "POST", "/webhooks/"+hook+"/test", basic(e.keyA), ""); st != http.StatusAccepted {
			t.Fatalf("test: %d %v", st, body)
		}
		return r.await(t, before+1)[before]
	}
	during := test()
	if during.event["type"] != "webhook.test" || !verifyStandard(during, old) || !verifyStandard(during, fresh) {
		t.Fatalf("during the overlap: %v %s", during.header, during.body)
	}
	if during.header.Get("x-stackone-signature") != stackOneSignature(fresh, during.body) {
		t.Fatal("x-stackone-signature is not under the newest secret")
	}
	e.clk.Advance(time.Hour + time.Minute)
	after := test()
	if verifyStandard(after, old) || !verifyStandard(after, fresh) || len(strings.Fields(after.header.Get("webhook-signature"))) != 1 {
		t.Fatalf("after the overlap: %v", after.header)
	}
}

// TestWebhookEndpointDisabled: 410 Gone turns an endpoint off at once; one
// failing for five days is turned off too, and the project's other endpoints
// hear of it (webhook.disabled).
func TestWebhookEndpointDisabled(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.deliver(t)
	watcher := newReceiver(t)
	e.createWebhook(t, `{"url":"`+watcher.URL+`","events":["webhook.disabled"]}`)
	gone := newReceiver(t)
	gone.status.Store(http.StatusGone)
	goneHook, _ := e.createWebhook(t, `{"url":"`+gone.URL+`","events":["webhook.test"]}`)
	e.do(t, "POST", "/webhooks/"+goneHook+"/test", basic(e.keyA), "")
	first := watcher.await(t, 1)[0]
	if data := first.event["data"].(map[string]any); data["webhook_id"] != goneHook || !strings.Contains(data["reason"].(string), "410") {
		t.Fatalf("webhook.disabled: %s", first.body)
	}
	_, _, view := e.do(t, "GET", "/webhooks/"+goneHook, basic(e.keyA), "")
	if view["enabled"] != false || !strings.Contains(view["disabled_reason"].(string), "410") {
		t.Fatalf("after 410: %v", view)
	}
	if st, _, _ := e.do(t, "POST", "/webhooks/"+goneHook+"/test", basic(e.keyA), ""); st != http.StatusConflict {
		t.Fatalf("test on a disabled webhook: %d", st)
	}

	down := newReceiver(t)
	down.status.Store(http.StatusInternalServerError)
	downHook, _ := e.createWebhook(t, `{"url":"`+down.URL+`"}`)
	e.do(t, "POST", "/webhooks/"+downHook+"/test", basic(e.keyA), "")
	// The receiver sees the attempt before Patchbay has recorded its outcome.
	testwait.For(t, "the failure on the endpoint", func() bool {
		_, _, view = e.do(t, "GET", "/webhooks/"+downHook, basic(e.keyA), "")
		return view["failing_since"] != nil
	})
	if view["enabled"] != true || view["failing_since"] == nil {
		t.Fatalf("after one failure: %v", view)
	}
	e.clk.Advance(5*24*time.Hour + time.Minute)
	second := watcher.await(t, 2)[1]
	if data := second.event["data"].(map[string]any); data["webhook_id"] != downHook || !strings.Contains(data["reason"].(string), "failed for") {
		t.Fatalf("webhook.disabled after days of failures: %s", second.body)
	}
	// Enabling it again starts afresh.
	st, _, view := e.do(t, "PATCH", "/webhooks/"+downHook, basic(e.keyA), `{"enabled":true}`)
	if st != http.StatusOK || view["enabled"] != true || view["failing_since"] != nil || view["disabled_reason"] != nil ||
		len(view["secrets"].([]any)) != 1 {
		t.Fatalf("enable again (its secret kept through disabling): %d %v", st, view)
	}
}

// TestWebhookEndpointValidation: bad input is refused field by field; a
// runtime key cannot manage webhooks; other projects cannot see them; the
// secret is never shown again.
func TestWebhookEndpointValidation(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	r := newReceiver(t)
	for body, want := range map[string]string{
		`{}`:                                 "url: required",
		`{"url":"ftp://example.com/x"}`:      "url: give an absolute",
		`{"url":"https://u:p@example.com/"}`: "user name or password",
		`{"url":"https://example.com","events":["account.exploded"]}`:                    `events: "account.exploded" is not an event`,
		`{"url":"https://example.com","description":"` + strings.Repeat("x", 501) + `"}`: "description: at most 500",
	} {
		st, _, out := e.do(t, "POST", "/webhooks", basic(e.keyA), body)
		wantError(t, st, out, http.StatusBadRequest)
		if !strings.Contains(out["message"].(string), want) {
			t.Errorf("%s: message %q, want it to contain %q", body, out["message"], want)
		}
	}
	hook, _ := e.createWebhook(t, `{"url":"`+r.URL+`"}`)
	_, _, view := e.do(t, "GET", "/webhooks/"+hook, basic(e.keyA), "")
	_, _, list := e.do(t, "GET", "/webhooks", basic(e.keyA), "")
	for _, shown := range []map[string]any{view, list} {
		if b, _ := json.Marshal(shown); strings.Contains(string(b), "whsec_") {
			t.Fatalf("a secret is shown again: %s", b)
		}
	}
	other := e.otherProjectKey(t)
	for _, path := range []string{"/webhooks/" + hook, "/webhooks/" + hook + "/deliveries"} {
		if st, _, _ := e.do(t, "GET", path, basic(other), ""); st != http.StatusNotFound {
			t.Fatalf("another project reads %s: %d", path, st)
		}
	}
	st, _, _ := e.do(t, "DELETE", "/webhooks/"+hook, basic(other), "")
	if st != http.StatusNotFound {
		t.Fatalf("another project deletes the webhook: %d", st)
	}
	st, _, runtime := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"runtime","role":"runtime"}`)
	if st != http.StatusCreated {
		t.Fatalf("runtime key: %d", st)
	}
	if st, _, _ := e.do(t, "GET", "/webhooks", basic(runtime["key"].(string)), ""); st != http.StatusForbidden {
		t.Fatalf("a runtime key lists webhooks: %d", st)
	}
	if st, _, _ := e.do(t, "DELETE", "/webhooks/"+hook, basic(e.keyA), ""); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
}

// TestWebhookWithUnreadableSecrets: an endpoint whose secrets cannot be
// opened is sent nothing, its delivery log says why, and other endpoints are
// served as usual.
func TestWebhookWithUnreadableSecrets(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.deliver(t)
	broken, healthy := newReceiver(t), newReceiver(t)
	brokenHook, _ := e.createWebhook(t, `{"url":"`+broken.URL+`"}`)
	e.createWebhook(t, `{"url":"`+healthy.URL+`"}`)
	if _, err := e.store.DB().Exec(`UPDATE webhook_endpoints SET secrets = 'damaged' WHERE id = ?`, brokenHook); err != nil {
		t.Fatal(err)
	}
	e.linkProvider(t, "justworks", "admin@acme.test")
	healthy.await(t, 1)
	var d map[string]any
	testwait.For(t, "an attempt at the damaged endpoint's delivery", func() bool {
		_, _, log := e.do(t, "GET", "/webhooks/"+brokenHook+"/deliveries", basic(e.keyA), "")
		if entries, _ := log["data"].([]any); len(entries) == 1 {
			d = entries[0].(map[string]any)
			return d["attempts"] != float64(0)
		}
		return false
	})
	if d == nil || d["status"] != "pending" || !strings.Contains(fmt.Sprint(d["last_error"]), "signing secrets cannot be opened") || d["next_retry_at"] == nil {
		t.Fatalf("the damaged endpoint's delivery: %v", d)
	}
	if n := broken.requests.Load(); n != 0 {
		t.Fatalf("the damaged endpoint was sent %d requests", n)
	}
	if st, _, body := e.do(t, "GET", "/webhooks/"+brokenHook, basic(e.keyA), ""); st != http.StatusConflict || !strings.Contains(body["message"].(string), "cannot be opened") {
		t.Fatalf("GET the damaged webhook: %d %v", st, body)
	}
	if st, _, list := e.do(t, "GET", "/webhooks", basic(e.keyA), ""); st != http.StatusOK || len(list["data"].([]any)) != 2 {
		t.Fatalf("the list with a damaged webhook: %d %v", st, list)
	}
	if st, _, _ := e.do(t, "DELETE", "/webhooks/"+brokenHook, basic(e.keyA), ""); st != http.StatusNoContent {
		t.Fatalf("delete the damaged webhook: %d", st)
	}
}

// TestWebhookReceiverTooSlow: an endpoint that does not answer within the
// delivery timeout gets the attempt counted as failed, and the event again.
func TestWebhookReceiverTooSlow(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t) // delivery timeout 1 s
	e.deliver(t)
	var calls atomic.Int32
	got := make(chan string, 4)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select { // the first attempt hangs past the timeout
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return
		}
		got <- r.Header.Get("webhook-id")
	}))
	t.Cleanup(slow.Close)
	hook, _ := e.createWebhook(t, `{"url":"`+slow.URL+`","events":["webhook.test"]}`)
	if st, _, body := e.do(t, "POST", "/webhooks/"+hook+"/test", basic(e.keyA), ""); st != http.StatusAccepted {
		t.Fatalf("test: %d %v", st, body)
	}
	select {
	case <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the event never arrived after the slow attempt")
	}
	e.awaitDeliveries(t, hook, 1, func(d map[string]any) {
		attempts := d["attempt_log"].([]any)
		first := attempts[len(attempts)-1].(map[string]any)
		if len(attempts) != 2 || first["status_code"] != float64(0) || !strings.Contains(fmt.Sprint(first["error"]), "deadline exceeded") {
			t.Fatalf("delivery log: %v", d)
		}
	})
}

// TestWebhookEventsOfAnotherProcess: a delivery made due by a dispatcher
// that crashed before queueing it goes out after the sweep; on PostgreSQL an
// event another node or command commits is dispatched at once, told by the
// database, not at the next poll (an hour here), also after the listening
// connection was cut.
func TestWebhookEventsOfAnotherProcess(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnvWrapped(t, b, sandbox.Options{Members: 12}, nil, func(o *app.Options) { o.WebhookPoll = time.Hour })
			r := newReceiver(t)
			hook, _ := e.createWebhook(t, `{"url":"`+r.URL+`/hooks"}`)
			ctx := context.Background()
			prof, err := e.store.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: e.projectA.ID, ConnectorKey: "justworks", Name: "JW",
				ClientID: "id", ClientSecret: "secret", Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
			link := func() string {
				t.Helper()
				a, err := e.store.CreateAccount(ctx, store.Account{ProjectID: e.projectA.ID, ProfileID: prof.ID, Provider: "justworks",
					OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, store.EventAccountCreated)
				if err != nil {
					t.Fatal(err)
				}
				return a.ID
			}
			accountOf := func(d delivery) string {
				var body struct {
					Data store.AccountEventData `json:"data"`
				}
				if err := json.Unmarshal(d.body, &body); err != nil {
					t.Fatalf("delivery body: %v", err)
				}
				return body.Data.AccountID
			}

			// The node "crashed" after making the delivery due, before queueing it.
			stranded := link()
			if n, queue, err := e.store.DispatchEvents(ctx, 10); err != nil || n != 1 || len(queue) != 1 {
				t.Fatalf("dispatch: %d, %v, %v", n, queue, err)
			}
			e.deliver(t)
			e.clk.Advance(2 * time.Minute)
			e.services.Webhooks.Sweep(ctx)
			if got := r.await(t, 1); accountOf(got[0]) != stranded {
				t.Fatalf("the swept delivery is of %q, want %s", accountOf(got[0]), stranded)
			}
			if b.Name != "postgres" {
				return
			}
			// A test event made on this node goes out at once (the node nudges
			// its dispatcher); once it arrived, the dispatcher waits again.
			if st, _, body := e.do(t, "POST", "/webhooks/"+hook+"/test", basic(e.keyA), ""); st != http.StatusAccepted && st != http.StatusOK {
				t.Fatalf("test event: %d %v", st, body)
			}
			r.await(t, 2)
			told := link()
			if got := r.await(t, 3); accountOf(got[2]) != told {
				t.Fatalf("the third delivery is of %q, want %s", accountOf(got[2]), told)
			}
			// The listening connection dies (a database restart, a network
			// cut): the node listens again and is told of the next event.
			var schema string
			if err := e.store.DB().QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
				t.Fatal(err)
			}
			var killed int
			if err := e.store.DB().QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1`,
				`LISTEN "patchbay_events.`+schema+`"`).Scan(&killed); err != nil || killed != 1 {
				t.Fatalf("terminated %d listening connections, %v; want 1", killed, err)
			}
			again := link()
			if got := r.await(t, 4); accountOf(got[3]) != again {
				t.Fatalf("the fourth delivery is of %q, want %s", accountOf(got[3]), again)
			}
		})
	}
}
