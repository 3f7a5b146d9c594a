package unified

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/rawjson"
)

// Justworks: employees, employments and companies (shared/reference/justworks.md
// §10.1, §10.5). A member is an employee; Justworks keeps one current
// employment per member, whose id is the member's id; a connection covers one
// company.

func init() {
	register("justworks", provider{
		"hris_list_employees":            {jwListEmployees, []string{byUpdatedAfter, byEmail, byEmployeeNumber}},
		"hris_get_employee":              {run: jwGetEmployee},
		"hris_list_employments":          {jwListEmployments, []string{byUpdatedAfter}},
		"hris_get_employment":            {run: jwGetEmployment},
		"hris_list_employee_employments": {run: jwListEmployeeEmployments},
		"hris_list_companies":            {jwListCompanies, []string{byUpdatedAfter}},
		"hris_get_company":               {run: jwGetCompany},
	})
}

// jwMember is a member as the unified API reads it (decode names the fields).
type jwMember struct {
	ID, CompanyID, WorkID string
	Name                  *jwName
	// The flat shape some answers use (§10.5): read when name is absent.
	GivenName, FamilyName, PreferredName string
	Active                               *bool
	EmploymentStatus, Type               string
	Emails, Phones                       []jwContact
	Addresses                            []jwAddress
	Department, Manager                  jwRef // the zero jwRef when absent
	Office                               jwRef // {id, name}, or a plain name
	JobTitle                             string
	StartDate, EndDate, FlatEnd          string
	BirthDate, Sex                       string
	// CurrentEmployment is keyed by country (§11); the terms in the order given.
	CurrentEmployment   []jwTerms
	CurrentPay          jwPay // the zero jwPay when absent
	CurrentPayFrequency string
	CreatedAt           string
	UpdatedAt           string
}

type jwName struct{ GivenName, FamilyName, PreferredName, FullPreferredName string }

// jwContact is an email ({type, address}) or a phone ({type, number}).
type jwContact struct{ Type, Address, Number string }

type jwTerms struct{ Status, EmploymentType, StartDate, EndDate string }

// jwPay is an amount in minor units (§11).
type jwPay struct {
	Amount         int64
	Currency, Unit string
}

func (m *jwMember) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "id":
			m.ID, err = d.String()
		case "company_id":
			m.CompanyID, err = d.String()
		case "work_id":
			m.WorkID, err = d.String()
		case "name":
			m.Name, err = readOptional(d, (*jwName).decode)
		case "given_name":
			m.GivenName, err = d.String()
		case "family_name":
			m.FamilyName, err = d.String()
		case "preferred_name":
			m.PreferredName, err = d.String()
		case "active":
			if !d.Null() {
				var active bool
				active, err = d.Bool()
				m.Active = &active
			}
		case "employment_status":
			m.EmploymentStatus, err = d.String()
		case "type":
			m.Type, err = d.String()
		case "emails":
			err = readEach(d, &m.Emails, (*jwContact).decode)
		case "phones":
			err = readEach(d, &m.Phones, (*jwContact).decode)
		case "addresses":
			err = readEach(d, &m.Addresses, (*jwAddress).decode)
		case "department":
			err = m.Department.decode(d)
		case "manager":
			err = m.Manager.decode(d)
		case "office":
			m.Office, err = jwReadOffice(d)
		case "job_title":
			m.JobTitle, err = d.String()
		case "employment_start_date":
			m.StartDate, err = d.String()
		case "employment_termination_date":
			m.EndDate, err = d.String()
		case "employment_end_date":
			m.FlatEnd, err = d.String()
		case "date_of_birth":
			m.BirthDate, err = d.String()
		case "sex_assigned_at_birth":
			m.Sex, err = d.String()
		case "current_employment":
			err = d.Object(func(string) error {
				var t jwTerms
				err := t.decode(d)
				m.CurrentEmployment = append(m.CurrentEmployment, t)
				return err
			})
		case "current_pay":
			err = m.CurrentPay.decode(d)
		case "current_pay_frequency":
			m.CurrentPayFrequency, err = d.String()
		case "created_at":
			m.CreatedAt, err = d.String()
		case "updated_at":
			m.UpdatedAt, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

// jwReadOffice reads an office given as {id, name} or as a plain name; any
// other value is no office.
func jwReadOffice(d *rawjson.Decoder) (jwRef, error) {
	var office jwRef
	var err error
	switch d.Kind() {
	case '"':
		office.Name, err = d.String()
	case '{', 'n':
		err = office.decode(d)
	default:
		err = d.Skip()
	}
	return office, err
}

func (n *jwName) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "given_name":
			n.GivenName, err = d.String()
		case "family_name":
			n.FamilyName, err = d.String()
		case "preferred_name":
			n.PreferredName, err = d.String()
		case "full_preferred_name":
			n.FullPreferredName, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func (c *jwContact) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "type":
			c.Type, err = d.String()
		case "address":
			c.Address, err = d.String()
		case "number":
			c.Number, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func (t *jwTerms) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "status":
			t.Status, err = d.String()
		case "employment_type":
			t.EmploymentType, err = d.String()
		case "start_date":
			t.StartDate, err = d.String()
		case "end_date":
			t.EndDate, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func (p *jwPay) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "amount":
			p.Amount, err = d.Int()
		case "currency":
			p.Currency, err = d.String()
		case "unit":
			p.Unit, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

// Addresses and references are also parts of the company record, which
// encoding/json/v2 reads by their tags.

type jwAddress struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type jwRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (a *jwAddress) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "line1":
			a.Line1, err = d.String()
		case "line2":
			a.Line2, err = d.String()
		case "city":
			a.City, err = d.String()
		case "state":
			a.State, err = d.String()
		case "postal_code":
			a.PostalCode, err = d.String()
		case "country":
			a.Country, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func (r *jwRef) decode(d *rawjson.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "id":
			r.ID, err = d.String()
		case "name":
			r.Name, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

type jwCompany struct {
	ID          string  `json:"id"`
	DisplayName string  `json:"display_name"`
	LegalName   string  `json:"legal_name"`
	Departments []jwRef `json:"departments"`
	Offices     []struct {
		ID      string    `json:"id"`
		Name    string    `json:"name"`
		Address jwAddress `json:"address"`
	} `json:"offices"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

var (
	jwEmploymentStatus = map[string]string{"true": "active", "false": "terminated", "active": "active", "terminated": "terminated", "on_leave": "leave"}
	jwSex              = map[string]string{"female": "female", "male": "male"}
	jwPayPeriod        = map[string]string{"year": "year", "hour": "hour", "month": "month", "week": "week", "day": "day"}
	jwPayFrequency     = map[string]string{"weekly": "weekly", "biweekly": "bi_weekly", "semimonthly": "semi_monthly", "monthly": "monthly"}
	jwMemberType       = map[string]string{"employee": "permanent", "international_employee": "permanent", "contractor": "contractor", "employee_eor": "employer_of_record"}
	jwContractType     = map[string]string{"full_time": "full_time", "part_time": "part_time"}
)

// jwEmployee maps a member.
func jwEmployee(m jwMember) Employee {
	start := isoDate(m.StartDate)
	e := Employee{ID: m.ID, RemoteID: m.ID, CompanyID: m.CompanyID, EmployeeNumber: m.WorkID, JobTitle: m.JobTitle,
		DateOfBirth: isoDate(m.BirthDate), Gender: enum(m.Sex, jwSex),
		HireDate: start, StartDate: start, TerminationDate: isoDate(cmp.Or(m.EndDate, m.FlatEnd)),
		CreatedAt: isoTime(m.CreatedAt), UpdatedAt: isoTime(m.UpdatedAt)}
	e.FirstName, e.LastName, e.DisplayName = m.GivenName, m.FamilyName, m.PreferredName
	if n := m.Name; n != nil {
		e.FirstName, e.LastName, e.DisplayName = n.GivenName, n.FamilyName, n.FullPreferredName
	}
	e.Name = strings.TrimSpace(e.FirstName + " " + e.LastName)
	if e.DisplayName == "" || e.DisplayName == e.FirstName {
		e.DisplayName = e.Name
	}
	switch {
	case m.Active != nil:
		e.EmploymentStatus = &Enum{Value: jwEmploymentStatus[boolText(*m.Active)], SourceValue: *m.Active}
	case m.EmploymentStatus != "":
		e.EmploymentStatus = enum(m.EmploymentStatus, jwEmploymentStatus)
	}
	for _, em := range m.Emails {
		switch strings.ToUpper(em.Type) {
		case "WORK":
			e.WorkEmail = cmp.Or(e.WorkEmail, em.Address)
		case "PERSONAL":
			e.PersonalEmail = cmp.Or(e.PersonalEmail, em.Address)
		}
	}
	for _, ph := range m.Phones {
		switch strings.ToUpper(ph.Type) {
		case "WORK":
			e.WorkPhoneNumber = cmp.Or(e.WorkPhoneNumber, ph.Number)
		default: // PERSONAL, MOBILE
			e.PersonalPhoneNumber = cmp.Or(e.PersonalPhoneNumber, ph.Number)
		}
	}
	if len(m.Addresses) > 0 {
		a := m.Addresses[0]
		e.HomeLocation = &Location{EmployeeID: m.ID, Street1: a.Line1, Street2: a.Line2, City: a.City, State: a.State, ZipCode: a.PostalCode, Country: countryEnum(a.Country)}
	}
	if office := m.Office; office != (jwRef{}) {
		e.WorkLocation = &Location{ID: office.ID, RemoteID: office.ID, EmployeeID: m.ID, Name: office.Name}
	}
	if d := m.Department; d != (jwRef{}) {
		e.Department, e.DepartmentID = d.Name, d.ID
	}
	e.ManagerID = m.Manager.ID
	return e
}

// jwGroups are the member's groups: its department.
func jwGroups(m jwMember) []Group {
	if m.Department == (jwRef{}) {
		return nil
	}
	return []Group{{ID: m.Department.ID, RemoteID: m.Department.ID, Name: m.Department.Name, Type: &Enum{Value: "department", SourceValue: "department"}}}
}

// jwEmployment maps a member's current employment and pay.
func jwEmployment(m jwMember) Employment {
	active := m.Active == nil || *m.Active
	e := Employment{ID: m.ID, RemoteID: m.ID, EmployeeID: m.ID, RemoteEmployeeID: m.ID, JobTitle: m.JobTitle,
		EffectiveDate: isoDate(m.StartDate), EndDate: isoDate(cmp.Or(m.EndDate, m.FlatEnd)), Active: &active,
		CreatedAt: isoTime(m.CreatedAt), UpdatedAt: isoTime(m.UpdatedAt)}
	if m.Type != "" {
		e.Type = &TypedEnum{Label: m.Type, Type: enum(m.Type, jwMemberType)}
	}
	for _, cur := range m.CurrentEmployment {
		if cur.EmploymentType != "" {
			e.ContractType = &ContractType{Label: cur.EmploymentType, ContractType: enum(cur.EmploymentType, jwContractType)}
		}
		e.EffectiveDate = cmp.Or(isoDate(cur.StartDate), e.EffectiveDate)
	}
	if p := m.CurrentPay; p != (jwPay{}) {
		e.PayRate, e.PayCurrency, e.PayPeriod = decimal(p.Amount, 2), p.Currency, enum(p.Unit, jwPayPeriod)
	}
	e.PayFrequency = enum(m.CurrentPayFrequency, jwPayFrequency)
	return e
}

func jwCompanyOf(c jwCompany) Company {
	return Company{ID: c.ID, RemoteID: c.ID, Name: c.DisplayName, DisplayName: c.DisplayName, FullName: c.LegalName,
		CreatedAt: isoTime(c.CreatedAt), UpdatedAt: isoTime(c.UpdatedAt)}
}

// Operations.

// jwEachMember lists one page of members, with the updated_after filter
// applied by Justworks, handing each member to fn as it is read.
func jwEachMember(ctx context.Context, s *actions.Session, p Params, fn func(m *jwMember)) (string, error) {
	query := map[string]any{}
	if !p.UpdatedAfter.IsZero() {
		query["updated_at_gte"] = p.UpdatedAfter.UTC().Format(time.RFC3339)
	}
	return listCall(ctx, s, p, "justworks_list_members", nil, query, forEach(fn))
}

func jwMember1(ctx context.Context, s *actions.Session, id string) (jwMember, error) {
	var m jwMember
	_, err := call(ctx, s, actions.Request{Action: "justworks_get_member", Path: map[string]any{"member_id": id}}, &m)
	return m, err
}

func jwListEmployees(ctx context.Context, s *actions.Session, p Params) (page, error) {
	company, err := jwExpandCompany(ctx, s, p)
	if err != nil {
		return page{}, err
	}
	out := make([]Employee, 0, p.PageSize)
	next, err := jwEachMember(ctx, s, p, func(m *jwMember) {
		if e := jwEmployee(*m); p.matchesEmployee(e) {
			out = append(out, jwExpand(e, *m, p, company))
		}
	})
	if err != nil {
		return page{}, err
	}
	if err := jwInclude(ctx, s, p, out); err != nil {
		return page{}, err
	}
	return page{data: out, next: next, list: true}, nil
}

func jwGetEmployee(ctx context.Context, s *actions.Session, p Params) (page, error) {
	m, err := jwMember1(ctx, s, p.ID)
	if err != nil {
		return page{}, err
	}
	company, err := jwExpandCompany(ctx, s, p)
	if err != nil {
		return page{}, err
	}
	one := []Employee{jwExpand(jwEmployee(m), m, p, company)}
	if err := jwInclude(ctx, s, p, one); err != nil {
		return page{}, err
	}
	return page{data: one[0]}, nil
}

// jwExpand adds what expand asks for that the member itself holds.
func jwExpand(e Employee, m jwMember, p Params, company *Company) Employee {
	if slices.Contains(p.Expand, "employments") {
		e.Employments = []Employment{jwEmployment(m)}
	}
	if slices.Contains(p.Expand, "groups") {
		e.Groups = jwGroups(m)
	}
	e.Company = company
	return e
}

// jwExpandCompany reads the company once per page when expand=company asks
// for it and the grant allows it.
func jwExpandCompany(ctx context.Context, s *actions.Session, p Params) (*Company, error) {
	if !slices.Contains(p.Expand, "company") || !s.Allowed("justworks_get_company") {
		return nil, nil
	}
	c, err := jwCompanyRecord(ctx, s)
	if err != nil {
		return nil, err
	}
	company := jwCompanyOf(c)
	return &company, nil
}

// jwCompanyRecord reads the connection's one company.
func jwCompanyRecord(ctx context.Context, s *actions.Session) (jwCompany, error) {
	var c jwCompany
	_, err := call(ctx, s, actions.Request{Action: "justworks_get_company"}, &c)
	return c, err
}

func jwListEmployments(ctx context.Context, s *actions.Session, p Params) (page, error) {
	out := make([]Employment, 0, p.PageSize)
	next, err := jwEachMember(ctx, s, p, func(m *jwMember) { out = append(out, jwEmployment(*m)) })
	if err != nil {
		return page{}, err
	}
	return page{data: out, next: next, list: true}, nil
}

func jwGetEmployment(ctx context.Context, s *actions.Session, p Params) (page, error) {
	m, err := jwMember1(ctx, s, p.ID)
	if err != nil {
		return page{}, err
	}
	return page{data: jwEmployment(m)}, nil
}

func jwListEmployeeEmployments(ctx context.Context, s *actions.Session, p Params) (page, error) {
	m, err := jwMember1(ctx, s, p.ID)
	if err != nil {
		return page{}, err
	}
	return page{data: []Employment{jwEmployment(m)}, list: true}, nil
}

func jwListCompanies(ctx context.Context, s *actions.Session, p Params) (page, error) {
	rec, err := jwCompanyRecord(ctx, s)
	if err != nil {
		return page{}, err
	}
	c := jwCompanyOf(rec)
	out := []Company{c}
	if !p.UpdatedAfter.IsZero() && !updatedAfter(c.UpdatedAt, p.UpdatedAfter) {
		out = []Company{}
	}
	return page{data: out, list: true}, nil
}

func jwGetCompany(ctx context.Context, s *actions.Session, p Params) (page, error) {
	rec, err := jwCompanyRecord(ctx, s)
	if err != nil {
		return page{}, err
	}
	c := jwCompanyOf(rec)
	if c.ID != p.ID {
		return page{}, notFound(s, "company", p.ID)
	}
	return page{data: c}, nil
}

// Justworks: the company's departments, offices and custom fields; the
// custom-field values of members (include=custom_fields).

func init() {
	register("justworks", provider{
		"hris_list_groups":                            {run: jwListGroups},
		"hris_list_department_groups":                 {run: jwListGroups},
		"hris_list_locations":                         {run: jwListLocations},
		"hris_list_employee_custom_field_definitions": {run: jwListCustomFieldDefinitions},
	})
}

type jwCustomFieldDefinition struct {
	ID          string   `json:"id"`
	Label       string   `json:"label"`
	Type        string   `json:"type"`
	Category    string   `json:"category"`
	Options     []string `json:"options"`
	Cardinality string   `json:"cardinality"`
}

type jwCustomFieldValue struct {
	ID     string   `json:"id"`
	Values []string `json:"values"`
}

var jwFieldType = map[string]string{"text": "text", "number": "float", "date": "date", "select": "single_select", "select/multiple": "multi_select"}

func jwGroupsOf(c jwCompany) []Group {
	out := []Group{}
	for _, d := range c.Departments {
		out = append(out, Group{ID: d.ID, RemoteID: d.ID, Name: d.Name, Type: &Enum{Value: "department", SourceValue: "department"}})
	}
	return out
}

func jwLocationsOf(c jwCompany) []Location {
	out := []Location{}
	for _, o := range c.Offices {
		a := o.Address
		out = append(out, Location{ID: o.ID, RemoteID: o.ID, Name: o.Name, Street1: a.Line1, Street2: a.Line2, City: a.City, State: a.State,
			ZipCode: a.PostalCode, Country: countryEnum(a.Country), LocationType: work})
	}
	return out
}

func jwFieldDefinition(d jwCustomFieldDefinition) CustomFieldDefinition {
	kind := d.Type
	if d.Type == "select" && d.Cardinality == "multiple" {
		kind = "select/multiple"
	}
	out := CustomFieldDefinition{ID: d.ID, RemoteID: d.ID, Name: d.Label, Description: d.Category, Type: &Enum{Value: Unmapped, SourceValue: d.Type}}
	if v, ok := jwFieldType[kind]; ok {
		out.Type.Value = v
	}
	for _, o := range d.Options {
		out.Options = append(out.Options, CustomFieldOption{ID: o, Value: o})
	}
	return out
}

// jwCustomFields names a member's custom-field values by their definitions;
// a multiple-choice field's value is the list of choices.
func jwCustomFields(values []jwCustomFieldValue, defs map[string]jwCustomFieldDefinition) []CustomField {
	out := []CustomField{}
	for _, v := range values {
		f := CustomField{ID: v.ID, RemoteID: v.ID, Name: defs[v.ID].Label}
		switch {
		case defs[v.ID].Cardinality == "multiple":
			f.Value = v.Values
		case len(v.Values) > 0:
			f.Value = v.Values[0]
		}
		out = append(out, f)
	}
	return out
}

func jwListGroups(ctx context.Context, s *actions.Session, p Params) (page, error) {
	c, err := jwCompanyRecord(ctx, s)
	return page{data: jwGroupsOf(c), list: true}, err
}

func jwListLocations(ctx context.Context, s *actions.Session, p Params) (page, error) {
	c, err := jwCompanyRecord(ctx, s)
	return page{data: jwLocationsOf(c), list: true}, err
}

func jwDefinitions(ctx context.Context, s *actions.Session) ([]jwCustomFieldDefinition, error) {
	var defs []jwCustomFieldDefinition
	_, err := call(ctx, s, actions.Request{Action: "justworks_list_company_custom_fields"}, &defs)
	return defs, err
}

func jwListCustomFieldDefinitions(ctx context.Context, s *actions.Session, p Params) (page, error) {
	defs, err := jwDefinitions(ctx, s)
	out := make([]CustomFieldDefinition, len(defs))
	for i, d := range defs {
		out[i] = jwFieldDefinition(d)
	}
	return page{data: out, list: true}, err
}

// jwInclude adds what include asks for and the grant allows: each member's
// custom fields (one call per member, and one for the definitions).
func jwInclude(ctx context.Context, s *actions.Session, p Params, employees []Employee) error {
	if !slices.Contains(p.Include, "custom_fields") || !s.Allowed("justworks_list_member_custom_field_values") || !s.Allowed("justworks_list_company_custom_fields") || len(employees) == 0 {
		return nil
	}
	list, err := jwDefinitions(ctx, s)
	if err != nil {
		return err
	}
	defs := map[string]jwCustomFieldDefinition{}
	for _, d := range list {
		defs[d.ID] = d
	}
	return each(ctx, len(employees), func(ctx context.Context, i int) error {
		var values []jwCustomFieldValue
		if _, err := call(ctx, s, actions.Request{Action: "justworks_list_member_custom_field_values", Path: map[string]any{"member_id": employees[i].ID}}, &values); err != nil {
			return err
		}
		employees[i].CustomFields = jwCustomFields(values, defs)
		return nil
	})
}

// jwDerived names the unified fields Patchbay computes rather than copies,
// and from what; the coverage table in docs/unified.md shows them.
var jwDerived = map[string]string{
	"Employee.name":                  "given + family name",
	"Employee.employment_status":     "active",
	"Employee.groups":                "department",
	"Employment.id":                  "the member's id",
	"Employment.pay_rate":            "current_pay in minor units",
	"Employment.effective_date":      "current employment's start date",
	"TimeOff.duration":               "amount and unit_type",
	"TimeOffType.active":             "policy status",
	"PayRun.pay_period":              "the first paystub's period",
	"PayStatement.taxes":             "line items typed tax",
	"Deduction.percentage":           "amount with 4 implied decimals",
	"CustomFieldDefinition.type":     "type and cardinality",
	"Location.location_type":         "offices are work locations",
	"Employee.work_location":         "office",
	"Employee.personal_phone_number": "MOBILE or PERSONAL phone",
}
