package main_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// Disabling or enabling a profile from the API, the CLI and the console goes
// through one service: each reports the same event, account.updated for the
// profile's account, once.
func TestEveryFrontEndReportsAProfileChangeTheSameWay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startServe(t, dir, env())
	key := keyPattern.FindString(n.stdout)
	if _, errOut, code := runStdin(t, dir, env(), "a long enough password\n", "admins", "create", "--email", "ops@example.com", "--password-stdin"); code != 0 {
		t.Fatalf("admins create: %s", errOut)
	}
	out, errOut, code := runStdin(t, dir, env(), "secret\n", "profiles", "create", "--connector", "justworks", "--client-id", "cid", "--client-secret-stdin")
	id := regexp.MustCompile(`cp_[a-z0-9]+`).FindString(out)
	if code != 0 || id == "" {
		t.Fatalf("profiles create: %d %s%s", code, out, errOut)
	}
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "data", "patchbay.db"), ring)
	ctx := context.Background()
	acc, err := s.CreateAccount(ctx, store.Account{ProjectID: "prj_default", ProfileID: id, Provider: "justworks",
		OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "at"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	// check says what the step left: the account's status, and one more
	// account.updated event about it, carrying that status.
	var seen int
	check := func(step string, want store.AccountStatus) {
		t.Helper()
		rows, err := s.DB().Query(`SELECT type, account_id, data FROM events ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var typ, account, data string
			if err := rows.Scan(&typ, &account, &data); err != nil {
				t.Fatal(err)
			}
			got = append(got, typ+" "+account+" "+regexp.MustCompile(`"status":"\w+"`).FindString(data))
		}
		seen++
		wantLast := store.EventAccountUpdated + " " + acc.ID + ` "status":"` + string(want) + `"`
		if len(got) != seen || got[len(got)-1] != wantLast {
			t.Fatalf("%s: events %v, want %d ending in %q", step, got, seen, wantLast)
		}
		if a, err := s.GetAccount(ctx, acc.ProjectID, acc.ID); err != nil || a.Status != want {
			t.Fatalf("%s: account %s, %v; want %s", step, a.Status, err, want)
		}
	}

	req, _ := http.NewRequest("PATCH", n.url+"/connector_profiles/"+id, strings.NewReader(`{"enabled":false}`))
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("API disable: %v %v", resp, err)
	}
	check("disabled through the API", store.StatusInactive)

	if out, errOut, code := run(t, dir, env(), "profiles", "update", id, "--enabled=true"); code != 0 {
		t.Fatalf("CLI enable: %s%s", out, errOut)
	}
	check("enabled through the CLI", store.StatusActive)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if resp, err := browser.PostForm(n.url+"/console/signin", url.Values{"email": {"ops@example.com"}, "password": {"a long enough password"}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("console sign-in: %v %v", resp, err)
	}
	page := n.url + "/console/p/prj_default/profiles/" + id
	resp, err := browser.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := regexp.MustCompile(`action="[^"]*/enabled"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"><input type="hidden" name="version" value="(\d+)">`).FindSubmatch(html)
	if form == nil {
		t.Fatalf("the profile page has no enable form:\n%s", html)
	}
	resp, err = browser.PostForm(page+"/enabled", url.Values{"csrf": {string(form[1])}, "version": {string(form[2])}, "enabled": {"false"}})
	if err != nil || resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/p/prj_default/profiles/"+id {
		t.Fatalf("console disable: %v %v", resp, err)
	}
	check("disabled in the console", store.StatusInactive)
	n.stop(t)
}
