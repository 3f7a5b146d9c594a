package api_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/sandbox"
)

// The server's address in a browser leads to the console, not to a JSON 404.
func TestRootLeadsToTheConsole(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console" {
		t.Fatalf("GET /: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, _, _ := e.do(t, "GET", "/nothing-here", basic(e.keyA), ""); st != http.StatusNotFound {
		t.Fatalf("another unknown path: %d", st)
	}
}

// An account filter naming a status or provider no account can have is
// refused with the allowed values, not answered with an empty list.
func TestAccountFiltersRefuseUnknownValues(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.linkProvider(t, "justworks", "admin@acme.test")
	for query, says := range map[string]string{
		"status=bogus":             "active, inactive, error, expired",
		"providers=bogus":          "employmenthero",
		"provider=Justworks,bogus": "justworks",
	} {
		st, _, body := e.do(t, "GET", "/accounts?"+query, basic(e.keyA), "")
		if msg, _ := body["message"].(string); st != http.StatusBadRequest || !strings.Contains(msg, says) || !strings.Contains(msg, "bogus") && !strings.Contains(msg, "Justworks") {
			t.Errorf("%s: %d %v", query, st, body)
		}
	}
	if list := listAccounts(t, e, "?status=active&providers=justworks"); len(list) != 1 {
		t.Fatalf("known values: %v", list)
	}
}

// A runtime key refused on an admin endpoint is told which endpoint.
func TestRuntimeKeyRefusalNamesTheEndpoint(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	st, _, created := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"backend","role":"runtime"}`)
	if st != http.StatusCreated {
		t.Fatalf("create key: %d %v", st, created)
	}
	st, _, body := e.do(t, "GET", "/webhooks", basic(created["key"].(string)), "")
	if msg, _ := body["message"].(string); st != http.StatusForbidden || !strings.Contains(msg, "GET /webhooks") || !strings.Contains(msg, "webhooks") {
		t.Fatalf("runtime key on /webhooks: %d %v", st, body)
	}
}

// Changing or cancelling a deduction Justworks does not have answers 404.
func TestUnknownDeductionIsNotFound(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	for _, c := range []struct{ method, body string }{{"PATCH", `{"description":"union dues"}`}, {"DELETE", ""}} {
		st, _, body := e.do(t, c.method, "/unified/payroll/deductions/ded_nope", basic(e.keyA), c.body, "X-Account-Id", jw)
		if st != http.StatusNotFound {
			t.Errorf("%s an unknown deduction: %d %v", c.method, st, body)
		}
	}
}

// Every list answers a page_size out of range with the same sentence, naming
// its own largest page; RPC refuses 0 rather than ignoring it.
func TestPageSizeOneRule(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw := e.linkProvider(t, "justworks", "admin@acme.test")
	for _, c := range []struct {
		method, path, body string
		max                int
	}{
		{"GET", "/accounts?page_size=0", "", 500},
		{"GET", "/accounts?page_size=501", "", 500},
		{"GET", "/api_keys?page_size=x", "", 100},
		{"GET", "/connector_profiles?page_size=0", "", 100},
		{"GET", "/requests/logs?page_size=101", "", 100},
		{"GET", "/actions?page_size=0", "", 100},
		{"GET", "/unified/hris/employees?page_size=0", "", 100},
		{"POST", "/actions/rpc", `{"action":"justworks_list_members","page_size":0}`, 100},
		{"POST", "/actions/rpc", `{"action":"justworks_list_members","page_size":1000}`, 100},
	} {
		st, _, body := e.do(t, c.method, c.path, basic(e.keyA), c.body, "X-Account-Id", jw)
		want := fmt.Sprintf("page_size: must be a whole number from 1 to %d", c.max)
		if msg, _ := body["message"].(string); st != http.StatusBadRequest || msg != want {
			t.Errorf("%s %s %s: %d %q, want %q", c.method, c.path, c.body, st, msg, want)
		}
	}
}

// A Hub link made in the console for a profile that is not its connector's
// default links the account with that profile (papercut 13).
func TestConsoleLinksWithAChosenProfile(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	demo := sandbox.DemoApp("justworks")
	st, _, second := e.do(t, "POST", "/connector_profiles", basic(e.keyA), fmt.Sprintf(
		`{"connector_key":"justworks","name":"Payroll team","client_id":%q,"client_secret":%q,"environment":"sandbox","enabled_actions":["justworks_get_company"]}`,
		demo.ClientID, demo.ClientSecret))
	if st != http.StatusCreated || second["default"] == true {
		t.Fatalf("second profile: %d %v", st, second)
	}
	profile := second["id"].(string)
	c, base := signedInConsole(t, e)
	_, form := c.get(t, base+"/accounts/link?profile="+profile)
	if !strings.Contains(form, `<option value="`+profile+`" selected>Justworks · Payroll team</option>`) {
		t.Fatalf("the link form does not offer and choose the profile:\n%s", form)
	}
	resp, page := c.post(t, base+"/accounts/link", url.Values{"profile": {profile}, "origin_owner_id": {"tenant_7"},
		"origin_owner_name": {"Tenant 7"}, "csrf": {csrfField.FindStringSubmatch(form)[1]}})
	link := regexp.MustCompile(`data-hub-link>([^<]+)<`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || link == nil {
		t.Fatalf("create link: %d\n%s", resp.StatusCode, page)
	}
	acc := e.linkThrough(t, html.UnescapeString(link[1]), "admin@acme.test")
	if got := profileOf(t, e, acc); got != profile {
		t.Fatalf("the account was linked with profile %s, not the chosen %s", got, profile)
	}
}

// Calls made while an account is being linked (the Hub's setup step) have a
// request id like every other entry, and the console links no account they
// do not have (papercut 17).
func TestHubCallsInTheLog(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	e.linkProvider(t, "employmenthero", "owner@acme.test") // its organisation choice is a call
	var hub map[string]any
	for _, l := range e.logsOf(t, "") {
		if l["source"] == "hub" {
			hub = l
		}
	}
	if hub == nil || hub["request_id"] == "" || hub["account_id"] != "" {
		t.Fatalf("the setup step's call in the log: %v", hub)
	}
	c, base := signedInConsole(t, e)
	for _, page := range []string{base + "/logs", base + "/logs/" + hub["id"].(string)} {
		resp, body := c.get(t, page)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, `href="`+base+`/accounts/"`) {
			t.Fatalf("%s: %d, or a link to no account:\n%s", page, resp.StatusCode, body)
		}
	}
}
