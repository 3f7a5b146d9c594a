package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// TestChangesSeenByEveryNodeAtOnce: each node keeps what a call on an account
// read (the key, the account, its profile) and checks it by row versions on
// the next call. A change made through one node — an action taken off the
// profile, the profile disabled, the key revoked — decides the very next call
// on every node, both of which have served the account before.
func TestChangesSeenByEveryNodeAtOnce(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnvOn(t, b)
			acc := e.linkProvider(t, "justworks", "admin@acme.test")
			nodes := []*fixture{e.fixture, {srv: e.secondNode(t)}}
			call := func(key string) []int {
				t.Helper()
				var got []int
				for range 2 { // the call that meets the change, and the one after
					for _, n := range nodes {
						st, _, _ := n.do(t, "POST", "/actions/rpc", basic(key), `{"action":"justworks_get_company"}`, "X-Account-Id", acc)
						got = append(got, st)
					}
				}
				return got
			}
			want := func(after string, got []int, status int) {
				t.Helper()
				for i, st := range got {
					if st != status {
						t.Fatalf("after %s, call %d on node %d answered %d, want %d (all: %v)", after, i/2+1, i%2, st, status, got)
					}
				}
			}
			patchProfile := func(body string) {
				t.Helper()
				if st, _, out := e.do(t, "PATCH", "/connector_profiles/"+profileOf(t, e, acc), basic(e.keyA), body); st != http.StatusOK {
					t.Fatalf("update profile: %d %v", st, out)
				}
			}
			want("linking", call(e.keyA), http.StatusOK)

			enabled := enabledActions(t, e, profileOf(t, e, acc))
			without, _ := json.Marshal(slices.DeleteFunc(slices.Clone(enabled), func(a string) bool { return a == "justworks_get_company" }))
			patchProfile(`{"enabled_actions":` + string(without) + `}`)
			want("taking the action off the profile", call(e.keyA), http.StatusForbidden)
			all, _ := json.Marshal(enabled)
			patchProfile(`{"enabled_actions":` + string(all) + `}`)
			want("putting it back", call(e.keyA), http.StatusOK)

			st, _, out := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"second"}`)
			if st != http.StatusCreated {
				t.Fatalf("second key: %d %v", st, out)
			}
			second := out["key"].(string)
			want("a second key", call(second), http.StatusOK)
			if st, _, out := e.do(t, "DELETE", "/api_keys/"+out["id"].(string), basic(e.keyA), ""); st != http.StatusOK {
				t.Fatalf("revoke: %d %v", st, out)
			}
			want("revoking the second key", call(second), http.StatusUnauthorized)

			patchProfile(`{"enabled":false}`)
			want("disabling the profile", call(e.keyA), http.StatusPreconditionFailed)
		})
	}
}

// profileOf returns the id of an account's connector profile.
func profileOf(t *testing.T, e *linkEnv, accountID string) string {
	t.Helper()
	st, _, out := e.do(t, "GET", "/accounts/"+accountID, basic(e.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("account: %d %v", st, out)
	}
	return out["connector_profile_id"].(string)
}

// enabledActions returns a connector profile's enabled actions.
func enabledActions(t *testing.T, e *linkEnv, profileID string) []string {
	t.Helper()
	st, _, out := e.do(t, "GET", "/connector_profiles/"+profileID, basic(e.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("profile: %d %v", st, out)
	}
	var ids []string
	for _, a := range out["enabled_actions"].([]any) {
		ids = append(ids, a.(string))
	}
	return ids
}
