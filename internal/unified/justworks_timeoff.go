package unified

import (
	"context"
	"slices"

	"github.com/patchbayhq/patchbay/internal/actions"
)

// Justworks: time off (shared/reference/justworks.md §10.10). List Time Off
// Requests needs a date range; the unified lists ask for every request that
// overlaps jwTimeOffFrom..jwTimeOffTo. Justworks has no endpoint for one
// request, so a get pages through the list.

func init() {
	register("justworks", provider{
		"hris_list_time_off_requests":          {jwListTimeOff, []string{byUpdatedAfter}},
		"hris_get_time_off_request":            {run: jwGetTimeOff},
		"hris_list_employee_time_off_requests": {jwListEmployeeTimeOff, []string{byUpdatedAfter}},
	})
}

const (
	jwTimeOffFrom = "2000-01-01"
	jwTimeOffTo   = "2099-12-31"
)

type jwTimeOffRequest struct {
	ID        string  `json:"id"`
	MemberID  string  `json:"member_id"`
	PolicyID  string  `json:"policy_id"`
	Status    string  `json:"status"`
	UnitType  string  `json:"unit_type"`
	Amount    float64 `json:"amount"`
	StartDate string  `json:"start_date"`
	EndDate   string  `json:"end_date"`
	Notes     string  `json:"notes"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

type jwPolicy struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

var (
	jwTimeOffStatus = map[string]string{"pending": "pending", "approved": "approved", "denied": "rejected", "canceled": "cancelled", "cancelled": "cancelled"}
	jwPolicyType    = map[string]string{"pto": "paid", "sick": "sick", "holiday": "holiday", "other": "other"}
	durationUnits   = map[string]string{"hours": "hours", "days": "days", "hour": "hours", "day": "days"}
)

// jwTimeOff maps a time-off request; policies (by id) fill in its policy when given.
func jwTimeOff(r jwTimeOffRequest, policies map[string]jwPolicy) TimeOff {
	t := TimeOff{ID: r.ID, RemoteID: r.ID, EmployeeID: r.MemberID, RemoteEmployeeID: r.MemberID,
		Status: enum(r.Status, jwTimeOffStatus), StartDate: localDate(r.StartDate), EndDate: localDate(r.EndDate),
		Duration: duration(r.Amount, r.UnitType), TimeOffPolicyID: r.PolicyID, RemoteTimeOffPolicyID: r.PolicyID,
		Comment: r.Notes, CreatedAt: isoTime(r.CreatedAt), UpdatedAt: isoTime(r.UpdatedAt)}
	if pol, ok := policies[r.PolicyID]; ok {
		t.Policy = &TimeOffPolicy{ID: pol.ID, RemoteID: pol.ID, Name: pol.Name, Type: enum(pol.Type, jwPolicyType), DurationUnit: enum(r.UnitType, durationUnits)}
	}
	return t
}

// jwRequests lists one page of requests (of one member when memberID is set).
func jwRequests(ctx context.Context, s *actions.Session, p Params, memberID string) ([]jwTimeOffRequest, string, error) {
	query := map[string]any{"start_date": jwTimeOffFrom, "end_date": jwTimeOffTo}
	if memberID != "" {
		query["member_id"] = memberID
	}
	var requests []jwTimeOffRequest
	next, err := listCall(ctx, s, p, "justworks_list_time_off_requests", nil, query, &requests)
	return requests, next, err
}

// jwTimeOffPage maps one page of requests.
func jwTimeOffPage(ctx context.Context, s *actions.Session, p Params, memberID string) (page, error) {
	requests, next, err := jwRequests(ctx, s, p, memberID)
	if err != nil {
		return page{}, err
	}
	policies, err := jwPolicies(ctx, s, p)
	if err != nil {
		return page{}, err
	}
	out := []TimeOff{}
	for _, r := range requests {
		t := jwTimeOff(r, policies)
		// Justworks filters requests by dates, not by change: Patchbay applies updated_after.
		if p.UpdatedAfter.IsZero() || updatedAfter(t.UpdatedAt, p.UpdatedAfter) {
			out = append(out, t)
		}
	}
	return page{data: out, next: next, list: true}, nil
}

// jwPolicies reads the company's time-off policies (one call, up to 100) when
// expand=policy asks for them.
func jwPolicies(ctx context.Context, s *actions.Session, p Params) (map[string]jwPolicy, error) {
	if !slices.Contains(p.Expand, "policy") {
		return nil, nil
	}
	var list []jwPolicy
	if _, err := call(ctx, s, actions.Request{Action: "justworks_list_time_off_policies", PageSize: MaxPageSize}, &list); err != nil {
		return nil, err
	}
	byID := make(map[string]jwPolicy, len(list))
	for _, pol := range list {
		byID[pol.ID] = pol
	}
	return byID, nil
}

func jwListTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return jwTimeOffPage(ctx, s, p, "")
}

func jwListEmployeeTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return jwTimeOffPage(ctx, s, p, p.ID)
}

// jwGetTimeOff pages through every request, a hundred at a time, for the one
// asked for: Justworks publishes no endpoint that returns one.
func jwGetTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	scan := Params{PageSize: MaxPageSize}
	for {
		requests, next, err := jwRequests(ctx, s, scan, "")
		if err != nil {
			return page{}, err
		}
		for _, r := range requests {
			if r.ID == p.ID {
				policies, err := jwPolicies(ctx, s, p)
				return page{data: jwTimeOff(r, policies)}, err
			}
		}
		if next == "" {
			return page{}, notFound(s, "time-off request", p.ID)
		}
		scan.next = next
	}
}

// Justworks: time-off policies, as policies and as types.

func init() {
	register("justworks", provider{
		"hris_list_time_off_policies": {run: jwListTimeOffPolicies},
		"hris_list_time_off_types":    {run: jwListTimeOffTypes},
	})
}

type jwPolicyRecord struct {
	jwPolicy
	Status string `json:"status"`
}

func jwPolicyOf(p jwPolicyRecord) TimeOffPolicy {
	return TimeOffPolicy{ID: p.ID, RemoteID: p.ID, Name: p.Name, Type: enum(p.Type, jwPolicyType)}
}

func jwTypeOf(p jwPolicyRecord) TimeOffType {
	active := p.Status == "active"
	return TimeOffType{ID: p.ID, RemoteID: p.ID, Name: p.Name, Active: &active}
}
func jwListTimeOffPolicies(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "justworks_list_time_off_policies", nil, nil, jwPolicyOf)
}

func jwListTimeOffTypes(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "justworks_list_time_off_policies", nil, nil, jwTypeOf)
}
