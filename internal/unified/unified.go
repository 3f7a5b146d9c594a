// Package unified serves Patchbay's unified API: one model for employees,
// employments, companies and time off, whichever provider an account is on.
// Each provider has a file per model area holding its operations (which
// provider actions to call) and pure mappers from its records to the unified
// model. Every provider call goes through the actions executor, so unified
// calls share the tokens, throttle, retries and request log of actions.
package unified

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/problem"
)

// Params are a unified call's inputs, read from the query string by Parse.
type Params struct {
	// ID is the record named in the path ({id}), for gets and per-employee lists.
	ID       string
	PageSize int
	// next is the provider's continuation, from the caller's next.
	next         string
	Fields       []string
	Raw          bool
	Expand       []string
	Include      []string
	UpdatedAfter time.Time
	Email        string
	EmployeeNo   string
	// Proxy is passed to the provider's main call as query parameters.
	Proxy map[string]string
	// IndividualID is filter[individual_id] on payroll lists.
	IndividualID string
	// filters are the filters the caller gave, by name.
	filters []string
	// Body is a write's JSON body; IdempotencyKey its Idempotency-Key header.
	Body           []byte
	IdempotencyKey string
}

// DefaultPageSize and MaxPageSize bound page_size.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// Answer is a unified call's result: one record or a page of them, the next
// page's cursor, and the provider calls made when raw=true was asked.
type Answer struct {
	Data    any               `json:"data"`
	Next    *string           `json:"next,omitempty"`
	Raw     []actions.RawCall `json:"raw,omitempty"`
	list    bool
	created bool
}

// Created reports that the operation created a record (201).
func (a Answer) Created() bool { return a.created }

// page is what an operation returns: the records (a slice for lists, one
// record for gets) and the provider's continuation for lists.
type page struct {
	data    any
	next    string
	list    bool
	created bool
}

// operation is one unified operation for one provider: what runs it, and the
// filters it applies (by asking the provider, or itself). A filter the caller
// gives that the operation does not apply is refused, never ignored.
type operation struct {
	run     func(ctx context.Context, s *actions.Session, p Params) (page, error)
	filters []string
}

// The filters operations may apply.
const (
	byUpdatedAfter   = "filter[updated_after]"
	byEmail          = "filter[email]"
	byEmployeeNumber = "filter[employee_number]"
	byIndividual     = "filter[individual_id]"
)

// provider is one provider's unified operations, by operation id.
type provider map[string]operation

// providers holds every provider's operations, by connector key; each
// provider's files add theirs.
var providers = map[string]provider{}

// register adds a provider's operations for one model area.
func register(connector string, ops provider) {
	if providers[connector] == nil {
		providers[connector] = provider{}
	}
	for id, op := range ops {
		providers[connector][id] = op
	}
}

// Service runs unified operations.
type Service struct {
	exec *actions.Executor
}

// New returns a Service calling providers through exec.
func New(exec *actions.Executor) *Service { return &Service{exec: exec} }

// Do runs the unified operation for the account. Errors are problems:
// NotImplemented for an operation or filter the account's provider cannot
// serve, Forbidden for a missing scope, Invalid for bad input.
func (s *Service) Do(ctx context.Context, who actions.Caller, accountID, operation string, p Params) (ans Answer, err error) {
	if p.next != "" {
		if p.next, err = decodeNext(operation, p.next); err != nil {
			return Answer{}, err
		}
	}
	// Every provider call an operation makes shares one budget, the executor's
	// for a single call: a page that needs a call per record cannot run on.
	ctx, cancel := context.WithTimeout(ctx, s.exec.Budget())
	defer cancel()
	sess, err := s.exec.Begin(ctx, who, accountID, operation, p.Raw)
	if err != nil {
		return Answer{}, err
	}
	defer func() { ans.Raw = sess.End(err) }()
	op, ok := providers[sess.Connector().Key][operation]
	if !ok {
		return Answer{}, notSupported(sess, operation)
	}
	for _, f := range p.filters {
		if !slices.Contains(op.filters, f) {
			return Answer{}, filterNotSupported(sess, operation, f)
		}
	}
	pg, err := op.run(ctx, sess, p)
	if err != nil {
		return Answer{}, err
	}
	ans = Answer{Data: pg.data, list: pg.list, created: pg.created}
	if pg.created {
		sess.Created()
	}
	if len(p.Fields) > 0 {
		if ans.Data, err = onlyFields(pg.data, p.Fields); err != nil {
			return Answer{}, err
		}
	}
	if pg.next != "" {
		ans.Next = encodeNext(operation, pg.next)
	}
	return ans, nil
}

// notSupported is the failure for an operation the provider cannot serve.
func notSupported(s *actions.Session, operation string) error {
	return problem.New(problem.NotImplemented, "%s does not support %s", s.Connector().Name, connectors.UnifiedOperationName(operation))
}

// filterNotSupported is the failure for a filter the operation does not
// apply for the provider: refused, never ignored.
func filterNotSupported(s *actions.Session, operation, filter string) error {
	return problem.New(problem.NotImplemented, "%s does not support %s on %s; docs/unified.md lists the filters each operation takes for each provider",
		s.Connector().Name, filter, connectors.UnifiedOperationName(operation))
}

func badInput(format string, args ...any) error { return problem.New(problem.Invalid, format, args...) }

// notFound is the failure for a record the provider does not have.
func notFound(s *actions.Session, kind, id string) error {
	return problem.New(problem.NotFound, "%s has no %s %s for this account", s.Connector().Name, kind, id)
}

// unreadable is the failure for a provider's answer Patchbay cannot use.
func unreadable(format string, args ...any) error {
	return problem.New(problem.Provider, format, args...)
}

// call runs one provider action and decodes its records into dst; it returns
// the provider's continuation ("" at the end).
func call(ctx context.Context, s *actions.Session, req actions.Request, dst any) (string, error) {
	// Records that read themselves are read while the executor checks the
	// page, and keep pointing into it (see decode.go): the page stays with the
	// session until the answer is written.
	var res actions.Result
	var err error
	if h, ok := dst.(decoder); ok {
		res, err = s.RunDecoded(ctx, req, h.decode)
	} else {
		res, err = s.Run(ctx, req)
	}
	if err != nil {
		return "", err
	}
	if raw, ok := res.Data.(json.RawMessage); ok && dst != nil && len(raw) > 0 {
		if err := jsonv2.Unmarshal(raw, dst); err != nil {
			return "", unreadable("%s answered %s with records Patchbay cannot read: %v", s.Connector().Name, req.Action, err)
		}
	}
	if res.Next == nil {
		return "", nil
	}
	return *res.Next, nil
}

// listCall is the main list call of an operation: the caller's page size,
// continuation and proxy parameters applied to the action's own query.
func listCall(ctx context.Context, s *actions.Session, p Params, action string, path, query map[string]any, dst any) (string, error) {
	return call(ctx, s, actions.Request{Action: action, Path: path, Query: query, PageSize: p.PageSize, Next: p.next, Proxy: p.Proxy}, dst)
}

// mapPage lists one page with the action and maps each record with fn.
func mapPage[R, U any](ctx context.Context, s *actions.Session, p Params, action string, path, query map[string]any, fn func(R) U) (page, error) {
	var list []R
	next, err := listCall(ctx, s, p, action, path, query, &list)
	if err != nil {
		return page{}, err
	}
	out := make([]U, len(list))
	for i, r := range list {
		out[i] = fn(r)
	}
	return page{data: out, next: next, list: true}, nil
}

// each runs fn for 0..n-1, four at a time (the executor's throttle keeps the
// provider's rate limit), and returns the first error.
func each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		slots = make(chan struct{}, 4)
	)
	for i := range n {
		slots <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}

// Cursors. A unified next wraps the provider's continuation with the
// operation it belongs to, so that one operation's cursor is refused by another.

type cursor struct {
	Operation string `json:"o"`
	Next      string `json:"n"`
}

func encodeNext(operation, next string) *string {
	raw, _ := json.Marshal(cursor{Operation: operation, Next: next})
	s := base64.RawURLEncoding.EncodeToString(raw)
	return &s
}

func decodeNext(operation, next string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(next)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Operation != operation || c.Next == "" {
		return "", badInput("next: not a cursor an earlier %s answer returned; start again without next", operation)
	}
	return c.Next, nil
}

// Parse reads a unified call's query string. Errors name the parameter.
func Parse(q map[string][]string, id string) (Params, error) {
	p := Params{ID: id, PageSize: DefaultPageSize, Proxy: map[string]string{}}
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if v := get("page_size"); v != "" {
		n, err := paging.Size(v, 0, MaxPageSize)
		if err != nil {
			return Params{}, err
		}
		p.PageSize = n
	}
	p.next = get("next")
	if v := get("raw"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Params{}, badInput("raw: %q must be true or false", v)
		}
		p.Raw = b
	}
	p.Fields = splitList(get("fields"))
	p.Expand = splitList(get("expand"))
	p.Include = splitList(get("include"))
	after := cmp.Or(get(byUpdatedAfter), get("updated_after"))
	if after != "" {
		t, err := time.Parse(time.RFC3339, after)
		if err != nil {
			return Params{}, badInput("filter[updated_after]: %q is not an ISO 8601 date-time such as 2024-01-31T00:00:00Z", after)
		}
		p.UpdatedAfter = t
	}
	p.Email = get(byEmail)
	p.IndividualID = get(byIndividual)
	p.EmployeeNo = get(byEmployeeNumber)
	for _, f := range []string{byUpdatedAfter, byEmail, byEmployeeNumber, byIndividual} {
		if get(f) != "" || (f == byUpdatedAfter && after != "") {
			p.filters = append(p.filters, f)
		}
	}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, "proxy["); ok && strings.HasSuffix(name, "]") && len(v) > 0 {
			name = strings.TrimSuffix(name, "]")
			// proxy[filter[eq][age]] arrives as the key "proxy[filter[eq][age]]": the inner brackets are the provider's.
			p.Proxy[name] = v[0]
		}
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// onlyFields keeps the named fields of each record. A name the model does not
// have is an error naming it.
func onlyFields(data any, fields []string) (any, error) {
	v := reflect.ValueOf(data)
	elem := v.Type()
	if v.Kind() == reflect.Slice {
		elem = elem.Elem()
	}
	known := jsonNames(elem)
	for _, f := range fields {
		if !slices.Contains(known, f) {
			return nil, badInput("fields: %q is not a field of this model; it has %s", f, strings.Join(known, ", "))
		}
	}
	keep := func(record any) (map[string]any, error) {
		raw, err := json.Marshal(record)
		if err != nil {
			return nil, err
		}
		var all map[string]any
		if err := json.Unmarshal(raw, &all); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			if x, ok := all[f]; ok {
				out[f] = x
			}
		}
		return out, nil
	}
	if v.Kind() != reflect.Slice {
		return keep(data)
	}
	out := make([]map[string]any, v.Len())
	for i := range v.Len() {
		m, err := keep(v.Index(i).Interface())
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// jsonNames lists the JSON field names of a model struct.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// matchesEmployee applies the employee filters Patchbay answers itself:
// filter[email] (work or personal, case-insensitive) and filter[employee_number].
func (p Params) matchesEmployee(e Employee) bool {
	if p.Email != "" && !strings.EqualFold(e.WorkEmail, p.Email) && !strings.EqualFold(e.PersonalEmail, p.Email) {
		return false
	}
	return p.EmployeeNo == "" || e.EmployeeNumber == p.EmployeeNo
}

// updatedAfter reports whether a unified timestamp lies after t.
func updatedAfter(stamp string, t time.Time) bool {
	u, err := time.Parse(time.RFC3339, stamp)
	return err == nil && u.After(t)
}

// decodeBody reads a write's JSON body; unknown fields are an error naming them.
func decodeBody(p Params, dst any) error {
	if len(p.Body) == 0 {
		return badInput("body: a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(p.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return problem.FromJSON("body", err)
	}
	return nil
}
