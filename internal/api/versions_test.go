package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// Two admins on two nodes PATCH one profile with the ETag they both read:
// exactly one change lands, the other is refused with 412; stale If-Match on
// an account is refused too, and the answers carry the new ETag.
func TestIfMatchRefusesLostUpdates(t *testing.T) {
	t.Parallel()
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			keys := backendtest.TestKeys(t)
			url := b.URL(t)
			f := newFixture(t, backendtest.OpenURL(t, url, keys))
			other := *f
			other.srv = newServer(t, backendtest.OpenURL(t, url, keys))

			st, h, body := f.do(t, "POST", "/connector_profiles", basic(f.keyA), `{"connector_key":"justworks","client_id":"c","client_secret":"s"}`)
			if st != http.StatusCreated || h.Get("ETag") == "" {
				t.Fatalf("create: %d %q %v", st, h.Get("ETag"), body)
			}
			id := body["id"].(string)
			_, h, _ = other.do(t, "GET", "/connector_profiles/"+id, basic(f.keyA), "")
			etag := h.Get("ETag")
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i, node := range []*fixture{f, &other} {
				wg.Go(func() {
					codes[i], _, _ = node.do(t, "PATCH", "/connector_profiles/"+id, basic(f.keyA), `{"name":"node `+string(rune('A'+i))+`"}`, "If-Match", etag)
				})
			}
			wg.Wait()
			if !(codes[0] == http.StatusOK && codes[1] == http.StatusPreconditionFailed) && !(codes[1] == http.StatusOK && codes[0] == http.StatusPreconditionFailed) {
				t.Fatalf("two PATCHes with one If-Match answered %v; want one 200 and one 412", codes)
			}
			if st, _, _ := f.do(t, "DELETE", "/connector_profiles/"+id, basic(f.keyA), "", "If-Match", etag); st != http.StatusPreconditionFailed {
				t.Fatalf("a stale DELETE answered %d", st)
			}
			if st, _, _ := f.do(t, "PATCH", "/connector_profiles/"+id, basic(f.keyA), `{"name":"x"}`, "If-Match", `"not-a-version"`); st != http.StatusPreconditionFailed {
				t.Fatalf("a foreign If-Match answered %d", st)
			}

			acc, err := f.store.CreateAccount(context.Background(), store.Account{ProjectID: f.projectA.ID, ProfileID: id, Provider: "justworks",
				OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			_, h, _ = f.do(t, "GET", "/accounts/"+acc.ID, basic(f.keyA), "")
			read := h.Get("ETag")
			st, h, _ = other.do(t, "PATCH", "/accounts/"+acc.ID, basic(f.keyA), `{"label":"first"}`, "If-Match", read)
			if st != http.StatusOK || h.Get("ETag") == read || h.Get("ETag") == "" {
				t.Fatalf("PATCH with the current ETag: %d, ETag %q (read %q)", st, h.Get("ETag"), read)
			}
			if st, _, body := f.do(t, "PATCH", "/accounts/"+acc.ID, basic(f.keyA), `{"label":"second"}`, "If-Match", read); st != http.StatusPreconditionFailed {
				t.Fatalf("PATCH with a stale ETag: %d %v", st, body)
			}
			if st, _, _ := f.do(t, "DELETE", "/accounts/"+acc.ID, basic(f.keyA), "", "If-Match", read); st != http.StatusPreconditionFailed {
				t.Fatalf("DELETE with a stale ETag: %d", st)
			}
			if _, _, body := f.do(t, "GET", "/accounts/"+acc.ID, basic(f.keyA), ""); body["label"] != "first" {
				t.Fatalf("a refused write changed the account: %v", body["label"])
			}

			st, _, body = f.do(t, "POST", "/webhooks", basic(f.keyA), `{"url":"https://hooks.example.com/patchbay"}`)
			if st != http.StatusCreated {
				t.Fatalf("create webhook: %d %v", st, body)
			}
			hook := "/webhooks/" + body["id"].(string)
			_, h, _ = other.do(t, "GET", hook, basic(f.keyA), "")
			read = h.Get("ETag")
			if st, h, _ = f.do(t, "POST", hook+"/rotate_secret", basic(f.keyA), `{}`); st != http.StatusOK {
				t.Fatalf("rotate: %d", st)
			}
			for _, try := range []struct{ method, body string }{{"PATCH", `{"description":"mine"}`}, {"DELETE", ""}} {
				if st, _, body := other.do(t, try.method, hook, basic(f.keyA), try.body, "If-Match", read); st != http.StatusPreconditionFailed {
					t.Fatalf("%s of a webhook rotated since its ETag: %d %v", try.method, st, body)
				}
			}
			_, h, _ = f.do(t, "GET", hook, basic(f.keyA), "")
			if st, h2, _ := other.do(t, "PATCH", hook, basic(f.keyA), `{"description":"mine"}`, "If-Match", h.Get("ETag")); st != http.StatusOK || h2.Get("ETag") == h.Get("ETag") {
				t.Fatalf("PATCH with the current ETag: %d, ETag %q", st, h2.Get("ETag"))
			}
		})
	}
}
