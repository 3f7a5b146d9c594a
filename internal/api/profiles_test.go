package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

func TestConnectorProfilesAPI(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := newFixture(t, s)
		auth := basic(f.keyA)
		const secret = "jw-client-secret-never-returned"
		st, _, body := f.do(t, "POST", "/connector_profiles", auth, `{"connector_key":"justworks","client_id":"jw-client","client_secret":"`+secret+`","default":true}`)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %v", st, body)
		}
		id := body["id"].(string)
		if body["client_secret_set"] != true || body["redirect_uri"] != f.srv.URL+"/connect/oauth2/justworks/callback" ||
			// Every action and unified operation; the unified employments add member.employment:read and member.pay:read.
			len(body["enabled_actions"].([]any)) != len(mustJustworks(t).Actions) || len(body["scopes"].([]any)) != 12 || body["name"] != "Justworks" || body["active"] != true {
			t.Fatalf("create answered %v", body)
		}
		if _, has := body["client_secret"]; has {
			t.Fatal("the response carries the client secret")
		}

		// The secret never comes back, in any response.
		for _, path := range []string{"/connector_profiles", "/connector_profiles/" + id} {
			req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw := new(strings.Builder)
			_, _ = readInto(raw, resp)
			if strings.Contains(raw.String(), secret) {
				t.Fatalf("%s returns the client secret", path)
			}
		}

		st, _, body = f.do(t, "POST", "/connector_profiles", auth, `{"connector_key":"justworks","client_id":"jw-2","client_secret":"s2","default":true,
			"enabled_actions":["justworks_list_members"],"extra_scopes":["member.dob:read"]}`)
		if st != http.StatusCreated || strings.Join(toStrings(body["scopes"].([]any)), " ") != "member.basic:read member.dob:read" {
			t.Fatalf("second profile: %d %v", st, body)
		}
		second := body["id"].(string)
		_, _, first := f.do(t, "GET", "/connector_profiles/"+id, auth, "")
		if first["default"] != false {
			t.Fatal("a second default did not unset the first")
		}

		st, _, body = f.do(t, "PATCH", "/connector_profiles/"+second, auth, `{"enabled":false,"name":"Justworks (staging)"}`)
		if st != http.StatusOK || body["active"] != false || body["name"] != "Justworks (staging)" || body["client_secret_set"] != true {
			t.Fatalf("patch: %d %v", st, body)
		}
		st, _, body = f.do(t, "GET", "/connector_profiles?enabled=false", auth, "")
		if st != http.StatusOK || len(body["data"].([]any)) != 1 {
			t.Fatalf("filter enabled=false: %v", body)
		}

		// Another project sees nothing of these.
		st, _, body = f.do(t, "GET", "/connector_profiles/"+id, basic(f.keyB), "")
		wantError(t, st, body, http.StatusNotFound)
		_, _, body = f.do(t, "GET", "/connector_profiles", basic(f.keyB), "")
		if len(body["data"].([]any)) != 0 {
			t.Fatalf("project B lists %v", body)
		}

		if st, _, _ := f.do(t, "DELETE", "/connector_profiles/"+id, auth, ""); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		st, _, body = f.do(t, "GET", "/connector_profiles/"+id, auth, "")
		wantError(t, st, body, http.StatusNotFound)
	})
}

func TestConnectorProfileValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backendtest.SQLite.Open(t, backendtest.TestKeys(t)))
	auth := basic(f.keyA)
	cases := []struct {
		body string
		want []string
	}{
		{`{"connector_key":"bamboohr","client_id":"c","client_secret":"s"}`, []string{"connector_key", "bamboohr"}},
		{`{"connector_key":"justworks","client_id":"  ","enabled_actions":["justworks_fly","justworks_swim"]}`,
			[]string{"client_id", "client_secret", "justworks_fly, justworks_swim"}},
		{`{"connector_key":"justworks","client_id":"c","client_secret":"s","environment":"staging"}`, []string{"environment"}},
		{`{"connector_key":"justworks","client_id":"c","client_secret":"s","extra_scopes":["root:write"]}`, []string{"extra_scopes", "root:write"}},
		{`{"connector_key":"justworks","client_id":"c","client_secret":"s","colour":"red"}`, []string{"colour"}},
	}
	for _, tc := range cases {
		st, _, body := f.do(t, "POST", "/connector_profiles", auth, tc.body)
		wantError(t, st, body, http.StatusBadRequest)
		for _, w := range tc.want {
			if !strings.Contains(body["message"].(string), w) {
				t.Errorf("%s: message %q does not mention %q", tc.body, body["message"], w)
			}
		}
	}
	_, _, list := f.do(t, "GET", "/connector_profiles", auth, "")
	if len(list["data"].([]any)) != 0 {
		t.Fatal("a rejected profile was stored")
	}
	st, _, created := f.do(t, "POST", "/connector_profiles", auth, `{"connector_key":"employmenthero","client_id":"c","client_secret":"s"}`)
	if st != http.StatusCreated {
		t.Fatal(created)
	}
	st, _, body := f.do(t, "PATCH", "/connector_profiles/"+created["id"].(string), auth, `{"connector_key":"justworks"}`)
	wantError(t, st, body, http.StatusBadRequest)
}

func readInto(dst *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(dst, resp.Body)
}

func mustJustworks(t *testing.T) *connectors.Connector {
	t.Helper()
	c, _ := mustRegistry(t).Get("justworks")
	return c
}

// A profile whose client secret cannot be opened (a damaged row, or a key no
// longer configured) is still listed, the Hub still offers every provider, and
// reading that one profile says what is wrong.
func TestAnUnreadableProfileSecretStaysListed(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	bad := e.profileOf(t, "employmenthero")
	if _, err := e.store.DB().Exec(`UPDATE connector_profiles SET client_secret = 'v1:gone:AAAA' WHERE id = ?`, bad); err != nil {
		t.Fatal(err)
	}
	auth := basic(e.keyA)
	st, _, body := e.do(t, "GET", "/connector_profiles", auth, "")
	list, _ := body["data"].([]any)
	if st != http.StatusOK || len(list) != 2 {
		t.Fatalf("list: %d %v", st, body)
	}
	for _, p := range list {
		if p.(map[string]any)["client_secret_set"] != true {
			t.Fatalf("profile %v", p)
		}
	}
	st, _, body = e.do(t, "GET", "/connector_profiles/"+bad, auth, "")
	if msg, _ := body["message"].(string); st != http.StatusConflict || !strings.Contains(msg, "cannot be opened") {
		t.Fatalf("get: %d %v", st, body)
	}
	// Justworks links as before.
	account := e.linkProvider(t, "justworks", "admin@acme.test")
	if st, body := e.rpc(t, account, `{"action":"justworks_get_company"}`); st != http.StatusOK {
		t.Fatalf("call: %d %v", st, body)
	}
	if st, _, body := e.do(t, "DELETE", "/connector_profiles/"+bad, auth, ""); st != http.StatusNoContent && st != http.StatusOK {
		t.Fatalf("delete: %d %v", st, body)
	}
}
