package unified

import "testing"

const ehOrg = "edefea32-6003-4728-a816-89b10cbe0933"

func TestEmploymentHeroEmployee(t *testing.T) {
	people := records[[]ehEmployee](t, "employmenthero_employees")
	owner := people[0]
	same(t, "owner", ehEmployeeOf(owner, ehOrg), Employee{
		ID: owner.ID, RemoteID: owner.ID, Title: "Ms", FirstName: "Olivia", LastName: "Walker", Name: "Olivia Walker", DisplayName: "Olivia Walker",
		Gender: &Enum{Value: "female", SourceValue: "Female"}, DateOfBirth: "1990-04-22T00:00:00.000Z", AvatarURL: str(owner.AvatarURL),
		PersonalEmail: "olivia.walker@example.com", PersonalPhoneNumber: str(owner.PersonalMobileNumber), WorkEmail: "owner@acme.test",
		WorkPhoneNumber: cmpOr(str(owner.CompanyMobile), str(owner.CompanyLandline)),
		JobTitle:        "Managing Director", EmployeeNumber: "E00001", CompanyID: ehOrg,
		EmploymentStatus: &Enum{Value: "active", SourceValue: "active"},
		HireDate:         "2015-04-16T00:00:00.000Z", StartDate: "2015-04-16T00:00:00.000Z",
		HomeLocation: &Location{EmployeeID: owner.ID, Street1: str(owner.ResidentialAddress.Line1), Street2: str(owner.ResidentialAddress.Line2),
			City: str(owner.ResidentialAddress.City), State: str(owner.ResidentialAddress.State), ZipCode: str(owner.ResidentialAddress.Postcode),
			Country: &Enum{Value: "AU", SourceValue: "AU"}},
		WorkLocation: &Location{EmployeeID: owner.ID, Name: "Sydney Office"}})

	archived := people[1]
	archived.Status = ptr("archived")
	onHold := people[1]
	onHold.Status = ptr("on_hold")
	deFacto := people[2]
	deFacto.MaritalStatus = ptr("De facto")
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
		{"manager", people[1], func(e Employee) any { return e.ManagerID }, people[1].PrimaryManager.ID},
	}
	for _, c := range cases {
		same(t, c.name, c.pick(ehEmployeeOf(c.in, ehOrg)), c.want)
	}
}

func TestEmploymentHeroEmployment(t *testing.T) {
	people := records[[]ehEmployee](t, "employmenthero_employees")
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
