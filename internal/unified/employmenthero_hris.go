package unified

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/rawjson"
)

// Employment Hero: employees, employments and companies
// (shared/reference/employmenthero.md §8.1, §8.2, §8.8). An account covers the
// organisation chosen at setup, which is the one company. Employees carry no
// update time, so filter[updated_after] cannot be answered for them. An
// employee's employment is read from the employee record; its pay comes from
// Pay Details, one extra call, on the single-employee endpoints only.

func init() {
	register("employmenthero", provider{
		"hris_list_employees":            {ehListEmployees, []string{byEmail, byEmployeeNumber}},
		"hris_get_employee":              {run: ehGetEmployee},
		"hris_list_employments":          {run: ehListEmployments},
		"hris_get_employment":            {run: ehGetEmployment},
		"hris_list_employee_employments": {run: ehListEmployeeEmployments},
		"hris_list_companies":            {run: ehListCompanies},
		"hris_get_company":               {run: ehGetCompany},
	})
}

// ehOrganisation is the setup answer naming the account's organisation.
const ehOrganisation = "organisation_id"

// ehEmployee is an employee as the unified API reads it (decode names the
// fields; a null reads as "").
type ehEmployee struct {
	ID, Title, FirstName, LastName, FullName           string
	CompanyEmail, PersonalEmail                        string
	PersonalMobileNumber, HomePhone                    string
	CompanyMobile, CompanyLandline                     string
	AvatarURL, Gender, DateOfBirth, MaritalStatus      string
	JobTitle, Code, Location                           string
	StartDate, TerminationDate, Status, EmploymentType string
	// IndependentContractor marks contractors, who share the endpoint.
	IndependentContractor bool
	Teams                 []ehTeamRef
	ManagerID             string // primary_manager.id
	ResidentialAddress    *ehAddress
}

type ehTeamRef struct{ ID, Name string }

type ehAddress struct{ Line1, Line2, City, State, Postcode, Country string }

func (e *ehEmployee) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "id":
			e.ID, err = d.String()
		case "title":
			e.Title, err = d.String()
		case "first_name":
			e.FirstName, err = d.String()
		case "last_name":
			e.LastName, err = d.String()
		case "full_name":
			e.FullName, err = d.String()
		case "company_email":
			e.CompanyEmail, err = d.String()
		case "personal_email":
			e.PersonalEmail, err = d.String()
		case "personal_mobile_number":
			e.PersonalMobileNumber, err = d.String()
		case "home_phone":
			e.HomePhone, err = d.String()
		case "company_mobile":
			e.CompanyMobile, err = d.String()
		case "company_landline":
			e.CompanyLandline, err = d.String()
		case "avatar_url":
			e.AvatarURL, err = d.String()
		case "gender":
			e.Gender, err = d.String()
		case "date_of_birth":
			e.DateOfBirth, err = d.String()
		case "marital_status":
			e.MaritalStatus, err = d.String()
		case "job_title":
			e.JobTitle, err = d.String()
		case "code":
			e.Code, err = d.String()
		case "location":
			e.Location, err = d.String()
		case "start_date":
			e.StartDate, err = d.String()
		case "termination_date":
			e.TerminationDate, err = d.String()
		case "status":
			e.Status, err = d.String()
		case "employment_type":
			e.EmploymentType, err = d.String()
		case "independent_contractor":
			e.IndependentContractor, err = d.Bool()
		case "teams":
			err = readEach(d, &e.Teams, (*ehTeamRef).decode)
		case "primary_manager":
			err = d.Object(func(key string) (err error) {
				if key != "id" {
					return d.Skip()
				}
				e.ManagerID, err = d.String()
				return err
			})
		case "residential_address":
			e.ResidentialAddress, err = readOptional(d, (*ehAddress).decode)
		default:
			err = d.Skip()
		}
		return err
	})
}

func (t *ehTeamRef) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "id":
			t.ID, err = d.String()
		case "name":
			t.Name, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func (a *ehAddress) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "line_1":
			a.Line1, err = d.String()
		case "line_2":
			a.Line2, err = d.String()
		case "city":
			a.City, err = d.String()
		case "state":
			a.State, err = d.String()
		case "postcode":
			a.Postcode, err = d.String()
		case "country":
			a.Country, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

type ehPayDetail struct {
	ID            string  `json:"id"`
	EffectiveFrom string  `json:"effective_from"`
	Salary        float64 `json:"salary"`
	SalaryType    string  `json:"salary_type"`
	Currency      string  `json:"currency"`
}

type ehOrganisationDetail struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	CreatedAt *string `json:"created_at"`
}

var (
	ehEmploymentStatus = map[string]string{"active": "active", "inactive": "inactive", "terminated": "terminated", "archived": "inactive"}
	ehGender           = map[string]string{"female": "female", "male": "male", "non-binary": "non_binary", "other": "other", "not specified": "not_disclosed"}
	ehMaritalStatus    = map[string]string{"single": "single", "married": "married", "de facto": "domestic_partnership", "divorced": "divorced", "widowed": "widowed", "separated": "separated"}
	ehEmploymentKind   = map[string]string{"full-time": "permanent", "part-time": "permanent", "casual": "casual", "contractor": "contractor"}
	ehContractType     = map[string]string{"full-time": "full_time", "part-time": "part_time"}
	ehPayPeriod        = map[string]string{"annum": "year", "annually": "year", "hour": "hour", "hourly": "hour", "week": "week", "day": "day", "month": "month"}
)

// str reads an Employment Hero field, which may be null.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ehEmployeeOf maps an employee of the organisation.
func ehEmployeeOf(e ehEmployee, organisation string) Employee {
	start := isoDate(e.StartDate)
	out := Employee{ID: e.ID, RemoteID: e.ID, Title: e.Title, FirstName: e.FirstName, LastName: e.LastName,
		DisplayName: e.FullName, Gender: enum(e.Gender, ehGender), MaritalStatus: enum(e.MaritalStatus, ehMaritalStatus),
		DateOfBirth: isoDate(e.DateOfBirth), AvatarURL: e.AvatarURL,
		PersonalEmail: e.PersonalEmail, PersonalPhoneNumber: cmp.Or(e.PersonalMobileNumber, e.HomePhone),
		WorkEmail: e.CompanyEmail, WorkPhoneNumber: cmp.Or(e.CompanyMobile, e.CompanyLandline),
		JobTitle: e.JobTitle, EmployeeNumber: e.Code, CompanyID: organisation,
		EmploymentStatus: enum(e.Status, ehEmploymentStatus),
		HireDate:         start, StartDate: start, TerminationDate: isoDate(e.TerminationDate)}
	out.Name = strings.TrimSpace(out.FirstName + " " + out.LastName)
	out.DisplayName = cmp.Or(out.DisplayName, out.Name)
	if a := e.ResidentialAddress; a != nil {
		out.HomeLocation = &Location{EmployeeID: e.ID, Street1: a.Line1, Street2: a.Line2, City: a.City, State: a.State,
			ZipCode: a.Postcode, Country: countryEnum(a.Country)}
	}
	if loc := e.Location; loc != "" {
		out.WorkLocation = &Location{EmployeeID: e.ID, Name: loc}
	}
	out.ManagerID = e.ManagerID
	return out
}

// ehGroups are the employee's teams.
func ehGroups(e ehEmployee) []Group {
	var out []Group
	for _, t := range e.Teams {
		out = append(out, Group{ID: t.ID, RemoteID: t.ID, Name: t.Name, Type: &Enum{Value: "team", SourceValue: "team"}})
	}
	return out
}

// ehEmploymentOf maps the employment an employee record describes, with the
// latest pay detail when one is given.
func ehEmploymentOf(e ehEmployee, pay *ehPayDetail) Employment {
	active := e.Status == "active"
	out := Employment{ID: e.ID, RemoteID: e.ID, EmployeeID: e.ID, RemoteEmployeeID: e.ID, JobTitle: e.JobTitle,
		EffectiveDate: isoDate(e.StartDate), EndDate: isoDate(e.TerminationDate), Active: &active}
	kind := e.EmploymentType
	if e.IndependentContractor {
		kind = "Contractor"
	}
	if kind != "" {
		out.Type = &TypedEnum{Label: kind, Type: enum(kind, ehEmploymentKind)}
	}
	if t := e.EmploymentType; t != "" {
		out.ContractType = &ContractType{Label: t, ContractType: enum(t, ehContractType)}
	}
	if pay != nil {
		out.PayRate, out.PayCurrency, out.PayPeriod = fmt.Sprintf("%.2f", pay.Salary), pay.Currency, enum(pay.SalaryType, ehPayPeriod)
		out.EffectiveDate = cmp.Or(isoDate(pay.EffectiveFrom), out.EffectiveDate)
	}
	return out
}

func ehCompanyOf(o ehOrganisationDetail) Company {
	return Company{ID: o.ID, RemoteID: o.ID, Name: str(o.Name), DisplayName: str(o.Name), FullName: str(o.Name), CreatedAt: isoTime(str(o.CreatedAt))}
}

// Operations.

// ehEachEmployee lists one page of employees, handing each to fn as it is read.
func ehEachEmployee(ctx context.Context, s *actions.Session, p Params, fn func(e *ehEmployee)) (string, error) {
	return listCall(ctx, s, p, "employmenthero_list_employees", nil, nil, forEach(fn))
}

func ehEmployee1(ctx context.Context, s *actions.Session, id string) (ehEmployee, error) {
	var e ehEmployee
	_, err := call(ctx, s, actions.Request{Action: "employmenthero_get_employee", Path: map[string]any{"employee_id": id}}, &e)
	return e, err
}

func ehListEmployees(ctx context.Context, s *actions.Session, p Params) (page, error) {
	company, err := ehExpandCompany(ctx, s, p)
	if err != nil {
		return page{}, err
	}
	out := make([]Employee, 0, p.PageSize)
	next, err := ehEachEmployee(ctx, s, p, func(e *ehEmployee) {
		if u := ehEmployeeOf(*e, s.Setup(ehOrganisation)); p.matchesEmployee(u) {
			out = append(out, ehExpand(u, *e, p, company, nil))
		}
	})
	if err != nil {
		return page{}, err
	}
	if err := ehInclude(ctx, s, p, out); err != nil {
		return page{}, err
	}
	return page{data: out, next: next, list: true}, nil
}

func ehGetEmployee(ctx context.Context, s *actions.Session, p Params) (page, error) {
	e, err := ehEmployee1(ctx, s, p.ID)
	if err != nil {
		return page{}, err
	}
	company, err := ehExpandCompany(ctx, s, p)
	if err != nil {
		return page{}, err
	}
	var pay *ehPayDetail
	if slices.Contains(p.Expand, "employments") {
		if pay, err = ehLatestPay(ctx, s, e.ID); err != nil {
			return page{}, err
		}
	}
	one := []Employee{ehExpand(ehEmployeeOf(e, s.Setup(ehOrganisation)), e, p, company, pay)}
	if err := ehInclude(ctx, s, p, one); err != nil {
		return page{}, err
	}
	return page{data: one[0]}, nil
}

func ehExpand(u Employee, e ehEmployee, p Params, company *Company, pay *ehPayDetail) Employee {
	if slices.Contains(p.Expand, "employments") {
		u.Employments = []Employment{ehEmploymentOf(e, pay)}
	}
	if slices.Contains(p.Expand, "groups") {
		u.Groups = ehGroups(e)
	}
	u.Company = company
	return u
}

// ehExpandCompany reads the organisation once when expand=company asks for it
// and the grant allows it.
func ehExpandCompany(ctx context.Context, s *actions.Session, p Params) (*Company, error) {
	if !slices.Contains(p.Expand, "company") || !s.Allowed("employmenthero_get_organisation") {
		return nil, nil
	}
	c, err := ehTheCompany(ctx, s)
	return &c, err
}

// ehLatestPay returns the employee's pay detail in effect (the latest), when
// the grant allows reading pay details; nil otherwise.
func ehLatestPay(ctx context.Context, s *actions.Session, employeeID string) (*ehPayDetail, error) {
	if !s.Allowed("employmenthero_list_pay_details") {
		return nil, nil
	}
	var details []ehPayDetail
	if _, err := call(ctx, s, actions.Request{Action: "employmenthero_list_pay_details", Path: map[string]any{"employee_id": employeeID}, PageSize: MaxPageSize}, &details); err != nil {
		return nil, err
	}
	var latest *ehPayDetail
	for i := range details {
		if latest == nil || details[i].EffectiveFrom > latest.EffectiveFrom {
			latest = &details[i]
		}
	}
	return latest, nil
}

func ehListEmployments(ctx context.Context, s *actions.Session, p Params) (page, error) {
	out := make([]Employment, 0, p.PageSize)
	next, err := ehEachEmployee(ctx, s, p, func(e *ehEmployee) { out = append(out, ehEmploymentOf(*e, nil)) })
	if err != nil {
		return page{}, err
	}
	return page{data: out, next: next, list: true}, nil
}

func ehEmploymentByEmployee(ctx context.Context, s *actions.Session, id string) (Employment, error) {
	e, err := ehEmployee1(ctx, s, id)
	if err != nil {
		return Employment{}, err
	}
	pay, err := ehLatestPay(ctx, s, id)
	if err != nil {
		return Employment{}, err
	}
	return ehEmploymentOf(e, pay), nil
}

func ehGetEmployment(ctx context.Context, s *actions.Session, p Params) (page, error) {
	e, err := ehEmploymentByEmployee(ctx, s, p.ID)
	return page{data: e}, err
}

func ehListEmployeeEmployments(ctx context.Context, s *actions.Session, p Params) (page, error) {
	e, err := ehEmploymentByEmployee(ctx, s, p.ID)
	return page{data: []Employment{e}, list: true}, err
}

func ehTheCompany(ctx context.Context, s *actions.Session) (Company, error) {
	var o ehOrganisationDetail
	if _, err := call(ctx, s, actions.Request{Action: "employmenthero_get_organisation"}, &o); err != nil {
		return Company{}, err
	}
	return ehCompanyOf(o), nil
}

func ehListCompanies(ctx context.Context, s *actions.Session, p Params) (page, error) {
	c, err := ehTheCompany(ctx, s)
	if err != nil {
		return page{}, err
	}
	return page{data: []Company{c}, list: true}, nil
}

func ehGetCompany(ctx context.Context, s *actions.Session, p Params) (page, error) {
	if p.ID != s.Setup(ehOrganisation) {
		return page{}, notFound(s, "organisation", p.ID)
	}
	c, err := ehTheCompany(ctx, s)
	return page{data: c}, err
}

// Employment Hero: teams, work locations and custom fields; employees'
// custom-field values and bank accounts (include=custom_fields,bank_details).

func init() {
	register("employmenthero", provider{
		"hris_list_groups":                            {run: ehListGroups},
		"hris_list_team_groups":                       {run: ehListGroups},
		"hris_list_locations":                         {run: ehListLocations},
		"hris_list_employee_custom_field_definitions": {run: ehListCustomFieldDefinitions},
	})
}

type ehTeam struct {
	ID     string  `json:"id"`
	Name   *string `json:"name"`
	Status string  `json:"status"`
}

type ehWorkLocation struct {
	ID      string  `json:"id"`
	Name    *string `json:"name"`
	Country *string `json:"country"`
}

type ehCustomField struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Description        *string `json:"description"`
	Type               string  `json:"type"`
	CustomFieldOptions []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	} `json:"custom_field_options"`
}

type ehCustomFieldValue struct {
	ID            string `json:"id"`
	CustomFieldID string `json:"custom_field_id"`
	Name          string `json:"name"`
	Value         any    `json:"value"` // a string, or a list of strings for select fields
}

type ehBankAccount struct {
	ID             string  `json:"id"`
	AccountName    *string `json:"account_name"`
	AccountNumber  *string `json:"account_number"`
	BSB            *string `json:"bsb"`
	AccountType    *string `json:"account_type"`
	PrimaryAccount bool    `json:"primary_account"`
}

var ehFieldType = map[string]string{"free_text": "text", "single_select": "single_select", "multi_select": "multi_select"}

func ehGroupOf(t ehTeam) Group {
	return Group{ID: t.ID, RemoteID: t.ID, Name: str(t.Name), Type: &Enum{Value: "team", SourceValue: "team"}}
}

func ehLocationOf(l ehWorkLocation) Location {
	return Location{ID: l.ID, RemoteID: l.ID, Name: str(l.Name), Country: countryEnum(str(l.Country)), LocationType: work}
}

func ehFieldDefinition(f ehCustomField) CustomFieldDefinition {
	out := CustomFieldDefinition{ID: f.ID, RemoteID: f.ID, Name: f.Name, Description: str(f.Description), Type: enum(f.Type, ehFieldType)}
	for _, o := range f.CustomFieldOptions {
		out.Options = append(out.Options, CustomFieldOption{ID: o.ID, Value: o.Value})
	}
	return out
}

func ehCustomFieldOf(v ehCustomFieldValue) CustomField {
	return CustomField{ID: v.CustomFieldID, RemoteID: v.CustomFieldID, Name: v.Name, Value: v.Value}
}

func ehBankDetail(b ehBankAccount) BankDetail {
	return BankDetail{ID: b.ID, AccountName: str(b.AccountName), AccountNumber: str(b.AccountNumber), BankCode: str(b.BSB),
		AccountType: str(b.AccountType), IsPrimary: b.PrimaryAccount}
}

func ehListGroups(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_teams", nil, nil, ehGroupOf)
}

func ehListLocations(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_work_locations", nil, nil, ehLocationOf)
}

func ehListCustomFieldDefinitions(ctx context.Context, s *actions.Session, p Params) (page, error) {
	return mapPage(ctx, s, p, "employmenthero_list_custom_fields", nil, nil, ehFieldDefinition)
}

// ehInclude adds what include asks for and the grant allows, one call per
// employee for each: custom-field values and bank accounts.
func ehInclude(ctx context.Context, s *actions.Session, p Params, employees []Employee) error {
	fields := slices.Contains(p.Include, "custom_fields") && s.Allowed("employmenthero_list_employee_custom_fields")
	banks := slices.Contains(p.Include, "bank_details") && s.Allowed("employmenthero_list_bank_accounts")
	if !fields && !banks {
		return nil
	}
	return each(ctx, len(employees), func(ctx context.Context, i int) error {
		id := map[string]any{"employee_id": employees[i].ID}
		if fields {
			var values []ehCustomFieldValue
			if _, err := call(ctx, s, actions.Request{Action: "employmenthero_list_employee_custom_fields", Path: id, PageSize: MaxPageSize}, &values); err != nil {
				return err
			}
			employees[i].CustomFields = []CustomField{}
			for _, v := range values {
				employees[i].CustomFields = append(employees[i].CustomFields, ehCustomFieldOf(v))
			}
		}
		if banks {
			var accounts []ehBankAccount
			if _, err := call(ctx, s, actions.Request{Action: "employmenthero_list_bank_accounts", Path: id, PageSize: MaxPageSize}, &accounts); err != nil {
				return err
			}
			employees[i].BankDetails = []BankDetail{}
			for _, b := range accounts {
				employees[i].BankDetails = append(employees[i].BankDetails, ehBankDetail(b))
			}
		}
		return nil
	})
}

// ehDerived names the unified fields Patchbay computes rather than copies,
// and from what; the coverage table in docs/unified.md shows them.
var ehDerived = map[string]string{
	"Employee.name":                       "first + last name",
	"Employee.company_id":                 "the organisation chosen at setup",
	"Employee.groups":                     "teams",
	"Employment.id":                       "the employee's id",
	"Employment.type":                     "employment_type and independent_contractor",
	"Employment.active":                   "status",
	"Employment.pay_rate":                 "latest pay detail's salary",
	"TimeOff.duration":                    "total_units and unit_type",
	"TimeOff.policy":                      "leave category name",
	"TimeOffType.active":                  "every listed category",
	"TimeOffPolicy.type":                  "category name",
	"PayStatement.gross_pay":              "wages + reimbursements",
	"PayStatement.earnings":               "wages and reimbursements",
	"PayStatement.taxes":                  "tax withheld",
	"PayStatement.employee_deductions":    "pre- and post-tax deduction totals",
	"PayStatement.employer_contributions": "super",
	"Location.location_type":              "work locations",
}
