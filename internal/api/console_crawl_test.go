package api_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

var hrefs = regexp.MustCompile(`(?:href|action)="([^"#]+)`)

// Every link of every console page of a project with accounts of both
// providers, calls that worked and failed, a webhook with a delivery, an AI
// app and an audit trail leads somewhere: no 404, no 5xx, on both backends.
func TestConsoleHasNoDeadLinks(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			e := newLinkEnvOn(t, backend)
			jw := e.linkProvider(t, "justworks", "admin@acme.test")
			e.linkProvider(t, "employmenthero", "owner@acme.test")
			e.call(t, jw, "justworks_get_company", nil)
			j, _ := e.sb.Provider("justworks")
			j.Faults.Add(simctl.Fault{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindStatus, Status: 422, Body: []byte(`{"error":"member_locked"}`)})
			e.rpc(t, jw, `{"action":"justworks_list_members"}`)
			r := newReceiver(t)
			hook, _ := e.createWebhook(t, `{"url":"`+r.URL+`/hooks"}`)
			e.deliver(t)
			e.do(t, "POST", "/webhooks/"+hook+"/test", basic(e.keyA), "")
			r.await(t, 1)
			c, base := signedInConsole(t, e)
			app := registerAIApp(t, e.srv.URL, "Claude")
			app.grant(t, c, url.Values{"decision": {"approve"}, "project": {e.projectA.ID}, "reach": {"accounts"}, "account": {jw},
				"action": {"justworks_get_company"}})

			seen := map[string]bool{}
			queue := []string{"/console", base + "/profiles"}
			for len(queue) > 0 && len(seen) < 500 {
				page := queue[0]
				queue = queue[1:]
				if seen[page] {
					continue
				}
				seen[page] = true
				resp, body := c.get(t, page)
				switch {
				case resp.StatusCode >= 300 && resp.StatusCode < 400:
					queue = append(queue, resp.Header.Get("Location"))
					continue
				case resp.StatusCode != http.StatusOK:
					t.Errorf("GET %s: %d", page, resp.StatusCode)
					continue
				}
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					continue
				}
				for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
					link := html.UnescapeString(m[1])
					if strings.HasPrefix(link, "?") {
						link = strings.SplitN(page, "?", 2)[0] + link
					}
					u, err := url.Parse(link)
					if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
						continue // another site, or mail
					}
					if strings.Contains(body, `action="`+m[1]) && !strings.Contains(body, `href="`+m[1]) {
						continue // a form's target: posting is not following a link
					}
					queue = append(queue, u.RequestURI())
				}
			}
			t.Logf("crawled %d pages", len(seen))
			if len(seen) < 30 {
				t.Fatalf("the crawl reached only %d pages: %v", len(seen), seen)
			}
		})
	}
}
