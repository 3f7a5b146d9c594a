package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAccountsAPI(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	id := accountID(t, e.link(t, `,"label":"Main payroll","metadata":{"tier":"gold"}`))
	auth := basic(e.keyA)

	st, _, body := e.do(t, "GET", "/accounts/"+id, auth, "")
	if st != http.StatusOK || body["status"] != "active" || body["label"] != "Main payroll" || body["provider_name"] != "Justworks" {
		t.Fatalf("get: %d %v", st, body)
	}
	for _, forbidden := range []string{"credentials", "access_token", "refresh_token"} {
		if _, has := body[forbidden]; has {
			t.Fatalf("the account response carries %s", forbidden)
		}
	}
	if got := listAccounts(t, e, "?origin_owner_id=cust_42&status=active"); len(got) != 1 {
		t.Fatalf("filtered list: %v", got)
	}
	if got := listAccounts(t, e, "?providers[]=employmenthero"); len(got) != 0 {
		t.Fatalf("provider filter: %v", got)
	}

	st, _, body = e.do(t, "PATCH", "/accounts/"+id, auth, `{"label":"Renamed","metadata":{"tier":"platinum"}}`)
	if st != http.StatusOK || body["label"] != "Renamed" || body["metadata"].(map[string]any)["tier"] != "platinum" {
		t.Fatalf("patch: %d %v", st, body)
	}
	st, _, body = e.do(t, "PATCH", "/accounts/"+id, auth, `{"credentials":{"access_token":"x"}}`)
	wantError(t, st, body, http.StatusBadRequest)

	// Disabling the profile makes the account inactive; enabling restores it.
	_, _, acc := e.do(t, "GET", "/accounts/"+id, auth, "")
	profileID := acc["connector_profile_id"]
	e.do(t, "PATCH", "/connector_profiles/"+profileID.(string), auth, `{"enabled":false}`)
	if _, _, acc = e.do(t, "GET", "/accounts/"+id, auth, ""); acc["status"] != "inactive" {
		t.Fatalf("after disabling the profile: %v", acc["status"])
	}
	e.do(t, "PATCH", "/connector_profiles/"+profileID.(string), auth, `{"enabled":true}`)
	if _, _, acc = e.do(t, "GET", "/accounts/"+id, auth, ""); acc["status"] != "active" {
		t.Fatalf("after enabling the profile: %v", acc["status"])
	}

	// Deleting revokes the refresh token at the provider.
	full, err := e.store.GetAccount(context.Background(), e.projectA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	jw, _ := e.sb.Provider("justworks")
	if st, _, deleted := e.do(t, "DELETE", "/accounts/"+id, auth, ""); st != http.StatusOK || deleted["id"] != id || deleted["credentials"] != nil {
		t.Fatalf("delete: %d %v", st, deleted)
	}
	if jw.Stats.Get("token.revoked") != 1 {
		t.Fatalf("the provider saw %d revocations, want 1", jw.Stats.Get("token.revoked"))
	}
	resp, err := http.PostForm(e.srv.URL+"/sandbox/justworks/oauth/token", map[string][]string{"grant_type": {"refresh_token"},
		"refresh_token": {full.Credentials.RefreshToken}, "client_id": {"sandbox-justworks"}, "client_secret": {"sandbox-justworks-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the revoked refresh token still works: %d", resp.StatusCode)
	}
	st, _, body = e.do(t, "GET", "/accounts/"+id, auth, "")
	wantError(t, st, body, http.StatusNotFound)
	if !strings.Contains(body["message"].(string), id) {
		t.Fatalf("message %q", body["message"])
	}
}

// One account whose credentials cannot be opened (its key is gone, or the
// value is damaged) neither stops the list nor hides what is wrong with it.
func TestAnUnreadableAccountStaysInTheList(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	good := e.linkProvider(t, "justworks", "admin@acme.test")
	bad := e.linkFor(t, "justworks", "admin@globex.test", "cust_globex")
	if _, err := e.store.DB().Exec(`UPDATE accounts SET credentials = 'v1:gone:AAAA' WHERE id = ?`, bad); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/accounts?page_size=25", nil)
	req.SetBasicAuth(e.keyA, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(list) != 2 || list[1]["id"] != bad {
		t.Fatalf("list: %d %v", resp.StatusCode, list)
	}
	st, body := e.rpc(t, bad, `{"action":"justworks_get_company"}`)
	wantRPCError(t, st, body, http.StatusPreconditionFailed, "cannot be opened")
	if st, _ := e.rpc(t, good, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("the readable account: %d", st)
	}
	// Linking it again replaces what could not be opened.
	if again := e.linkFor(t, "justworks", "admin@globex.test", "cust_globex"); again != bad {
		t.Fatalf("re-linked as %s, want %s", again, bad)
	}
	if st, body := e.rpc(t, bad, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("after re-linking: %d %v", st, body)
	}
	if _, err := e.store.DB().Exec(`UPDATE accounts SET credentials = 'v1:gone:AAAA' WHERE id = ?`, bad); err != nil {
		t.Fatal(err)
	}
	// It can still be seen, edited and deleted (without revocation: its token
	// cannot be read).
	auth := basic(e.keyA)
	if st, _, body := e.do(t, "GET", "/accounts/"+bad, auth, ""); st != http.StatusOK || body["id"] != bad {
		t.Fatalf("get: %d %v", st, body)
	}
	if st, _, body := e.do(t, "PATCH", "/accounts/"+bad, auth, `{"label":"broken"}`); st != http.StatusOK || body["label"] != "broken" {
		t.Fatalf("patch: %d %v", st, body)
	}
	if st, _, body := e.do(t, "DELETE", "/accounts/"+bad, auth, ""); st != http.StatusOK || body["id"] != bad {
		t.Fatalf("delete: %d %v", st, body)
	}
	if st, _, _ := e.do(t, "GET", "/accounts/"+bad, auth, ""); st != http.StatusNotFound {
		t.Fatalf("after delete: %d", st)
	}
}

func TestAccountsListPages(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	var ids []string
	for i, email := range []string{"admin@acme.test", "admin@globex.test", "admin@acme.test"} {
		ids = append(ids, e.linkFor(t, "justworks", email, fmt.Sprintf("cust_%d", i)))
	}
	var link string // the last answer's Link header
	get := func(url string) (int, []any) {
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth(e.keyA, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		link = resp.Header.Get("Link")
		var out []any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	list := func(query string) (int, []any) { return get(e.srv.URL + "/accounts?" + query) }
	if st, page := list("page=2&page_size=2"); st != http.StatusOK || len(page) != 1 || page[0].(map[string]any)["id"] != ids[2] {
		t.Fatalf("second page: %d %v", st, page)
	}
	if st, page := list("page=1&page_size=2&origin_owner_id=cust_1"); st != http.StatusOK || len(page) != 1 || page[0].(map[string]any)["id"] != ids[1] {
		t.Fatalf("one owner: %d %v", st, page)
	}
	// Following the Link headers walks the list once.
	var walked []string
	st, page := list("page_size=2")
	for ; ; st, page = get(strings.TrimSuffix(strings.TrimPrefix(strings.Split(link, ";")[0], "<"), ">")) {
		if st != http.StatusOK {
			t.Fatalf("walking: %d", st)
		}
		for _, a := range page {
			walked = append(walked, a.(map[string]any)["id"].(string))
		}
		if link == "" {
			break
		}
		if !strings.HasSuffix(link, `>; rel="next"`) || !strings.Contains(link, "page_size=2") {
			t.Fatalf("link %q", link)
		}
	}
	if strings.Join(walked, ",") != strings.Join(ids, ",") {
		t.Fatalf("walked %v, want %v", walked, ids)
	}
	for _, bad := range []string{"page=0", "page=1000001", "page_size=501", "page_size=0", "next=nonsense", "next=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte("2026-01-01T00:00:00Z acc_x"))) + "&page=2"} {
		if st, _ := list(bad); st != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, st)
		}
	}
}
