package unified

import "testing"

func TestEmploymentHeroTimeOff(t *testing.T) {
	leave := records[[]ehLeaveRequest](t, "employmenthero_leave_requests")
	same(t, "declined annual leave in hours", ehTimeOff(leave[0]), TimeOff{
		ID: "2e1c4075-13de-4c68-9d71-da3475ad08e8", RemoteID: "2e1c4075-13de-4c68-9d71-da3475ad08e8",
		EmployeeID: "afc383e7-6fa2-455f-a682-2445ccfa4ba1", RemoteEmployeeID: "afc383e7-6fa2-455f-a682-2445ccfa4ba1",
		Status: &Enum{Value: "rejected", SourceValue: "Declined"},
		// Written at +10:00: the calendar dates stay those of the request.
		StartDate: "2025-09-25T00:00:00.000", EndDate: "2025-09-29T00:00:00.000", Duration: "PT22H48M",
		Policy: &TimeOffPolicy{Name: "Annual Leave", Type: &Enum{Value: "annual_leave", SourceValue: "Annual Leave"}, DurationUnit: &Enum{Value: "hours", SourceValue: "hours"}}})
	cancelled := leave[1]
	cancelled.Status = "Cancelled"
	cases := []struct {
		name string
		in   ehLeaveRequest
		pick func(TimeOff) any
		want any
	}{
		{"approved unpaid days", leave[1], func(o TimeOff) any { return [3]any{o.Status, o.Duration, o.Policy.Type} },
			[3]any{&Enum{Value: "approved", SourceValue: "Approved"}, "P5D", &Enum{Value: "unpaid", SourceValue: "Unpaid Leave"}}},
		{"daylight saving offset", leave[1], func(o TimeOff) any { return [2]string{o.StartDate, o.EndDate} }, [2]string{"2026-03-23T00:00:00.000", "2026-03-27T00:00:00.000"}},
		{"personal leave", leave[3], func(o TimeOff) any { return o.Policy.Type }, &Enum{Value: "personal", SourceValue: "Personal/Carer's Leave"}},
		{"cancelled", cancelled, func(o TimeOff) any { return o.Status.Value }, "cancelled"},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(ehTimeOff(c.in)), c.want)
	}
}

func TestEmploymentHeroLeaveCategoriesAndBalances(t *testing.T) {
	cats := records[[]ehLeaveCategory](t, "employmenthero_leave_categories")
	same(t, "annual leave", ehPolicyOf(cats[0]), TimeOffPolicy{ID: cats[0].ID, RemoteID: cats[0].ID, Name: "Annual Leave",
		Type: &Enum{Value: "annual_leave", SourceValue: "Annual Leave"}, DurationUnit: &Enum{Value: "hours", SourceValue: "hours"}})
	b := records[[]ehLeaveBalance](t, "employmenthero_leave_balances")[0]
	got := ehBalanceOf("emp1", b)
	same(t, "balance", [5]any{*got.CurrentBalance, *got.InitialBalance, got.BalanceUnit, got.PolicyID, got.Policy.Type},
		[5]any{148.24, 148.24, &Enum{Value: "hours", SourceValue: "hours"}, cats[0].ID, &Enum{Value: "annual_leave", SourceValue: "Annual Leave"}})
}
