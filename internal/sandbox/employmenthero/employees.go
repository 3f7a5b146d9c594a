package employmenthero

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Wire formats (reference §5): date-times carry an offset like "+10:00" (never
// "Z"), plain dates are YYYY-MM-DD.
const dateTimeLayout = "2006-01-02T15:04:05-07:00"

// named is the {id, name} reference the API uses for teams, cost centres and managers.
type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// opt returns a pointer to v when present and nil (JSON null) otherwise.
func opt[T any](present bool, v T) *T {
	if !present {
		return nil
	}
	return &v
}

func (e *employee) firstName() string { return firstNames(e.gender)[e.first] }
func (e *employee) lastName() string  { return lastNames[e.last] }
func (e *employee) fullName() string  { return e.firstName() + " " + e.lastName() }

func (e *employee) middleName() (string, bool) {
	if e.middle == noMiddle {
		return "", false
	}
	return firstNames(e.gender)[e.middle], true
}

func (e *employee) jobTitle() string {
	if e.is(flagContractor) {
		return contractorTitles[e.job]
	}
	return jobTitles[e.job]
}

func (e *employee) hoursPerDay() float64 { return countries[e.country].hoursPerDay }

// emailLocal is "first.last", numbered from 2 for later people with the same name.
func (e *employee) emailLocal() string {
	var b strings.Builder
	for _, part := range []string{e.firstName(), ".", e.lastName()} {
		for _, c := range strings.ToLower(part) {
			if c >= 'a' && c <= 'z' || c == '.' {
				b.WriteRune(c)
			}
		}
	}
	if e.dup > 0 {
		b.WriteString(strconv.Itoa(int(e.dup) + 1))
	}
	return b.String()
}

// jobTitle is employee i's job title; the sign-in accounts have fixed ones.
func (o *organisation) jobTitle(i int) string {
	if l, ok := o.loginOf(i); ok {
		return l.jobTitle
	}
	return o.staff()[i].jobTitle()
}

func (o *organisation) employeeID(i int) string {
	return o.d.id(ref{kind: kindEmployee, org: o.n, idx: i})
}

// employeeIndex returns the index of the employee with the given id in this organisation.
func (o *organisation) employeeIndex(id string) (int, bool) {
	staff := o.staff()
	i, ok := o.lookup(id, kindEmployee, len(staff))
	return i, ok && !staff[i].is(flagRemoved)
}

func (o *organisation) person(i int32) *named {
	if i < 0 {
		return nil
	}
	return &named{ID: o.employeeID(int(i)), Name: o.staff()[i].fullName()}
}

func (o *organisation) costCentre(c int) named {
	return named{ID: o.d.id(ref{kind: kindCostCentre, org: o.n, idx: c}), Name: o.spec.costCentres[c]}
}

func (o *organisation) teamRef(t int) named {
	return named{ID: o.d.id(ref{kind: kindTeam, org: o.n, idx: t}), Name: o.teams[t].name}
}

type addressJSON struct {
	AddressType string  `json:"address_type"`
	Line1       string  `json:"line_1"`
	Line2       *string `json:"line_2"`
	City        string  `json:"city"`
	State       string  `json:"state"`
	Postcode    string  `json:"postcode"`
	Country     string  `json:"country"`
}

type businessDetailJSON struct {
	Country      string `json:"country"`
	Number       string `json:"number"`
	BusinessType string `json:"business_type"`
}

type ukTaxJSON struct {
	ID                      string  `json:"id"`
	UniqueTaxpayerReference *string `json:"unique_taxpayer_reference"`
	NationalInsuranceNumber string  `json:"national_insurance_number"`
}

// employeeJSON is the Employee model (§8.2). Regional fields are omitted outside
// their region (omitempty on pointers that are then nil); every other field is
// always present, null when unknown.
type employeeJSON struct {
	ID                             string              `json:"id"`
	AccountEmail                   string              `json:"account_email"`
	Email                          string              `json:"email"`
	Title                          *string             `json:"title"`
	Role                           string              `json:"role"`
	FirstName                      string              `json:"first_name"`
	MiddleName                     *string             `json:"middle_name"`
	LastName                       string              `json:"last_name"`
	KnownAs                        *string             `json:"known_as"`
	FullName                       string              `json:"full_name"`
	FullLegalName                  string              `json:"full_legal_name"`
	LegalName                      string              `json:"legal_name"`
	PreviousSurname                *string             `json:"previous_surname"`
	Pronouns                       *string             `json:"pronouns"`
	PersonalEmail                  *string             `json:"personal_email"`
	PersonalMobileNumber           *string             `json:"personal_mobile_number"`
	HomePhone                      *string             `json:"home_phone"`
	CompanyEmail                   *string             `json:"company_email"`
	CompanyMobile                  *string             `json:"company_mobile"`
	CompanyLandline                *string             `json:"company_landline"`
	DisplayMobileInStaffDirectory  bool                `json:"display_mobile_in_staff_directory"`
	AvatarURL                      *string             `json:"avatar_url"`
	Address                        *string             `json:"address"`
	Gender                         *string             `json:"gender"`
	Country                        string              `json:"country"`
	Nationality                    *string             `json:"nationality"`
	DateOfBirth                    *string             `json:"date_of_birth"`
	MaritalStatus                  *string             `json:"marital_status"`
	AboriginalTorresStraitIslander *bool               `json:"aboriginal_torres_strait_islander,omitempty"`
	Biography                      *string             `json:"biography"`
	JobTitle                       *string             `json:"job_title"`
	Code                           string              `json:"code"`
	Location                       *string             `json:"location"`
	EmployingEntity                *string             `json:"employing_entity"`
	StartDate                      string              `json:"start_date"`
	TerminationDate                *string             `json:"termination_date"`
	Status                         string              `json:"status"`
	TerminationSummary             *string             `json:"termination_summary"`
	EmploymentType                 *string             `json:"employment_type"`
	TypicalWorkDay                 *float64            `json:"typical_work_day"`
	Roster                         *string             `json:"roster"`
	TrialOrProbationType           *string             `json:"trial_or_probation_type"`
	TrialLength                    *int                `json:"trial_length"`
	ProbationLength                *int                `json:"probation_length"`
	GlobalTeamsStartDate           *string             `json:"global_teams_start_date"`
	GlobalTeamsProbationEndDate    *string             `json:"global_teams_probation_end_date"`
	ExternalID                     *string             `json:"external_id"`
	WorkCountry                    string              `json:"work_country"`
	PayrollType                    *string             `json:"payroll_type"`
	TimeZone                       string              `json:"time_zone"`
	InstapayReferralOptedOut       bool                `json:"instapay_referral_opted_out"`
	IndependentContractor          bool                `json:"independent_contractor"`
	TradingName                    *string             `json:"trading_name"`
	ABN                            *string             `json:"abn"`
	BusinessDetail                 *businessDetailJSON `json:"business_detail"`
	UKTaxAndNationalInsurance      *ukTaxJSON          `json:"uk_tax_and_national_insurance,omitempty"`
	Teams                          []named             `json:"teams"`
	PrimaryCostCentre              named               `json:"primary_cost_centre"`
	SecondaryCostCentres           []named             `json:"secondary_cost_centres"`
	PrimaryManager                 *named              `json:"primary_manager"`
	SecondaryManager               *named              `json:"secondary_manager"`
	ResidentialAddress             *addressJSON        `json:"residential_address"`
	PostalAddress                  *addressJSON        `json:"postal_address"`
}

// midnightUTC renders a calendar day the way the API renders employee dates.
func midnightUTC(d day) string { return d.date().Format(dateTimeLayout) }

// employeeView renders employee i. Fields that nothing else depends on come from
// the employee's own random stream, drawn in a fixed order.
func (o *organisation) employeeView(i int) employeeJSON {
	e := &o.staff()[i]
	r := o.rng(kindEmployee, i, 0)
	c := countries[e.country]
	contractor := e.is(flagContractor)
	id := o.employeeID(i)

	first, last := e.firstName(), e.lastName()
	middle, hasMiddle := e.middleName()
	legal := first + " " + last
	fullLegal := legal
	if hasMiddle {
		fullLegal = first + " " + middle + " " + last
	}
	preferred := first
	if e.is(flagKnownByMiddle) {
		preferred = middle
	}

	companyEmail := e.emailLocal() + "@" + o.spec.domain
	role, jobTitle := "employee", o.jobTitle(i)
	if l, ok := o.loginOf(i); ok {
		companyEmail, role = l.email, l.role
	}
	personalEmail := e.emailLocal() + "@" + []string{"example.com", "example.net", "example.org"}[r.IntN(3)]
	accountEmail := companyEmail
	if contractor {
		accountEmail = personalEmail
	}

	home := o.address(r, e.country, "residential")
	postal := o.address(r, e.country, "postal")
	postal.Line1, postal.Line2 = fmt.Sprintf("PO Box %d", 1+r.IntN(9000)), nil

	v := employeeJSON{
		ID:                            id,
		AccountEmail:                  accountEmail,
		Email:                         accountEmail,
		Title:                         opt(chance(r, 85), personTitle(r, e.gender)),
		Role:                          role,
		FirstName:                     first,
		MiddleName:                    opt(hasMiddle, middle),
		LastName:                      last,
		KnownAs:                       opt(e.is(flagKnownByMiddle), middle),
		FullName:                      preferred + " " + last,
		FullLegalName:                 fullLegal,
		LegalName:                     legal,
		PreviousSurname:               opt(e.gender == genderFemale && chance(r, 6), lastNames[r.IntN(len(lastNames))]),
		Pronouns:                      opt(chance(r, 30), pronouns(e.gender)),
		PersonalEmail:                 opt(chance(r, 80), personalEmail),
		PersonalMobileNumber:          opt(chance(r, 90), mobileNumber(r, e.country)),
		HomePhone:                     opt(chance(r, 15), landline(r, e.country)),
		CompanyEmail:                  opt(!contractor, companyEmail),
		CompanyMobile:                 opt(chance(r, 20), mobileNumber(r, e.country)),
		CompanyLandline:               opt(chance(r, 10), fmt.Sprintf("%s ext. %d", o.spec.phone, 100+r.IntN(900))),
		DisplayMobileInStaffDirectory: chance(r, 50),
		AvatarURL:                     opt(chance(r, 60), "https://assets.employmenthero.test/avatars/"+id+".png"),
		Gender:                        opt(e.gender != genderUnknown, []string{"", "Female", "Male"}[e.gender]),
		Country:                       c.code,
		Nationality:                   opt(chance(r, 90), nationality(r, e.country)),
		DateOfBirth:                   opt(e.birth != 0, midnightUTC(e.birth)),
		MaritalStatus:                 opt(chance(r, 60), []string{"Single", "Married", "De facto", "Divorced", "Widowed"}[r.IntN(5)]),
		Biography:                     opt(chance(r, 10), fmt.Sprintf("%s joined %s as %s and loves %s.", preferred, o.spec.name, jobTitle, []string{"hiking", "cooking", "cricket", "rugby", "board games", "surfing"}[r.IntN(6)])),
		JobTitle:                      opt(chance(r, 97) || role != "employee", jobTitle),
		Location:                      opt(chance(r, 90), o.spec.workLocations[e.workLocation]),
		EmployingEntity:               opt(!contractor, o.spec.entities[e.entity]),
		StartDate:                     midnightUTC(e.start),
		TerminationDate:               opt(e.end != 0, midnightUTC(e.end)),
		Status:                        statusNames[e.status],
		TerminationSummary:            opt(e.end != 0, []string{"Resignation", "End of fixed-term contract", "Redundancy", "Retirement"}[r.IntN(4)]),
		EmploymentType:                opt(!contractor, employmentNames[e.employment]),
		TypicalWorkDay:                opt(!contractor, e.hoursPerDay()),
		Roster:                        opt(e.is(flagRostered), "Weekly roster"),
		ExternalID:                    opt(chance(r, 20), fmt.Sprintf("PAY-%06d", r.IntN(1_000_000))),
		WorkCountry:                   c.code,
		PayrollType:                   opt(!contractor, "Employment Hero Payroll"),
		TimeZone:                      c.timeZone,
		InstapayReferralOptedOut:      chance(r, 10),
		IndependentContractor:         contractor,
		Teams:                         []named{},
		PrimaryCostCentre:             o.costCentre(int(e.costCentre)),
		SecondaryCostCentres:          []named{},
		PrimaryManager:                o.person(e.manager),
		SecondaryManager:              o.person(e.manager2),
		ResidentialAddress:            opt(chance(r, 95), home),
		PostalAddress:                 opt(chance(r, 30), postal),
	}
	v.Code = fmt.Sprintf("E%05d", i+1)
	if contractor {
		v.Code = fmt.Sprintf("C%05d", i+1)
	}
	if v.ResidentialAddress != nil {
		v.Address = opt(true, fmt.Sprintf("%s, %s %s %s", home.Line1, home.City, home.State, home.Postcode))
	}
	switch p := r.IntN(10); {
	case contractor:
	case p < 7:
		v.TrialOrProbationType, v.ProbationLength = opt(true, "Probation"), opt(true, 6)
	case p < 8:
		v.TrialOrProbationType, v.TrialLength = opt(true, "Trial"), opt(true, 3)
	}
	if e.country == countryAU {
		v.AboriginalTorresStraitIslander = opt(true, chance(r, 3))
	}
	if e.country == countryGB {
		v.UKTaxAndNationalInsurance = &ukTaxJSON{
			ID:                      o.d.id(ref{kind: kindUKTax, org: o.n, idx: i}),
			UniqueTaxpayerReference: opt(contractor || chance(r, 10), fmt.Sprintf("%010d", r.Int64N(1e10))),
			NationalInsuranceNumber: fmt.Sprintf("%c%c%06d%c", 'A'+r.IntN(20), 'A'+r.IntN(20), r.IntN(1_000_000), 'A'+r.IntN(4)),
		}
	}
	if contractor {
		trading := []string{last + " Consulting", first + " " + last + " Creative", last + " & Co"}[r.IntN(3)]
		detail := businessDetailJSON{Country: c.code, BusinessType: []string{"sole_trader", "company"}[r.IntN(2)]}
		switch e.country {
		case countryAU:
			detail.Number = abn(r)
			v.ABN = opt(true, detail.Number)
		case countryNZ:
			detail.Number = fmt.Sprintf("94290%08d", r.IntN(100_000_000))
		default:
			detail.Number = fmt.Sprintf("%08d", r.IntN(100_000_000))
		}
		v.TradingName, v.BusinessDetail = &trading, &detail
	}
	for _, t := range e.teams {
		if t != 0 {
			v.Teams = append(v.Teams, o.teamRef(int(t-1)))
		}
	}
	if e.costCentre2 != 0 {
		v.SecondaryCostCentres = append(v.SecondaryCostCentres, o.costCentre(int(e.costCentre2-1)))
	}
	return v
}

func (o *organisation) address(r *rand.Rand, c country, kind string) addressJSON {
	p := placesByCountry[c][r.IntN(len(placesByCountry[c]))]
	return addressJSON{
		AddressType: kind,
		Line1:       fmt.Sprintf("%d %s", 1+r.IntN(250), streets[r.IntN(len(streets))]),
		Line2:       opt(chance(r, 25), fmt.Sprintf("Unit %d", 1+r.IntN(40))),
		City:        p.city, State: p.state, Postcode: p.postcode, Country: countries[c].code,
	}
}

func personTitle(r *rand.Rand, g gender) string {
	switch g {
	case genderFemale:
		return []string{"Ms", "Mrs", "Miss", "Dr"}[r.IntN(4)]
	case genderMale:
		return []string{"Mr", "Mr", "Mr", "Dr"}[r.IntN(4)]
	}
	return "Mx"
}

func pronouns(g gender) string {
	return [...]string{genderUnknown: "they/them", genderFemale: "she/her", genderMale: "he/him"}[g]
}

func nationality(r *rand.Rand, c country) string {
	if chance(r, 15) {
		return []string{"Indian", "Chinese", "Filipino", "Irish", "South African", "Vietnamese"}[r.IntN(6)]
	}
	return countries[c].nationality
}

func mobileNumber(r *rand.Rand, c country) string {
	switch c {
	case countryNZ:
		return fmt.Sprintf("021 %03d %04d", r.IntN(1000), r.IntN(10000))
	case countryGB:
		return fmt.Sprintf("07700 %06d", r.IntN(1_000_000))
	}
	return fmt.Sprintf("04%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
}

func landline(r *rand.Rand, c country) string {
	switch c {
	case countryNZ:
		return fmt.Sprintf("09 %03d %04d", r.IntN(1000), r.IntN(10000))
	case countryGB:
		return fmt.Sprintf("020 %04d %04d", r.IntN(10000), r.IntN(10000))
	}
	return fmt.Sprintf("02 %04d %04d", r.IntN(10000), r.IntN(10000))
}

func abn(r *rand.Rand) string {
	return fmt.Sprintf("%02d %03d %03d %03d", 10+r.IntN(90), r.IntN(1000), r.IntN(1000), r.IntN(1000))
}

// Organisation views (§8.1).

type organisationJSON struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Phone   *string `json:"phone"`
	Country string  `json:"country"`
	LogoURL *string `json:"logo_url"`
}

type organisationDetailJSON struct {
	organisationJSON
	PrimaryAddress        string   `json:"primary_address"`
	EndOfWeek             string   `json:"end_of_week"`
	TypicalWorkDay        float64  `json:"typical_work_day"`
	PayrollAdminEmails    []string `json:"payroll_admin_emails"`
	SubscriptionPlan      string   `json:"subscription_plan"`
	SuperfundName         *string  `json:"superfund_name"`
	EmployeesCount        int      `json:"employees_count"`
	ActiveEmployeesCount  int      `json:"active_employees_count"`
	PendingEmployeesCount int      `json:"pending_employees_count"`
	TimeZone              string   `json:"time_zone"`
	CreatedAt             string   `json:"created_at"`
}

func (o *organisation) view() organisationJSON {
	return organisationJSON{
		ID: o.id, Name: o.spec.name, Phone: opt(o.spec.phone != "", o.spec.phone),
		Country: o.spec.country.code(), LogoURL: opt(o.spec.logoURL != "", o.spec.logoURL),
	}
}

func (o *organisation) created() time.Time {
	t, err := time.Parse(time.RFC3339, o.spec.created)
	if err != nil {
		panic(err) // orgSpecs are constants
	}
	return t.In(o.loc)
}

func (o *organisation) detailView() organisationDetailJSON {
	return organisationDetailJSON{
		organisationJSON:      o.view(),
		PrimaryAddress:        o.spec.address,
		EndOfWeek:             o.spec.endOfWeek,
		TypicalWorkDay:        countries[o.spec.country].hoursPerDay,
		PayrollAdminEmails:    o.spec.payrollAdmins,
		SubscriptionPlan:      "Platinum", // the API is only open to Platinum organisations
		SuperfundName:         opt(o.spec.superfund != "", o.spec.superfund),
		EmployeesCount:        len(o.staff()),
		ActiveEmployeesCount:  o.activeCount,
		PendingEmployeesCount: o.pendingCount,
		TimeZone:              o.loc.String(),
		CreatedAt:             o.created().Format(dateTimeLayout),
	}
}
