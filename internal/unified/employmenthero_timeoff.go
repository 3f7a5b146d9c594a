package unified

import (
	"context"

	"github.com/patchbayhq/patchbay/internal/actions"
)

// Employment Hero: time off, from leave requests
// (shared/reference/employmenthero.md §8.4). Leave requests name their
// category but not its id, and carry no update time. Employment Hero cannot
// list one employee's requests, so Patchbay filters the organisation's pages:
// such a page may hold fewer records than page_size and still have a next.

func init() {
	register("employmenthero", provider{
		"hris_list_time_off_requests":          {run: ehListTimeOff},
		"hris_get_time_off_request":            {run: ehGetTimeOff},
		"hris_list_employee_time_off_requests": {run: ehListEmployeeTimeOff},
	})
}

type ehLeaveRequest struct {
	ID                string  `json:"id"`
	EmployeeID        string  `json:"employee_id"`
	StartDate         string  `json:"start_date"`
	EndDate           string  `json:"end_date"`
	TotalUnits        float64 `json:"total_units"`
	UnitType          string  `json:"unit_type"`
	Status            string  `json:"status"`
	Comment           *string `json:"comment"`
	LeaveCategoryName string  `json:"leave_category_name"`
}

var (
	// Statuses are capitalised (Approved); enum compares case-insensitively.
	ehLeaveStatus = map[string]string{"approved": "approved", "pending": "pending", "declined": "rejected", "cancelled": "cancelled"}
	ehLeaveType   = map[string]string{
		"annual leave": "annual_leave", "sick leave": "sick", "personal/carer's leave": "personal", "long service leave": "leave_of_absence",
		"compassionate leave": "bereavement", "bereavement leave": "bereavement", "unpaid leave": "unpaid", "alternative holiday": "holiday",
	}
)

// ehTimeOff maps a leave request.
func ehTimeOff(r ehLeaveRequest) TimeOff {
	t := TimeOff{ID: r.ID, RemoteID: r.ID, EmployeeID: r.EmployeeID, RemoteEmployeeID: r.EmployeeID,
		Status: enum(r.Status, ehLeaveStatus), StartDate: localDate(r.StartDate), EndDate: localDate(r.EndDate),
		Duration: duration(r.TotalUnits, r.UnitType), Comment: str(r.Comment)}
	if r.LeaveCategoryName != "" {
		t.Policy = &TimeOffPolicy{Name: r.LeaveCategoryName, Type: enum(r.LeaveCategoryName, ehLeaveType), DurationUnit: enum(r.UnitType, durationUnits)}
	}
	return t
}

// ehLeavePage lists one page of the organisation's leave requests, keeping
// those of one employee when employeeID is set.
func ehLeavePage(ctx context.Context, s *actions.Session, p Params, employeeID string) (page, error) {
	var list []ehLeaveRequest
	next, err := listCall(ctx, s, p, "employmenthero_list_leave_requests", nil, nil, &list)
	if err != nil {
		return page{}, err
	}
	out := []TimeOff{}
	for _, r := range list {
		if employeeID == "" || r.EmployeeID == employeeID {
			out = append(out, ehTimeOff(r))
		}
	}
	return page{data: out, next: next, list: true}, nil
}

func ehListTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return ehLeavePage(ctx, s, p, "")
}

func ehListEmployeeTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return ehLeavePage(ctx, s, p, p.ID)
}

func ehGetTimeOff(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var r ehLeaveRequest
	if _, err := call(ctx, s, actions.Request{Action: "employmenthero_get_leave_request", Path: map[string]any{"leave_request_id": p.ID}}, &r); err != nil {
		return page{}, err
	}
	return page{data: ehTimeOff(r)}, nil
}

// Employment Hero: leave categories as time-off policies and types, and an
// employee's leave balances.

func init() {
	register("employmenthero", provider{
		"hris_list_time_off_policies":          {run: ehListTimeOffPolicies},
		"hris_list_time_off_types":             {run: ehListTimeOffTypes},
		"hris_list_employee_time_off_balances": {run: ehListTimeOffBalances},
	})
}

type ehLeaveCategory struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	UnitType string `json:"unit_type"`
}

type ehLeaveBalance struct {
	ID                string  `json:"id"`
	LeaveCategoryID   string  `json:"leave_category_id"`
	LeaveCategoryName string  `json:"leave_category_name"`
	UnitType          string  `json:"unit_type"`
	AccruedAmount     float64 `json:"accrued_amount"`
	RemainingBalance  float64 `json:"remaining_balance"`
}

func ehPolicyOf(c ehLeaveCategory) TimeOffPolicy {
	return TimeOffPolicy{ID: c.ID, RemoteID: c.ID, Name: c.Name, Type: enum(c.Name, ehLeaveType), DurationUnit: enum(c.UnitType, durationUnits)}
}

// ehTypeOf is a leave category as a time-off type: Employment Hero lists the
// categories in use.
func ehTypeOf(c ehLeaveCategory) TimeOffType {
	active := true
	return TimeOffType{ID: c.ID, RemoteID: c.ID, Name: c.Name, Active: &active}
}

// ehBalanceOf maps a balance: what remains now, of what has accrued.
func ehBalanceOf(employeeID string, b ehLeaveBalance) TimeOffBalance {
	remaining, accrued := b.RemainingBalance, b.AccruedAmount
	return TimeOffBalance{ID: b.ID, RemoteID: b.ID, EmployeeID: employeeID, RemoteEmployeeID: employeeID,
		PolicyID: b.LeaveCategoryID, RemotePolicyID: b.LeaveCategoryID,
		Policy:         &TimeOffPolicy{ID: b.LeaveCategoryID, RemoteID: b.LeaveCategoryID, Name: b.LeaveCategoryName, Type: enum(b.LeaveCategoryName, ehLeaveType)},
		CurrentBalance: &remaining, InitialBalance: &accrued, BalanceUnit: enum(b.UnitType, durationUnits)}
}
func ehListTimeOffPolicies(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_leave_categories", nil, nil, ehPolicyOf)
}

func ehListTimeOffTypes(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_leave_categories", nil, nil, ehTypeOf)
}

func ehListTimeOffBalances(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_leave_balances", map[string]any{"employee_id": p.ID}, nil,
		func(b ehLeaveBalance) TimeOffBalance { return ehBalanceOf(p.ID, b) })
}
