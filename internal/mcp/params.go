package mcp

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
)

// ParamStyle is how a tool's input schema lays out the action's parameters.
type ParamStyle string

const (
	// Nested groups parameters by location: {path: {...}, query: {...}, body: {...}}.
	Nested ParamStyle = "nested"
	// FlatPrefixed lists every parameter at the top level as {location}_{name}.
	FlatPrefixed ParamStyle = "flat_prefixed"
	// FlatSmart lists every parameter at the top level by its own name, adding
	// the {location}_ prefix only where two locations share a name.
	FlatSmart ParamStyle = "flat_smart"
)

// locations are the input groups of an action, in request order. Headers are
// not among them: no action takes header inputs, and the account header is the
// MCP request's own.
var locations = []string{"path", "query", "body"}

// layout maps one action's inputs to and from a tool's arguments in a style.
type layout struct {
	style     ParamStyle
	paginated bool
	write     bool // the tool takes an idempotency_key
	schema    map[string]any
	// fields maps each flat argument name to where it goes in the request.
	fields map[string]field
}

type field struct{ location, name string }

// newLayout builds the input schema of an action in the given style.
func newLayout(a *connectors.Action, style ParamStyle) layout {
	groups := map[string]map[string]any{"path": optional(a.Inputs.Path, a), "query": optional(a.Inputs.Query, a), "body": a.Inputs.Body}
	if style == Nested {
		props, required := map[string]any{}, []string{}
		for _, loc := range locations {
			if g := groups[loc]; g != nil {
				props[loc] = g
				if len(requiredOf(g)) > 0 {
					required = append(required, loc)
				}
			}
		}
		l := layout{style: style, paginated: a.Paginated, write: a.Method != http.MethodGet}
		l.schema = l.objectSchema(props, required)
		return l
	}
	seen := map[string]int{}
	for _, loc := range locations {
		for name := range propertiesOf(groups[loc]) {
			seen[name]++
		}
	}
	l := layout{style: style, paginated: a.Paginated, write: a.Method != http.MethodGet, fields: map[string]field{}}
	props, required := map[string]any{}, []string{}
	for _, loc := range locations {
		g := groups[loc]
		for _, name := range slices.Sorted(maps.Keys(propertiesOf(g))) {
			flat := name
			if style == FlatPrefixed || seen[name] > 1 {
				flat = loc + "_" + name
			}
			l.fields[flat] = field{loc, name}
			props[flat] = propertiesOf(g)[name]
			if slices.Contains(requiredOf(g), name) {
				required = append(required, flat)
			}
		}
	}
	l.schema = l.objectSchema(props, required)
	return l
}

// request turns a tool's arguments into the action request /actions/rpc would
// get. In the nested style, top-level keys that are not locations are body
// fields, as the hosted product's SDK sends them.
func (l layout) request(action string, args map[string]any) (actions.Request, error) {
	req := actions.Request{Action: action}
	groups := map[string]map[string]any{}
	put := func(loc, name string, v any) {
		if groups[loc] == nil {
			groups[loc] = map[string]any{}
		}
		groups[loc][name] = v
	}
	for k, v := range args {
		if l.paginated && (k == "next" || k == "page_size") {
			if err := paging(&req, k, v); err != nil {
				return req, err
			}
			continue
		}
		if l.style != Nested {
			f, ok := l.fields[k]
			if !ok {
				return req, fmt.Errorf("%s: not a parameter of %s", k, action)
			}
			put(f.location, f.name, v)
			continue
		}
		if !slices.Contains(locations, k) {
			put("body", k, v)
			continue
		}
		if k == "body" {
			if m, ok := v.(map[string]any); ok {
				for name, fv := range m {
					put("body", name, fv)
				}
				continue
			}
			req.Body = v // a body that is not an object goes through as it is
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return req, fmt.Errorf("%s: must be an object of %s parameters", k, k)
		}
		for name, fv := range m {
			put(k, name, fv)
		}
	}
	req.Path, req.Query = groups["path"], groups["query"]
	if b, ok := groups["body"]; ok {
		req.Body = b
	}
	return req, nil
}

// objectSchema is the tool's input schema. Paginated actions take the same
// next and page_size as /actions/rpc. The nested style stays open: top-level
// keys that are not locations are body fields.
func (l layout) objectSchema(props map[string]any, required []string) map[string]any {
	if l.paginated {
		props["next"] = map[string]any{"type": "string", "description": "Continue a list: the next value of the previous answer."}
		props["page_size"] = map[string]any{"type": "integer", "minimum": 1, "description": "Records per page, at most the provider's maximum."}
	}
	if l.write {
		props[keyArgument] = keyArgumentSchema
	}
	s := map[string]any{"type": "object", "properties": props}
	if l.style != Nested {
		s["additionalProperties"] = false
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// optional is a group's schema without the parameters the account's setup
// fills in (Employment Hero's organisation_id): agents may leave them out.
func optional(group map[string]any, a *connectors.Action) map[string]any {
	required := requiredOf(group)
	kept := slices.DeleteFunc(slices.Clone(required), func(name string) bool { _, ok := a.SetupDefaults[name]; return ok })
	if len(kept) == len(required) {
		return group
	}
	out := maps.Clone(group) // the definition's own schema stays as it is
	if len(kept) == 0 {
		delete(out, "required")
	} else {
		out["required"] = kept
	}
	return out
}

// paging sets the request's next or page_size from a tool argument.
func paging(req *actions.Request, k string, v any) error {
	if k == "next" {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("next: must be the string from the previous answer")
		}
		req.Next = s
		return nil
	}
	n, ok := v.(float64)
	if !ok || n != float64(int(n)) {
		return fmt.Errorf("page_size: must be a whole number")
	}
	req.SetPageSize(int(n))
	return nil
}

func propertiesOf(schema map[string]any) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	return props
}

// requiredOf reads a schema's required list: []any as YAML decodes it, or
// []string as this package builds it.
func requiredOf(schema map[string]any) []string {
	if list, ok := schema["required"].([]string); ok {
		return list
	}
	var out []string
	list, _ := schema["required"].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// InputNames lists a tool's parameters for people, one level into location
// groups ("path.member_id"), with a * on the required ones.
func InputNames(t *sdk.Tool) []string {
	var out []string
	var walk func(schema map[string]any, prefix string)
	walk = func(schema map[string]any, prefix string) {
		props := propertiesOf(schema)
		for _, name := range slices.Sorted(maps.Keys(props)) {
			sub, _ := props[name].(map[string]any)
			if prefix == "" && slices.Contains(locations, name) && propertiesOf(sub) != nil {
				walk(sub, name+".")
				continue
			}
			if slices.Contains(requiredOf(schema), name) {
				name += "*"
			}
			out = append(out, prefix+name)
		}
	}
	schema, _ := t.InputSchema.(map[string]any) // every tool here is built with a map
	walk(schema, "")
	return out
}
