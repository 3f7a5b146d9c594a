package justworks

import (
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

// APIOptions tunes the simulator's unpublished behaviour. The zero value is the
// default of shared/reference/justworks.md.
type APIOptions struct {
	// ReportDelay is how long a time-off balances report stays "processing"
	// (default 3 s; negative: never completes by time).
	ReportDelay time.Duration
	// ReportPolls is how many polls still see "processing" (default 2;
	// negative: never completes by polling). The report completes at whichever
	// of ReportDelay and ReportPolls comes first.
	ReportPolls int
	// ListEnvelope is "items" ({items, next_cursor}, the default) or "data"
	// ({data, pagination: {next_cursor}}), the alternative shape of §9.
	ListEnvelope string
	// NullNextCursor sends "next_cursor": null on the last page instead of
	// omitting it (§9's end-of-list setting).
	NullNextCursor bool
	// Now is the clock for report delays and expiry (default the system clock); the
	// sandbox's test controls can substitute a clock they advance.
	Now func() time.Time
}

// The 15 scopes of §5.1.
const (
	scopeCompanyDetail  = "company.detail:read"
	scopeCompanyBasic   = "company.basic:read"
	scopeBankAccount    = "company.bank_account:read"
	scopeMemberDetail   = "member.detail:read"
	scopeMemberBasic    = "member.basic:read"
	scopeDOB            = "member.dob:read"
	scopeSex            = "member.sex:read"
	scopeEmployment     = "member.employment:read"
	scopePay            = "member.pay:read"
	scopeTaxID          = "member.tax_id:read"
	scopePayroll        = "payroll:read"
	scopePaystub        = "paystub:read"
	scopeTimeOff        = "time_off:read"
	scopeDeductionWrite = "deductions:write"
	scopeDeductionRead  = "deductions:read"
)

// scopeChild holds the only three inheritance edges of the official table; in
// particular member.detail:read does not imply member.dob:read or member.sex:read.
var scopeChild = map[string]string{
	scopeCompanyDetail:  scopeCompanyBasic,
	scopeMemberDetail:   scopeMemberBasic,
	scopeDeductionWrite: scopeDeductionRead,
}

// scopeSet is a token's effective scopes: granted ones plus their children.
type scopeSet map[string]bool

func effectiveScopes(granted []string) scopeSet {
	s := scopeSet{}
	for _, g := range granted {
		s[g] = true
		if child, ok := scopeChild[g]; ok {
			s[child] = true
		}
	}
	return s
}

// call is an authenticated request: the caller's company and effective scopes.
type call struct {
	c      *company
	scopes scopeSet
}

type handler func(w http.ResponseWriter, r *http.Request, x *call)

type api struct {
	data      *Dataset
	auth      oauthserver.Authenticator
	opts      APIOptions
	cursorKey []byte // signs cursors so a client cannot forge or reuse them elsewhere

	mu      sync.Mutex // guards reports
	reports map[string]*report
}

// NewAPI serves the Justworks Partner API (V1) over d. auth resolves bearer
// tokens to grants; the grant's first tenant is the caller's company.
func NewAPI(d *Dataset, auth oauthserver.Authenticator, o APIOptions) http.Handler {
	if o.ReportDelay == 0 {
		o.ReportDelay = 3 * time.Second
	}
	if o.ReportPolls == 0 {
		o.ReportPolls = 2
	}
	if o.Now == nil {
		o.Now = clock.System.Now
	}
	a := &api{data: d, auth: auth, opts: o, cursorKey: make([]byte, 32), reports: map[string]*report{}}
	crand.Read(a.cursorKey)

	routes := []struct {
		pattern string
		scopes  []string
		handle  handler
	}{
		{"GET /v1/company", []string{scopeCompanyBasic}, a.getCompany},
		{"GET /v1/company/bank-account", []string{scopeBankAccount}, a.getBankAccount},
		{"GET /v1/company/business-info", []string{scopeCompanyDetail}, a.getBusinessInfo},
		{"GET /v1/company/custom-fields", []string{scopeCompanyDetail}, a.listCustomFields},
		{"GET /v1/company/jurisdictions", []string{scopeCompanyDetail, scopeMemberDetail}, a.listJurisdictions},
		{"GET /v1/members", []string{scopeMemberBasic}, a.listMembers},
		{"GET /v1/members/{member_id}", []string{scopeMemberBasic}, a.getMember},
		{"GET /v1/members/{member_id}/custom-field-values", []string{scopeMemberDetail}, a.listCustomFieldValues},
		{"GET /v1/members/{member_id}/tax-id", []string{scopeTaxID}, a.getTaxID},
		{"GET /v1/payrolls", []string{scopePayroll}, a.listPayrolls},
		{"GET /v1/payrolls/{payroll_id}/fees", []string{scopePayroll}, a.listPayrollFees},
		// Paystub summaries need only paystub:read although they sit under /payrolls (§6).
		{"GET /v1/payrolls/{payroll_id}/paystubs", []string{scopePaystub}, a.listPaystubs},
		{"GET /v1/paystubs/{paystub_id}", []string{scopePaystub}, a.getPaystub},
		{"GET /v1/deduction-types", []string{scopeDeductionRead}, a.listDeductionTypes},
		{"GET /v1/deductions", []string{scopeDeductionRead}, a.listDeductions},
		{"POST /v1/deductions", []string{scopeDeductionWrite}, a.createDeductions},
		{"PUT /v1/deductions", []string{scopeDeductionWrite}, a.updateDeductions},
		{"PATCH /v1/deductions/cancel", []string{scopeDeductionWrite}, a.cancelDeductions},
		{"POST /v1/time-off/balances", []string{scopeTimeOff}, a.createBalancesReport},
		{"GET /v1/time-off/balances/{report_id}", []string{scopeTimeOff}, a.getBalancesReport},
		{"GET /v1/time-off/policies", []string{scopeTimeOff}, a.listPolicies},
		{"GET /v1/time-off/requests", []string{scopeTimeOff}, a.listTimeOffRequests},
	}
	// The handlers run on the mux's own *http.Request (no clone), so r.Pattern
	// stays visible to wrappers such as the sandbox's per-route call counter.
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.pattern, a.guard(rt.scopes, rt.handle))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, apiError{Code: "not_found", Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// guard authenticates the request, resolves its company and checks that the
// token holds every required scope (§5.2) before running h.
func (a *api) guard(required []string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, err := a.auth.Authenticate(r)
		switch {
		case errors.Is(err, oauthserver.ErrNoToken), errors.Is(err, oauthserver.ErrInvalidToken):
			unauthorized(w, err.Error())
			return
		case err != nil:
			writeError(w, http.StatusInternalServerError, apiError{Code: "internal_error", Message: "authenticate: " + err.Error()})
			return
		}
		// A Justworks token is company-scoped (§2): its one tenant is the company.
		var c *company
		if len(g.Tenants) > 0 {
			c = a.data.company(g.Tenants[0])
		}
		if c == nil {
			unauthorized(w, "the access token does not reach a Justworks company")
			return
		}
		scopes := effectiveScopes(g.Scopes)
		var missing []string
		for _, s := range required {
			if !scopes[s] {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q`, strings.Join(required, " ")))
			writeError(w, http.StatusForbidden, apiError{Code: "insufficient_scope", Message: "Token lacks required scope: " + strings.Join(missing, ", ")})
			return
		}
		h(w, r, &call{c: c, scopes: scopes})
	}
}

// apiError is one entry of the §12.2 error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, map[string][]apiError{"errors": {e}})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, apiError{Code: "invalid_token", Message: msg})
}

func notFound(w http.ResponseWriter, what, id string) {
	writeError(w, http.StatusNotFound, apiError{Code: "not_found", Message: what + " not found: " + id})
}

// badParam answers 400 invalid_parameter naming the offending field.
func badParam(w http.ResponseWriter, field, format string, args ...any) {
	writeError(w, http.StatusBadRequest, apiError{Code: "invalid_parameter", Message: fmt.Sprintf(format, args...), Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errors":[{"code":"internal_error","message":"encode response"}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// decodeBody reads a JSON request body into v, answering 400 when it is not
// valid JSON of the expected shape.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		badParam(w, "body", "read request body: %v", err)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		badParam(w, "body", "request body is not valid JSON of the expected shape: %v", err)
		return false
	}
	return true
}

// dateParam reads a required YYYY-MM-DD query parameter.
func dateParam(w http.ResponseWriter, r *http.Request, name string) (day, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		badParam(w, name, "%s is required (YYYY-MM-DD)", name)
		return 0, false
	}
	d, err := parseDay(v)
	if err != nil {
		badParam(w, name, "%s must be a date in YYYY-MM-DD form, got %q", name, v)
		return 0, false
	}
	return d, true
}

// dateRange reads the required start_date and end_date query parameters.
func dateRange(w http.ResponseWriter, r *http.Request) (start, end day, ok bool) {
	if start, ok = dateParam(w, r, "start_date"); !ok {
		return 0, 0, false
	}
	if end, ok = dateParam(w, r, "end_date"); !ok {
		return 0, 0, false
	}
	if end < start {
		badParam(w, "end_date", "end_date must not be before start_date")
		return 0, 0, false
	}
	return start, end, true
}
