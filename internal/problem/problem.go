// Package problem is the one vocabulary in which services report a failure, so
// that every front end (HTTP, MCP, CLI, pages) answers it precisely: what kind
// of failure, the message to show, what to do next, and for a provider's
// failure what the provider said. HTTPStatus is the one mapping of a failure
// to the status an HTTP answer (and the request log) gives it.
package problem

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind says what sort of failure it is; HTTPStatus maps it to a status.
type Kind int

// Kinds of failure.
const (
	Invalid        Kind = iota + 1 // the input is wrong; Message says which field and why
	NotFound                       // the named thing does not exist for this caller
	Conflict                       // the thing is not in a state that allows this
	Expired                        // the link, session or attempt is past its lifetime
	Limit                          // too many of something; try again later or with less
	Stale                          // the thing changed since the caller read it; read it again
	Forbidden                      // not allowed: an action not enabled, scopes not granted
	NotImplemented                 // the connector offers no way to do this
	Unusable                       // the account cannot be used now (inactive, needs re-linking, sealed)
	Timeout                        // the provider kept refusing or failing within the time budget
	Provider                       // the provider refused the call or could not be used
	Reused                         // an Idempotency-Key came again with another request
)

// Error is a failure the caller can act on.
type Error struct {
	Kind    Kind
	Message string
	Hint    string // what to do next, for pages; may be empty
	// RetryAfter is when to try again, in seconds (Timeout); 0 when unknown.
	RetryAfter int
	// ProviderStatus is the HTTP status the provider answered (Provider), 0
	// when it gave no usable answer.
	ProviderStatus int
	// ProviderErrors are the provider calls that failed, as shown to the caller.
	ProviderErrors []ProviderError
	// Fields, on an Invalid problem, says what is wrong with each input
	// field (by its API name), for forms that show it beside the field.
	Fields map[string]string
}

// ProviderError describes one failed provider call.
type ProviderError struct {
	Status int               `json:"status"`
	URL    string            `json:"url"`
	Raw    any               `json:"raw"`
	Header map[string]string `json:"headers"`
}

func (e *Error) Error() string { return e.Message }

// New returns an Error of kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf is err's kind when it is (or wraps) a problem, and 0 otherwise.
func KindOf(err error) Kind {
	if p, ok := errors.AsType[*Error](err); ok {
		return p.Kind
	}
	return 0
}

// WithHint returns a copy of e that says what to do next.
func (e *Error) WithHint(hint string) *Error {
	c := *e
	c.Hint = hint
	return &c
}

var statuses = map[Kind]int{
	Invalid:        http.StatusBadRequest,
	NotFound:       http.StatusNotFound,
	Conflict:       http.StatusConflict,
	Expired:        http.StatusGone,
	Limit:          http.StatusTooManyRequests,
	Stale:          http.StatusPreconditionFailed,
	Forbidden:      http.StatusForbidden,
	NotImplemented: http.StatusNotImplemented,
	Unusable:       http.StatusPreconditionFailed,
	Timeout:        http.StatusRequestTimeout,
	Reused:         http.StatusUnprocessableEntity,
}

// HTTPStatus is the status of an answer that reports err: 200 for nil, the
// kind's status for a problem, 500 for anything else. A provider's refusal
// passes on its 4xx (the caller's request was wrong), except the ones that
// are Patchbay's to handle (401, 407, 408, 429): those, and provider
// failures, are 502.
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	p, ok := errors.AsType[*Error](err)
	switch {
	case !ok:
		return http.StatusInternalServerError
	case p.Kind == Provider:
		switch s := p.ProviderStatus; {
		case s == http.StatusUnauthorized, s == http.StatusProxyAuthRequired, s == http.StatusRequestTimeout, s == http.StatusTooManyRequests:
		case s >= 400 && s < 500:
			return s
		}
		return http.StatusBadGateway
	}
	if s, ok := statuses[p.Kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Category says how a caller, an agent above all, should treat a failure:
// Name is one of invalid_input, not_permitted, needs_reauth, rate_limited,
// provider_error and not_found, and Retryable whether the same call may
// succeed when made again later.
type Category struct {
	Name      string `json:"error_category"`
	Retryable bool   `json:"retryable"`
}

// CategoryOf is the category of an answer with status that reports err (nil
// or any other error for answers made without a problem).
func CategoryOf(status int, err error) Category {
	p, _ := errors.AsType[*Error](err)
	switch {
	case p != nil && p.Kind == Unusable:
		return Category{"needs_reauth", false} // inactive, or the grant must be linked again
	case status == http.StatusTooManyRequests:
		return Category{"rate_limited", true}
	case status == http.StatusNotFound || status == http.StatusGone:
		return Category{"not_found", false}
	case status == http.StatusRequestTimeout || (status >= 500 && status != http.StatusNotImplemented):
		return Category{"provider_error", true} // the provider (or Patchbay) failed: worth a later try
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusConflict || status == http.StatusNotImplemented:
		return Category{"not_permitted", false}
	}
	return Category{"invalid_input", false}
}

// Body is the error answer every front end gives (the API adds a
// timestamp): the status, the message, what the provider said, and how to
// treat the failure.
type Body struct {
	StatusCode     int             `json:"statusCode"`
	Message        string          `json:"message"`
	ProviderErrors []ProviderError `json:"provider_errors,omitempty"`
	Category
}

// BodyOf is the answer with status and message that reports err (a problem,
// or nil or any other error for answers made without one).
func BodyOf(status int, message string, err error) Body {
	b := Body{StatusCode: status, Message: message, Category: CategoryOf(status, err)}
	if p, ok := errors.AsType[*Error](err); ok {
		b.ProviderErrors = p.ProviderErrors
	}
	return b
}
