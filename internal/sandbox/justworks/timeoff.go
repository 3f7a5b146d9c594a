package justworks

import (
	"cmp"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Time off (§10.10, §13): three policies, requests spread around DataDate, and
// asynchronous balances reports computed from both.

type policy struct {
	slug, name, status, kind, unit string
	effective, deactivated         day
	annual                         float64 // entitlement per calendar year, in unit
	accrues                        bool    // earned through the year rather than granted on January 1
}

var requestStatuses = [...]string{"pending", "approved", "denied", "canceled"}

const (
	statusPending = iota
	statusApproved
	statusDenied
	statusCanceled
)

type timeOffRequest struct {
	member           int32
	policy           uint8
	status           uint8
	notes            int8 // index into timeOffNotes, -1 for none
	amount           float64
	start, end       day
	created, updated stamp
}

const reportTTL = 24 * time.Hour

func (c *company) generateTimeOff(r *rand.Rand) {
	c.policies = []policy{
		{slug: "pto", name: "Paid Time Off", status: "active", kind: "pto", unit: "days", effective: c.founded + 30, annual: 15, accrues: true},
		{slug: "sick", name: "Sick Leave", status: "active", kind: "sick", unit: "hours", effective: c.founded + 30, annual: 40},
		{slug: "floating", name: "Floating Holidays", status: "inactive", kind: "holiday", unit: "days", effective: c.founded + 30, deactivated: dayOf(2025, time.December, 31), annual: 2},
	}
	dataEnd := stampOf(dataDay, 86399)
	for range c.companySpec.requests {
		// Contractors have no time-off policies; member 0 is an active employee.
		i := r.IntN(len(c.roster()))
		for m := &c.roster()[i]; m.kind == typeContractor || !m.active(); m = &c.roster()[i] {
			i = r.IntN(len(c.roster()))
		}
		q := timeOffRequest{member: int32(i), notes: -1}
		switch k := r.IntN(10); {
		case k < 6:
			q.policy, q.amount = 0, float64(1+r.IntN(5))
			q.start = (dataDay - 150 + day(r.IntN(210))).weekday()
			q.end = q.start.addWorkdays(int(q.amount) - 1)
		case k < 9:
			q.policy, q.amount = 1, float64([]int{4, 8, 8, 16}[r.IntN(4)])
			q.start = (dataDay - 150 + day(r.IntN(210))).weekday()
			q.end = q.start.addWorkdays(max(1, int(q.amount)/8) - 1)
		default:
			q.policy, q.amount = 2, 1
			q.start = (c.policies[2].deactivated - 1 - day(r.IntN(120))).weekday()
			q.end = q.start
		}
		switch k := r.IntN(20); {
		case q.start > dataDay:
			q.status = uint8([]int{statusPending, statusApproved}[r.IntN(2)])
		case k < 15:
			q.status = statusApproved
		case k < 17:
			q.status = statusDenied
		case k < 19:
			q.status = statusCanceled
		default:
			q.status = statusPending
		}
		if r.IntN(3) > 0 {
			q.notes = int8(r.IntN(len(timeOffNotes)))
		}
		q.created = min(stampOf(q.start-3-day(r.IntN(38)), 9*3600+r.IntN(8*3600)), dataEnd-86400)
		q.updated = min(q.created+stamp(r.IntN(3*86400)), dataEnd)
		c.requests = append(c.requests, q)
	}
	// Ids follow start date, so the listing order reads like a calendar.
	slices.SortStableFunc(c.requests, func(a, b timeOffRequest) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.created, b.created))
	})
}

func (c *company) policyID(p int) string  { return "pol_" + c.key + "_" + c.policies[p].slug }
func (c *company) requestID(q int) string { return fmt.Sprintf("tor_%s_%04d", c.key, q+1) }

func (c *company) policyIndex(id string) (int, bool) {
	for p := range c.policies {
		if c.policyID(p) == id {
			return p, true
		}
	}
	return 0, false
}

type policyJSON struct {
	ID               string `json:"id"`
	Name             string `json:"name,omitempty"`
	Status           string `json:"status,omitempty"`
	Type             string `json:"type,omitempty"`
	EffectiveDate    string `json:"effective_date,omitempty"`
	DeactivationDate string `json:"deactivation_date,omitempty"`
}

type timeOffRequestJSON struct {
	ID        string  `json:"id"`
	MemberID  string  `json:"member_id"`
	PolicyID  string  `json:"policy_id"`
	Status    string  `json:"status"`
	UnitType  string  `json:"unit_type,omitempty"`
	Amount    float64 `json:"amount"`
	StartDate string  `json:"start_date"`
	EndDate   string  `json:"end_date"`
	Notes     string  `json:"notes,omitempty"`
	CreatedAt string  `json:"created_at,omitempty"`
	UpdatedAt string  `json:"updated_at,omitempty"`
}

func (a *api) listPolicies(w http.ResponseWriter, r *http.Request, x *call) {
	status := r.URL.Query().Get("status")
	norm := url.Values{}
	if status != "" {
		norm.Set("status", status)
	}
	p, ok := a.parsePage(w, r, x, norm)
	if !ok {
		return
	}
	c := x.c
	idx, more := p.collect(len(c.policies), func(i int) bool { return status == "" || c.policies[i].status == status })
	items := make([]policyJSON, 0, len(idx))
	for _, i := range idx {
		pol := &c.policies[i]
		items = append(items, policyJSON{ID: c.policyID(i), Name: pol.name, Status: pol.status, Type: pol.kind,
			EffectiveDate: pol.effective.String(), DeactivationDate: pol.deactivated.String()})
	}
	a.writeList(w, p, items, idx, more)
}

func (a *api) listTimeOffRequests(w http.ResponseWriter, r *http.Request, x *call) {
	start, end, ok := dateRange(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	norm := url.Values{"start_date": {start.String()}, "end_date": {end.String()}}
	for _, k := range []string{"member_id", "policy_id", "status"} {
		if v := q.Get(k); v != "" {
			norm.Set(k, v)
		}
	}
	p, ok := a.parsePage(w, r, x, norm)
	if !ok {
		return
	}
	c := x.c
	idx, more := p.collect(len(c.requests), func(i int) bool {
		t := &c.requests[i]
		return t.start <= end && t.end >= start &&
			(norm.Get("member_id") == "" || c.memberID(int(t.member)) == norm.Get("member_id")) &&
			(norm.Get("policy_id") == "" || c.policyID(int(t.policy)) == norm.Get("policy_id")) &&
			(norm.Get("status") == "" || requestStatuses[t.status] == norm.Get("status"))
	})
	items := make([]timeOffRequestJSON, 0, len(idx))
	for _, i := range idx {
		t := &c.requests[i]
		out := timeOffRequestJSON{
			ID: c.requestID(i), MemberID: c.memberID(int(t.member)), PolicyID: c.policyID(int(t.policy)),
			Status: requestStatuses[t.status], UnitType: c.policies[t.policy].unit, Amount: t.amount,
			StartDate: t.start.String(), EndDate: t.end.String(), CreatedAt: t.created.String(), UpdatedAt: t.updated.String(),
		}
		if t.notes >= 0 {
			out.Notes = timeOffNotes[t.notes]
		}
		items = append(items, out)
	}
	a.writeList(w, p, items, idx, more)
}

type balanceRowJSON struct {
	MemberID  string  `json:"member_id"`
	PolicyID  string  `json:"policy_id"`
	UnitType  string  `json:"unit_type,omitempty"`
	Available float64 `json:"available"`
	Used      float64 `json:"used"`
}

// balances computes each member's balance under each policy for the calendar
// year of asOf: the year's entitlement (pro rata for accruing policies, and
// only while employed and the policy is active) less approved time off taken
// by asOf.
func (c *company) balances(members, policies []int, asOf day) []balanceRowJSON {
	yearStart := dayOf(asOf.time().Year(), time.January, 1)
	used := map[[2]int]float64{} // one pass over the requests, not one per row
	for _, q := range c.requests {
		if q.status == statusApproved && q.start >= yearStart && q.start <= asOf {
			used[[2]int{int(q.member), int(q.policy)}] += q.amount
		}
	}
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	rows := make([]balanceRowJSON, 0, len(members)*len(policies))
	for _, i := range members {
		m := &c.roster()[i]
		for _, p := range policies {
			pol := &c.policies[p]
			from, to := max(yearStart, m.start, pol.effective), asOf
			if m.end != 0 {
				to = min(to, m.end)
			}
			if pol.deactivated != 0 {
				to = min(to, pol.deactivated)
			}
			var earned float64
			if from <= to {
				earned = pol.annual
				if pol.accrues {
					earned = pol.annual * float64(to-from+1) / 365
				}
			}
			u := used[[2]int{i, p}]
			rows = append(rows, balanceRowJSON{MemberID: c.memberID(i), PolicyID: c.policyID(p), UnitType: pol.unit,
				Available: round(earned - u), Used: round(u)})
		}
	}
	return rows
}

// report is one asynchronous balances report (§13).
type report struct {
	company  *company
	created  time.Time
	polls    int
	done     bool
	members  []int
	policies []int
	asOf     day
	failure  string // why the report fails; empty when it succeeds
	rows     []balanceRowJSON
}

func (a *api) createBalancesReport(w http.ResponseWriter, r *http.Request, x *call) {
	var body struct {
		MemberID  *string  `json:"member_id"`
		PolicyID  *string  `json:"policy_id"`
		AsOfDate  *string  `json:"as_of_date"`
		MemberIDs []string `json:"member_ids"` // tolerated array forms (§14 #16)
		PolicyIDs []string `json:"policy_ids"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	c := x.c
	if body.AsOfDate == nil || *body.AsOfDate == "" {
		badParam(w, "as_of_date", "as_of_date is required (YYYY-MM-DD)")
		return
	}
	asOf, err := parseDay(*body.AsOfDate)
	if err != nil {
		badParam(w, "as_of_date", "as_of_date must be a date in YYYY-MM-DD form, got %q", *body.AsOfDate)
		return
	}
	rep := &report{company: c, created: a.opts.Now(), asOf: asOf}

	memberIDs, field := body.MemberIDs, "member_ids"
	if body.MemberID != nil {
		memberIDs, field = append([]string{*body.MemberID}, memberIDs...), "member_id"
	}
	for _, id := range memberIDs {
		i, ok := c.memberIndex(id)
		if !ok {
			badParam(w, field, "unknown member %q", id)
			return
		}
		if c.roster()[i].kind == typeContractor && rep.failure == "" {
			rep.failure = fmt.Sprintf("member %s is a contractor and is not enrolled in any time-off policy", id)
		}
		rep.members = append(rep.members, i)
	}
	if len(memberIDs) == 0 {
		// "All members" (a tolerance, not the documented form): everyone with policies.
		for i := range c.roster() {
			if c.roster()[i].kind != typeContractor {
				rep.members = append(rep.members, i)
			}
		}
	}
	policyIDs, field := body.PolicyIDs, "policy_ids"
	if body.PolicyID != nil {
		policyIDs, field = append([]string{*body.PolicyID}, policyIDs...), "policy_id"
	}
	for _, id := range policyIDs {
		p, ok := c.policyIndex(id)
		if !ok {
			badParam(w, field, "unknown time-off policy %q", id)
			return
		}
		rep.policies = append(rep.policies, p)
	}
	if len(policyIDs) == 0 {
		for p := range c.policies {
			rep.policies = append(rep.policies, p)
		}
	}

	id := newReportID()
	a.mu.Lock()
	for k, old := range a.reports {
		if rep.created.Sub(old.created) >= reportTTL {
			delete(a.reports, k)
		}
	}
	a.reports[id] = rep
	a.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]string{"report_id": id})
}

func newReportID() string {
	b := make([]byte, 10)
	crand.Read(b)
	return "rpt_" + hex.EncodeToString(b)
}

func (a *api) getBalancesReport(w http.ResponseWriter, r *http.Request, x *call) {
	id := r.PathValue("report_id")
	now := a.opts.Now()
	a.mu.Lock()
	rep, ok := a.reports[id]
	// Another company's report is as unknown as a missing one.
	if !ok || rep.company != x.c || now.Sub(rep.created) >= reportTTL {
		a.mu.Unlock()
		notFound(w, "time-off balances report", id)
		return
	}
	rep.polls++
	if !rep.done {
		byPolls := a.opts.ReportPolls >= 0 && rep.polls > a.opts.ReportPolls
		byTime := a.opts.ReportDelay >= 0 && now.Sub(rep.created) >= a.opts.ReportDelay
		rep.done = byPolls || byTime
	}
	if rep.done && rep.failure == "" && rep.rows == nil {
		rep.rows = x.c.balances(rep.members, rep.policies, rep.asOf)
	}
	status, message, rows := "processing", "The report is being generated; poll again shortly.", []balanceRowJSON{}
	switch {
	case rep.done && rep.failure != "":
		status, message = "failed", rep.failure
	case rep.done:
		status, message, rows = "completed", "The report is ready.", rep.rows
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "message": message, "items": rows})
}
