package mcp

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// A tools/call is answered here rather than by the SDK when the SDK would
// answer it plainly: the SDK encodes a result three times over (the result,
// the JSON-RPC response around it, the write), each pass re-checking a page
// of records the executor has already checked, which made a 100-record call
// cost several times the same /actions/rpc call. Here the records are copied
// once as structured content and escaped once as the text block. Everything
// else (initialize, tools/list, notifications, unknown tools, newer protocol
// versions) goes to the SDK.

// plainVersions are the protocol versions whose tools/call this path answers
// exactly as the SDK does; an absent header means one of them.
var plainVersions = []string{"", "2025-03-26", "2025-06-18", "2025-11-25"}

// toolCall is the part of a tools/call request this path reads.
type toolCall struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"params"`
}

// directCall returns the request's tool call and its tool when this path
// answers it.
func (sv *served) directCall(r *http.Request, body []byte) (toolCall, tool, bool) {
	var c toolCall
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != "application/json" ||
		!acceptsBoth(r.Header.Values("Accept")) || !slices.Contains(plainVersions, r.Header.Get("Mcp-Protocol-Version")) {
		return c, tool{}, false
	}
	if json.Unmarshal(body, &c) != nil || c.Method != "tools/call" || len(c.ID) == 0 || string(c.ID) == "null" {
		return c, tool{}, false
	}
	t, ok := sv.tools[c.Params.Name]
	return c, t, ok
}

// acceptsBoth reports whether Accept takes JSON and event streams, as the
// Streamable HTTP transport requires of a POST.
func acceptsBoth(values []string) bool {
	var jsonOK, streamOK bool
	for _, v := range values {
		for token := range strings.SplitSeq(v, ",") {
			base, _, _ := strings.Cut(token, ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "application/json", "application/*":
				jsonOK = true
			case "text/event-stream", "text/*":
				streamOK = true
			case "*/*":
				jsonOK, streamOK = true, true
			}
		}
	}
	return jsonOK && streamOK
}

// answerDirect runs the tool and writes the JSON-RPC response as it goes:
// a page of records is not assembled a second time in memory.
func answerDirect(ctx context.Context, w http.ResponseWriter, c toolCall, t tool) {
	params := &sdk.CallToolParamsRaw{Name: c.Params.Name, Arguments: c.Params.Arguments}
	res, err := t.handler(ctx, &sdk.CallToolRequest{Params: params})
	if err == nil {
		err = checkResult(res)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"jsonrpc":"2.0","id":`)
	w.Write(c.ID)
	if err != nil {
		io.WriteString(w, `,"error":{"code":-32603,"message":`)
		writeString(w, err.Error())
		io.WriteString(w, "}}\n")
		return
	}
	io.WriteString(w, `,"result":{"content":[`)
	for i, c := range res.Content {
		if i > 0 {
			io.WriteString(w, ",")
		}
		if t, ok := c.(*sdk.TextContent); ok && t.Meta == nil && t.Annotations == nil {
			io.WriteString(w, `{"type":"text","text":`)
			writeString(w, t.Text)
			io.WriteString(w, "}")
			continue
		}
		b, _ := json.Marshal(c) // checkResult encoded it once already
		w.Write(b)
	}
	io.WriteString(w, "]")
	if res.StructuredContent != nil {
		io.WriteString(w, `,"structuredContent":`)
		w.Write(res.StructuredContent.(json.RawMessage)) // checkResult made it raw
	}
	if res.IsError {
		io.WriteString(w, `,"isError":true`)
	}
	io.WriteString(w, "}}\n")
}

// checkResult makes sure every part of a result encodes before the answer
// begins, turning structured content into its JSON (the executor's checked
// answer already is).
func checkResult(res *sdk.CallToolResult) error {
	for _, c := range res.Content {
		if _, plain := c.(*sdk.TextContent); !plain {
			if _, err := json.Marshal(c); err != nil {
				return err
			}
		}
	}
	if res.StructuredContent != nil {
		if _, raw := res.StructuredContent.(json.RawMessage); !raw {
			b, err := json.Marshal(res.StructuredContent)
			if err != nil {
				return err
			}
			res.StructuredContent = json.RawMessage(b)
		}
	}
	return nil
}

// writeString writes s as a JSON string, escaped once.
func writeString(w io.Writer, s string) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes; the newline after it is whitespace
}
