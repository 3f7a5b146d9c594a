package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// raceRounds is how often each race is run per backend: sixty races per test
// across the two backends, each of six or eight requests at once.
const raceRounds = 30

// statuses runs n requests at once and returns their statuses.
func statuses(t *testing.T, n int, do func(i int) (*http.Response, error)) []int {
	t.Helper()
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := do(i)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			out[i] = resp.StatusCode
		})
	}
	wg.Wait()
	return out
}

// race is one round of a linking race: a fresh attempt of a session that
// allows multiple accounts, so that a second account would show, not be merged.
type race struct {
	e              *linkEnv
	b              *browserless
	link           string
	attempt, start string
}

// eachRace runs round raceRounds times on each backend, each time with a
// fresh attempt for provider, then checks that every round linked one account.
func eachRace(t *testing.T, provider string, round func(t *testing.T, r race)) {
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, backend)
			b := newBrowserless(t)
			for n := range raceRounds {
				link := e.session(t, `,"provider":"`+provider+`","multiple":true`)
				attempt, start := e.startAttempt(t, link)
				round(t, race{e: e, b: b, link: link, attempt: attempt, start: start})
				if got := len(listAccounts(t, e, "?page_size=500")); got != n+1 {
					t.Fatalf("round %d: %d accounts, want %d", n, got, n+1)
				}
				accountID(t, e.attempt(t, link, attempt))
			}
		})
	}
}

// A double click on "Continue": eight setup posts at once for one attempt link
// one account; one post answers 200, the others 409, none a 5xx.
func TestConcurrentSetupPostsLinkOneAccount(t *testing.T) {
	t.Parallel()
	eachRace(t, "employmenthero", func(t *testing.T, r race) {
		e, b, link, attempt, start := r.e, r.b, r.link, r.attempt, r.start
		resp, _ := b.get(e.authorize(t, b, start, "owner@acme.test", "approve"))
		setup, _ := e.attempt(t, resp.Header.Get("Location"), attempt)["setup"].(map[string]any)
		if setup == nil {
			t.Fatal("the Employment Hero owner was not asked to pick an organisation")
		}
		value := setup["options"].([]any)[0].(map[string]any)["value"].(string)
		token := mustQuery(t, link, "token")
		got := statuses(t, 8, func(int) (*http.Response, error) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/hub/connection_attempts/"+attempt+"/setup", strings.NewReader(`{"value":"`+value+`"}`))
			req.Header.Set("X-Hub-Session-Token", token)
			req.Header.Set("Content-Type", "application/json")
			return http.DefaultClient.Do(req)
		})
		won := 0
		for _, st := range got {
			switch st {
			case http.StatusOK:
				won++
			case http.StatusConflict:
			default:
				t.Fatalf("a setup post answered %d (all: %v)", st, got)
			}
		}
		if won != 1 {
			t.Fatalf("%d setup posts won: %v", won, got)
		}
	})
}

// Six callbacks for one end user, each from its own connect session and
// attempt (tabs, retries, nodes), arrive at once: one account for the owner,
// and every browser is sent back to the Hub, none sees a 5xx.
func TestConcurrentCallbacksLinkOneAccount(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, backend)
			b := newBrowserless(t)
			for n := range raceRounds {
				var callbacks []string
				for range 6 {
					link := e.session(t, fmt.Sprintf(`,"provider":"justworks","origin_owner_id":"owner_%d"`, n))
					_, start := e.startAttempt(t, link)
					callbacks = append(callbacks, e.authorize(t, b, start, "admin@acme.test", "approve"))
				}
				got := statuses(t, len(callbacks), func(i int) (*http.Response, error) { return b.client.Get(callbacks[i]) })
				for _, st := range got {
					if st != http.StatusFound {
						t.Fatalf("round %d: a callback answered %d (all: %v)", n, st, got)
					}
				}
				if owners := len(listAccounts(t, e, fmt.Sprintf("?origin_owner_id=owner_%d", n))); owners != 1 {
					t.Fatalf("round %d: %d accounts for one owner, want 1", n, owners)
				}
			}
		})
	}
}

// A callback for an attempt the user cancelled, or for a session that expired
// while the user was at the provider, shows a page that says so and links nothing.
func TestCallbacksForCancelledOrExpiredAttemptsLinkNothing(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, backend)
			b := newBrowserless(t)
			link := e.session(t, `,"provider":"justworks"`)
			attempt, start := e.startAttempt(t, link)
			callback := e.authorize(t, b, start, "admin@acme.test", "approve")
			req, _ := http.NewRequest("DELETE", e.srv.URL+"/hub/connection_attempts/"+attempt, nil)
			req.Header.Set("X-Hub-Session-Token", mustQuery(t, link, "token"))
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("cancel: %v %v", resp, err)
			}
			resp, page := b.get(callback)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "cancelled") || !strings.Contains(page, "Nothing was connected") {
				t.Fatalf("callback of a cancelled attempt: %d\n%s", resp.StatusCode, page)
			}
			if got := e.attempt(t, link, attempt)["status"]; got != "cancelled" {
				t.Fatalf("the cancelled attempt reads %v", got)
			}

			short := e.session(t, `,"provider":"justworks","expires_in":60`)
			_, start = e.startAttempt(t, short)
			callback = e.authorize(t, b, start, "admin@acme.test", "approve")
			e.clk.Advance(2 * time.Minute) // the user took too long at the provider
			resp, page = b.get(callback)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "expired") || !strings.Contains(page, "new link") {
				t.Fatalf("callback after the session expired: %d\n%s", resp.StatusCode, page)
			}
			if n := len(listAccounts(t, e, "")); n != 0 {
				t.Fatalf("%d accounts after refused callbacks", n)
			}
		})
	}
}

func mustQuery(t *testing.T, raw, name string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("no %s in %s", name, raw)
	}
	return u.Query().Get(name)
}
