package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMCPToolCallBothPaths: a tools/call the SDK serves itself (a protocol
// version Patchbay does not answer directly) and the same call answered
// directly carry the same JSON as text and as structured content.
func TestMCPToolCallBothPaths(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	acc := e.linkProvider(t, "justworks", "admin@acme.test")
	call := func(version string) map[string]any {
		t.Helper()
		meta := ""
		if version >= "2026" { // the newer protocol names its version in every request
			meta = `,"_meta":{"io.modelcontextprotocol/protocolVersion":"` + version + `","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}`
		}
		req, _ := http.NewRequest("POST", e.srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"justworks_list_members","arguments":{"query":{"limit":3}}`+meta+`}}`))
		req.SetBasicAuth(e.keyA, "")
		req.Header.Set("X-Account-Id", acc)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", version)
		if meta != "" {
			req.Header.Set("Mcp-Method", "tools/call")
			req.Header.Set("Mcp-Name", "justworks_list_members")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var msg map[string]any
		if err := json.Unmarshal(body, &msg); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("protocol %q: %d %s", version, resp.StatusCode, body)
		}
		return msg
	}
	answers := map[string]string{}
	for _, version := range []string{"2025-06-18", "2026-07-28"} {
		msg := call(version)
		result, _ := msg["result"].(map[string]any)
		content, _ := result["content"].([]any)
		if msg["id"] != float64(7) || len(content) != 1 {
			t.Fatalf("protocol %s: %v", version, msg)
		}
		var text any
		if err := json.Unmarshal([]byte(content[0].(map[string]any)["text"].(string)), &text); err != nil {
			t.Fatalf("protocol %s: text is not JSON: %v", version, err)
		}
		if mustJSON(text) != mustJSON(result["structuredContent"]) {
			t.Fatalf("protocol %s: text and structured content differ", version)
		}
		if n := len(text.(map[string]any)["data"].([]any)); n != 3 {
			t.Fatalf("protocol %s: %d members", version, n)
		}
		answers[version] = mustJSON(result["structuredContent"])
	}
	if answers["2025-06-18"] != answers["2026-07-28"] {
		t.Fatalf("the direct and the SDK's answers differ:\n%s\n%s", answers["2025-06-18"], answers["2026-07-28"])
	}
}
