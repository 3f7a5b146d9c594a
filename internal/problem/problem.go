// Package problem is how services report a failure the caller caused, so that
// every front end (HTTP, CLI, pages) can answer it precisely: what kind of
// failure, the message to show, and what to do next.
package problem

import "fmt"

// Kind says what sort of failure it is; front ends map it to a status.
type Kind int

// Kinds of failure.
const (
	Invalid  Kind = iota + 1 // the input is wrong; Message says which field and why
	NotFound                 // the named thing does not exist for this caller
	Conflict                 // the thing is not in a state that allows this
	Expired                  // the link, session or attempt is past its lifetime
	Limit                    // too many of something; try again later or with less
	Stale                    // the thing changed since the caller read it; read it again
)

// Error is a failure the caller can act on.
type Error struct {
	Kind    Kind
	Message string
	Hint    string // what to do next, for pages; may be empty
}

func (e *Error) Error() string { return e.Message }

// New returns an Error of kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e that says what to do next.
func (e *Error) WithHint(hint string) *Error {
	c := *e
	c.Hint = hint
	return &c
}
