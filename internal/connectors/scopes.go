package connectors

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// UnknownActionsError lists action ids a connector does not define.
type UnknownActionsError struct {
	Connector string
	IDs       []string
}

func (e *UnknownActionsError) Error() string {
	return fmt.Sprintf("unknown %s actions: %s", e.Connector, strings.Join(e.IDs, ", "))
}

// Separators maps the names of the supported scope separators to their text.
var Separators = map[string]string{
	"space":     " ",
	"comma":     ",",
	"semicolon": ";",
	"pipe":      "|",
	"newline":   "\n",
}

// SeparatorNames lists the separator names in a stable order, for messages.
func SeparatorNames() []string {
	names := make([]string, 0, len(Separators))
	for n := range Separators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// JoinScopes joins scopes with the named separator.
func JoinScopes(scopes []string, separator string) (string, error) {
	sep, ok := Separators[separator]
	if !ok {
		return "", fmt.Errorf("unknown separator %q (use %s)", separator, strings.Join(SeparatorNames(), ", "))
	}
	return strings.Join(scopes, sep), nil
}

// Selection is what an admin picks in the scope selector.
type Selection struct {
	// Actions are the action ids whose scopes to request; AllActions alone
	// names every action. None means no action's scopes (extra scopes only):
	// the one rule of the CLI, the API and the guide.
	Actions     []string
	ExtraScopes []string // e.g. field-level scopes wanted on top
	Separator   string   // a key of Separators; empty means "space"
	Minimal     bool     // drop scopes that another selected scope includes
}

// Result is the scope selector's answer.
type Result struct {
	Scopes []string
	Text   string // Scopes joined with the separator
	// EnabledActions are the actions the resulting scopes allow.
	EnabledActions []*Action
}

// AllActions, as the only action of a Selection, names every action.
const AllActions = "all"

// Calculate turns a selection into the scopes to request. Errors name the
// selection field at fault.
func (c *Connector) Calculate(sel Selection) (Result, error) {
	if len(sel.Actions) == 1 && sel.Actions[0] == AllActions {
		sel.Actions = nil
		for _, a := range c.Actions {
			sel.Actions = append(sel.Actions, a.ID)
		}
	}
	if sel.Separator == "" {
		sel.Separator = "space"
	}
	if _, ok := Separators[sel.Separator]; !ok {
		return Result{}, fmt.Errorf("separator: unknown %q; use one of %s", sel.Separator, strings.Join(SeparatorNames(), ", "))
	}
	for _, sc := range sel.ExtraScopes {
		if _, ok := c.Scope(sc); !ok {
			return Result{}, fmt.Errorf("extra_scopes: %q is not a %s scope", sc, c.Key)
		}
	}
	scopes, err := c.RequiredScopes(sel.Actions)
	if err != nil {
		return Result{}, fmt.Errorf("actions: %w", err)
	}
	set := map[string]bool{}
	for _, sc := range append(scopes, sel.ExtraScopes...) {
		set[sc] = true
	}
	scopes = c.inDefinitionOrder(set)
	if sel.Minimal {
		scopes = c.MinimalScopes(scopes)
	}
	text, _ := JoinScopes(scopes, sel.Separator)
	return Result{Scopes: scopes, Text: text, EnabledActions: c.EnabledActions(scopes)}, nil
}

// RequiredScopes returns the union of the scopes the given actions need, in the
// order the connector defines its scopes. Unknown ids give an *UnknownActionsError
// naming each of them.
func (c *Connector) RequiredScopes(actionIDs []string) ([]string, error) {
	need := map[string]bool{}
	var unknown []string
	for _, id := range actionIDs {
		a, ok := c.Action(id)
		if !ok {
			if !slices.Contains(unknown, id) {
				unknown = append(unknown, id)
			}
			continue
		}
		for _, s := range a.Scopes {
			need[s] = true
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownActionsError{Connector: c.Key, IDs: unknown}
	}
	return c.inDefinitionOrder(need), nil
}

// MinimalScopes drops every scope that another scope in the set already includes.
func (c *Connector) MinimalScopes(scopes []string) []string {
	implied := map[string]bool{}
	for _, s := range scopes {
		for _, inc := range c.includes(s) {
			implied[inc] = true
		}
	}
	var out []string
	for _, s := range scopes {
		if !implied[s] && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Effective returns the granted scopes plus everything they include, in
// definition order; scopes the connector does not define are kept at the end.
func (c *Connector) Effective(granted []string) []string {
	have := map[string]bool{}
	var foreign []string
	for _, s := range granted {
		if _, ok := c.scopeIndex[s]; !ok {
			if !slices.Contains(foreign, s) {
				foreign = append(foreign, s)
			}
			continue
		}
		have[s] = true
		for _, inc := range c.includes(s) {
			have[inc] = true
		}
	}
	return append(c.inDefinitionOrder(have), foreign...)
}

// Covers reports whether the granted scopes give scope, themselves or through
// inheritance: whether Effective(granted) holds it, without building that list.
func (c *Connector) Covers(granted []string, scope string) bool {
	for _, g := range granted {
		if g == scope || slices.Contains(c.includes(g), scope) {
			return true
		}
	}
	return false
}

// EnabledActions returns the actions whose scopes the granted set covers, after
// inheritance.
func (c *Connector) EnabledActions(granted []string) []*Action {
	have := map[string]bool{}
	for _, s := range c.Effective(granted) {
		have[s] = true
	}
	var out []*Action
	for i := range c.Actions {
		a := &c.Actions[i]
		if !slices.ContainsFunc(a.Scopes, func(s string) bool { return !have[s] }) {
			out = append(out, a)
		}
	}
	return out
}

// RedirectURI is the OAuth callback to register with the provider for a
// deployment reachable at publicURL.
func (c *Connector) RedirectURI(publicURL string) string {
	return strings.TrimRight(publicURL, "/") + "/connect/oauth2/" + c.Key + "/callback"
}

// Steps returns the registration steps with "{redirect_uri}" filled in for a
// deployment reachable at publicURL.
func (c *Connector) Steps(publicURL string) []string {
	out := make([]string, len(c.RegistrationSteps))
	for i, s := range c.RegistrationSteps {
		out[i] = strings.ReplaceAll(s, "{redirect_uri}", c.RedirectURI(publicURL))
	}
	return out
}

// includes returns every scope s grants besides itself, following chains.
func (c *Connector) includes(s string) []string { return c.closure[s] }

// inherited walks the includes of scope s, for the closure kept at load.
func (c *Connector) inherited(s string) []string {
	var out []string
	queue := []string{s}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		sc, ok := c.Scope(cur)
		if !ok {
			continue
		}
		for _, inc := range sc.Includes {
			if inc != s && !slices.Contains(out, inc) {
				out = append(out, inc)
				queue = append(queue, inc)
			}
		}
	}
	return out
}

func (c *Connector) inDefinitionOrder(set map[string]bool) []string {
	var out []string
	for _, s := range c.Scopes {
		if set[s.ID] {
			out = append(out, s.ID)
		}
	}
	return out
}
