package api_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// auditEntries reads the project's whole audit trail through the API, page
// by page.
func (e *linkEnv) auditEntries(t *testing.T, query string) []map[string]any {
	t.Helper()
	var all []map[string]any
	next := ""
	for {
		path := "/audit_logs?page_size=7&" + query
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		st, _, body := e.do(t, "GET", path, basic(e.keyA), "")
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, st, body)
		}
		for _, d := range body["data"].([]any) {
			all = append(all, d.(map[string]any))
		}
		n, _ := body["next"].(string)
		if n == "" {
			return all
		}
		next = n
	}
}

// export reads the audit trail as CSV or JSON Lines, raw.
func (e *linkEnv) export(t *testing.T, format string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/audit_logs?format="+format, nil)
	req.SetBasicAuth(e.keyA, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export %s: %d %s", format, resp.StatusCode, raw)
	}
	return string(raw)
}

// Every change made through the API, the Hub and MCP, by a key, an end user,
// an admin and an AI app, is in the audit trail once, with who made it; the
// trail is paged, filtered and exported, and holds no secret.
func TestAuditTrailRecordsEveryChange(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			d := newDeductionsEnv(t, backend) // links an account and writes a deduction through RPC
			e := d.linkEnv
			keyActor := "api_key:" + e.keyID(t)
			profile := e.profileOf(t, "justworks")

			st, _, created := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"ci","role":"runtime"}`)
			if st != http.StatusCreated {
				t.Fatalf("create key: %d %v", st, created)
			}
			newKey, newKeyID := created["key"].(string), created["id"].(string)
			e.do(t, "DELETE", "/api_keys/"+newKeyID, basic(e.keyA), "")
			if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+profile, basic(e.keyA), `{"name":"Payroll","client_secret":"rotated-secret-value"}`); st != http.StatusOK {
				t.Fatalf("update profile: %d %v", st, body)
			}
			hook, hookSecret := e.createWebhook(t, `{"url":"`+e.embed.URL+`/hooks"}`)
			e.do(t, "PATCH", "/webhooks/"+hook, basic(e.keyA), `{"description":"ops"}`)
			_, _, rotated := e.do(t, "POST", "/webhooks/"+hook+"/rotate_secret", basic(e.keyA), `{}`)
			e.do(t, "DELETE", "/webhooks/"+hook, basic(e.keyA), "")
			e.do(t, "PATCH", "/accounts/"+d.account, basic(e.keyA), `{"label":"Main office"}`)
			// A write by an AI app through MCP, consented to by an admin.
			c, _ := signedInConsole(t, e)
			app := registerAIApp(t, e.srv.URL, "Claude")
			tok := app.grant(t, c, url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {d.account},
				"action": {"justworks_update_deductions"}})
			cs := bearerWithAccount(t, e.srv.URL, tok.AccessToken, d.account)
			callTool(t, cs, "justworks_update_deductions", map[string]any{
				"items": []any{map[string]any{"deduction_id": d.deduction, "amount": 2300}}}, false)
			// A read leaves no entry.
			e.call(t, d.account, "justworks_get_company", nil)
			second := e.linkProvider(t, "employmenthero", "owner@acme.test")
			e.do(t, "DELETE", "/accounts/"+second, basic(e.keyA), "")

			entries := e.auditEntries(t, "")
			clientActor := "oauth_client:" + app.conf.ClientID
			for _, want := range []struct{ action, actor, target, has string }{
				{"connector_profile.created", keyActor, profile, `"client_secret":{"after":"changed"}`},
				{"account.linked", "end_user:cust_42", d.account, `"provider":{"after":"justworks"}`},
				{"connector_profile.updated", keyActor, profile, `"proxy":{"after":"read_write","before":"off"}`},
				{"provider.write", keyActor, d.account, "justworks_create_deductions"}, // by newDeductionsEnv
				{"api_key.created", keyActor, newKeyID, `"role":{"after":"runtime"}`},
				{"api_key.revoked", keyActor, newKeyID, ""},
				{"connector_profile.updated", keyActor, profile, `"client_secret":{"after":"changed"},"name":{"after":"Payroll","before":"Justworks"}`},
				{"webhook.created", keyActor, hook, `"url":{"after":"` + e.embed.URL + `/hooks"}`},
				{"webhook.updated", keyActor, hook, `"description":{"after":"ops"}`},
				{"webhook.secret_rotated", keyActor, hook, `"secret":{"after":"changed"}`},
				{"webhook.deleted", keyActor, hook, ""},
				{"account.updated", keyActor, d.account, `"label":{"after":"Main office"}`},
				{"admin.created", "system:patchbay", "", `"email":{"after":"` + adminEmail + `"}`},
				{"ai_grant.created", "admin:" + adminEmail, "", `"actions":{"after":["justworks_update_deductions"]}`},
				{"provider.write", clientActor, d.account, "justworks_update_deductions"},
				{"account.linked", "end_user:cust_42", second, `"provider":{"after":"employmenthero"}`},
				{"account.deleted", keyActor, second, ""},
			} {
				n := 0
				for _, got := range entries {
					if got["action"] == want.action && got["actor"] == want.actor && (want.target == "" || got["target_id"] == want.target) &&
						strings.Contains(mustJSON(got["changes"]), want.has) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s by %s on %q with %s: %d entries, want 1", want.action, want.actor, want.target, want.has, n)
				}
			}
			if t.Failed() {
				for _, got := range entries {
					t.Logf("%v %v %v %v %s", got["seq"], got["action"], got["actor"], got["target_id"], mustJSON(got["changes"]))
				}
				t.FailNow()
			}
			for _, got := range entries {
				if got["action"] == "provider.write" && got["actor"] == clientActor {
					changes := mustJSON(got["changes"])
					if got["outcome"] != "200" || !strings.Contains(changes, "justworks_update_deductions") || !strings.Contains(changes, "PUT ") || got["request_id"] == "" {
						t.Fatalf("the AI app's write: %v", got)
					}
				}
				if got["client_address"] != "127.0.0.1" && strings.HasPrefix(got["actor"].(string), "api_key:") {
					t.Fatalf("an API call's entry names the address %v", got["client_address"])
				}
			}

			// The admin disconnects the AI app in the console.
			var grant string
			for _, got := range entries {
				if got["action"] == "ai_grant.created" {
					grant = got["target_id"].(string)
				}
			}
			_, page := c.get(t, "/console/p/"+e.projectA.ID+"/ai-apps")
			if resp, _ := c.post(t, "/console/p/"+e.projectA.ID+"/ai-apps/"+grant+"/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke the AI app: %d", resp.StatusCode)
			}
			if got := e.auditEntries(t, "filter[action]=ai_grant.revoked"); len(got) != 1 || got[0]["actor"] != "admin:"+adminEmail || got[0]["target_id"] != grant {
				t.Fatalf("the revocation in the audit trail: %v", got)
			}

			// Filters, and the entries they leave out.
			if only := e.auditEntries(t, "filter[actor]="+url.QueryEscape(clientActor)); len(only) != 1 {
				t.Fatalf("the AI app's entries: %v", only)
			}
			if hooks := e.auditEntries(t, "filter[action]=webhook."); len(hooks) != 4 {
				t.Fatalf("webhook entries: %d", len(hooks))
			}
			if onAccount := e.auditEntries(t, "target_id="+second); len(onAccount) != 2 {
				t.Fatalf("entries of the deleted account: %d", len(onAccount))
			}
			if st, _, body := e.do(t, "GET", "/audit_logs?filter[start_date]=yesterday", basic(e.keyA), ""); st != http.StatusBadRequest ||
				!strings.Contains(body["message"].(string), "filter[start_date]") {
				t.Fatalf("a bad date: %d %v", st, body)
			}
			// Runtime keys and other projects see nothing.
			if st, _, _ := e.do(t, "GET", "/audit_logs", basic(newKey), ""); st != http.StatusUnauthorized {
				t.Fatalf("the revoked runtime key: %d", st)
			}
			_, _, runtime := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"rt","role":"runtime"}`)
			if st, _, _ := e.do(t, "GET", "/audit_logs", basic(runtime["key"].(string)), ""); st != http.StatusForbidden {
				t.Fatalf("a runtime key reads the audit trail: %d", st)
			}
			if st, _, other := e.do(t, "GET", "/audit_logs", basic(e.otherProjectKey(t)), ""); st != http.StatusOK || len(other["data"].([]any)) > 2 {
				t.Fatalf("another project's trail: %d %v", st, other)
			}

			// The exports hold the same entries, and no secret is anywhere.
			all := e.auditEntries(t, "")
			jsonl := e.export(t, "jsonl")
			sc := bufio.NewScanner(strings.NewReader(jsonl))
			lines := 0
			for sc.Scan() {
				var v map[string]any
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					t.Fatalf("a JSON Lines row: %v: %s", err, sc.Text())
				}
				lines++
			}
			rows, err := csv.NewReader(strings.NewReader(e.export(t, "csv"))).ReadAll()
			if err != nil || lines != len(all) || len(rows) != len(all)+1 || rows[0][0] != "id" {
				t.Fatalf("exports: %d JSON lines, %d CSV rows (%v), %d entries", lines, len(rows), err, len(all))
			}
			everything := jsonl + mustJSON(all)
			for name, secret := range map[string]string{"the new API key": newKey, "the profile's secret": "rotated-secret-value",
				"the webhook secret": hookSecret, "the rotated webhook secret": fmt.Sprint(rotated["secret"]), "the admin's password": adminPassword,
				"the AI app's token": tok.AccessToken, "the caller's key": e.keyA} {
				if strings.Contains(everything, secret) {
					t.Errorf("%s is in the audit trail", name)
				}
			}
			report, err := e.services.Audit.Verify(context.Background(), nil)
			if err != nil || report.Entries < len(all) {
				t.Fatalf("verify: %+v %v", report, err)
			}
		})
	}
}

// keyID is the id of the environment's API key.
func (e *linkEnv) keyID(t *testing.T) string {
	t.Helper()
	_, _, keys := e.do(t, "GET", "/api_keys", basic(e.keyA), "")
	for _, k := range keys["data"].([]any) {
		if k := k.(map[string]any); k["name"] == "test" {
			return k["id"].(string)
		}
	}
	t.Fatalf("no key named test in %v", keys)
	return ""
}
