package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// MaxMessage bounds one JSON-RPC message a client posts.
const MaxMessage = 1 << 20

// JSON-RPC error codes.
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeInvalidParams  = -32602
)

// rpcError is a JSON-RPC error the server answers before the SDK sees the
// message.
type rpcError struct {
	code    int
	message string
}

// checkMessage reads the body of a POST /mcp and checks its envelope: one
// JSON-RPC message (MCP 2025-06-18 removed batches, and a batch would run
// any number of tool calls on one request of the key's quota), with the
// members and params of the methods served in the shapes the specification
// gives. It returns the body for the SDK to read again, or the error to
// answer, which never names a Go type.
func checkMessage(r *http.Request) ([]byte, *rpcError) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxMessage))
	if err != nil {
		return nil, &rpcError{codeInvalidRequest, fmt.Sprintf("the message is larger than %d bytes or could not be read", MaxMessage)}
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return nil, &rpcError{codeInvalidRequest, "batches are not supported (MCP 2025-06-18 removed them): post one message per request"}
	}
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		if json.Valid(body) {
			return nil, &rpcError{codeInvalidRequest, "the message must be a JSON-RPC object"}
		}
		return nil, &rpcError{codeParseError, "the message is not valid JSON"}
	}
	if !isJSON(msg["jsonrpc"], `"2.0"`) {
		return nil, &rpcError{codeInvalidRequest, `jsonrpc: must be "2.0"`}
	}
	if id, ok := msg["id"]; ok && kind(id) != "string" && !isInteger(id) {
		return nil, &rpcError{codeInvalidRequest, "id: must be a string or a whole number"}
	}
	method, hasMethod := msg["method"]
	if !hasMethod {
		if _, ok := msg["id"]; !ok || (msg["result"] == nil && msg["error"] == nil) {
			return nil, &rpcError{codeInvalidRequest, "method: required, a string such as \"tools/list\""}
		}
		return body, nil // a response to the server: the SDK checks it
	}
	var name string
	if json.Unmarshal(method, &name) != nil {
		return nil, &rpcError{codeInvalidRequest, "method: must be a string"}
	}
	params, hasParams := msg["params"]
	if hasParams && kind(params) != "object" {
		return nil, &rpcError{codeInvalidParams, "params: must be an object"}
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(params, &fields) // an object, checked above, or absent
	for field, want := range paramShapes[name] {
		v, ok := fields[field]
		if !ok || (kind(v) == "null" && !want.required) { // clients send an absent optional member as null
			if want.required {
				return nil, &rpcError{codeInvalidParams, fmt.Sprintf("params.%s: required, %s", field, want.kind)}
			}
			continue
		}
		if kind(v) != want.kind {
			return nil, &rpcError{codeInvalidParams, fmt.Sprintf("params.%s: must be %s %s", field, article(want.kind), want.kind)}
		}
	}
	return body, nil
}

// shape is the JSON kind of one member of a method's params.
type shape struct {
	kind     string // object, array, string, number, boolean
	required bool
}

// paramShapes are the params of the methods Patchbay serves, as the MCP
// specification gives them.
var paramShapes = map[string]map[string]shape{
	"initialize": {"protocolVersion": {"string", true}, "capabilities": {"object", true}, "clientInfo": {"object", true},
		"_meta": {"object", false}},
	"tools/list": {"cursor": {"string", false}, "_meta": {"object", false}},
	"tools/call": {"name": {"string", true}, "arguments": {"object", false}, "_meta": {"object", false}},
	"ping":       {"_meta": {"object", false}},
}

// kind names the JSON kind of a value.
func kind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func isInteger(v json.RawMessage) bool {
	var n int64
	return kind(v) == "number" && json.Unmarshal(v, &n) == nil
}

func isJSON(v json.RawMessage, want string) bool { return string(bytes.TrimSpace(v)) == want }

func article(kind string) string {
	if kind == "object" || kind == "array" {
		return "an"
	}
	return "a"
}

// answer writes a JSON-RPC error for a message the server refused.
func (e *rpcError) answer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": e.code, "message": e.message}})
}
