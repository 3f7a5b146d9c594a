package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/jobs"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// The retry schedule spans at least three days, grows, and stays within its jitter.
func TestRetryDelaySpansThreeDays(t *testing.T) {
	var total time.Duration
	for attempt := 1; attempt < MaxAttempts; attempt++ {
		d := RetryDelay(42, attempt)
		base := min(time.Duration(1)<<attempt*time.Second, 4*time.Hour)
		if d < base*8/10 || d > base*12/10 {
			t.Fatalf("attempt %d waits %s, outside %s ±20%%", attempt, d, base)
		}
		total += d
	}
	if total < 72*time.Hour || total > 5*24*time.Hour {
		t.Fatalf("retries span %s, want three to five days", total)
	}
	if RetryDelay(1, 5) == RetryDelay(2, 5) && RetryDelay(3, 5) == RetryDelay(4, 5) {
		t.Fatal("no jitter between jobs")
	}
}

// Without PATCHBAY_WEBHOOK_ALLOW_PRIVATE, private targets are refused when
// the endpoint is saved and when a delivery dials, and redirects are not followed.
func TestPrivateTargetsRefused(t *testing.T) {
	s := &Service{}
	for _, u := range []string{"http://127.0.0.1:9/x", "https://10.1.2.3/", "http://[::1]/", "http://localhost:8080/", "http://169.254.169.254/latest", "http://100.64.0.1/"} {
		err := s.checkURL(u)
		if p, ok := err.(*problem.Error); !ok || p.Kind != problem.Invalid || !strings.Contains(p.Message, "PATCHBAY_WEBHOOK_ALLOW_PRIVATE") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := s.checkURL("https://hooks.example.com/patchbay"); err != nil {
		t.Errorf("a public URL is refused: %v", err)
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	// A name that resolves to a loopback address is refused when dialled.
	host := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	_, err := s.client(1).Get(host)
	if err == nil || !strings.Contains(err.Error(), "refused to connect") {
		t.Fatalf("dialling loopback: %v", err)
	}
	allowed := &Service{allowPrivate: true}
	if err := allowed.checkURL("http://localhost:8080/"); err != nil {
		t.Fatalf("allowed private: %v", err)
	}
	redirect := httptest.NewServer(http.RedirectHandler("http://example.com/", http.StatusFound))
	defer redirect.Close()
	resp, err := allowed.client(1).Post(redirect.URL, "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("a redirect was followed: %v %v", resp, err)
	}
	resp.Body.Close()
}

// After a rotation the old secret keeps signing for the overlap and stops at
// its end, by the service's clock, forwards and backwards.
func TestRotationOverlapFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	st := backendtest.SQLite.OpenWithClock(t, backendtest.TestKeys(t), clk)
	s := New(Options{Store: st, Jobs: jobs.New(jobs.Options{Driver: st.QueueDriver()}), Clock: clk})
	p, err := st.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	hook := "https://hooks.example.com/patchbay"
	e, first, err := s.Create(ctx, p.ID, Input{URL: &hook})
	if err != nil {
		t.Fatal(err)
	}
	e, second, err := s.RotateSecret(ctx, p.ID, e.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		at   time.Duration
		want []string
	}{{time.Hour - time.Nanosecond, []string{second, first}}, {time.Hour, []string{second}}, {time.Minute, []string{second, first}}} {
		if got := signingSecrets(e, start.Add(step.at)); !slices.Equal(got, step.want) {
			t.Fatalf("signing secrets %s after the rotation: %d, want %d", step.at, len(got), len(step.want))
		}
	}
}
