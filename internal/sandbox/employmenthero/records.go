package employmenthero

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Per-employee records. None is stored: each is derived from the employee's
// stored fields and a random stream of its own (organisation.rng), so a
// dataset of 100,000 people costs no more memory than their compact records.

// money rounds to cents; the API sends decimal amounts, not integer cents (§5).
func money(x float64) float64 { return math.Round(x*100) / 100 }

// Organisation-level lists.

type teamJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type leaveCategoryJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	UnitType string `json:"unit_type"`
}

type certificationJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type policyJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Induction bool   `json:"induction"`
	CreatedAt string `json:"created_at"`
}

type customFieldJSON struct {
	ID                     string                `json:"id"`
	Name                   string                `json:"name"`
	Hint                   *string               `json:"hint"`
	Description            *string               `json:"description"`
	Type                   string                `json:"type"`
	InOnboarding           bool                  `json:"in_onboarding"`
	Required               bool                  `json:"required"`
	CustomFieldPermissions []fieldPermissionJSON `json:"custom_field_permissions"`
	CustomFieldOptions     []fieldOptionJSON     `json:"custom_field_options"`
}

type fieldPermissionJSON struct {
	ID         string `json:"id"`
	Permission string `json:"permission"`
	Role       string `json:"role"`
}

type fieldOptionJSON struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

type workLocationJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
}

type workSiteJSON struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	Status               string           `json:"status"`
	Address              string           `json:"address"`
	RosterPositionsCount int              `json:"roster_positions_count"`
	HRPositions          []named          `json:"hr_positions"`
	Departments          []departmentJSON `json:"departments"`
}

type departmentJSON struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	AssignmentCount int    `json:"assignment_count"`
}

func (o *organisation) teamViews() []teamJSON {
	views := make([]teamJSON, len(o.teams))
	for t := range o.teams {
		ref := o.teamRef(t)
		views[t] = teamJSON{ID: ref.ID, Name: ref.Name, Status: "active"}
	}
	return views
}

// team returns the index of the team with the given id.
func (o *organisation) team(id string) (int, bool) {
	return o.lookup(id, kindTeam, len(o.teams))
}

func (o *organisation) leaveCategoryID(c int) string {
	return o.d.id(ref{kind: kindLeaveCategory, org: o.n, idx: c})
}

func (o *organisation) leaveCategoryViews() []leaveCategoryJSON {
	views := make([]leaveCategoryJSON, len(o.leaveCategories))
	for c, lc := range o.leaveCategories {
		views[c] = leaveCategoryJSON{ID: o.leaveCategoryID(c), Name: lc.name, UnitType: lc.unit}
	}
	return views
}

func (o *organisation) certificationID(c int) string {
	return o.d.id(ref{kind: kindCertification, org: o.n, idx: c})
}

func (o *organisation) certificationViews() []certificationJSON {
	views := make([]certificationJSON, len(o.certifications))
	for c, cert := range o.certifications {
		views[c] = certificationJSON{ID: o.certificationID(c), Name: cert.name, Type: cert.kind}
	}
	return views
}

func (o *organisation) policyViews() []policyJSON {
	created := dayOf(o.created())
	views := make([]policyJSON, len(policies))
	for p, policy := range policies {
		views[p] = policyJSON{
			ID:        o.d.id(ref{kind: kindPolicy, org: o.n, idx: p}),
			Name:      policy.name,
			Induction: policy.induction,
			CreatedAt: (created + day(30*p)).at(o.loc, 10*60).Format(dateTimeLayout),
		}
	}
	return views
}

func (o *organisation) customFieldID(f int) string {
	return o.d.id(ref{kind: kindCustomField, org: o.n, idx: f})
}

func (o *organisation) customFieldViews() []customFieldJSON {
	views := make([]customFieldJSON, len(customFields))
	for f, cf := range customFields {
		v := customFieldJSON{
			ID: o.customFieldID(f), Name: cf.name, Type: cf.kind,
			Hint: opt(cf.hint != "", cf.hint), Description: opt(cf.description != "", cf.description),
			InOnboarding: cf.inOnboarding, Required: cf.required,
			CustomFieldOptions: []fieldOptionJSON{},
		}
		for p, perm := range [][2]string{{"editable", "admin"}, {"viewable", "manager"}, {"editable", "employee"}} {
			v.CustomFieldPermissions = append(v.CustomFieldPermissions, fieldPermissionJSON{
				ID: o.d.id(ref{kind: kindCustomFieldPermission, org: o.n, idx: f, sub: p}), Permission: perm[0], Role: perm[1],
			})
		}
		for j, value := range cf.options {
			v.CustomFieldOptions = append(v.CustomFieldOptions, fieldOptionJSON{
				ID: o.d.id(ref{kind: kindCustomFieldOption, org: o.n, idx: f, sub: j}), Value: value,
			})
		}
		views[f] = v
	}
	return views
}

func (o *organisation) namedList(k kind, names []string) []named {
	views := make([]named, len(names))
	for i, name := range names {
		views[i] = named{ID: o.d.id(ref{kind: k, org: o.n, idx: i}), Name: name}
	}
	return views
}

func (o *organisation) workLocationViews() []workLocationJSON {
	views := make([]workLocationJSON, len(o.spec.workLocations))
	for i, name := range o.spec.workLocations {
		views[i] = workLocationJSON{ID: o.d.id(ref{kind: kindWorkLocation, org: o.n, idx: i}), Name: name, Country: o.spec.country.code()}
	}
	return views
}

func (o *organisation) workSiteID(s int) string {
	return o.d.id(ref{kind: kindWorkSite, org: o.n, idx: s})
}

func (o *organisation) position(s, p int) named {
	return named{ID: o.d.id(ref{kind: kindPosition, org: o.n, idx: s, sub: p}), Name: o.spec.sites[s].positions[p]}
}

func (o *organisation) workSiteViews() []workSiteJSON {
	views := make([]workSiteJSON, len(o.spec.sites))
	for s, site := range o.spec.sites {
		v := workSiteJSON{
			ID: o.workSiteID(s), Name: site.name, Status: "active", Address: site.address,
			RosterPositionsCount: len(site.positions),
		}
		for p := range site.positions {
			v.HRPositions = append(v.HRPositions, o.position(s, p))
		}
		for dep, name := range site.departments {
			// Spread the organisation's people over its departments.
			count := len(o.staff()) / (len(o.spec.sites) * len(site.departments))
			v.Departments = append(v.Departments, departmentJSON{
				ID: o.d.id(ref{kind: kindDepartment, org: o.n, idx: s, sub: dep}), Name: name, AssignmentCount: max(1, count),
			})
		}
		views[s] = v
	}
	return views
}

// Leave.

// leaveRequest is a derived leave request, kept small until a page renders it.
type leaveRequest struct {
	emp, seq   int
	category   int
	start, end day
	status     string
}

// leaveRequests derives employee i's leave requests, oldest first: up to four
// non-overlapping requests between nine months ago and three months ahead,
// within the employment.
func (o *organisation) leaveRequests(i int) []leaveRequest {
	e := &o.staff()[i]
	if e.is(flagContractor) || e.status == statusInactive {
		return nil
	}
	r := o.rng(kindLeaveRequest, i, 0)
	from, to := max(asOf-270, e.start), asOf+90
	if e.end != 0 {
		to = min(to, e.end)
	}
	count := []int{0, 1, 1, 2, 2, 3, 4}[r.IntN(7)]
	if count == 0 || to-from < day(14*count) {
		return nil
	}
	slot := (to - from) / day(count)
	requests := make([]leaveRequest, 0, count)
	for k := range count {
		length := 1 + day(r.IntN(min(10, int(slot)-3)))
		start := from + slot*day(k) + day(r.IntN(int(slot-length-2)))
		for start.weekend() {
			start++
		}
		lr := leaveRequest{emp: i, seq: k, category: o.pickLeaveCategory(r.IntN(100)), start: start, end: start + length - 1}
		switch {
		case lr.end < asOf && chance(r, 15):
			lr.status = "Declined"
		case lr.start > asOf && chance(r, 45):
			lr.status = "Pending"
		default:
			lr.status = "Approved"
		}
		requests = append(requests, lr)
	}
	return requests
}

// pickLeaveCategory maps a percentile to a category by the categories' weights.
func (o *organisation) pickLeaveCategory(p int) int {
	for c, lc := range o.leaveCategories {
		if p < lc.weight {
			return c
		}
		p -= lc.weight
	}
	return 0
}

// leaveRequest returns the leave request with the given id.
func (o *organisation) leaveRequest(id string) (leaveRequest, bool) {
	ref, ok := o.d.parseID(id, kindLeaveRequest)
	if !ok || ref.org != o.n || ref.idx >= len(o.staff()) {
		return leaveRequest{}, false
	}
	requests := o.leaveRequests(ref.idx)
	if ref.sub >= len(requests) {
		return leaveRequest{}, false
	}
	return requests[ref.sub], true
}

// workdays lists the weekdays of the request.
func (lr leaveRequest) workdays() []day {
	var days []day
	for d := lr.start; d <= lr.end; d++ {
		if !d.weekend() {
			days = append(days, d)
		}
	}
	return days
}

// units is the request's length in its category's unit.
func (o *organisation) units(lr leaveRequest) (hours, units float64) {
	perDay := o.staff()[lr.emp].hoursPerDay()
	workdays := float64(len(lr.workdays()))
	hours = money(workdays * perDay)
	if o.leaveCategories[lr.category].unit == "days" {
		return hours, workdays
	}
	return hours, hours
}

type leaveRequestJSON struct {
	ID                 string        `json:"id"`
	EmployeeID         string        `json:"employee_id"`
	StartDate          string        `json:"start_date"`
	EndDate            string        `json:"end_date"`
	TotalHours         float64       `json:"total_hours"`
	TotalUnits         float64       `json:"total_units"`
	UnitType           string        `json:"unit_type"`
	Status             string        `json:"status"`
	Comment            *string       `json:"comment"`
	Reason             *string       `json:"reason"`
	LeaveCategoryName  string        `json:"leave_category_name"`
	LeaveBalanceAmount float64       `json:"leave_balance_amount"`
	HoursPerDay        []hoursPerDay `json:"hours_per_day"`
}

type hoursPerDay struct {
	Date  string  `json:"date"`
	Hours float64 `json:"hours"`
}

func (o *organisation) leaveRequestView(lr leaveRequest) leaveRequestJSON {
	r := o.rng(kindLeaveRequest, lr.emp, 1+lr.seq)
	lc := o.leaveCategories[lr.category]
	hours, units := o.units(lr)
	v := leaveRequestJSON{
		ID:                 o.d.id(ref{kind: kindLeaveRequest, org: o.n, idx: lr.emp, sub: lr.seq}),
		EmployeeID:         o.employeeID(lr.emp),
		StartDate:          lr.start.at(o.loc, 0).Format(dateTimeLayout),
		EndDate:            lr.end.at(o.loc, 0).Format(dateTimeLayout),
		TotalHours:         hours,
		TotalUnits:         units,
		UnitType:           lc.unit,
		Status:             lr.status,
		Comment:            opt(chance(r, 60), leaveComments[r.IntN(len(leaveComments))]),
		Reason:             opt(lr.status == "Declined", "Too many people are away that week"),
		LeaveCategoryName:  lc.name,
		LeaveBalanceAmount: money(units + r.Float64()*10*o.staff()[lr.emp].hoursPerDay()),
		HoursPerDay:        []hoursPerDay{},
	}
	for _, d := range lr.workdays() {
		v.HoursPerDay = append(v.HoursPerDay, hoursPerDay{Date: d.String(), Hours: o.staff()[lr.emp].hoursPerDay()})
	}
	return v
}

type leaveBalanceJSON struct {
	ID                string  `json:"id"`
	LeaveCategoryID   string  `json:"leave_category_id"`
	LeaveCategoryName string  `json:"leave_category_name"`
	UnitType          string  `json:"unit_type"`
	AccruedAmount     float64 `json:"accrued_amount"`
	ApprovedLeave     float64 `json:"approved_leave"`
	PendingLeave      float64 `json:"pending_leave"`
	RemainingBalance  float64 `json:"remaining_balance"`
}

// leaveBalances has one balance per accruing category. Approved and pending
// amounts add up the employee's own leave requests, so the two endpoints agree.
func (o *organisation) leaveBalances(i int) []leaveBalanceJSON {
	e := &o.staff()[i]
	if e.is(flagContractor) {
		return nil
	}
	r := o.rng(kindLeaveBalance, i, 0)
	approved := make([]float64, len(o.leaveCategories))
	pending := make([]float64, len(o.leaveCategories))
	for _, lr := range o.leaveRequests(i) {
		_, units := o.units(lr)
		switch lr.status {
		case "Approved":
			approved[lr.category] += units
		case "Pending":
			pending[lr.category] += units
		}
	}
	var balances []leaveBalanceJSON
	for c, lc := range o.leaveCategories {
		if !lc.accrues {
			continue
		}
		spare := r.Float64() * 20 // days
		if lc.unit == "hours" {
			spare *= e.hoursPerDay()
		}
		accrued := money(approved[c] + pending[c] + spare)
		balances = append(balances, leaveBalanceJSON{
			ID:                o.d.id(ref{kind: kindLeaveBalance, org: o.n, idx: i, sub: c}),
			LeaveCategoryID:   o.leaveCategoryID(c),
			LeaveCategoryName: lc.name,
			UnitType:          lc.unit,
			AccruedAmount:     accrued,
			ApprovedLeave:     money(approved[c]),
			PendingLeave:      money(pending[c]),
			RemainingBalance:  money(accrued - approved[c] - pending[c]),
		})
	}
	return balances
}

// Pay.

// payDetail is one salary record: what the employee earned from a day on.
type payDetail struct {
	from   day
	salary float64 // annual, or hourly when hourly
	hourly bool
	reason string
}

// payHistory derives up to three pay records, oldest first: one when the
// employee started and one per later anniversary, each a small raise.
func (o *organisation) payHistory(i int) []payDetail {
	e := &o.staff()[i]
	r := o.rng(kindPayDetail, i, 0)
	hourly := e.employment == employmentCasual || e.is(flagContractor)
	var salary float64
	switch {
	case e.is(flagContractor):
		salary = 70 + r.Float64()*90
	case hourly:
		salary = 28 + r.Float64()*17
	case e.country == countryGB:
		salary = 30_000 + r.Float64()*65_000
	default:
		salary = 60_000 + r.Float64()*110_000
	}
	if e.employment == employmentPartTime {
		salary *= 0.6
	}
	last := asOf
	if e.end != 0 {
		last = e.end
	}
	years := 0
	for e.start.addYears(years+1) <= last {
		years++
	}
	var history []payDetail
	for y := max(0, years-2); y <= years; y++ {
		p := payDetail{from: e.start.addYears(y), hourly: hourly, reason: "Annual review"}
		switch {
		case y == 0:
			p.reason = "New starter"
		case chance(r, 15):
			p.reason = "Promotion"
			salary *= 1.08
		}
		if y > 0 {
			salary *= 1.03 + r.Float64()*0.03
		}
		p.salary = money(salary)
		history = append(history, p)
	}
	return history
}

// salaryOn returns the pay record in force on a day.
func salaryOn(history []payDetail, on day) payDetail {
	current := history[0]
	for _, p := range history {
		if p.from <= on {
			current = p
		}
	}
	return current
}

type payDetailJSON struct {
	ID                     string  `json:"id"`
	EffectiveFrom          string  `json:"effective_from"`
	Classification         *string `json:"classification"`
	IndustrialInstrument   *string `json:"industrial_instrument"`
	PayRateTemplate        *string `json:"pay_rate_template"`
	AnniversaryDate        string  `json:"anniversary_date"`
	Salary                 float64 `json:"salary"`
	SalaryType             string  `json:"salary_type"`
	PayUnit                string  `json:"pay_unit"`
	PayCategory            *string `json:"pay_category"`
	LeaveAllowanceTemplate *string `json:"leave_allowance_template"`
	ChangeReason           string  `json:"change_reason"`
	Comments               *string `json:"comments"`
	Currency               string  `json:"currency"`
}

func (o *organisation) payDetails(i int) []payDetailJSON {
	e := &o.staff()[i]
	r := o.rng(kindPayDetail, i, 1)
	// Modern awards cover most Australian casual and part-time staff.
	award := e.country == countryAU && (e.employment == employmentCasual || e.employment == employmentPartTime) && chance(r, 70)
	instrument := []string{"Clerks - Private Sector Award 2020", "General Retail Industry Award 2020", "Hospitality Industry (General) Award 2020", "Storage Services and Wholesale Award 2020"}[r.IntN(4)]
	level := fmt.Sprintf("Level %d", 1+r.IntN(5))
	var views []payDetailJSON
	for k, p := range o.payHistory(i) {
		salaryType, unit, category := "Annum", "Annually", "Permanent Ordinary Hours"
		if p.hourly {
			salaryType, unit, category = "Hour", "Hourly", "Casual Ordinary Hours"
		}
		views = append(views, payDetailJSON{
			ID:                     o.d.id(ref{kind: kindPayDetail, org: o.n, idx: i, sub: k}),
			EffectiveFrom:          p.from.String(),
			Classification:         opt(award, level),
			IndustrialInstrument:   opt(award, instrument),
			PayRateTemplate:        opt(award, "Award rates"),
			AnniversaryDate:        e.start.addYears(1 + int(asOf-e.start)/366).String(),
			Salary:                 p.salary,
			SalaryType:             salaryType,
			PayUnit:                unit,
			PayCategory:            opt(!e.is(flagContractor), category),
			LeaveAllowanceTemplate: opt(!e.is(flagContractor), "Standard leave allowances"),
			ChangeReason:           p.reason,
			Comments:               opt(p.reason == "Promotion", "Approved in the quarterly talent review"),
			Currency:               countries[e.country].currency,
		})
	}
	return views
}

type payslipJSON struct {
	ID               string  `json:"id"`
	FirstName        string  `json:"first_name"`
	LastName         string  `json:"last_name"`
	Name             string  `json:"name"`
	PaymentDate      string  `json:"payment_date"`
	Wages            float64 `json:"wages"`
	Tax              float64 `json:"tax"`
	Super            float64 `json:"super"`
	Reimbursements   float64 `json:"reimbursements"`
	PreTaxDeduction  float64 `json:"pre_tax_deduction"`
	PostTaxDeduction float64 `json:"post_tax_deduction"`
	TotalDeduction   float64 `json:"total_deduction"`
	NetPay           float64 `json:"net_pay"`
	BaseRate         float64 `json:"base_rate"`
	HourlyRate       float64 `json:"hourly_rate"`
	BaseRateUnit     string  `json:"base_rate_unit"`
	EmploymentType   string  `json:"employment_type"`
	AddressLine1     *string `json:"address_line1"`
	AddressLine2     *string `json:"address_line2"`
	Suburb           *string `json:"suburb"`
	Postcode         *string `json:"postcode"`
}

// payDates are the organisation's last six pay days up to DataDate, oldest first:
// fortnightly Thursdays in Australia and New Zealand, the 25th of the month in
// the UK.
func (o *organisation) payDates() []day {
	dates := make([]day, 6)
	if o.spec.country == countryGB {
		t := asOf.date()
		t = t.AddDate(0, 0, 25-t.Day())
		if dayOf(t) > asOf {
			t = t.AddDate(0, -1, 0)
		}
		for k := range dates {
			dates[len(dates)-1-k] = dayOf(t.AddDate(0, -k, 0))
		}
		return dates
	}
	last := asOf
	for last.weekday() != 4 { // Thursday
		last--
	}
	for k := range dates {
		dates[len(dates)-1-k] = last - day(14*k)
	}
	return dates
}

// sometimes returns amount with the given percentage, else 0.
func sometimes(r *rand.Rand, percent int, amount float64) float64 {
	if chance(r, percent) {
		return amount
	}
	return 0
}

// taxRate is a rough effective income-tax rate for an annual income.
func taxRate(annual float64) float64 {
	for _, band := range []struct{ upTo, rate float64 }{{20_000, 0.02}, {45_000, 0.1}, {90_000, 0.2}, {135_000, 0.25}, {190_000, 0.3}} {
		if annual < band.upTo {
			return band.rate
		}
	}
	return 0.35
}

// payslips derives a payslip for each pay day the employee was employed.
func (o *organisation) payslips(i int) []payslipJSON {
	e := &o.staff()[i]
	if e.is(flagContractor) {
		return nil
	}
	r := o.rng(kindPayslip, i, 0)
	history := o.payHistory(i)
	home := o.employeeView(i).ResidentialAddress
	periods := 26.0
	if o.spec.country == countryGB {
		periods = 12
	}
	superRate := map[country]float64{countryAU: 0.12, countryNZ: 0.03, countryGB: 0.03}[e.country]
	var slips []payslipJSON
	for k, paid := range o.payDates() {
		if !e.employed(paid-7) && !e.employed(paid) {
			continue
		}
		p := salaryOn(history, paid)
		annual, hourlyRate, unit := p.salary, money(p.salary/(52*38)), "Annually"
		wages := p.salary / periods
		if p.hourly {
			hours := float64(20 + r.IntN(41))
			annual, hourlyRate, unit = p.salary*hours*periods, p.salary, "Hourly"
			wages = p.salary * hours
		}
		wages = money(wages)
		preTax := money(sometimes(r, 15, 50+r.Float64()*250))
		postTax := money(sometimes(r, 10, 20+r.Float64()*80))
		reimbursements := money(sometimes(r, 10, 20+r.Float64()*230))
		tax := money((wages - preTax) * taxRate(annual))
		s := payslipJSON{
			ID:               o.d.id(ref{kind: kindPayslip, org: o.n, idx: i, sub: k}),
			FirstName:        e.firstName(),
			LastName:         e.lastName(),
			Name:             e.fullName(),
			PaymentDate:      paid.at(o.loc, 0).Format(dateTimeLayout),
			Wages:            wages,
			Tax:              tax,
			Super:            money(wages * superRate),
			Reimbursements:   reimbursements,
			PreTaxDeduction:  preTax,
			PostTaxDeduction: postTax,
			TotalDeduction:   money(preTax + postTax),
			NetPay:           money(wages - preTax - tax - postTax + reimbursements),
			BaseRate:         p.salary,
			HourlyRate:       hourlyRate,
			BaseRateUnit:     unit,
			EmploymentType:   employmentNames[e.employment],
		}
		if home != nil {
			s.AddressLine1, s.AddressLine2, s.Suburb, s.Postcode = &home.Line1, home.Line2, &home.City, &home.Postcode
		}
		slips = append(slips, s)
	}
	return slips
}
