// Package mcp serves a linked account's actions as tools to AI agents over the
// Model Context Protocol. It is a front end over the actions executor: a tool
// call is the same call as POST /actions/rpc, with the same tokens, throttling,
// retries, scope checks and request log.
package mcp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/idempotency"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/toolsearch"
)

// ToolMode is how an account's actions become tools.
type ToolMode string

const (
	// Individual offers one tool per action the account can run.
	Individual ToolMode = "individual"
	// SearchExecute offers two tools: search the actions, and run one by id.
	SearchExecute ToolMode = "search_execute"
)

// Options choose the tools' shape, from the tool-mode and param-style query
// parameters of /mcp.
type Options struct {
	ToolMode   ToolMode
	ParamStyle ParamStyle
	// Tools narrows the account's actions (the tools parameter).
	Tools connectors.ActionFilter
}

// ParseOptions reads tool-mode, param-style and tools, defaulting to
// individual tools with nested parameters, every action the account can run.
func ParseOptions(q url.Values) (Options, error) {
	o := Options{ToolMode: Individual, ParamStyle: Nested}
	switch m := ToolMode(q.Get("tool-mode")); m {
	case "":
	case Individual, SearchExecute:
		o.ToolMode = m
	default:
		return o, fmt.Errorf("tool-mode: %q is not a tool mode; use individual or search_execute", m)
	}
	switch s := ParamStyle(q.Get("param-style")); s {
	case "":
	case Nested, FlatPrefixed, FlatSmart:
		o.ParamStyle = s
	default:
		return o, fmt.Errorf("param-style: %q is not a parameter style; use nested, flat_prefixed or flat_smart", s)
	}
	var err error
	o.Tools, err = connectors.ParseActionFilter("tools", q.Get("tools"))
	return o, err
}

// Service builds MCP servers for linked accounts.
type Service struct {
	actions     *actions.Executor
	idempotency *idempotency.Service
	version     string
	log         *slog.Logger

	// servers are shared by every account whose tools are the same: building
	// one costs far more than a request (the SDK checks every schema), and
	// what differs between accounts — who calls, for which account — comes
	// with each request's context.
	mu      sync.Mutex
	servers map[string]*served
}

// served is a shared server and its tools by name (tools/call answers
// them directly; see direct.go).
type served struct {
	srv   *sdk.Server
	tools map[string]tool
}

// maxServers bounds the shared servers: there are as many as distinct sets
// of tools in use, which profiles keep few; past the bound they are rebuilt.
const maxServers = 1024

// Config configures a Service.
type Config struct {
	Actions *actions.Executor
	// Idempotency, when set, keeps the results of write tools called with an
	// idempotency key, so that a retried call does not write twice.
	Idempotency *idempotency.Service
	// Version is Patchbay's, reported to clients as the server version.
	Version string
	Logger  *slog.Logger // nil is the default logger
}

// New returns the MCP service over the actions executor.
func New(o Config) *Service {
	return &Service{actions: o.Actions, idempotency: o.Idempotency, version: o.Version, log: cmp.Or(o.Logger, slog.Default()), servers: map[string]*served{}}
}

// call is who calls a tool, for which account: what a shared server learns
// from each request's context.
type call struct {
	who       actions.Caller
	accountID string
	// records, on the direct path, takes an action's records as they arrive
	// (see direct.go); nil on the SDK's.
	records io.Writer
	// key is the HTTP request's Idempotency-Key, for a write tool's call.
	key string
}

type callKey struct{}

func withCall(ctx context.Context, c call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// Tools lists the tools an agent sees for the account, in order.
func (s *Service) Tools(ctx context.Context, who actions.Caller, accountID string, o Options) ([]*sdk.Tool, error) {
	c, available, err := s.actions.Available(ctx, who, accountID)
	if err != nil {
		return nil, err
	}
	var out []*sdk.Tool
	for _, t := range s.tools(c, o.Tools.Apply(available), o) {
		out = append(out, t.Tool)
	}
	return out, nil
}

// Handler returns the MCP handler for one HTTP request to the account's
// server. Servers hold no state between requests, so any Patchbay node answers
// any request of a session. It fails, before any MCP exchange, when the account
// is unknown to the caller's project or not usable.
func (s *Service) Handler(ctx context.Context, who actions.Caller, accountID string, o Options) (http.Handler, error) {
	c, available, err := s.actions.Available(ctx, who, accountID)
	if err != nil {
		return nil, err
	}
	available = o.Tools.Apply(available)
	key := []string{string(o.ToolMode), string(o.ParamStyle), o.Tools.String(), c.Key}
	for _, a := range available {
		key = append(key, a.ID)
	}
	srv := s.cached(strings.Join(key, " "), func() []tool { return s.tools(c, available, o) })
	return s.serve(srv, who, accountID), nil
}

// serve answers one HTTP request with sv, its tools running for who (on
// accountID, unless a tool names the account).
func (s *Service) serve(sv *served, who actions.Caller, accountID string) http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return sv.srv }, handlerOptions)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := withCall(r.Context(), call{who: who, accountID: accountID, key: r.Header.Get("Idempotency-Key")})
		if r.Method == http.MethodPost {
			body, refused := checkMessage(r)
			if refused != nil {
				refused.answer(w)
				return
			}
			if c, t, ok := sv.directCall(r, body); ok {
				answerDirect(ctx, w, c, t)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// handlerOptions serve every request on its own. The API key is the protection
// against DNS rebinding, so requests through a local reverse proxy are welcome.
var handlerOptions = &sdk.StreamableHTTPOptions{Stateless: true, JSONResponse: true, DisableLocalhostProtection: true}

// cached returns the shared server known by key, building it with the
// tools build returns when there is none.
func (s *Service) cached(key string, build func() []tool) *served {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sv, ok := s.servers[key]; ok {
		return sv
	}
	srv := sdk.NewServer(&sdk.Implementation{Name: "patchbay", Title: "Patchbay", Version: s.version}, &sdk.ServerOptions{
		Instructions: "Tools read and write linked HR and payroll accounts through Patchbay.",
		Logger:       s.log,
	})
	sv := &served{srv: srv, tools: map[string]tool{}}
	for _, t := range build() {
		srv.AddTool(t.Tool, withText(t.handler))
		sv.tools[t.Name] = t
	}
	if len(s.servers) >= maxServers {
		clear(s.servers)
	}
	s.servers[key] = sv
	return sv
}

type tool struct {
	*sdk.Tool
	handler sdk.ToolHandler
}

func (s *Service) tools(c *connectors.Connector, available []*connectors.Action, o Options) []tool {
	if o.ToolMode == SearchExecute {
		return searchExecute(c, available, o.Tools, s.run)
	}
	out := make([]tool, 0, len(available))
	for _, a := range available {
		l := newLayout(a, o.ParamStyle)
		out = append(out, tool{
			Tool: &sdk.Tool{Name: a.ID, Title: a.Label, Description: a.Description, InputSchema: l.schema, Annotations: annotations(a)},
			handler: func(ctx context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				args, err := arguments(r.Params.Arguments)
				if err != nil {
					return invalid(err), nil
				}
				g := writeGuard(ctx, a, args)
				req, err := l.request(a.ID, args)
				if err != nil {
					return invalid(err), nil
				}
				return s.run(ctx, req, g)
			},
		})
	}
	return out
}

// run calls the action for the request's caller and account, as
// /actions/rpc does.
func (s *Service) run(ctx context.Context, req actions.Request, g guard) (*sdk.CallToolResult, error) {
	c, ok := ctx.Value(callKey{}).(call)
	if !ok {
		return nil, errors.New("tool call without a caller: serve MCP through Service.Handler")
	}
	if g.key != "" && s.idempotency != nil {
		return s.runOnce(ctx, c, req, g)
	}
	res, _, err := s.runAction(ctx, c, req)
	return res, err
}

// runAction calls the action and makes its answer a tool result, with the
// HTTP status /actions/rpc would answer.
func (s *Service) runAction(ctx context.Context, c call, req actions.Request) (*sdk.CallToolResult, int, error) {
	res, err := s.actions.Run(ctx, c.who, c.accountID, req, c.records)
	status := problem.HTTPStatus(err) // 500 for an error that is no problem
	p, isProblem := errors.AsType[*problem.Error](err)
	switch {
	case errors.Is(err, actions.ErrAnswerBegun):
		return nil, status, err // the answer has begun: only its writer can end it
	case isProblem:
		return errorResult(status, p.Message, p), status, nil
	case err != nil:
		s.log.ErrorContext(ctx, "tool call failed", "err", err, "request_id", c.who.RequestID)
		return errorResult(status, "Internal error; see the server log for request "+c.who.RequestID, nil), status, nil
	}
	out, err := structured(res)
	return out, status, err
}

// searchExecute is the two-tool mode: {provider}_search_actions ranks the
// account's actions for a plain-language query, and {provider}_execute_action
// runs one of them by id, with nested parameters since its action is chosen at
// call time.
func searchExecute(c *connectors.Connector, available []*connectors.Action, filter connectors.ActionFilter, run func(context.Context, actions.Request, guard) (*sdk.CallToolResult, error)) []tool {
	ix := toolsearch.New(c.Key, available)
	search := tool{
		Tool: &sdk.Tool{
			Name:        c.Key + "_search_actions",
			Title:       "Search " + c.Name + " actions",
			Description: "Finds the " + c.Name + " actions that match a plain-language request, best first, with action_id, description and a 0-1 score. Run one with " + c.Key + "_execute_action.",
			InputSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"query": map[string]any{"type": "string", "minLength": 1, "description": "What you want to do, in plain words, e.g. \"list employees\"."},
					"top_k": map[string]any{"type": "integer", "minimum": 1, "maximum": 50, "description": "How many matches to return (default 5)."},
				},
				"required":             []string{"query"},
				"additionalProperties": false,
			},
			Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)},
		},
		handler: func(_ context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var in struct {
				Query string `json:"query"`
				TopK  int    `json:"top_k"`
			}
			if err := json.Unmarshal(orEmpty(r.Params.Arguments), &in); err != nil {
				return invalid(problem.FromJSON("arguments", err)), nil
			}
			switch {
			case in.Query == "":
				return invalid(errors.New("query: required, e.g. \"list employees\"")), nil
			case in.TopK == 0:
				in.TopK = 5
			case in.TopK < 1 || in.TopK > 50:
				return invalid(errors.New("top_k: must be between 1 and 50")), nil
			}
			return structured(map[string]any{"data": ix.Search(in.Query, in.TopK)})
		},
	}
	execute := tool{
		Tool: &sdk.Tool{
			Name:        c.Key + "_execute_action",
			Title:       "Run a " + c.Name + " action",
			Description: "Runs one " + c.Name + " action by the action_id " + c.Key + "_search_actions returned, with its parameters grouped as path, query and body.",
			InputSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"action_id": map[string]any{"type": "string", "minLength": 1, "description": "The action to run, e.g. " + c.Key + "_list_…"},
					"path":      map[string]any{"type": "object", "description": "Path parameters."},
					"query":     map[string]any{"type": "object", "description": "Query parameters."},
					"body":      map[string]any{"description": "The request body, for writes."},
					"next":      map[string]any{"type": "string", "description": "Continue a list: the next value of the previous answer."},
					"page_size": map[string]any{"type": "integer", "minimum": 1, "description": "Records per page, at most the provider's maximum."},
					keyArgument: keyArgumentSchema,
				},
				"required": []string{"action_id"},
			},
			Annotations: &sdk.ToolAnnotations{DestructiveHint: new(true)},
		},
		handler: func(ctx context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			args, err := arguments(r.Params.Arguments)
			if err != nil {
				return invalid(err), nil
			}
			id, _ := args["action_id"].(string)
			if id == "" {
				return invalid(errors.New("action_id: required, from " + c.Key + "_search_actions")), nil
			}
			if !filter.Allows(id) {
				return errorResult(http.StatusForbidden, "action_id: "+id+" is not among this connection's tools ("+filter.String()+")", nil), nil
			}
			delete(args, "action_id")
			// Any known action is run, so that a disabled or unscoped one
			// answers with the same error as /actions/rpc.
			l := layout{style: Nested, paginated: true}
			var g guard
			if a, ok := c.Action(id); ok {
				l = newLayout(a, Nested)
				l.paginated = true
				g = writeGuard(ctx, a, args)
			}
			delete(args, keyArgument)
			req, err := l.request(id, args)
			if err != nil {
				return invalid(err), nil
			}
			return run(ctx, req, g)
		},
	}
	return []tool{search, execute}
}

// annotations hint at what a tool does: reads are read-only and idempotent;
// writes may change or remove the provider's data.
func annotations(a *connectors.Action) *sdk.ToolAnnotations {
	if a.Method == http.MethodGet {
		return &sdk.ToolAnnotations{Title: a.Label, ReadOnlyHint: true, IdempotentHint: true}
	}
	return &sdk.ToolAnnotations{Title: a.Label, DestructiveHint: new(true), IdempotentHint: a.Idempotent}
}

// structured answers v as JSON text and as structured content. An action's
// result is left as it is, its records as the executor checked them: the
// direct path (direct.go) writes them once as they are and once escaped as
// the text block, and withText does the same for the SDK.
func structured(v any) (*sdk.CallToolResult, error) {
	if res, ok := v.(actions.Result); ok {
		return &sdk.CallToolResult{StructuredContent: resultJSON{res}}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode tool result: %w", err)
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(b)}}, StructuredContent: json.RawMessage(b)}, nil
}

// resultJSON is an action's answer as a tool's structured content.
type resultJSON struct{ actions.Result }

func (r resultJSON) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// withText completes, for the SDK to encode, a result whose text block its
// encoder was to write: the same JSON as its structured content.
func withText(h sdk.ToolHandler) sdk.ToolHandler {
	return func(ctx context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		res, err := h(ctx, r)
		if err != nil {
			return res, err
		}
		return res, withTextBlock(res)
	}
}

// withTextBlock gives an action's result, left for the direct path to
// encode, its text block: the same JSON as its structured content.
func withTextBlock(res *sdk.CallToolResult) error {
	if rj, ok := res.StructuredContent.(resultJSON); ok && res.Content == nil {
		b, err := rj.AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("encode tool result: %w", err)
		}
		res.Content, res.StructuredContent = []sdk.Content{&sdk.TextContent{Text: string(b)}}, json.RawMessage(b)
	}
	return nil
}

// errorResult is a tool error with the body /actions/rpc would answer, err
// being the problem it reports, if any: the agent reads error_category and
// retryable to decide what to do next.
func errorResult(status int, message string, err error) *sdk.CallToolResult {
	b, _ := json.Marshal(problem.BodyOf(status, message, err))
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: string(b)}}}
}

func invalid(err error) *sdk.CallToolResult {
	return errorResult(http.StatusBadRequest, err.Error(), err)
}

// arguments decodes a tool call's arguments, which must be an object.
func arguments(raw json.RawMessage) (map[string]any, error) {
	args := map[string]any{}
	if err := json.Unmarshal(orEmpty(raw), &args); err != nil {
		return nil, problem.FromJSON("arguments", err)
	}
	return args, nil
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return raw
}
