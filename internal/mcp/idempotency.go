package mcp

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/idempotency"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// keyArgument is the argument of write tools that makes a call safe to
// retry; the POST's Idempotency-Key header does the same for clients that
// set headers.
const keyArgument = "idempotency_key"

var keyArgumentSchema = map[string]any{"type": "string", "minLength": 1, "maxLength": idempotency.MaxKeyLength,
	"description": "Optional. A unique value (e.g. a UUID) for this write: if the call is sent again with the same value and arguments within 24 hours, the first call's result comes back and nothing is written twice."}

// guard is how a tool call is kept from writing twice: the key it was sent
// with (none for reads), and whether running it again after a crash cannot
// write twice.
type guard struct {
	key        string
	repeatable bool
}

// writeGuard takes the idempotency key out of a write tool's arguments, or
// from the request's header.
func writeGuard(ctx context.Context, a *connectors.Action, args map[string]any) guard {
	arg, _ := args[keyArgument].(string)
	if a.Method == http.MethodGet {
		return guard{}
	}
	delete(args, keyArgument)
	c, _ := ctx.Value(callKey{}).(call)
	return guard{key: cmp.Or(arg, c.key), repeatable: a.Repeatable()}
}

// runOnce runs a write tool at most once per key: a retry gets the first
// call's result, with _meta saying it is replayed.
func (s *Service) runOnce(ctx context.Context, c call, req actions.Request, g guard) (*sdk.CallToolResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode tool call: %w", err)
	}
	claim, kept, err := s.idempotency.Begin(ctx, idempotency.Request{ProjectID: c.who.ProjectID, Key: g.key, Method: "tools/call",
		Target: req.Action, AccountID: c.accountID, Body: body, Repeatable: g.repeatable})
	if p, ok := errors.AsType[*problem.Error](err); ok {
		return errorResult(problem.HTTPStatus(p), p.Message, p), nil
	}
	if err != nil {
		return nil, err
	}
	if kept != nil {
		var res sdk.CallToolResult
		if err := json.Unmarshal(kept.Body, &res); err != nil {
			return nil, fmt.Errorf("read a kept tool result: %w", err)
		}
		res.Meta = sdk.Meta{"idempotency_replayed": true}
		return &res, nil
	}
	// The whole result is kept for a retry, so it is not streamed.
	c.records = nil
	res, status, err := s.runAction(ctx, c, req)
	if err != nil {
		claim.Abandon()
		return nil, err
	}
	// A write's answer is small: its text block is made here, so that the
	// kept result is the one the client gets.
	if err := withTextBlock(res); err != nil {
		claim.Abandon()
		return nil, err
	}
	answer := store.StoredAnswer{Status: status}
	if answer.Body, err = json.Marshal(res); err != nil {
		claim.Abandon()
		return nil, fmt.Errorf("encode tool result: %w", err)
	}
	if err := claim.End(context.WithoutCancel(ctx), answer); err != nil {
		s.log.ErrorContext(ctx, "could not keep a tool call's result", "err", err, "request_id", c.who.RequestID)
	}
	return res, nil
}
