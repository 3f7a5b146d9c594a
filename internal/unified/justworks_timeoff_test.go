package unified

import "testing"

func TestJustworksTimeOff(t *testing.T) {
	requests := records[[]jwTimeOffRequest](t, "justworks_time_off_requests")
	policies := map[string]jwPolicy{}
	for _, p := range records[[]jwPolicy](t, "justworks_time_off_policies") {
		policies[p.ID] = p
	}
	same(t, "denied day off with its policy", jwTimeOff(requests[0], policies), TimeOff{
		ID: "tor_acme_0001", RemoteID: "tor_acme_0001", EmployeeID: "mbr_acme_000022", RemoteEmployeeID: "mbr_acme_000022",
		Status: &Enum{Value: "rejected", SourceValue: "denied"}, StartDate: "2025-12-30T00:00:00.000", EndDate: "2025-12-30T00:00:00.000",
		Duration: "P1D", TimeOffPolicyID: "pol_acme_floating", RemoteTimeOffPolicyID: "pol_acme_floating",
		Policy:  &TimeOffPolicy{ID: "pol_acme_floating", RemoteID: "pol_acme_floating", Name: "Floating Holidays", Type: &Enum{Value: "holiday", SourceValue: "holiday"}, DurationUnit: &Enum{Value: "days", SourceValue: "days"}},
		Comment: "Conference travel (personal days)", CreatedAt: "2025-11-27T14:22:03.000Z", UpdatedAt: "2025-11-28T09:19:05.000Z"})
	cancelled := requests[1]
	cancelled.Status = "canceled"
	unknown := requests[1]
	unknown.Status = "escalated"
	cases := []struct {
		name string
		in   jwTimeOffRequest
		pick func(TimeOff) any
		want any
	}{
		{"approved", requests[1], func(o TimeOff) any { return o.Status }, &Enum{Value: "approved", SourceValue: "approved"}},
		{"pending hours", requests[4], func(o TimeOff) any { return [2]any{o.Status, o.Duration} }, [2]any{&Enum{Value: "pending", SourceValue: "pending"}, "PT8H"}},
		{"cancelled", cancelled, func(o TimeOff) any { return o.Status.Value }, "cancelled"},
		{"unknown status", unknown, func(o TimeOff) any { return o.Status }, &Enum{Value: Unmapped, SourceValue: "escalated"}},
		{"paid time off policy", requests[1], func(o TimeOff) any { return o.Policy.Type }, &Enum{Value: "paid", SourceValue: "pto"}},
		{"no policy unless expanded", requests[1], func(o TimeOff) any { return jwTimeOff(requests[1], nil).Policy }, (*TimeOffPolicy)(nil)},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(jwTimeOff(c.in, policies)), c.want)
	}
}

func TestJustworksTimeOffPolicies(t *testing.T) {
	list := records[[]jwPolicyRecord](t, "justworks_time_off_policies")
	same(t, "policy", jwPolicyOf(list[1]), TimeOffPolicy{ID: "pol_acme_sick", RemoteID: "pol_acme_sick", Name: "Sick Leave", Type: &Enum{Value: "sick", SourceValue: "sick"}})
	same(t, "active type", jwTypeOf(list[0]), TimeOffType{ID: "pol_acme_pto", RemoteID: "pol_acme_pto", Name: "Paid Time Off", Active: ptr(true)})
	same(t, "inactive type", *jwTypeOf(list[2]).Active, false)
}
