// Checking a call before it is sent: the grant's scopes, the input against the
// action's JSON Schemas, and the provider URL built from the definition.

package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
)

// missingScopes lists the action's scopes that the account's grant (after
// inheritance) does not cover. Accounts without a reported scope list are taken
// to hold what the profile requests, as providers that fix scopes at
// registration do not report them.
func missingScopes(c *connectors.Connector, p store.ConnectorProfile, a store.Account, action *connectors.Action) []string {
	granted := a.Credentials.Scopes
	if len(granted) == 0 {
		res, err := c.Calculate(connectors.Selection{Actions: p.EnabledActions, ExtraScopes: p.ExtraScopes})
		if err == nil {
			granted = res.Scopes
		}
	}
	var missing []string
	for _, sc := range action.Scopes {
		if !c.Covers(granted, sc) {
			missing = append(missing, sc)
		}
	}
	return missing
}

// validate checks every input part against its schema and returns one line per problem.
func validate(action *connectors.Action, req Request) []string {
	var problems []string
	parts := []struct {
		name  string
		value any
	}{{"path", req.Path}, {"query", req.Query}, {"body", req.Body}}
	for _, part := range parts {
		schema := action.Schema(part.name)
		empty := part.value == nil || (isMap(part.value) && len(part.value.(map[string]any)) == 0)
		if schema == nil {
			if !empty {
				problems = append(problems, part.name+": "+action.ID+" takes no "+part.name+" input")
			}
			continue
		}
		v := part.value
		if v == nil {
			v = map[string]any{}
		}
		if err := schema.Validate(normalise(v)); err != nil {
			var ve *jsonschema.ValidationError
			if errors.As(err, &ve) {
				for _, leaf := range leaves(ve) {
					where := part.name
					if len(leaf.InstanceLocation) > 0 {
						where += "." + strings.Join(leaf.InstanceLocation, ".")
					}
					problems = append(problems, where+": "+leaf.ErrorKind.LocalizedString(printer))
				}
				continue
			}
			problems = append(problems, part.name+": "+err.Error())
		}
	}
	return problems
}

// printer renders validation messages in English.
var printer = message.NewPrinter(language.English)

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

// leaves returns the innermost validation failures, which name the real problems.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// normalise turns a value into the types the schema validator reads, those of
// decoded JSON; a value already made of them (a decoded request) is used as it
// is, without a round trip through JSON.
func normalise(v any) any {
	if decodedJSON(v) {
		return v
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return v
	}
	return out
}

// decodedJSON reports whether v holds only what encoding/json decodes into an
// any: maps of any, slices of any, float64, string, bool and nil.
func decodedJSON(v any) bool {
	switch v := v.(type) {
	case nil, bool, float64, string:
		return true
	case []any:
		for _, item := range v {
			if !decodedJSON(item) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, item := range v {
			if !decodedJSON(item) {
				return false
			}
		}
		return true
	}
	return false
}

// buildURL fills the path template and adds the query parameters in a stable order.
func buildURL(base string, action *connectors.Action, req Request) (string, error) {
	path := action.Path
	for name, v := range req.Path {
		segment := scalar(v)
		if segment == "" || segment == "." || segment == ".." || strings.ContainsAny(segment, `/\`) {
			return "", fmt.Errorf("path.%s: %q is not a single path segment (no /, \\, . or ..)", name, segment)
		}
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(segment))
	}
	if strings.Contains(path, "{") {
		return "", fmt.Errorf("path: a path parameter of %s is missing", action.Path)
	}
	q := url.Values{}
	keys := make([]string, 0, len(req.Query))
	for k := range req.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := req.Query[k].(type) {
		case []any:
			for _, item := range v {
				q.Add(k, scalar(item))
			}
		default:
			q.Set(k, scalar(v))
		}
	}
	for k, v := range req.Proxy {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}
