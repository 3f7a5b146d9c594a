package unified

import (
	"slices"
	"strings"
	"testing"
)

func TestJustworksEmployee(t *testing.T) {
	members := recordList[jwMember](t, "justworks_members")
	onLeave := members[1]
	onLeave.Active, onLeave.EmploymentStatus = nil, "ON_LEAVE"
	flat := members[4]
	flat.Name, flat.GivenName, flat.FamilyName, flat.PreferredName = nil, "Ada", "Ng", "Addie"
	odd := members[0]
	odd.Sex, odd.Addresses = "intersex", slices.Clone(odd.Addresses)
	odd.Addresses[0].Country = "USA"
	var plainOffice jwMember
	if err := decodeRecords([]byte(`{"id":"mbr_acme_000001","office":"Remote"}`), &plainOffice); err != nil {
		t.Fatal(err)
	}

	same(t, "active employee with every field scope", jwEmployee(members[0]), Employee{
		ID: "mbr_acme_000001", RemoteID: "mbr_acme_000001", FirstName: "Rebecca", LastName: "Jones", Name: "Rebecca Jones", DisplayName: "Rebecca Jones",
		Gender: &Enum{Value: "female", SourceValue: "female"}, DateOfBirth: "1958-11-20T00:00:00.000Z",
		PersonalEmail: "rebecca.jones85@example.com", PersonalPhoneNumber: "+17185550182", WorkEmail: "rebecca.jones@acme.test",
		JobTitle: "Chief Executive Officer", EmployeeNumber: "JW000001", CompanyID: "cmp_acme",
		EmploymentStatus: &Enum{Value: "active", SourceValue: true},
		HireDate:         "2018-03-12T00:00:00.000Z", StartDate: "2018-03-12T00:00:00.000Z",
		HomeLocation: &Location{EmployeeID: "mbr_acme_000001", Street1: "2277 Church St", City: "Brooklyn", State: "NY", ZipCode: "11254", Country: &Enum{Value: "US", SourceValue: "US"}},
		WorkLocation: &Location{ID: "off_acme_0", RemoteID: "off_acme_0", EmployeeID: "mbr_acme_000001", Name: "New York Office"},
		Department:   "Executive", DepartmentID: "dep_acme_exec",
		CreatedAt: "2018-04-07T23:56:51.000Z", UpdatedAt: "2026-03-10T10:00:00.000Z"})

	cases := []struct {
		name string
		in   jwMember
		pick func(Employee) any
		want any
	}{
		{"terminated: status", members[4], func(e Employee) any { return e.EmploymentStatus }, &Enum{Value: "terminated", SourceValue: false}},
		{"terminated: dates", members[4], func(e Employee) any { return [3]string{e.HireDate, e.StartDate, e.TerminationDate} },
			[3]string{"2019-02-01T00:00:00.000Z", "2019-02-01T00:00:00.000Z", "2023-06-26T00:00:00.000Z"}},
		{"no sensitive scopes granted", members[4], func(e Employee) any { return [2]any{e.Gender, e.DateOfBirth} }, [2]any{(*Enum)(nil), ""}},
		{"manager", members[1], func(e Employee) any { return e.ManagerID }, "mbr_acme_000001"},
		{"status in the flat shape", onLeave, func(e Employee) any { return e.EmploymentStatus }, &Enum{Value: "leave", SourceValue: "ON_LEAVE"}},
		{"name in the flat shape", flat, func(e Employee) any { return [4]string{e.FirstName, e.LastName, e.Name, e.DisplayName} }, [4]string{"Ada", "Ng", "Ada Ng", "Addie"}},
		{"unknown values are unmapped", odd, func(e Employee) any { return [2]*Enum{e.Gender, e.HomeLocation.Country} },
			[2]*Enum{{Value: Unmapped, SourceValue: "intersex"}, {Value: Unmapped, SourceValue: "USA"}}},
		{"office as a plain name", plainOffice, func(e Employee) any { return e.WorkLocation }, &Location{EmployeeID: "mbr_acme_000001", Name: "Remote"}},
		{"department as a group", members[0], func(e Employee) any { return jwGroups(members[0]) },
			[]Group{{ID: "dep_acme_exec", RemoteID: "dep_acme_exec", Name: "Executive", Type: &Enum{Value: "department", SourceValue: "department"}}}},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(jwEmployee(c.in)), c.want)
	}
}

func TestJustworksEmployment(t *testing.T) {
	members := recordList[jwMember](t, "justworks_members")
	same(t, "salaried, semimonthly", jwEmployment(members[0]), Employment{ID: "mbr_acme_000001", RemoteID: "mbr_acme_000001", EmployeeID: "mbr_acme_000001", RemoteEmployeeID: "mbr_acme_000001",
		JobTitle: "Chief Executive Officer", PayRate: "250000.00", PayCurrency: "USD",
		PayPeriod: &Enum{Value: "year", SourceValue: "year"}, PayFrequency: &Enum{Value: "semi_monthly", SourceValue: "semimonthly"},
		EffectiveDate: "2018-03-12T00:00:00.000Z", Active: ptr(true),
		Type:         &TypedEnum{Label: "employee", Type: &Enum{Value: "permanent", SourceValue: "employee"}},
		ContractType: &ContractType{Label: "full_time", ContractType: &Enum{Value: "full_time", SourceValue: "full_time"}},
		CreatedAt:    "2018-04-07T23:56:51.000Z", UpdatedAt: "2026-03-10T10:00:00.000Z"})
	cases := []struct {
		name string
		in   jwMember
		pick func(Employment) any
		want any
	}{
		{"hourly pay in minor units", members[1], func(e Employment) any { return [3]any{e.PayRate, e.PayCurrency, e.PayPeriod} },
			[3]any{"138.00", "USD", &Enum{Value: "hour", SourceValue: "hour"}}},
		{"contractor", members[1], func(e Employment) any { return [2]any{e.Type, e.ContractType} }, [2]any{
			&TypedEnum{Label: "contractor", Type: &Enum{Value: "contractor", SourceValue: "contractor"}},
			&ContractType{Label: "contractor", ContractType: &Enum{Value: Unmapped, SourceValue: "contractor"}}}},
		{"employer of record abroad", members[3], func(e Employment) any { return [3]any{e.PayRate, e.PayCurrency, e.Type.Type} },
			[3]any{"133500.00", "CAD", &Enum{Value: "employer_of_record", SourceValue: "employee_eor"}}},
		{"terminated", members[4], func(e Employment) any { return [2]any{e.EndDate, *e.Active} }, [2]any{"2023-06-26T00:00:00.000Z", false}},
		{"no pay scope", jwMember{ID: "m"}, func(e Employment) any { return [3]any{e.PayRate, e.PayPeriod, e.PayFrequency} }, [3]any{"", (*Enum)(nil), (*Enum)(nil)}},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(jwEmployment(c.in)), c.want)
	}
}

func TestJustworksCompany(t *testing.T) {
	same(t, "company", jwCompanyOf(records[jwCompany](t, "justworks_company")), Company{ID: "cmp_acme", RemoteID: "cmp_acme",
		Name: "Acme Demo Co", DisplayName: "Acme Demo Co", FullName: "Acme Demo Company, LLC",
		CreatedAt: "2018-03-31T14:00:00.000Z", UpdatedAt: "2026-10-28T09:59:50.000Z"})
}

func TestJustworksCompanyStructure(t *testing.T) {
	c := records[jwCompany](t, "justworks_company")
	groups := jwGroupsOf(c)
	if len(groups) != len(c.Departments) || len(groups) == 0 {
		t.Fatalf("%d groups for %d departments", len(groups), len(c.Departments))
	}
	same(t, "a department", groups[0], Group{ID: "dep_acme_exec", RemoteID: "dep_acme_exec", Name: "Executive", Type: &Enum{Value: "department", SourceValue: "department"}})
	same(t, "an office", jwLocationsOf(c)[0], Location{ID: "off_acme_0", RemoteID: "off_acme_0", Name: "New York Office", Street1: "100 Main St", Street2: "Floor 3",
		City: "New York", State: "NY", ZipCode: "10082", Country: &Enum{Value: "US", SourceValue: "US"}, LocationType: work})
}

func TestJustworksCustomFields(t *testing.T) {
	defs := records[[]jwCustomFieldDefinition](t, "justworks_custom_fields")
	cases := []struct {
		name string
		in   jwCustomFieldDefinition
		want *Enum
	}{
		{"single select", defs[0], &Enum{Value: "single_select", SourceValue: "select"}},
		{"multiple select", defs[1], &Enum{Value: "multi_select", SourceValue: "select"}},
		{"number", defs[2], &Enum{Value: "float", SourceValue: "number"}},
		{"unknown type", jwCustomFieldDefinition{ID: "x", Type: "signature"}, &Enum{Value: Unmapped, SourceValue: "signature"}},
	}
	for _, c := range cases {
		same(t, c.name, jwFieldDefinition(c.in).Type, c.want)
	}
	same(t, "options", jwFieldDefinition(defs[0]).Options[:2], []CustomFieldOption{{ID: "XS", Value: "XS"}, {ID: "S", Value: "S"}})
	byID := map[string]jwCustomFieldDefinition{}
	for _, d := range defs {
		byID[d.ID] = d
	}
	same(t, "values by definition", jwCustomFields(records[[]jwCustomFieldValue](t, "justworks_custom_field_values"), byID), []CustomField{
		{ID: "cf_acme_tshirt", RemoteID: "cf_acme_tshirt", Name: "T-shirt size", Value: "XXL"},
		{ID: "cf_acme_diet", RemoteID: "cf_acme_diet", Name: "Dietary preferences", Value: []string{}},
		{ID: "cf_acme_badge", RemoteID: "cf_acme_badge", Name: "Badge number", Value: "10000"},
	})
}

// The member decoder reads every shape of the fields Justworks varies, and
// names what it cannot read.
func TestJustworksMemberDecoding(t *testing.T) {
	for _, c := range []struct {
		doc  string
		pick func(jwMember) any
		want any
	}{
		{`{"office":{"id":"off_1","name":"HQ","extra":[1]}}`, func(m jwMember) any { return m.Office }, jwRef{ID: "off_1", Name: "HQ"}},
		{`{"office":"Remote"}`, func(m jwMember) any { return m.Office }, jwRef{Name: "Remote"}},
		{`{"office":""}`, func(m jwMember) any { return m.Office }, jwRef{}},
		{`{"office":null}`, func(m jwMember) any { return m.Office }, jwRef{}},
		{`{"office":7}`, func(m jwMember) any { return m.Office }, jwRef{}},
		{`{"active":null,"employment_status":"on_leave"}`, func(m jwMember) any { return [2]any{m.Active, m.EmploymentStatus} }, [2]any{(*bool)(nil), "on_leave"}},
		{`{"active":false}`, func(m jwMember) any { return m.Active }, ptr(false)},
		{`{"current_employment":{"US":{"employment_type":"full_time"},"GB":{"employment_type":"part_time","start_date":"2024-01-02"}}}`,
			func(m jwMember) any { return m.CurrentEmployment },
			[]jwTerms{{EmploymentType: "full_time"}, {EmploymentType: "part_time", StartDate: "2024-01-02"}}},
		{`{"current_pay":{"amount":-125,"currency":"USD","unit":"hour"},"pay_history":[{"amount":1.5}]}`,
			func(m jwMember) any { return m.CurrentPay }, jwPay{Amount: -125, Currency: "USD", Unit: "hour"}},
		{`{"name":{"given_name":"Z\u00e9","family_name":null},"emails":[{"type":"WORK","address":"z@x.test"}],"phones":null}`,
			func(m jwMember) any { return [3]any{*m.Name, m.Emails, m.Phones} },
			[3]any{jwName{GivenName: "Zé"}, []jwContact{{Type: "WORK", Address: "z@x.test"}}, []jwContact(nil)}},
	} {
		var m jwMember
		if err := decodeRecords([]byte(c.doc), &m); err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		same(t, c.doc, c.pick(m), c.want)
	}
	for doc, want := range map[string]string{
		`{"id":5}`:                        `expected a string, found '5'`,
		`{"current_pay":{"amount":"12"}}`: `expected a number`,
		`{"current_pay":{"amount":12.5}}`: `12.5 is not a whole number`,
		`{"emails":{"type":"WORK"}}`:      `expected an array`,
		`{"id":"m"} {"id":"n"}`:           `unexpected data after the top-level value`,
		`{"pay_history":[{"amount":1},]}`: `invalid JSON`,
	} {
		var m jwMember
		if err := decodeRecords([]byte(doc), &m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", doc, err, want)
		}
	}
}
