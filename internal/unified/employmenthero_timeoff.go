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
		"hris_list_time_off_requests":          ehListTimeOff,
		"hris_get_time_off_request":            ehGetTimeOff,
		"hris_list_employee_time_off_requests": ehListEmployeeTimeOff,
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
	if err := noUpdatedAfter(s, p, "leave requests"); err != nil {
		return page{}, err
	}
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
