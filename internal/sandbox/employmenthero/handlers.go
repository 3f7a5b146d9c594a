package employmenthero

import (
	"iter"
	"slices"
	"time"
)

const (
	orgPath      = "/api/v1/organisations/{organisation_id}"
	employeePath = orgPath + "/employees/{employee_id}"
	v2Employee   = "/api/v2/organisations/{organisation_id}/employees/{employee_id}"
)

// endpoints are the routes of reference §7 that the connector's 29 actions call,
// with the scopes of §14.
func (a *api) endpoints() []endpoint {
	return []endpoint{
		{pattern: "GET /api/v1/organisations", scope: "organisations:list", serve: a.listOrganisations},
		{pattern: "GET " + orgPath, scope: "organisations:show", serve: func(c *call) (any, error) { return c.org.detailView(), nil }},
		{pattern: "GET " + orgPath + "/employees", scope: "employees:list", serve: listEmployees},
		{pattern: "GET " + employeePath, scope: "employees:show", serve: perEmployee(func(o *organisation, i int) (any, error) {
			return o.employeeView(i), nil
		})},
		{pattern: "GET " + orgPath + "/teams", scope: "teams:list", serve: func(c *call) (any, error) { return listOf(c, c.org.teamViews()) }},
		{pattern: "GET " + orgPath + "/teams/{team_id}/employees", scope: "teams:employees:list", serve: listTeamEmployees},
		{pattern: "GET " + orgPath + "/leave_requests", scope: "leave_requests:list", adminsOnly: true, serve: listLeaveRequests},
		{pattern: "GET " + orgPath + "/leave_requests/{leave_request_id}", scope: "leave_requests:show", serve: getLeaveRequest},
		{pattern: "GET " + employeePath + "/leave_balances", scope: "employees:leave_balances:list", serve: employeeList((*organisation).leaveBalances)},
		{pattern: "GET " + orgPath + "/leave_categories", scope: "leave_categories:list", serve: func(c *call) (any, error) { return listOf(c, c.org.leaveCategoryViews()) }},
		{pattern: "GET " + employeePath + "/timesheet_entries", scope: "employees:timesheet_entries:list", serve: listTimesheetEntries},
		{pattern: "GET " + employeePath + "/payslips", scope: "payslips:list", serve: employeeList((*organisation).payslips)},
		{pattern: "GET " + employeePath + "/pay_details", scope: "pay_details:list", serve: employeeList((*organisation).payDetails)},
		{pattern: "GET " + v2Employee + "/bank_accounts", scope: "bank_accounts:list", serve: employeeList((*organisation).bankAccounts)},
		{pattern: "GET " + v2Employee + "/tax_declaration", scope: "employees:tax_declaration:show", serve: perEmployee(func(o *organisation, i int) (any, error) {
			if t, ok := o.taxDeclaration(i); ok {
				return t, nil
			}
			return nil, notFound("Tax declaration")
		})},
		{pattern: "GET " + v2Employee + "/superannuation_detail", scope: "employees:superannuation_detail:show", serve: perEmployee(func(o *organisation, i int) (any, error) {
			if s, ok := o.superannuation(i); ok {
				return s, nil
			}
			return nil, notFound("Superannuation detail")
		})},
		{pattern: "GET " + employeePath + "/employment_histories", scope: "employment_histories:list", serve: employeeList((*organisation).employmentHistories)},
		{pattern: "GET " + employeePath + "/emergency_contacts", scope: "emergency_contacts:list", serve: employeeList((*organisation).emergencyContacts)},
		{pattern: "GET " + orgPath + "/certifications", scope: "certifications:list", serve: func(c *call) (any, error) { return listOf(c, c.org.certificationViews()) }},
		{pattern: "GET " + employeePath + "/certifications", scope: "employees_certifications:list", serve: employeeList((*organisation).employeeCertifications)},
		{pattern: "GET " + orgPath + "/policies", scope: "policies:list", serve: func(c *call) (any, error) { return listOf(c, c.org.policyViews()) }},
		{pattern: "GET " + orgPath + "/custom_fields", scope: "custom_fields:list", serve: func(c *call) (any, error) { return listOf(c, c.org.customFieldViews()) }},
		{pattern: "GET " + employeePath + "/custom_fields", scope: "employee_custom_fields:list", serve: employeeList((*organisation).customFieldValues)},
		{pattern: "GET " + orgPath + "/cost_centres", scope: "cost_centres:list", serve: func(c *call) (any, error) {
			return listOf(c, c.org.namedList(kindCostCentre, c.org.spec.costCentres))
		}},
		{pattern: "GET " + orgPath + "/rostered_shifts", scope: "rostered_shifts:list", adminsOnly: true, serve: listRosteredShifts},
		{pattern: "GET " + orgPath + "/unavailabilities", scope: "unavailabilities:list", adminsOnly: true, serve: listUnavailabilities},
		{pattern: "GET " + orgPath + "/employing_entities", scope: "employing_entities:list", serve: func(c *call) (any, error) {
			return listOf(c, c.org.namedList(kindEmployingEntity, c.org.spec.entities))
		}},
		{pattern: "GET " + orgPath + "/work_locations", scope: "work_locations:list", serve: func(c *call) (any, error) { return listOf(c, c.org.workLocationViews()) }},
		{pattern: "GET " + orgPath + "/work_sites", scope: "work_sites:list", serve: func(c *call) (any, error) { return listOf(c, c.org.workSiteViews()) }},
	}
}

// listOrganisations lists the organisations the token reaches, in creation order.
func (a *api) listOrganisations(c *call) (any, error) {
	var views []organisationJSON
	for _, o := range a.d.orgs {
		if c.grant.HasTenant(o.id) {
			views = append(views, o.view())
		}
	}
	return listOf(c, views)
}

// perEmployee serves a single record of the {employee_id} employee.
func perEmployee(get func(o *organisation, i int) (any, error)) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		i, err := c.employee()
		if err != nil {
			return nil, err
		}
		return get(c.org, i)
	}
}

// employeeList serves a paged list of the {employee_id} employee's records.
func employeeList[T any](records func(o *organisation, i int) []T) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		i, err := c.employee()
		if err != nil {
			return nil, err
		}
		return listOf(c, records(c.org, i))
	}
}

// people pages employees, rendering only the page.
func people(c *call, pg page, indices iter.Seq[int]) list[employeeJSON] {
	return paginate(pg, indices, c.org.employeeView)
}

func listEmployees(c *call) (any, error) {
	p := c.params()
	memberType := p.values.Get("member_type")
	if memberType != "" && memberType != "employee" && memberType != "contractor" {
		p.problem("member_type must be employee or contractor")
	}
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	return people(c, pg, func(yield func(int) bool) {
		staff := c.org.staff()
		for i := range staff {
			contractor := staff[i].is(flagContractor)
			if memberType == "employee" && contractor || memberType == "contractor" && !contractor || !c.canSee(i) {
				continue
			}
			if !yield(i) {
				return
			}
		}
	}), nil
}

func listTeamEmployees(c *call) (any, error) {
	t, ok := c.org.team(c.r.PathValue("team_id"))
	if !ok {
		return nil, notFound("Team")
	}
	p := c.params()
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	return people(c, pg, func(yield func(int) bool) {
		for _, i := range c.org.teams[t].members {
			if c.canSee(int(i)) && !yield(int(i)) {
				return
			}
		}
	}), nil
}

// listLeaveRequests returns the requests that overlap start_date..end_date.
func listLeaveRequests(c *call) (any, error) {
	p := c.params()
	from, hasFrom := p.date("start_date", time.DateOnly, "YYYY-MM-DD")
	to, hasTo := p.date("end_date", time.DateOnly, "YYYY-MM-DD")
	if hasFrom && hasTo && to < from {
		p.problem("end_date must not be before start_date")
	}
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	o := c.org
	return paginate(pg, func(yield func(leaveRequest) bool) {
		for i := range o.staff() {
			for _, lr := range o.leaveRequests(i) {
				if hasFrom && lr.end < from || hasTo && lr.start > to {
					continue
				}
				if !yield(lr) {
					return
				}
			}
		}
	}, o.leaveRequestView), nil
}

func getLeaveRequest(c *call) (any, error) {
	lr, ok := c.org.leaveRequest(c.r.PathValue("leave_request_id"))
	if !ok {
		return nil, notFound("Leave request")
	}
	if !c.canSee(lr.emp) {
		return nil, forbiddenForRole()
	}
	return c.org.leaveRequestView(lr), nil
}

// listTimesheetEntries serves one employee's entries, or everyone's for the
// employee id "-" (which needs an admin). Its date filters use dd/mm/yyyy (§5).
func listTimesheetEntries(c *call) (any, error) {
	only := -1
	if c.r.PathValue("employee_id") != "-" {
		i, err := c.employee()
		if err != nil {
			return nil, err
		}
		only = i
	} else if !c.admin {
		return nil, forbiddenForRole()
	}
	p := c.params()
	from, hasFrom := p.date("start_date", "02/01/2006", "dd/mm/yyyy")
	to, hasTo := p.date("end_date", "02/01/2006", "dd/mm/yyyy")
	if hasFrom && hasTo && to < from {
		p.problem("end_date must not be before start_date")
	}
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	if !hasFrom {
		from = timesheetFrom
	}
	if !hasTo {
		to = timesheetTo
	}
	return paginate(pg, c.org.timesheets(only, from, to), c.org.timesheetView), nil
}

// listRosteredShifts returns the shifts that overlap from_date..to_date, both
// required (a wrongly named pair such as from/to is therefore a 400, as observed).
func listRosteredShifts(c *call) (any, error) {
	o := c.org
	p := c.params()
	from, hasFrom := p.moment("from_date", o.loc, false)
	to, hasTo := p.moment("to_date", o.loc, true)
	if !hasFrom && p.values.Get("from_date") == "" {
		p.problem("from_date is required")
	}
	if !hasTo && p.values.Get("to_date") == "" {
		p.problem("to_date is required")
	}
	if hasFrom && hasTo && to.Before(from) {
		p.problem("to_date must not be before from_date")
	}
	statuses := p.values["statuses[]"]
	locations := o.indices(p.values["location_ids[]"], kindCostCentre, len(o.spec.costCentres))
	members := o.indices(p.values["member_ids[]"], kindEmployee, len(o.staff()))
	unassignedOnly := p.boolean("unassigned_shifts_only")
	excludeOverlapping := p.boolean("exclude_shifts_overlapping_from_date")
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	matches := func(s shift) bool {
		start, end := o.shiftTimes(s)
		switch {
		case !end.After(from) || start.After(to):
			return false
		case excludeOverlapping && start.Before(from):
			return false
		case unassignedOnly && !s.open():
			return false
		case len(statuses) > 0 && !slices.Contains(statuses, s.status()):
			return false
		case locations != nil && !locations[s.costCentre]:
			return false
		case members != nil && !members[s.emp]:
			return false
		}
		return true
	}
	// Shifts may start the evening before the window and run into it.
	days := o.shifts(dayOf(from.In(o.loc))-1, dayOf(to.In(o.loc)))
	return paginate(pg, filter(days, matches), o.shiftView), nil
}

// listUnavailabilities returns the unavailabilities ending within
// from_date..to_date, a range of at most one month (§7).
func listUnavailabilities(c *call) (any, error) {
	o := c.org
	p := c.params()
	from, hasFrom := p.moment("from_date", o.loc, false)
	to, hasTo := p.moment("to_date", o.loc, true)
	if hasFrom && hasTo {
		switch {
		case to.Before(from):
			p.problem("to_date must not be before from_date")
		case dayOf(to.In(o.loc)) > dayOf(from.In(o.loc).AddDate(0, 1, 0)):
			p.problem("the range from from_date to to_date must not exceed one month")
		}
	}
	var locations, members map[int]bool
	if v := p.values.Get("location_id"); v != "" {
		locations = o.indices([]string{v}, kindCostCentre, len(o.spec.costCentres))
	}
	if v := p.values.Get("member_id"); v != "" {
		members = o.indices([]string{v}, kindEmployee, len(o.staff()))
	}
	pg := p.page()
	if err := p.err(); err != nil {
		return nil, err
	}
	fromDay, toDay := dayOf(from.In(o.loc)), dayOf(to.In(o.loc))
	return paginate(pg, func(yield func(unavailability) bool) {
		for i := range o.staff() {
			if locations != nil && !locations[int(o.staff()[i].costCentre)] || members != nil && !members[i] {
				continue
			}
			for _, u := range o.unavailabilities(i) {
				if hasFrom && u.end < fromDay || hasTo && u.end > toDay {
					continue
				}
				if !yield(u) {
					return
				}
			}
		}
	}, o.unavailabilityView), nil
}

// indices resolves filter ids of one kind to record indices; ids this
// organisation did not issue match nothing. It returns nil when there are no
// ids, which means no filter.
func (o *organisation) indices(ids []string, k kind, count int) map[int]bool {
	if len(ids) == 0 {
		return nil
	}
	set := make(map[int]bool, len(ids))
	for _, id := range ids {
		if i, ok := o.lookup(id, k, count); ok {
			set[i] = true
		}
	}
	return set
}

func filter[T any](items iter.Seq[T], keep func(T) bool) iter.Seq[T] {
	return func(yield func(T) bool) {
		for item := range items {
			if keep(item) && !yield(item) {
				return
			}
		}
	}
}
