package mcp

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/rawjson"
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
var plainVersions = []string{"", "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}

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

// answerDirect runs the tool and writes the JSON-RPC response. An action's
// records go out as they arrive, as /actions/rpc sends them, with the
// structured content first (JSON members may come in any order); the text
// block follows, escaped from the same pieces on their way.
func answerDirect(ctx context.Context, w http.ResponseWriter, c toolCall, t tool) {
	sink := &streamedAnswer{w: w, id: c.ID}
	defer sink.release()
	c0, _ := ctx.Value(callKey{}).(call)
	c0.records = sink
	ctx = withCall(ctx, c0)
	params := &sdk.CallToolParamsRaw{Name: c.Params.Name, Arguments: c.Params.Arguments}
	res, err := t.handler(ctx, &sdk.CallToolRequest{Params: params})
	if sink.started {
		if err != nil {
			// The provider's answer broke off after records had gone out:
			// end the connection, so that the client sees a failed request
			// rather than a short list.
			panic(http.ErrAbortHandler)
		}
		sink.finish(res.StructuredContent.(resultJSON).Next)
		return
	}
	var content, structured []byte
	if err == nil {
		content, structured, err = encodeResult(res)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"jsonrpc":"2.0","id":`)
	w.Write(c.ID)
	if err != nil {
		io.WriteString(w, `,"error":{"code":-32603,"message":`)
		msg, _ := json.Marshal(err.Error())
		w.Write(msg)
		io.WriteString(w, "}}\n")
		return
	}
	io.WriteString(w, `,"result":{"content":`)
	w.Write(content)
	if rj, ok := res.StructuredContent.(resultJSON); ok {
		io.WriteString(w, `,"structuredContent":`)
		writeAnswer(w, rj.Result)
	} else if structured != nil {
		io.WriteString(w, `,"structuredContent":`)
		w.Write(structured)
	}
	if res.IsError {
		io.WriteString(w, `,"isError":true`)
	}
	if len(res.Meta) > 0 {
		meta, err := json.Marshal(res.Meta)
		if err == nil {
			io.WriteString(w, `,"_meta":`)
			w.Write(meta)
		}
	}
	io.WriteString(w, "}}\n")
}

// streamedAnswer is the records writer of a direct tools/call: the response
// begins with the first piece of records, each piece goes out as it is, and
// its escaped copy gathers in a pooled buffer for the text block.
type streamedAnswer struct {
	w       http.ResponseWriter
	id      json.RawMessage
	started bool
	text    *[]byte
}

var textBuffers = sync.Pool{New: func() any { return new([]byte) }}

func (a *streamedAnswer) Write(p []byte) (int, error) {
	if !a.started {
		a.started = true
		a.text = textBuffers.Get().(*[]byte)
		*a.text = rawjson.AppendEscaped(append((*a.text)[:0], `,"content":[{"type":"text","text":"`...), []byte(actions.AnswerOpening))
		a.w.Header().Set("Content-Type", "application/json")
		a.w.WriteHeader(http.StatusOK)
		io.WriteString(a.w, `{"jsonrpc":"2.0","id":`)
		a.w.Write(a.id)
		io.WriteString(a.w, `,"result":{"structuredContent":`+actions.AnswerOpening)
	}
	*a.text = rawjson.AppendEscaped(*a.text, p)
	return a.w.Write(p)
}

// finish closes the structured content with the next page's cursor and
// writes the text block after it.
func (a *streamedAnswer) finish(next *string) {
	closing := actions.AnswerClosing(next)
	a.w.Write(closing)
	*a.text = append(rawjson.AppendEscaped(*a.text, closing), `"}]}}`+"\n"...)
	a.w.Write(*a.text)
}

// release returns the text buffer to the pool, unless it grew past what is
// worth keeping.
func (a *streamedAnswer) release() {
	if a.text != nil && cap(*a.text) <= 4<<20 {
		textBuffers.Put(a.text)
	}
}

// encodeResult encodes a result's content, as the SDK would, and its
// structured content unless it is an action's answer (written as it is). An
// action's answer with no content gets its JSON as the text block, escaped
// straight from the records.
func encodeResult(res *sdk.CallToolResult) (content, structured []byte, err error) {
	rj, isAnswer := res.StructuredContent.(resultJSON)
	if isAnswer && res.Content == nil {
		raw, ok := rj.Data.(json.RawMessage)
		// Escaping grows JSON by about a fifth (every quote doubles).
		content = append(make([]byte, 0, len(raw)+len(raw)/4+128), `[{"type":"text","text":"`...)
		if ok {
			content = rawjson.AppendEscaped(content, []byte(actions.AnswerOpening))
			if raw == nil {
				raw = json.RawMessage("null")
			}
			content = rawjson.AppendEscaped(content, raw)
			content = rawjson.AppendEscaped(content, actions.AnswerClosing(rj.Next))
		} else {
			b, err := rj.AppendJSON(nil)
			if err != nil {
				return nil, nil, err
			}
			content = rawjson.AppendEscaped(content, b)
		}
		return append(content, `"}]`...), nil, nil
	}
	if content, err = json.Marshal(res.Content); err != nil {
		return nil, nil, err
	}
	if res.StructuredContent != nil && !isAnswer {
		structured, err = json.Marshal(res.StructuredContent)
	}
	return content, structured, err
}

// writeAnswer writes an action's {data, next} answer, records as they are.
func writeAnswer(w io.Writer, res actions.Result) {
	raw, ok := res.Data.(json.RawMessage)
	if !ok {
		b, _ := res.AppendJSON(nil) // encodeResult encoded it already
		w.Write(b)
		return
	}
	if raw == nil {
		raw = json.RawMessage("null")
	}
	io.WriteString(w, actions.AnswerOpening)
	w.Write(raw)
	w.Write(actions.AnswerClosing(res.Next))
}
