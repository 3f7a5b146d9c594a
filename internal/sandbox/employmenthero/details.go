package employmenthero

import (
	"fmt"
	"slices"
)

// Per-employee details: bank, tax and super, contacts, history, certifications
// and custom-field values. Like records.go, all derived on demand.

// bankAccountJSON is the v2, region-aware bank account (§8.9): account_type and
// bsb (the sort code in the UK) exist only for AU and UK accounts. currency is a
// Malaysian and Singaporean field, and no generated person works there.
type bankAccountJSON struct {
	ID             string   `json:"id"`
	AccountName    string   `json:"account_name"`
	AccountNumber  string   `json:"account_number"`
	AccountType    *string  `json:"account_type,omitempty"`
	BSB            *string  `json:"bsb,omitempty"`
	Amount         *float64 `json:"amount"`
	PrimaryAccount bool     `json:"primary_account"`
	LockLevel      *string  `json:"lock_level"`
}

// bankAccounts: most people have one account; some split their pay with a fixed
// amount to a second one (the primary account takes the rest, so its amount is null).
func (o *organisation) bankAccounts(i int) []bankAccountJSON {
	e := &o.staff()[i]
	r := o.rng(kindBankAccount, i, 0)
	count := []int{0, 1, 1, 1, 1, 1, 1, 1, 2, 2}[r.IntN(10)]
	if _, ok := o.loginOf(i); ok {
		count = max(count, 1) // the demo accounts show a full record
	}
	accounts := make([]bankAccountJSON, 0, count)
	for k := range count {
		a := bankAccountJSON{
			ID:             o.d.id(ref{kind: kindBankAccount, org: o.n, idx: i, sub: k}),
			AccountName:    e.fullName(),
			PrimaryAccount: k == 0,
			LockLevel:      opt(chance(r, 10), "locked"),
		}
		if k > 0 {
			a.AccountName += " Savings"
			a.Amount = opt(true, float64(50*(1+r.IntN(10))))
		}
		accountType := []string{"savings", "cheque"}[r.IntN(2)]
		switch e.country {
		case countryAU:
			a.AccountNumber = fmt.Sprintf("%09d", r.IntN(1e9))
			a.BSB = opt(true, fmt.Sprintf("%03d-%03d", []int{62, 63, 82, 83, 32, 33}[r.IntN(6)], r.IntN(1000)))
			a.AccountType = &accountType
		case countryNZ:
			a.AccountNumber = fmt.Sprintf("%02d-%04d-%07d-%02d", []int{1, 2, 3, 6, 12}[r.IntN(5)], r.IntN(10000), r.IntN(1e7), r.IntN(100))
		case countryGB:
			a.AccountNumber = fmt.Sprintf("%08d", r.IntN(1e8))
			a.BSB = opt(true, fmt.Sprintf("%02d-%02d-%02d", 20+r.IntN(70), r.IntN(100), r.IntN(100)))
			a.AccountType = &accountType
		}
		accounts = append(accounts, a)
	}
	return accounts
}

// taxDeclarationJSON is the v2 tax declaration (§8.10). AU people carry a tax file
// number and the AU flags; NZ people an IRD number and a tax code; UK people a
// tax code only.
type taxDeclarationJSON struct {
	FirstName                    string  `json:"first_name"`
	LastName                     string  `json:"last_name"`
	TaxFileNumber                *string `json:"tax_file_number"`
	TaxFileNumberExemptionReason *string `json:"tax_file_number_exemption_reason"`
	TaxAUResident                *bool   `json:"tax_au_resident"`
	TaxForeignResident           *bool   `json:"tax_foreign_resident"`
	TaxFree                      *bool   `json:"tax_free"`
	TaxHelpDebt                  *bool   `json:"tax_help_debt"`
	TaxFinancialSupplementDebt   *bool   `json:"tax_financial_supplement_debt"`
	TaxCode                      *string `json:"tax_code"`
	TaxSignatureSignedAt         int64   `json:"tax_signature_signed_at"`
	CreatedAt                    string  `json:"created_at"`
	UpdatedAt                    string  `json:"updated_at"`
}

// taxDeclaration returns false for contractors and people who have not lodged
// one; the API answers 404 for them, which clients must treat as normal.
func (o *organisation) taxDeclaration(i int) (taxDeclarationJSON, bool) {
	e := &o.staff()[i]
	if e.is(flagContractor) || e.is(flagNoTax) {
		return taxDeclarationJSON{}, false
	}
	r := o.rng(kindEmployee, i, 1)
	signed := (e.start - 7 + day(r.IntN(7))).at(o.loc, 9*60+r.IntN(480))
	updated := signed.AddDate(0, 0, r.IntN(max(1, int(asOf-e.start))))
	t := taxDeclarationJSON{
		FirstName:            e.firstName(),
		LastName:             e.lastName(),
		TaxSignatureSignedAt: signed.Unix(),
		CreatedAt:            signed.Format(dateTimeLayout),
		UpdatedAt:            updated.Format(dateTimeLayout),
	}
	switch e.country {
	case countryAU:
		resident := chance(r, 92)
		tfn := fmt.Sprintf("%03d %03d %03d", r.IntN(1000), r.IntN(1000), r.IntN(1000))
		if chance(r, 95) {
			t.TaxFileNumber = &tfn
		} else {
			t.TaxFileNumberExemptionReason = opt(true, "Applied for a TFN")
		}
		t.TaxAUResident, t.TaxForeignResident = &resident, opt(true, !resident)
		t.TaxFree = opt(true, resident && chance(r, 85))
		t.TaxHelpDebt = opt(true, chance(r, 25))
		t.TaxFinancialSupplementDebt = opt(true, chance(r, 3))
	case countryNZ:
		t.TaxFileNumber = opt(true, fmt.Sprintf("%03d-%03d-%03d", r.IntN(1000), r.IntN(1000), r.IntN(1000)))
		t.TaxCode = opt(true, []string{"M", "M", "M", "ME", "S", "SH"}[r.IntN(6)])
	case countryGB:
		t.TaxCode = opt(true, []string{"1257L", "1257L", "1257L", "BR", "K475"}[r.IntN(5)])
	}
	return t, true
}

// superannuationJSON is the v2 superannuation detail (§8.11). Scheme values are a
// decision: regulated_fund, employer_nominated_fund and self_managed_fund in
// Australia, kiwisaver in New Zealand, workplace_pension in the UK.
type superannuationJSON struct {
	SuperannuationScheme     string  `json:"superannuation_scheme"`
	FundName                 string  `json:"fund_name"`
	FundABN                  *string `json:"fund_abn"`
	USI                      *string `json:"usi"`
	ProductCode              *string `json:"product_code"`
	ProductIDNumber          *string `json:"product_id_number"`
	MemberNumber             string  `json:"member_number"`
	AccountName              *string `json:"account_name"`
	ContactNumber            *string `json:"contact_number"`
	ElectronicServiceAddress *string `json:"electronic_service_address"`
	EmployerNominatedFund    bool    `json:"employer_nominated_fund"`
}

// superannuation returns false for contractors and people without a fund on
// record (404 from the API).
func (o *organisation) superannuation(i int) (superannuationJSON, bool) {
	e := &o.staff()[i]
	if e.is(flagContractor) || e.is(flagNoSuper) {
		return superannuationJSON{}, false
	}
	r := o.rng(kindEmployee, i, 2)
	s := superannuationJSON{MemberNumber: fmt.Sprintf("%09d", r.IntN(1e9))}
	switch e.country {
	case countryNZ:
		s.SuperannuationScheme, s.FundName = "kiwisaver", kiwiSaverProviders[r.IntN(len(kiwiSaverProviders))]
		return s, true
	case countryGB:
		s.SuperannuationScheme, s.FundName = "workplace_pension", pensionProviders[r.IntN(len(pensionProviders))]
		return s, true
	}
	fund := superFunds[r.IntN(len(superFunds))]
	switch p := r.IntN(100); {
	case p < 10:
		s.SuperannuationScheme = "self_managed_fund"
		s.FundName = e.lastName() + " Family Super Fund"
		s.FundABN = opt(true, abn(r))
		s.AccountName = opt(true, e.fullName()+" ATF "+s.FundName)
		s.ContactNumber = opt(true, mobileNumber(r, e.country))
		s.ElectronicServiceAddress = opt(true, "SMSFDataFlow")
		return s, true
	case p < 25 && o.spec.superfund != "":
		s.SuperannuationScheme, s.EmployerNominatedFund = "employer_nominated_fund", true
		fund = superFunds[slices.IndexFunc(superFunds, func(f struct{ name, abn, usi string }) bool { return f.name == o.spec.superfund })]
	default:
		s.SuperannuationScheme = "regulated_fund"
	}
	s.FundName, s.FundABN, s.USI = fund.name, &fund.abn, &fund.usi
	s.ProductIDNumber = &fund.usi
	return s, true
}

type emergencyContactJSON struct {
	ID                   int64   `json:"id"`
	ContactName          string  `json:"contact_name"`
	Relationship         string  `json:"relationship"`
	ContactType          string  `json:"contact_type"`
	DaytimeContactNumber string  `json:"daytime_contact_number"`
	AfterHoursNo         *string `json:"after_hours_no"`
	AfterMobileNo        *string `json:"after_mobile_no"`
}

// emergencyContacts: the one resource with integer ids (§5). Ids count through
// all organisations' people, three per person, so they are unique and stable.
func (o *organisation) emergencyContacts(i int) []emergencyContactJSON {
	r := o.rng(kindEmployee, i, 3)
	count := []int{0, 1, 1, 1, 2, 2}[r.IntN(6)]
	base := int64(i)
	for _, other := range o.d.orgs[:o.n] {
		base += int64(len(other.employees))
	}
	contacts := make([]emergencyContactJSON, 0, count)
	for k := range count {
		contacts = append(contacts, emergencyContactJSON{
			ID:                   100_001 + base*3 + int64(k),
			ContactName:          femaleNames[r.IntN(len(femaleNames))] + " " + lastNames[r.IntN(len(lastNames))],
			Relationship:         relationships[r.IntN(len(relationships))],
			ContactType:          []string{"primary", "secondary"}[k],
			DaytimeContactNumber: mobileNumber(r, o.staff()[i].country),
			AfterHoursNo:         opt(chance(r, 40), landline(r, o.staff()[i].country)),
			AfterMobileNo:        opt(chance(r, 60), mobileNumber(r, o.staff()[i].country)),
		})
	}
	return contacts
}

type employmentHistoryJSON struct {
	ID                       string  `json:"id"`
	Title                    string  `json:"title"`
	StartDate                string  `json:"start_date"`
	EndDate                  *string `json:"end_date"`
	EmploymentType           *string `json:"employment_type"`
	ContractType             string  `json:"contract_type"`
	IndustryStandardJobTitle *string `json:"industry_standard_job_title"`
}

// employmentHistories: one record per role held, oldest first; the last is the
// current role and is open-ended unless the person has left.
func (o *organisation) employmentHistories(i int) []employmentHistoryJSON {
	e := &o.staff()[i]
	r := o.rng(kindEmploymentHistory, i, 0)
	last := asOf
	if e.end != 0 {
		last = e.end
	}
	count := 1
	if last-e.start > 2*365 && !e.is(flagContractor) {
		count += r.IntN(3)
	}
	// Role changes at evenly spread points of the tenure.
	starts := []day{e.start}
	for k := 1; k < count; k++ {
		starts = append(starts, e.start+(last-e.start)*day(k)/day(count))
	}
	histories := make([]employmentHistoryJSON, 0, count)
	for k, start := range starts {
		h := employmentHistoryJSON{
			ID:        o.d.id(ref{kind: kindEmploymentHistory, org: o.n, idx: i, sub: k}),
			Title:     jobTitles[r.IntN(len(jobTitles))],
			StartDate: start.String(),
		}
		employment := employment(1 + r.IntN(3))
		if k == count-1 {
			h.Title, employment = o.jobTitle(i), e.employment
			h.EndDate = opt(e.end != 0, e.end.String())
		} else {
			h.EndDate = opt(true, (starts[k+1] - 1).String())
		}
		switch employment {
		case employmentNone:
			h.ContractType = "Contract"
		case employmentCasual:
			h.ContractType = "Casual"
		default:
			h.ContractType = []string{"Permanent", "Permanent", "Fixed Term"}[r.IntN(3)]
		}
		h.EmploymentType = opt(employment != employmentNone, employmentNames[employment])
		h.IndustryStandardJobTitle = opt(chance(r, 70), h.Title)
		histories = append(histories, h)
	}
	return histories
}

type employeeCertificationJSON struct {
	ID              string  `json:"id"`
	CertificationID string  `json:"certification_id"`
	Name            string  `json:"name"`
	Type            string  `json:"type"`
	Status          string  `json:"status"`
	CompletionDate  *string `json:"completion_date"`
	ExpiryDate      *string `json:"expiry_date"`
	Reason          *string `json:"reason"`
	DriverProblem   *bool   `json:"driver_problem"`
	DriverDetails   *string `json:"driver_details"`
}

// employeeCertifications: up to three of the organisation's certifications.
// Status is a decision: active, expired (expiry before DataDate) or pending (not
// yet approved, so no dates).
func (o *organisation) employeeCertifications(i int) []employeeCertificationJSON {
	e := &o.staff()[i]
	r := o.rng(kindEmployeeCertification, i, 0)
	held := r.Perm(len(o.certifications))[:min(len(o.certifications), []int{0, 1, 1, 2, 3}[r.IntN(5)])]
	slices.Sort(held)
	certs := make([]employeeCertificationJSON, 0, len(held))
	for _, c := range held {
		cert := o.certifications[c]
		completed := max(e.start-60, asOf-3*365) + day(r.IntN(3*365))
		completed = min(completed, asOf-1)
		expiry := completed.addYears(1 + r.IntN(3))
		v := employeeCertificationJSON{
			ID:              o.d.id(ref{kind: kindEmployeeCertification, org: o.n, idx: i, sub: c}),
			CertificationID: o.certificationID(c),
			Name:            cert.name,
			Type:            cert.kind,
			Status:          "active",
			CompletionDate:  opt(true, completed.String()),
			ExpiryDate:      opt(cert.kind == "check" || chance(r, 70), expiry.String()),
		}
		switch {
		case chance(r, 10):
			v.Status, v.CompletionDate, v.ExpiryDate = "pending", nil, nil
			v.Reason = opt(true, "Awaiting a copy of the certificate")
		case v.ExpiryDate != nil && expiry < asOf:
			v.Status = "expired"
		}
		if cert.licence {
			problem := chance(r, 5)
			v.DriverProblem = &problem
			v.DriverDetails = opt(true, []string{"Class C (car)", "Class LR (light rigid)", "Class MR (medium rigid)"}[r.IntN(3)])
			if problem {
				*v.DriverDetails += "; demerit points under review"
			}
		}
		certs = append(certs, v)
	}
	return certs
}

// customFieldValueJSON is a decision (§8.14): value is a string for free_text
// fields and a list of strings for select fields.
type customFieldValueJSON struct {
	ID            string `json:"id"`
	CustomFieldID string `json:"custom_field_id"`
	Name          string `json:"name"`
	Value         any    `json:"value"`
}

func (o *organisation) customFieldValues(i int) []customFieldValueJSON {
	r := o.rng(kindCustomFieldValue, i, 0)
	var values []customFieldValueJSON
	for f, cf := range customFields {
		present := chance(r, 75)
		var value any
		switch cf.kind {
		case "free_text":
			value = fmt.Sprintf(cf.format, r.IntN(1000))
		case "single_select":
			value = []string{cf.options[r.IntN(len(cf.options))]}
		default:
			picks := r.Perm(len(cf.options))[:1+r.IntN(2)]
			slices.Sort(picks)
			var chosen []string
			for _, p := range picks {
				chosen = append(chosen, cf.options[p])
			}
			value = chosen
		}
		if present {
			values = append(values, customFieldValueJSON{
				ID:            o.d.id(ref{kind: kindCustomFieldValue, org: o.n, idx: i, sub: f}),
				CustomFieldID: o.customFieldID(f),
				Name:          cf.name,
				Value:         value,
			})
		}
	}
	return values
}
