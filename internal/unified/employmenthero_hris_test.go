package unified

import (
	"cmp"
	"strings"
	"testing"
)

const ehOrg = "edefea32-6003-4728-a816-89b10cbe0933"

func TestEmploymentHeroEmployee(t *testing.T) {
	people := recordList[ehEmployee](t, "employmenthero_employees")
	owner := people[0]
	same(t, "owner", ehEmployeeOf(owner, ehOrg), Employee{
		ID: owner.ID, RemoteID: owner.ID, Title: "Ms", FirstName: "Olivia", LastName: "Walker", Name: "Olivia Walker", DisplayName: "Olivia Walker",
		Gender: &Enum{Value: "female", SourceValue: "Female"}, DateOfBirth: "1990-04-22T00:00:00.000Z", AvatarURL: owner.AvatarURL,
		PersonalEmail: "olivia.walker@example.com", PersonalPhoneNumber: owner.PersonalMobileNumber, WorkEmail: "owner@acme.test",
		WorkPhoneNumber: cmp.Or(owner.CompanyMobile, owner.CompanyLandline),
		JobTitle:        "Managing Director", EmployeeNumber: "E00001", CompanyID: ehOrg,
		EmploymentStatus: &Enum{Value: "active", SourceValue: "active"},
		HireDate:         "2015-04-16T00:00:00.000Z", StartDate: "2015-04-16T00:00:00.000Z",
		HomeLocation: &Location{EmployeeID: owner.ID, Street1: owner.ResidentialAddress.Line1, Street2: owner.ResidentialAddress.Line2,
			City: owner.ResidentialAddress.City, State: owner.ResidentialAddress.State, ZipCode: owner.ResidentialAddress.Postcode,
			Country: &Enum{Value: "AU", SourceValue: "AU"}},
		WorkLocation: &Location{EmployeeID: owner.ID, Name: "Sydney Office"}})

	archived := people[1]
	archived.Status = "archived"
	onHold := people[1]
	onHold.Status = "on_hold"
	deFacto := people[2]
	deFacto.MaritalStatus = "De facto"
	cases := []struct {
		name string
		in   ehEmployee
		pick func(Employee) any
		want any
	}{
		{"male", people[1], func(e Employee) any { return e.Gender }, &Enum{Value: "male", SourceValue: "Male"}},
		{"no gender given", people[2], func(e Employee) any { return e.Gender }, (*Enum)(nil)},
		{"single", people[2], func(e Employee) any { return e.MaritalStatus }, &Enum{Value: "single", SourceValue: "Single"}},
		{"de facto", deFacto, func(e Employee) any { return e.MaritalStatus }, &Enum{Value: "domestic_partnership", SourceValue: "De facto"}},
		{"archived", archived, func(e Employee) any { return e.EmploymentStatus }, &Enum{Value: "inactive", SourceValue: "archived"}},
		{"unknown status", onHold, func(e Employee) any { return e.EmploymentStatus }, &Enum{Value: Unmapped, SourceValue: "on_hold"}},
		{"contractor number, no work email", people[4], func(e Employee) any { return [2]string{e.EmployeeNumber, e.WorkEmail} }, [2]string{"C00005", ""}},
		{"manager", people[1], func(e Employee) any { return e.ManagerID }, people[1].ManagerID},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(ehEmployeeOf(c.in, ehOrg)), c.want)
	}
}

func TestEmploymentHeroEmployment(t *testing.T) {
	people := recordList[ehEmployee](t, "employmenthero_employees")
	pay := records[[]ehPayDetail](t, "employmenthero_pay_details")
	owner := people[0]
	same(t, "full-time with its latest pay", ehEmploymentOf(owner, &pay[2]), Employment{ID: owner.ID, RemoteID: owner.ID, EmployeeID: owner.ID, RemoteEmployeeID: owner.ID,
		JobTitle: "Managing Director", PayRate: "149339.01", PayCurrency: "AUD", PayPeriod: &Enum{Value: "year", SourceValue: "Annum"},
		EffectiveDate: "2025-04-16T00:00:00.000Z", Active: ptr(true),
		Type:         &TypedEnum{Label: "Full-time", Type: &Enum{Value: "permanent", SourceValue: "Full-time"}},
		ContractType: &ContractType{Label: "Full-time", ContractType: &Enum{Value: "full_time", SourceValue: "Full-time"}}})
	cases := []struct {
		name string
		in   ehEmployee
		pick func(Employment) any
		want any
	}{
		{"without pay details", owner, func(e Employment) any { return [3]any{e.PayRate, e.PayPeriod, e.EffectiveDate} }, [3]any{"", (*Enum)(nil), "2015-04-16T00:00:00.000Z"}},
		{"casual", people[3], func(e Employment) any { return [2]any{e.Type.Type, e.ContractType.ContractType} },
			[2]any{&Enum{Value: "casual", SourceValue: "Casual"}, &Enum{Value: Unmapped, SourceValue: "Casual"}}},
		{"contractor", people[4], func(e Employment) any { return [2]any{e.Type.Type, e.ContractType} },
			[2]any{&Enum{Value: "contractor", SourceValue: "Contractor"}, (*ContractType)(nil)}},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(ehEmploymentOf(c.in, nil)), c.want)
	}
}

func TestEmploymentHeroCompany(t *testing.T) {
	same(t, "organisation", ehCompanyOf(records[ehOrganisationDetail](t, "employmenthero_organisation")), Company{ID: ehOrg, RemoteID: ehOrg,
		Name: "Acme Demo Pty Ltd", DisplayName: "Acme Demo Pty Ltd", FullName: "Acme Demo Pty Ltd", CreatedAt: "2016-02-29T22:30:00.000Z"})
}

func TestEmploymentHeroCompanyStructure(t *testing.T) {
	team := records[[]ehTeam](t, "employmenthero_teams")[0]
	same(t, "team", ehGroupOf(team), Group{ID: team.ID, RemoteID: team.ID, Name: "Engineering", Type: &Enum{Value: "team", SourceValue: "team"}})
	loc := records[[]ehWorkLocation](t, "employmenthero_work_locations")[0]
	same(t, "work location", ehLocationOf(loc), Location{ID: loc.ID, RemoteID: loc.ID, Name: "Sydney Office", Country: &Enum{Value: "AU", SourceValue: "AU"}, LocationType: work})
}

func TestEmploymentHeroCustomFields(t *testing.T) {
	defs := records[[]ehCustomField](t, "employmenthero_custom_fields")
	got := ehFieldDefinition(defs[0])
	same(t, "select definition", [4]any{got.Name, got.Description, got.Type, got.Options[0]},
		[4]any{"T-shirt size", "Unisex sizing.", &Enum{Value: "single_select", SourceValue: "single_select"}, CustomFieldOption{ID: defs[0].CustomFieldOptions[0].ID, Value: "XS"}})
	for _, d := range defs {
		if v := ehFieldDefinition(d).Type.Value; v == Unmapped {
			t.Errorf("%s: type %q is unmapped", d.Name, d.Type)
		}
	}
	values := records[[]ehCustomFieldValue](t, "employmenthero_employee_custom_fields")
	same(t, "select value", ehCustomFieldOf(values[0]), CustomField{ID: values[0].CustomFieldID, RemoteID: values[0].CustomFieldID, Name: "T-shirt size", Value: []any{"XS"}})
	same(t, "text value", ehCustomFieldOf(values[1]).Value, "EHS180")
}

func TestEmploymentHeroBankDetails(t *testing.T) {
	b := records[[]ehBankAccount](t, "employmenthero_bank_accounts")[0]
	same(t, "bank account", ehBankDetail(b), BankDetail{ID: b.ID, AccountName: "Olivia Walker", AccountNumber: "244451313", BankCode: "033-503", AccountType: "cheque", IsPrimary: true})
}

// The employee decoder reads nulls as absent values and the nested records
// the mappers use, and names what it cannot read.
func TestEmploymentHeroEmployeeDecoding(t *testing.T) {
	var e ehEmployee
	doc := `{"id":"e1","first_name":null,"known_as":"Bo","independent_contractor":true,"primary_manager":{"id":"m1","name":"Max"},` +
		`"teams":[{"id":"t1","name":null},{"id":"t2","name":"Ops"}],"residential_address":{"line_1":"1 St","postcode":"2000","country":"AU"},` +
		`"secondary_cost_centres":[{"id":"c"}],"postal_address":null}`
	if err := decodeRecords([]byte(doc), &e); err != nil {
		t.Fatal(err)
	}
	same(t, "employee", e, ehEmployee{ID: "e1", IndependentContractor: true, ManagerID: "m1",
		Teams: []ehTeamRef{{ID: "t1"}, {ID: "t2", Name: "Ops"}}, ResidentialAddress: &ehAddress{Line1: "1 St", Postcode: "2000", Country: "AU"}})
	for doc, want := range map[string]string{
		`{"independent_contractor":"yes"}`: `expected true or false, found '"'`,
		`{"teams":[{"id":1}]}`:             `expected a string, found '1'`,
		`{"primary_manager":"m1"}`:         `expected an object`,
	} {
		var e ehEmployee
		if err := decodeRecords([]byte(doc), &e); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", doc, err, want)
		}
	}
}
