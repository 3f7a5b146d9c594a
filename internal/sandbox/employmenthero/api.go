package employmenthero

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

// APIOptions tunes the simulated API. Nothing is tunable yet: every decision of
// the reference is fixed, and rate limits (§10) are applied around the API by the
// sandbox, which knows the grant of each request. The type keeps NewAPI's
// signature in step with the other simulators.
type APIOptions struct{}

// NewAPI serves the Employment Hero HR API (api.employmenthero.com) over the
// dataset: the endpoints of reference §7 that the connector's actions use, with
// its envelopes, pagination, scope, organisation and role checks, and errors.
// auth resolves each request's bearer token to a grant.
func NewAPI(d *Dataset, auth oauthserver.Authenticator, o APIOptions) http.Handler {
	a := &api{d: d, auth: auth}
	mux := http.NewServeMux()
	for _, e := range a.endpoints() {
		accepted := acceptedScopes(e.scope)
		mux.HandleFunc(e.pattern, func(w http.ResponseWriter, r *http.Request) {
			data, err := a.serve(w, r, accepted, e)
			if err != nil {
				writeError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, struct {
				Data any `json:"data"`
			}{data})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, message: "Not found"})
	})
	return mux
}

type api struct {
	d    *Dataset
	auth oauthserver.Authenticator
}

// endpoint is one route: the scope it needs (in the portal's resource:action
// style), who may call it, and what it returns inside {"data": ...}.
type endpoint struct {
	pattern string
	scope   string
	// adminsOnly marks organisation-wide lists of other people's records, which
	// need an admin or owner (§4.3).
	adminsOnly bool
	serve      func(c *call) (any, error)
}

// call is one authorised request.
type call struct {
	r     *http.Request
	grant oauthserver.Grant
	org   *organisation // nil on the organisation list
	admin bool          // the user is an owner or admin
	self  int           // the user's own employee record in org; -1 when none
}

func (a *api) serve(w http.ResponseWriter, r *http.Request, accepted []string, e endpoint) (any, error) {
	grant, err := a.auth.Authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		return nil, &apiError{status: http.StatusUnauthorized, message: err.Error()}
	}
	if !slices.ContainsFunc(grant.Scopes, func(s string) bool { return slices.Contains(accepted, s) }) {
		return nil, &apiError{status: http.StatusForbidden, message: "The application is not authorised for this resource",
			details: []string{"requires scope " + e.scope}}
	}
	c := &call{r: r, grant: grant, admin: grant.Role == "owner" || grant.Role == "admin", self: -1}
	if id := r.PathValue("organisation_id"); id != "" {
		org, ok := a.d.org(id)
		if !ok {
			return nil, notFound("Organisation")
		}
		// Known but out of reach is 403, unknown 404 (§9).
		if !grant.HasTenant(org.id) {
			return nil, &apiError{status: http.StatusForbidden, message: "You do not have access to this organisation"}
		}
		c.org = org
		for _, l := range org.logins {
			if l.userID == grant.UserID {
				c.self = int(l.emp)
			}
		}
	}
	if e.adminsOnly && !c.admin {
		return nil, forbiddenForRole()
	}
	return e.serve(c)
}

// acceptedScopes lists the granted scopes that satisfy a required one: itself,
// its urn:mainapp:<resource>:read twin (§4.3), and for timesheets the older
// timesheet_entries:list name with its twin.
func acceptedScopes(required string) []string {
	names := []string{required}
	if required == "employees:timesheet_entries:list" {
		names = append(names, "timesheet_entries:list")
	}
	for _, name := range slices.Clone(names) {
		resource := name[:strings.LastIndex(name, ":")]
		names = append(names, "urn:mainapp:"+resource+":read")
	}
	return names
}

// canSee reports whether the user may see employee i: admins and owners see
// everyone, others themselves and their reports (§4.3).
func (c *call) canSee(i int) bool {
	e := &c.org.staff()[i]
	if e.is(flagRemoved) {
		return false
	}
	if c.admin {
		return true
	}
	return c.self >= 0 && (i == c.self || int(e.manager) == c.self || int(e.manager2) == c.self)
}

// employee resolves the {employee_id} path parameter.
func (c *call) employee() (int, error) {
	i, ok := c.org.employeeIndex(c.r.PathValue("employee_id"))
	if !ok {
		return 0, notFound("Employee")
	}
	if !c.canSee(i) {
		return 0, forbiddenForRole()
	}
	return i, nil
}

// Errors (§9): {"code": <status>, "error": "<message>"}, plus "errors" with
// details on validation failures.

type apiError struct {
	status  int
	message string
	details []string
}

func (e *apiError) Error() string { return e.message }

func notFound(what string) error {
	return &apiError{status: http.StatusNotFound, message: what + " not found"}
}

func forbiddenForRole() error {
	return &apiError{status: http.StatusForbidden, message: "You do not have permission to access this resource",
		details: []string{"only an organisation admin or owner can see other people's records"}}
}

func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{status: http.StatusInternalServerError, message: "Internal server error"}
	}
	writeJSON(w, e.status, struct {
		Code   int      `json:"code"`
		Error  string   `json:"error"`
		Errors []string `json:"errors,omitempty"`
	}{e.status, e.message, e.details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to tell it
}

// params reads query parameters, collecting every problem so that one 400 names
// them all. Parameters it is not asked about are ignored (§5).
type params struct {
	values   url.Values
	problems []string
}

func (c *call) params() *params { return &params{values: c.r.URL.Query()} }

func (p *params) problem(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *params) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, message: "Invalid params", details: p.problems}
}

// page is the requested page: page_index from 1, item_per_page 1-100 (§6).
type page struct{ index, size int }

func (p *params) page() page {
	pg := page{index: 1, size: 20}
	if v := p.values.Get("page_index"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.problem("page_index must be an integer of at least 1")
		}
		pg.index = max(n, 1)
	}
	if v := p.values.Get("item_per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			p.problem("item_per_page must be between 1 and 100")
		}
		pg.size = min(max(n, 1), 100)
	}
	return pg
}

// date reads a calendar date in the given layout; ok is false when absent.
func (p *params) date(name, layout, shown string) (day, bool) {
	v := p.values.Get(name)
	if v == "" {
		return 0, false
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		p.problem("%s must be a date in %s format", name, shown)
		return 0, false
	}
	return dayOf(t), true
}

// moment reads an ISO 8601 date-time with offset, or a date (its midnight in
// loc, or the end of the day when endOfDay).
func (p *params) moment(name string, loc *time.Location, endOfDay bool) (time.Time, bool) {
	v := p.values.Get(name)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Second)
		}
		return t, true
	}
	p.problem("%s must be an ISO 8601 date-time such as 2026-03-02T00:00:00+10:00", name)
	return time.Time{}, false
}

func (p *params) boolean(name string) bool {
	switch v := p.values.Get(name); v {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	default:
		p.problem("%s must be true or false", name)
		return false
	}
}

// list is the list envelope's data (§6).
type list[T any] struct {
	Items       []T `json:"items"`
	PageIndex   int `json:"page_index"`
	ItemPerPage int `json:"item_per_page"`
	TotalItems  int `json:"total_items"`
	TotalPages  int `json:"total_pages"`
}

// paginate renders one page of items. It walks the whole sequence to count it
// but renders only the page, which is what keeps large organisations cheap.
func paginate[S, T any](p page, items iter.Seq[S], render func(S) T) list[T] {
	l := list[T]{Items: []T{}, PageIndex: p.index, ItemPerPage: p.size}
	first := math.MaxInt // a page_index so large it overflows is past the end
	if p.index-1 <= math.MaxInt/p.size {
		first = (p.index - 1) * p.size
	}
	for item := range items {
		if l.TotalItems >= first && len(l.Items) < p.size {
			l.Items = append(l.Items, render(item))
		}
		l.TotalItems++
	}
	l.TotalPages = (l.TotalItems + p.size - 1) / p.size
	return l
}

// listOf pages a list that has no parameters besides paging.
func listOf[T any](c *call, items []T) (any, error) {
	p := c.params()
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	return paginate(pg, slices.Values(items), func(t T) T { return t }), nil
}
