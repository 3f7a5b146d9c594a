package actions

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/rawjson"
	"github.com/patchbayhq/patchbay/internal/sandbox"
)

// listMembers returns the Justworks connector, its list-members action and a real
// page of 100 members from the simulator.
func listMembers(b *testing.B) (*connectors.Connector, *connectors.Action, []byte) {
	b.Helper()
	reg, err := connectors.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	c, _ := reg.Get("justworks")
	action, _ := c.Action("justworks_list_members")
	sb, err := sandbox.New(sandbox.Options{Seed: 1, Members: 1000, NoRateLimit: true})
	if err != nil {
		b.Fatal(err)
	}
	jw, _ := sb.Provider("justworks")
	tok, err := jw.OAuth.MintToken(jw.DemoApp.ClientID, jw.DemoUser, nil)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/justworks/v1/members?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	rec := httptest.NewRecorder()
	sb.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("simulator answered %d: %s", rec.Code, rec.Body)
	}
	return c, action, rec.Body.Bytes()
}

// BenchmarkBuildRequest measures turning an RPC body into the provider URL:
// paging inputs, schema validation of every part, and the URL itself.
func BenchmarkBuildRequest(b *testing.B) {
	c, action, _ := listMembers(b)
	b.ReportAllocs()
	for b.Loop() {
		req := Request{Action: action.ID, Path: map[string]any{}, Query: map[string]any{"limit": float64(100)}, PageSize: 50}
		if err := applyPaging(c, action, &req); err != nil {
			b.Fatal(err)
		}
		if problems := validate(action, req); len(problems) > 0 {
			b.Fatal(problems)
		}
		if _, err := buildURL("https://api.justworks.test", action, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResult measures what an action call does with a page of 100 members
// (about 160 KB): read it into a pooled buffer, check it, pass the records on
// as they are checked (here to io.Discard) and find the cursor.
func BenchmarkResult(b *testing.B) {
	c, action, page := listMembers(b)
	req := Request{Action: action.ID, Query: map[string]any{}}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		records := &countingWriter{w: io.Discard}
		ans := answer{status: http.StatusOK, pooled: pageBuffers.Get().(*[]byte)}
		var err error
		if ans.body, ans.found, err = rawjson.Stream(bytes.NewReader(page), maxBody, *ans.pooled, records, resultPaths(c, action)...); err != nil {
			b.Fatal(err)
		}
		ans.streamed = records.n > 0
		res, err := result(c, action, req, ans)
		if err != nil || res.Next == nil || !res.Streamed {
			b.Fatalf("result: next %v, streamed %v, %v", res.Next, res.Streamed, err)
		}
		ans.release()
	}
}
