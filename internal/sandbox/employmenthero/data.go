// Package employmenthero simulates the Employment Hero HR API
// (api.employmenthero.com) over a generated, deterministic dataset, as described
// in shared/reference/employmenthero.md. Access tokens are checked by an
// oauthserver.Authenticator; this package only serves the resource API.
package employmenthero

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // organisations keep their IANA time zones wherever the binary runs

	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

// Sign-in accounts of every generated dataset. All share DemoPassword.
const (
	// DemoOwnerEmail is the demo owner: owner of both Acme organisations.
	DemoOwnerEmail = "owner@acme.test"
	// StaffEmail is a non-admin Acme employee who manages a few people, for the role rule.
	StaffEmail = "employee@acme.test"
	// InitechAdminEmail is the admin of Initech, an organisation the demo owner does not belong to.
	InitechAdminEmail = "admin@initech.test"
	DemoPassword      = "sandbox"
)

// DataDate is the day the generated data treats as today: timesheets lie in the
// four weeks before it, rosters four weeks either side. It is fixed, not today,
// so that the same Options always give the same data.
const DataDate = "2026-03-16"

// Organisation names, in the order Generate creates them.
const (
	AcmeName    = "Acme Demo Pty Ltd"
	AcmeNZName  = "Acme Demo NZ Ltd"
	InitechName = "Initech Sandbox Ltd"
)

// Options shape a generated dataset.
type Options struct {
	// Seed selects the data; the same Options always give the same dataset.
	Seed int64
	// Members is the number of people in Acme Demo Pty Ltd: DefaultMembers when
	// 0, at least 2 (the demo owner and the staff account), at most 1,000,000.
	Members int
}

// DefaultMembers is Acme Demo Pty Ltd's size when Options.Members is 0.
const DefaultMembers = 50

const maxMembers = 1_000_000

// Dataset is a generated Employment Hero tenant world: three organisations and
// the people who sign in to them. It is read-only once generated, but for
// the employees that simulated changes edit (changes.go), and safe for
// concurrent use.
type Dataset struct {
	seed  uint64
	orgs  []*organisation
	users []oauthserver.User
}

// country is where a person works or an organisation is based.
type country uint8

const (
	countryAU country = iota
	countryNZ
	countryGB
)

var countries = [...]struct {
	code, currency, nationality, timeZone string
	hoursPerDay                           float64
}{
	countryAU: {"AU", "AUD", "Australian", "Australia/Sydney", 7.6},
	countryNZ: {"NZ", "NZD", "New Zealander", "Pacific/Auckland", 8},
	countryGB: {"GB", "GBP", "British", "Europe/London", 7.5},
}

func (c country) code() string { return countries[c].code }

// day is a calendar day, counted from 1970-01-01. Records store days, not
// times, and render them in the organisation's time zone.
type day int32

var asOf = func() day {
	t, err := time.Parse(time.DateOnly, DataDate)
	if err != nil {
		panic(err)
	}
	return dayOf(t)
}()

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) date() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// weekday is computed, not taken from time.Time: roster scans call it millions of times.
func (d day) weekday() time.Weekday { return time.Weekday((int(d)%7 + 11) % 7) } // 1970-01-01 was a Thursday
func (d day) String() string        { return d.date().Format(time.DateOnly) }
func (d day) weekend() bool         { w := d.weekday(); return w == time.Saturday || w == time.Sunday }
func (d day) addYears(years int) day {
	return dayOf(d.date().AddDate(years, 0, 0))
}

// at returns the moment minute minutes after the day's midnight in loc.
func (d day) at(loc *time.Location, minute int) time.Time {
	y, m, dd := d.date().Date()
	return time.Date(y, m, dd, 0, minute, 0, 0, loc)
}

// organisation is one Employment Hero organisation with its people and the
// organisation-level lists. Per-employee records are not stored; records.go
// derives them on demand.
type organisation struct {
	d    *Dataset
	n    int // position in Dataset.orgs; part of every id
	id   string
	spec *orgSpec
	loc  *time.Location

	employees []employee // while generating; then live
	// live is the employees as they are now: simulated changes replace the
	// slice (copy on write, appending only), so reads need no lock.
	live            atomic.Pointer[[]employee]
	changes         sync.Mutex // one simulated change at a time
	teams           []team
	leaveCategories []leaveCategory
	certifications  []certification
	activeCount     int
	pendingCount    int
	// logins are the employee records of the sign-in accounts in this organisation.
	logins []login
}

// orgSpec is the fixed description of an organisation.
type orgSpec struct {
	name, phone, logoURL, address, domain, superfund, endOfWeek string
	country                                                     country
	sso                                                         bool
	created                                                     string // RFC 3339
	// mix is the percentage of AU, NZ and GB workers.
	mix                                  [3]int
	costCentres, workLocations, entities []string
	sites                                []siteSpec
	payrollAdmins                        []string
}

type siteSpec struct {
	name, address          string
	departments, positions []string
}

var orgSpecs = []orgSpec{
	{
		name: AcmeName, phone: "02 9000 1234", logoURL: "https://assets.employmenthero.test/logos/acme.png",
		address: "Level 5, 1 George Street, Sydney NSW 2000", domain: "acme.test",
		superfund: "AustralianSuper", endOfWeek: "Sunday", country: countryAU, created: "2016-03-01T09:30:00+11:00",
		mix:           [3]int{82, 10, 8},
		costCentres:   []string{"Head Office", "Sydney Sales", "Melbourne Warehouse", "Brisbane Support", "Bondi Store", "Remote"},
		workLocations: []string{"Sydney Office", "Melbourne Warehouse", "Brisbane Office", "Bondi Store", "Remote - Australia"},
		entities:      []string{"Acme Demo Pty Ltd", "Acme Demo Retail Pty Ltd"},
		sites: []siteSpec{
			{"Sydney HQ", "Level 5, 1 George Street, Sydney NSW 2000", []string{"Operations", "Finance", "Technology"}, []string{"Receptionist", "Office Coordinator"}},
			{"Melbourne Warehouse", "22 Dock Road, Port Melbourne VIC 3207", []string{"Logistics"}, []string{"Picker", "Forklift Operator", "Dispatch Lead"}},
			{"Bondi Store", "80 Campbell Parade, Bondi Beach NSW 2026", []string{"Retail", "Cafe"}, []string{"Retail Assistant", "Barista", "Shift Supervisor"}},
		},
		payrollAdmins: []string{"payroll@acme.test", DemoOwnerEmail},
	},
	{
		name: AcmeNZName, phone: "09 300 1234",
		address: "Level 2, 12 Queen Street, Auckland 1010", domain: "acme-nz.test", endOfWeek: "Sunday",
		country: countryNZ, created: "2019-08-12T10:00:00+12:00",
		mix:           [3]int{15, 85, 0},
		costCentres:   []string{"Auckland Office", "Wellington Cafe", "Christchurch Support"},
		workLocations: []string{"Auckland Office", "Wellington Cafe"},
		entities:      []string{"Acme Demo NZ Ltd"},
		sites: []siteSpec{
			{"Auckland Office", "Level 2, 12 Queen Street, Auckland 1010", []string{"Operations"}, []string{"Office Coordinator"}},
			{"Wellington Cafe", "15 Cuba Street, Te Aro, Wellington 6011", []string{"Cafe"}, []string{"Barista", "Cafe Supervisor"}},
		},
		payrollAdmins: []string{DemoOwnerEmail},
	},
	{
		name: InitechName, phone: "020 7946 0000", logoURL: "https://assets.employmenthero.test/logos/initech.png",
		address: "4 Penny Lane, London EC1A 1BB", domain: "initech.test",
		endOfWeek: "Friday", country: countryGB, sso: true, created: "2021-01-18T09:00:00+00:00",
		mix:           [3]int{0, 0, 100},
		costCentres:   []string{"London Office", "Manchester Office"},
		workLocations: []string{"London Office", "Remote - UK"},
		entities:      []string{"Initech Sandbox Ltd"},
		sites: []siteSpec{
			{"London Office", "4 Penny Lane, London EC1A 1BB", []string{"Technology"}, []string{"Service Desk Analyst"}},
		},
		payrollAdmins: []string{InitechAdminEmail},
	},
}

// Sizes of the NZ and Initech organisations; Acme's is Options.Members.
const (
	nzMembers      = 10
	initechMembers = 5
)

// accountSpec is a sign-in account and the organisations it belongs to; its
// record in each is the first slot not yet taken by an earlier account.
type accountSpec struct {
	email, role, first, last, jobTitle string
	female                             bool
	orgs                               []int
}

var accountSpecs = []accountSpec{
	{DemoOwnerEmail, "owner", "Olivia", "Walker", "Managing Director", true, []int{0, 1}},
	{StaffEmail, "employee", "Jack", "Nguyen", "Support Team Lead", false, []int{0}},
	{InitechAdminEmail, "admin", "Samuel", "Lee", "IT Manager", false, []int{2}},
}

// login ties a sign-in account to its employee record in one organisation.
type login struct {
	emp                 int32
	userID, email, role string
	jobTitle            string
}

// employee is one person's stored record, kept compact (names and places are
// indices) because a dataset may hold a million of them. Contact details and
// other fields nothing else depends on are derived when the record is rendered.
type employee struct {
	first, middle, last uint16 // indices into the name lists; middle is noMiddle when absent
	dup                 uint16 // earlier people with the same first and last name, for unique emails
	birth, start, end   day    // birth 0: not recorded; end 0: still employed
	manager, manager2   int32  // employee indices; -1 when none
	job                 uint8  // index into jobTitles, or contractorTitles for contractors
	teams               [2]uint8
	costCentre          uint8
	costCentre2         uint8 // index + 1; 0 when none
	workLocation        uint8
	entity              uint8
	country             country
	gender              gender
	status              status
	employment          employment
	workdays            uint8 // bit i set: works on time.Weekday(i)
	shiftStart          uint8 // hour the usual shift starts
	flags               uint8
}

const noMiddle = 0xffff

// Employee flags.
const (
	flagContractor    = 1 << iota
	flagRostered      // works rostered shifts and records timesheets
	flagNoTax         // has not lodged a tax declaration (the API answers 404)
	flagNoSuper       // has no superannuation detail (404)
	flagKnownByMiddle // goes by their middle name
	flagRemoved       // taken out by a simulated change: listed and found no more
)

func (e *employee) is(flag uint8) bool { return e.flags&flag != 0 }

// employed reports whether the person works for the organisation on the day.
func (e *employee) employed(on day) bool {
	return e.status != statusInactive && e.start <= on && (e.end == 0 || on <= e.end)
}

type gender uint8

const (
	genderUnknown gender = iota
	genderFemale
	genderMale
)

type status uint8

const (
	statusActive status = iota
	statusInactive
	statusTerminated
	statusArchived
)

var statusNames = [...]string{"active", "inactive", "terminated", "archived"}

type employment uint8

const (
	employmentNone employment = iota // contractors
	employmentFullTime
	employmentPartTime
	employmentCasual
)

var employmentNames = [...]string{"", "Full-time", "Part-time", "Casual"}

type team struct {
	name    string
	members []int32
}

type leaveCategory struct {
	name    string
	unit    string // "hours" or "days"
	accrues bool   // has a balance
	weight  int    // how often people take it
}

var leaveCategoriesByCountry = [...][]leaveCategory{
	countryAU: {
		{"Annual Leave", "hours", true, 50}, {"Personal/Carer's Leave", "hours", true, 30},
		{"Long Service Leave", "hours", true, 4}, {"Compassionate Leave", "days", false, 4},
		{"Unpaid Leave", "days", false, 8}, {"Parental Leave", "days", false, 4},
	},
	countryNZ: {
		{"Annual Leave", "days", true, 55}, {"Sick Leave", "days", true, 30},
		{"Bereavement Leave", "days", false, 5}, {"Alternative Holiday", "days", true, 5}, {"Unpaid Leave", "days", false, 5},
	},
	countryGB: {
		{"Holiday", "days", true, 60}, {"Sickness", "days", false, 30},
		{"Compassionate Leave", "days", false, 5}, {"Unpaid Leave", "days", false, 5},
	},
}

type certification struct {
	name, kind string // kind is "check" or "training"
	licence    bool   // a driver's licence: employee records carry driver details
}

var certificationsByCountry = [...][]certification{
	countryAU: {
		{"First Aid Certificate", "training", false}, {"Working with Children Check", "check", false},
		{"National Police Check", "check", false}, {"Driver's Licence", "check", true},
		{"Forklift Licence", "training", false}, {"Responsible Service of Alcohol", "training", false},
		{"Fire Warden Training", "training", false},
	},
	countryNZ: {
		{"First Aid Certificate", "training", false}, {"Police Vet", "check", false},
		{"Driver Licence", "check", true}, {"Site Safe Passport", "training", false},
	},
	countryGB: {
		{"DBS Check", "check", false}, {"First Aid at Work", "training", false}, {"Driving Licence", "check", true},
	},
}

var policies = []struct {
	name      string
	induction bool
}{
	{"Code of Conduct", true}, {"Work Health and Safety Policy", true}, {"IT Acceptable Use Policy", true},
	{"Leave Policy", false}, {"Anti-Discrimination and Harassment Policy", true},
	{"Remote Work Policy", false}, {"Social Media Policy", false},
}

type customField struct {
	name, hint, description, kind string // kind: free_text, single_select or multi_select
	inOnboarding, required        bool
	options                       []string // select fields
	format                        string   // free_text fields: a sample value's format, given a number below 1000
}

var customFields = []customField{
	{"T-shirt size", "For team uniforms", "Unisex sizing.", "single_select", true, false, []string{"XS", "S", "M", "L", "XL", "XXL"}, ""},
	{"Dietary requirements", "", "Used for catering at team events.", "multi_select", true, false, []string{"Vegetarian", "Vegan", "Gluten free", "Halal", "Kosher", "No restrictions"}, ""},
	{"Laptop asset tag", "e.g. ACME-0421", "Issued by IT on the first day.", "free_text", false, false, nil, "ACME-%04d"},
	{"Languages spoken", "", "", "multi_select", false, false, []string{"English", "Mandarin", "Hindi", "Te reo Māori", "Spanish", "Arabic", "Vietnamese"}, ""},
	{"Car registration", "For the staff car park", "", "free_text", false, false, nil, "EHS%03d"},
}

// Generate builds a dataset. It is deterministic: the same Options give the same
// organisations, people, ids and records.
func Generate(o Options) *Dataset {
	members := o.Members
	if members == 0 {
		members = DefaultMembers
	}
	members = min(max(members, 2), maxMembers)
	d := &Dataset{seed: uint64(o.Seed)}
	sizes := []int{members, nzMembers, initechMembers}
	for n := range orgSpecs {
		d.orgs = append(d.orgs, d.newOrganisation(n, sizes[n]))
	}
	d.addAccounts()
	return d
}

func (d *Dataset) newOrganisation(n, size int) *organisation {
	spec := &orgSpecs[n]
	loc, err := time.LoadLocation(countries[spec.country].timeZone)
	if err != nil {
		panic(err) // time/tzdata is linked in, so every zone name above resolves
	}
	o := &organisation{
		d: d, n: n, spec: spec, loc: loc,
		id:              d.id(ref{kind: kindOrganisation, org: n}),
		leaveCategories: leaveCategoriesByCountry[spec.country],
		certifications:  certificationsByCountry[spec.country],
	}
	r := o.rng(kindOrganisation, 0, 0)
	o.teams = make([]team, min(max(3, size/10), 200))
	for i := range o.teams {
		o.teams[i].name = departments[i%len(departments)]
		if round := i / len(departments); round > 0 {
			o.teams[i].name += " " + strconv.Itoa(round+1)
		}
	}
	o.employees = make([]employee, size)
	managers := max(1, size/8)
	for i := range o.employees {
		o.employees[i] = o.newEmployee(r, i, managers)
	}
	return o
}

// rng returns the random source of one record family of one owner: the same
// (seed, kind, organisation, index, sub-index) always gives the same stream,
// which is how per-employee records are derived on demand instead of stored.
func (o *organisation) rng(k kind, idx, sub int) *rand.Rand {
	return rand.New(rand.NewPCG(o.d.seed, hash(uint64(k), uint64(o.n), uint64(idx), uint64(sub))))
}

// chance reports true with the given percentage.
func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

func (o *organisation) newEmployee(r *rand.Rand, i, managers int) employee {
	e := employee{middle: noMiddle, manager: -1, manager2: -1}
	switch p := r.IntN(100); {
	case p < o.spec.mix[0]:
		e.country = countryAU
	case p < o.spec.mix[0]+o.spec.mix[1]:
		e.country = countryNZ
	default:
		e.country = countryGB
	}
	if chance(r, 8) {
		e.flags |= flagContractor
	}
	switch p := r.IntN(100); {
	case p < 47:
		e.gender = genderFemale
	case p < 94:
		e.gender = genderMale
	}
	names := firstNames(e.gender)
	e.first = uint16(r.IntN(len(names)))
	if chance(r, 45) {
		e.middle = uint16(r.IntN(len(names)))
		if chance(r, 10) {
			e.flags |= flagKnownByMiddle
		}
	}
	e.last = uint16(r.IntN(len(lastNames)))

	earliest := day(15340) // 2012-01-01
	switch p := r.IntN(100); {
	case p < 3:
		e.status = statusInactive // accepted an offer, starts soon
		e.start = asOf + 1 + day(r.IntN(45))
	case p < 9:
		e.status = statusTerminated
		e.start = earliest + day(r.IntN(int(asOf-120-earliest)))
		e.end = e.start + 60 + day(r.IntN(int(asOf-1-(e.start+60))))
	case p < 10:
		e.status = statusArchived
		e.start = earliest + day(r.IntN(int(asOf-800-earliest)))
		e.end = e.start + 90 + day(r.IntN(int(asOf-400-(e.start+90))))
	default:
		// Skewed towards recent hires, as in a growing company.
		u := r.Float64()
		e.start = asOf - 14 - day(u*u*float64(asOf-14-earliest))
	}
	if chance(r, 96) {
		ageAtStart := 18 + r.IntN(33)
		e.birth = e.start - day(ageAtStart*365+r.IntN(365))
	}

	if i > 0 {
		if i < managers {
			e.manager = 0
		} else {
			e.manager = int32(r.IntN(managers))
		}
		if chance(r, 15) {
			if m := int32(r.IntN(managers)); m != e.manager && int(m) != i {
				e.manager2 = m
			}
		}
	}

	if e.is(flagContractor) {
		e.job = uint8(r.IntN(len(contractorTitles)))
	} else {
		e.job = uint8(r.IntN(len(jobTitles)))
		switch p := r.IntN(100); {
		case p < 65:
			e.employment = employmentFullTime
		case p < 85:
			e.employment = employmentPartTime
		default:
			e.employment = employmentCasual
		}
		if chance(r, 15) {
			e.flags |= flagNoTax
		}
		if chance(r, 12) {
			e.flags |= flagNoSuper
		}
	}
	e.setRoster(r)

	if e.status == statusActive || e.status == statusInactive {
		switch p := r.IntN(100); {
		case p < 70:
			e.teams[0] = uint8(1 + r.IntN(len(o.teams)))
		case p < 85:
			e.teams[0] = uint8(1 + r.IntN(len(o.teams)))
			if t := uint8(1 + r.IntN(len(o.teams))); t != e.teams[0] {
				e.teams[1] = t
			}
		}
	}
	e.costCentre = uint8(r.IntN(len(o.spec.costCentres)))
	if chance(r, 10) {
		if c := uint8(r.IntN(len(o.spec.costCentres))); c != e.costCentre {
			e.costCentre2 = c + 1
		}
	}
	e.workLocation = uint8(r.IntN(len(o.spec.workLocations)))
	e.entity = uint8(r.IntN(len(o.spec.entities)))
	return e
}

// setRoster decides who works rostered shifts, on which weekdays and from when:
// all casuals, many part-timers and some full-timers; never contractors.
func (e *employee) setRoster(r *rand.Rand) {
	e.workdays = 0b0111110 // Monday to Friday
	e.shiftStart = uint8(8 + r.IntN(2))
	switch e.employment {
	case employmentFullTime:
		if chance(r, 30) {
			e.flags |= flagRostered
		}
	case employmentPartTime:
		e.workdays = pickDays(r, 3, 0b0111110)
		if chance(r, 60) {
			e.flags |= flagRostered
		}
	case employmentCasual:
		e.workdays = pickDays(r, 2+r.IntN(4), 0b1111111)
		e.shiftStart = uint8(6 + r.IntN(11))
		e.flags |= flagRostered
	}
}

// pickDays picks n weekdays out of the allowed set.
func pickDays(r *rand.Rand, n int, allowed uint8) uint8 {
	var days uint8
	for bits.OnesCount8(days) < n {
		if w := uint8(1) << r.IntN(7); allowed&w != 0 {
			days |= w
		}
	}
	return days
}

func firstNames(g gender) []string {
	switch g {
	case genderFemale:
		return femaleNames
	case genderMale:
		return maleNames
	}
	return neutralNames
}

// addAccounts turns the fixed sign-in accounts into employee records and users,
// then numbers people who share a name so that every email is unique.
func (d *Dataset) addAccounts() {
	taken := make([]int32, len(d.orgs))
	for i, spec := range accountSpecs {
		u := oauthserver.User{
			ID:       d.id(ref{kind: kindUser, idx: i}),
			Email:    spec.email,
			Password: DemoPassword,
			Name:     spec.first + " " + spec.last,
			Role:     spec.role,
		}
		for _, n := range spec.orgs {
			o := d.orgs[n]
			emp := taken[n]
			taken[n]++
			o.logins = append(o.logins, login{emp: emp, userID: u.ID, email: spec.email, role: spec.role, jobTitle: spec.jobTitle})
			e := &o.employees[emp]
			e.gender = genderMale
			if spec.female {
				e.gender = genderFemale
			}
			e.first = uint16(slices.Index(firstNames(e.gender), spec.first))
			e.middle = noMiddle
			e.last = uint16(slices.Index(lastNames, spec.last))
			e.country = o.spec.country
			e.status, e.end = statusActive, 0
			e.start = min(e.start, asOf-400)
			if e.birth != 0 {
				e.birth = min(e.birth, e.start-25*365)
			}
			e.flags &^= flagContractor | flagNoTax | flagNoSuper | flagKnownByMiddle
			e.employment = employmentFullTime
			u.Tenants = append(u.Tenants, o.tenant())
		}
		d.users = append(d.users, u)
	}
	for _, o := range d.orgs {
		o.index()
		staff := o.employees
		o.live.Store(&staff)
		o.employees = nil
	}
}

// staff is the organisation's employees as they are now.
func (o *organisation) staff() []employee { return *o.live.Load() }

// index fills what is computed from all employees: team members, head counts
// and the numbering of shared names.
func (o *organisation) index() {
	seen := make(map[[2]string]uint16)
	for i := range o.employees {
		e := &o.employees[i]
		key := [2]string{e.firstName(), e.lastName()}
		e.dup = seen[key]
		seen[key]++
		for _, t := range e.teams {
			if t != 0 {
				o.teams[t-1].members = append(o.teams[t-1].members, int32(i))
			}
		}
		switch e.status {
		case statusActive:
			o.activeCount++
		case statusInactive:
			o.pendingCount++
		}
	}
}

func (o *organisation) tenant() oauthserver.Tenant {
	return oauthserver.Tenant{ID: o.id, Name: o.spec.name, SSOEnforced: o.spec.sso}
}

// loginOf returns the sign-in account whose record is employee i, if any.
func (o *organisation) loginOf(i int) (login, bool) {
	for _, l := range o.logins {
		if int(l.emp) == i {
			return l, true
		}
	}
	return login{}, false
}

// Users returns the accounts that can sign in: the demo owner (DemoOwnerEmail, owner of
// both Acme organisations), a non-admin Acme employee (StaffEmail) and the admin
// of Initech (InitechAdminEmail), all with DemoPassword. Their Tenants are the
// organisations they belong to.
func (d *Dataset) Users() []oauthserver.User {
	users := slices.Clone(d.users)
	for i := range users {
		users[i].Tenants = slices.Clone(users[i].Tenants)
	}
	return users
}

// Organisations returns every organisation as a tenant, the demo owner's two first.
func (d *Dataset) Organisations() []oauthserver.Tenant {
	tenants := make([]oauthserver.Tenant, len(d.orgs))
	for i, o := range d.orgs {
		tenants[i] = o.tenant()
	}
	return tenants
}

// org returns the organisation with the given id.
func (d *Dataset) org(id string) (*organisation, bool) {
	r, ok := d.parseID(id, kindOrganisation)
	if !ok || r.org >= len(d.orgs) {
		return nil, false
	}
	return d.orgs[r.org], true
}
