package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
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
	}))
	t.Cleanup(r.Close)
	return r
}

// await waits for n accepted deliveries and returns them.
func (r *receiver) await(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := append([]delivery(nil), r.deliveries...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the receiver got %d deliveries, want %d", len(r.deliveries), n)
	return nil
}

// deliver runs the webhook delivery of e's node until the test ends.
func (e *linkEnv) deliver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.services.Webhooks.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhook delivery stopped: %v", err)
		}
	})
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
			wantStatus := []string{"active", "active", "inactive", "active", "error", "error"}
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
			// The delivery log agrees: six deliveries, each done at its first attempt.
			st, _, log := e.do(t, "GET", "/webhooks/"+hook+"/deliveries", basic(e.keyA), "")
			entries, _ := log["data"].([]any)
			if st != http.StatusOK || len(entries) != 6 {
				t.Fatalf("delivery log: %d %v", st, log)
			}
			for _, entry := range entries {
				d := entry.(map[string]any)
				if d["status"] != "succeeded" || d["attempts"] != float64(1) || len(d["attempt_log"].([]any)) != 1 {
					t.Fatalf("delivery %v", d)
				}
			}
			if n := r.requests.Load(); n != 6 {
				t.Fatalf("the receiver was called %d times, want 6", n)
			}
		})
	}
}
