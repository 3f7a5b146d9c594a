package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
)

// ListAccountsTool lists the accounts of a server that reaches several.
const ListAccountsTool = "list_linked_accounts"

// HandlerForAccounts is Handler for a caller that reaches several linked
// accounts at once (an AI app's grant): every tool takes an account_id
// argument naming one of them, and the list_linked_accounts tool lists them.
// Each provider's actions are offered once, with the accounts they can run on.
func (s *Service) HandlerForAccounts(ctx context.Context, who actions.Caller, accounts []store.Account, o Options) (http.Handler, error) {
	groups := map[string]*accountGroup{}
	for _, a := range accounts {
		c, available, err := s.actions.Available(ctx, who, a.ID)
		if err != nil {
			continue // an account that cannot be called now is not offered
		}
		g := groups[c.Key]
		if g == nil {
			g = &accountGroup{c: c}
			groups[c.Key] = g
		}
		g.ids = append(g.ids, a.ID)
		for _, action := range o.Tools.Apply(available) {
			if !slices.Contains(g.available, action) {
				g.available = append(g.available, action)
			}
		}
	}
	key := []string{"accounts", string(o.ToolMode), string(o.ParamStyle), o.Tools.String()}
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		g := groups[k]
		key = append(key, k, strings.Join(g.ids, ","))
		for _, a := range g.available {
			key = append(key, a.ID)
		}
	}
	listing := linkedAccounts(accounts, groups)

	srv := s.cached(strings.Join(key, " "), func() []tool {
		out := []tool{listAccountsTool(listing)}
		for _, k := range slices.Sorted(maps.Keys(groups)) {
			g := groups[k]
			for _, t := range s.tools(g.c, g.available, o) {
				out = append(out, onAccount(t, g.c, g.ids))
			}
		}
		return out
	})
	return s.serve(srv, who, ""), nil
}

// accountGroup is one provider's accounts on a multi-account server, and
// the actions any of them can run.
type accountGroup struct {
	c         *connectors.Connector
	ids       []string
	available []*connectors.Action
}

// linkedAccounts is what list_linked_accounts answers: the accounts the
// tools can be called on.
func linkedAccounts(accounts []store.Account, groups map[string]*accountGroup) []map[string]any {
	out := []map[string]any{}
	for _, a := range accounts {
		if g := groups[a.Provider]; g != nil && slices.Contains(g.ids, a.ID) {
			out = append(out, map[string]any{"id": a.ID, "provider": a.Provider, "provider_name": g.c.Name,
				"origin_owner_id": a.OriginOwnerID, "origin_owner_name": a.OriginOwnerName, "label": a.Label})
		}
	}
	return out
}

// onAccount adds a required account_id argument to a tool: the call runs on
// that account, which must be one of ids.
func onAccount(t tool, c *connectors.Connector, ids []string) tool {
	schema, _ := t.InputSchema.(map[string]any)
	schema = maps.Clone(schema)
	props := maps.Clone(propertiesOf(schema))
	if props == nil {
		props = map[string]any{}
	}
	props["account_id"] = map[string]any{"type": "string", "enum": ids,
		"description": "The " + c.Name + " account to call, from " + ListAccountsTool + "."}
	schema["properties"] = props
	schema["required"] = append(slices.Clone(requiredOf(schema)), "account_id")
	withAccount := *t.Tool
	withAccount.InputSchema = schema
	withAccount.Description = strings.TrimSpace(t.Description + " Runs on the " + c.Name + " account named by account_id.")
	inner := t.handler
	return tool{Tool: &withAccount, handler: func(ctx context.Context, r *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		args, err := arguments(r.Params.Arguments)
		if err != nil {
			return invalid(err), nil
		}
		id, _ := args["account_id"].(string)
		if !slices.Contains(ids, id) {
			return invalid(fmt.Errorf("account_id: required, one of the %s accounts %s lists: %s", c.Name, ListAccountsTool, strings.Join(ids, ", "))), nil
		}
		delete(args, "account_id")
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		c, ok := ctx.Value(callKey{}).(call)
		if !ok {
			return nil, errors.New("tool call without a caller: serve MCP through Service.HandlerForAccounts")
		}
		c.accountID = id
		params := *r.Params
		params.Arguments = raw
		return inner(withCall(ctx, c), &sdk.CallToolRequest{Session: r.Session, Params: &params, Extra: r.Extra})
	}}
}

// listAccountsTool answers the accounts a multi-account server reaches.
func listAccountsTool(listing []map[string]any) tool {
	return tool{
		Tool: &sdk.Tool{
			Name:        ListAccountsTool,
			Title:       "List linked accounts",
			Description: "Lists the HR and payroll accounts these tools can call: id (pass it as account_id), provider, and the company or person it belongs to.",
			InputSchema: map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false},
			Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)},
		},
		handler: func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return structured(map[string]any{"data": listing})
		},
	}
}
