package mcp

import (
	"fmt"
	"path"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// Filter narrows an account's tools by glob patterns over action ids, as the
// tools query parameter of /mcp gives them: "justworks_*,!*_delete_*". An
// action is a tool when it matches an include pattern (or there is none) and
// no exclude pattern (one that starts with "!").
type Filter struct {
	include, exclude []string
}

// ParseFilter reads comma-separated patterns.
func ParseFilter(spec string) (Filter, error) {
	var f Filter
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		excluded := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return Filter{}, fmt.Errorf("tools: %q is not a glob pattern over action ids, such as justworks_* or !*_delete_*", p)
		}
		if excluded {
			f.exclude = append(f.exclude, p)
		} else {
			f.include = append(f.include, p)
		}
	}
	return f, nil
}

// Allows reports whether the action with id is one of the tools.
func (f Filter) Allows(id string) bool {
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

// apply keeps the actions the filter allows.
func (f Filter) apply(actions []*connectors.Action) []*connectors.Action {
	if len(f.include)+len(f.exclude) == 0 {
		return actions
	}
	var out []*connectors.Action
	for _, a := range actions {
		if f.Allows(a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// String is the filter as the query parameter gives it, normalised.
func (f Filter) String() string {
	parts := append([]string(nil), f.include...)
	for _, p := range f.exclude {
		parts = append(parts, "!"+p)
	}
	return strings.Join(parts, ",")
}
