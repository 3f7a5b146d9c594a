package connectors

import (
	"fmt"
	"path"
	"strings"
)

// ActionFilter narrows a set of actions by glob patterns over their ids, as
// /mcp's tools parameter and the AI app consent page give them:
// "justworks_*,!*_delete_*". An action passes when it matches an include
// pattern (or there is none) and no exclude pattern (one that starts with "!").
type ActionFilter struct {
	include, exclude []string
}

// ParseActionFilter reads comma-separated patterns; field names the input in
// an error.
func ParseActionFilter(field, spec string) (ActionFilter, error) {
	var f ActionFilter
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		excluded := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return ActionFilter{}, fmt.Errorf("%s: %q is not a glob pattern over action ids, such as justworks_* or !*_delete_*", field, p)
		}
		if excluded {
			f.exclude = append(f.exclude, p)
		} else {
			f.include = append(f.include, p)
		}
	}
	return f, nil
}

// Allows reports whether the action with id passes.
func (f ActionFilter) Allows(id string) bool {
	return (len(f.include) == 0 || matchesAny(f.include, id)) && !matchesAny(f.exclude, id)
}

func matchesAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok { // checked by ParseFilter
			return true
		}
	}
	return false
}

// Apply keeps the actions the filter allows.
func (f ActionFilter) Apply(actions []*Action) []*Action {
	if len(f.include)+len(f.exclude) == 0 {
		return actions
	}
	var out []*Action
	for _, a := range actions {
		if f.Allows(a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// String is the filter as its patterns give it, normalised.
func (f ActionFilter) String() string {
	parts := append([]string(nil), f.include...)
	for _, p := range f.exclude {
		parts = append(parts, "!"+p)
	}
	return strings.Join(parts, ",")
}
