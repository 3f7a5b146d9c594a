package justworks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type memberType uint8

const (
	typeEmployee memberType = iota
	typeContractor
	typeInternational
	typeEOR
)

var memberTypeNames = [...]string{"employee", "contractor", "international_employee", "employee_eor"}

// Optional member fields a member may lack (bits of member.missing), so
// clients meet omitted scalars and empty arrays in real-looking data.
const (
	noWorkID uint16 = 1 << iota
	noPhone
	noPersonalEmail
	noAddress
	noDepartment
	noManager
	noOffice
	noTitle
	noDOB
	noSex
	noCustomFields
)

var payFrequencies = [...]string{"semimonthly", "monthly", "biweekly", "weekly"}

// member is the compact form of a member: about 64 bytes, so 100,000 members
// fit in a few megabytes. Strings, addresses and histories are derived from it
// (and from the company seed and the member's index) when a member is served.
type member struct {
	created, updated stamp
	pay              int64 // annual salary, or hourly rate when hourly, in minor units of the pay currency
	start, end, dob  day   // end is the termination date; 0 while active
	manager          int32 // member index, -1 for none
	given, family    uint16
	middle           int16 // index into givenNames, -1 for none
	preferred        int16 // index into givenNames, -1 for none
	round            uint16
	missing          uint16
	kind             memberType
	intl             bool  // lives outside the US: place indexes intlPlaces, not usPlaces
	place            uint8 // home city
	dept, title      uint8
	female           bool
	hourly           bool
	freq             uint8 // index into payFrequencies
	k401             uint8 // 401(k) contribution, percent of gross
	medical          uint8 // 0 none, 1 single, 2 family coverage
	removed          bool  // taken out by a simulated change: listed and found no more
}

func (m *member) active() bool { return m.end == 0 }

func (m *member) home() place {
	if m.intl {
		return intlPlaces[m.place]
	}
	return usPlaces[m.place]
}

// activeDuring reports whether the member was employed at some point of the
// period [from, to].
func (m *member) activeDuring(from, to day) bool {
	return m.start <= to && (m.end == 0 || m.end >= from)
}

// archetypes are the first members of every company, so that even a tiny
// company covers every member type, a termination and sparse records.
var archetypes = []struct {
	kind    memberType
	intl    int // index into intlPlaces, -1 for a US member
	ended   bool
	missing uint16
}{
	{typeEmployee, -1, false, 0}, // the CEO, every field present
	{typeContractor, -1, false, noWorkID | noOffice},
	{typeInternational, 0, false, 0},
	{typeEOR, 1, false, noPersonalEmail},
	{typeEmployee, -1, true, noDOB | noSex | noPhone | noAddress},
	{typeEmployee, -1, false, 0},
	{typeContractor, 3, false, noWorkID},
	{typeEmployee, -1, false, noWorkID | noPhone | noPersonalEmail | noAddress | noDepartment | noManager | noOffice | noTitle | noDOB | noSex | noCustomFields},
}

// generateMembers fills c.roster() in created_at order, which is also id order,
// so listing by index is the documented order (created_at, then id).
func (c *company) generateMembers(r *rand.Rand) {
	n := c.companySpec.members
	c.members = make([]member, n)
	// Names come from an affine permutation of all given×family pairs, so each
	// pair repeats only once every len×len members and "round" keeps work
	// emails unique.
	combos := len(givenNames) * len(familyNames)
	mult := 7919 + 10*r.IntN(1000) // ends in 9: coprime with combos (2^4·5^4)
	offset := r.IntN(combos)

	first := stampOf(c.founded+31, 9*3600)
	last := stampOf(dataDay-7, 17*3600)
	step := int64(last-first) / int64(n)
	dataEnd := stampOf(dataDay, 86399)

	for i := range c.members {
		m := &c.members[i]
		pair := (mult*i + offset) % combos
		m.given, m.family = uint16(pair/len(familyNames)), uint16(pair%len(familyNames))
		m.round = uint16(i / combos)
		m.middle, m.preferred = -1, -1
		if r.IntN(10) < 3 {
			m.middle = int16(r.IntN(len(givenNames)))
		}
		if r.IntN(100) < 8 {
			m.preferred = int16(r.IntN(len(givenNames)))
		}
		m.female = r.IntN(2) == 0

		// Types, places and gaps: archetypes first, then a realistic mix.
		ended := false
		if i < len(archetypes) {
			a := archetypes[i]
			m.kind, ended, m.missing = a.kind, a.ended, a.missing
			m.intl = a.intl >= 0
			if m.intl {
				m.place = uint8(a.intl)
			}
		} else {
			switch k := r.IntN(100); {
			case k < 74:
				m.kind = typeEmployee
			case k < 86:
				m.kind = typeContractor
				m.intl = r.IntN(100) < 15
			case k < 93:
				m.kind, m.intl = typeInternational, true
			default:
				m.kind, m.intl = typeEOR, true
			}
			if m.intl {
				m.place = uint8(r.IntN(len(intlPlaces)))
			}
			ended = r.IntN(100) < 12
			for bit := noWorkID; bit <= noCustomFields; bit <<= 1 {
				if r.IntN(100) < 4 {
					m.missing |= bit
				}
			}
			if m.kind == typeContractor {
				m.missing |= noWorkID // contractors are not on the payroll roster
			}
		}
		if !m.intl {
			m.place = uint8(c.places[r.IntN(len(c.places))])
		}

		// Dates: created_at rises with the index; jitter stays below one step.
		m.created = first + stamp(int64(i)*step)
		if step > 1 {
			m.created += stamp(r.Int64N(step))
		}
		added := day(int64(m.created) / 86400)
		m.start = min(added+day(r.IntN(21)), dataDay)
		if i < max(1, len(c.members)/20) {
			// Early members worked here before the company joined Justworks.
			m.start = c.founded + day(r.IntN(int(added-c.founded)+1))
		}
		if i > 0 && ended && dataDay-m.start > 60 {
			m.end = m.start + 30 + day(r.IntN(int(dataDay-m.start-30)))
		}
		m.updated = m.created + stamp(r.Int64N(int64(dataEnd-m.created)))
		if m.end != 0 {
			m.updated = max(m.updated, min(stampOf(m.end, 17*3600+r.IntN(3600)), dataEnd))
		}
		// A pay change updates the member too, so incremental sync sees it.
		raises := m.raises()
		m.updated = max(m.updated, stampOf(raises[len(raises)-1], 10*3600))
		m.dob = m.start - day(365*(20+r.IntN(40))+r.IntN(365))

		// Organisation: the CEO heads Executive; others report to an early member.
		m.manager = -1
		if i > 0 {
			m.dept = uint8(1 + r.IntN(len(departments)-1))
			m.manager = int32(r.IntN(min(i, max(1, len(c.members)/8))))
			if c.members[m.manager].kind != typeEmployee {
				m.manager = 0 // contractors and members abroad manage nobody
			}
		}
		m.title = uint8(r.IntN(len(departments[m.dept].titles)))

		c.generatePay(r, i, m)
	}
}

// generatePay sets a member's pay: salaries and hourly rates in the currency
// of the member's country (§11: integer minor units).
func (c *company) generatePay(r *rand.Rand, i int, m *member) {
	perUSD := currencies[m.home().country].perUSD
	salary := func() int64 {
		// Roughly log-uniform between 50k and 200k US dollars, rounded to 500.
		usd := 50000 * math.Exp(r.Float64()*math.Log(4))
		return int64(usd/500) * 500 * perUSD * 100
	}
	switch {
	case i == 0:
		m.pay = 250000_00
	case m.kind == typeContractor:
		m.hourly = true
		m.pay = int64(40+r.IntN(121)) * 100 * perUSD
		m.freq = uint8(1 + r.IntN(2)) // monthly or biweekly invoices
	case m.kind == typeEmployee && r.IntN(100) < 20:
		m.hourly = true
		m.pay = int64(1800 + 25*r.IntN(169)) // $18.00 to $60.00
	default:
		m.pay = salary()
	}
	if m.intl && m.kind != typeContractor {
		m.freq = 1 // monthly, as international payroll runs
	}
	if m.kind == typeEmployee {
		m.k401 = []uint8{0, 3, 4, 5, 6, 10}[r.IntN(6)]
		m.medical = uint8([]int{0, 1, 1, 1, 1, 2, 2, 2, 0, 1}[r.IntN(10)])
	}
}

// memberID formats the id of member i; parseMemberID inverts it. Ids embed the
// company key, so another company's member id is simply unknown (404).
func (c *company) memberID(i int) string { return fmt.Sprintf("mbr_%s_%06d", c.key, i+1) }

func (c *company) memberIndex(id string) (int, bool) {
	return parseIndex(id, "mbr_"+c.key+"_", len(c.roster()), c.memberID)
}

// parseIndex reads an id "<prefix><1-based number>" back into a 0-based index
// below n, accepting only the spelling format gives that index.
func parseIndex(id, prefix string, n int, format func(int) string) (int, bool) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(rest)
	if err != nil || v < 1 || v > n || format(v-1) != id {
		return 0, false
	}
	return v - 1, true
}

func (c *company) memberName(i int) string {
	m := &c.roster()[i]
	return givenNames[m.given] + " " + familyNames[m.family]
}

type memberJSON struct {
	ID                        string                    `json:"id"`
	CompanyID                 string                    `json:"company_id"`
	WorkID                    string                    `json:"work_id,omitempty"`
	Name                      *nameJSON                 `json:"name,omitempty"`
	Active                    bool                      `json:"active"`
	Type                      string                    `json:"type,omitempty"`
	EmploymentLocationType    string                    `json:"employment_location_type,omitempty"`
	Emails                    []emailJSON               `json:"emails"`
	Phones                    []phoneJSON               `json:"phones"`
	Addresses                 []addressJSON             `json:"addresses"`
	Department                *refJSON                  `json:"department,omitempty"`
	Manager                   *refJSON                  `json:"manager,omitempty"`
	Office                    *refJSON                  `json:"office,omitempty"`
	JobTitle                  string                    `json:"job_title,omitempty"`
	EmploymentStartDate       string                    `json:"employment_start_date,omitempty"`
	EmploymentTerminationDate string                    `json:"employment_termination_date,omitempty"`
	DateAddedToJustworks      string                    `json:"date_added_to_justworks,omitempty"`
	DateOfBirth               string                    `json:"date_of_birth,omitempty"`
	SexAssignedAtBirth        string                    `json:"sex_assigned_at_birth,omitempty"`
	CurrentEmployment         map[string]employmentJSON `json:"current_employment,omitempty"`
	EmploymentHistory         []employmentJSON          `json:"employment_history"`
	CurrentPay                *payJSON                  `json:"current_pay,omitempty"`
	CurrentPayFrequency       string                    `json:"current_pay_frequency,omitempty"`
	PayHistory                []payJSON                 `json:"pay_history"`
	CreatedAt                 string                    `json:"created_at,omitempty"`
	UpdatedAt                 string                    `json:"updated_at,omitempty"`
}

type nameJSON struct {
	GivenName         string   `json:"given_name,omitempty"`
	FamilyName        string   `json:"family_name,omitempty"`
	PreferredName     string   `json:"preferred_name,omitempty"`
	FullPreferredName string   `json:"full_preferred_name,omitempty"`
	AdditionalNames   []string `json:"additional_names"`
}

type emailJSON struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

type employmentJSON struct {
	Status         string `json:"status,omitempty"`
	EmploymentType string `json:"employment_type,omitempty"`
	StartDate      string `json:"start_date,omitempty"`
	EndDate        string `json:"end_date,omitempty"`
	EffectiveDate  string `json:"effective_date,omitempty"`
}

type payJSON struct {
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency,omitempty"`
	Unit          string `json:"unit,omitempty"`
	EffectiveDate string `json:"effective_date,omitempty"`
}

// render builds member i's JSON with the fields the scopes allow (§5.3);
// fields a scope hides are left empty and so omitted, arrays as [].
func (c *company) render(i int, s scopeSet) memberJSON {
	m := &c.roster()[i]
	home := m.home()
	given, family := givenNames[m.given], familyNames[m.family]
	name := &nameJSON{GivenName: given, FamilyName: family, FullPreferredName: given + " " + family, AdditionalNames: []string{}}
	if m.preferred >= 0 {
		name.PreferredName = givenNames[m.preferred]
		name.FullPreferredName = name.PreferredName + " " + family
	}
	if m.middle >= 0 {
		name.AdditionalNames = append(name.AdditionalNames, givenNames[m.middle])
	}
	local := strings.ToLower(given + "." + family)
	if m.round > 0 {
		local += strconv.Itoa(int(m.round) + 1)
	}
	out := memberJSON{
		ID: c.memberID(i), CompanyID: c.id, Name: name, Active: m.active(),
		Type:                      memberTypeNames[m.kind],
		EmploymentLocationType:    "domestic",
		Emails:                    []emailJSON{{Type: "WORK", Address: local + "@" + c.domain}},
		Phones:                    []phoneJSON{},
		Addresses:                 []addressJSON{},
		EmploymentStartDate:       m.start.String(),
		EmploymentTerminationDate: m.end.String(),
		DateAddedToJustworks:      day(int64(m.created) / 86400).String(),
		EmploymentHistory:         []employmentJSON{},
		PayHistory:                []payJSON{},
		CreatedAt:                 m.created.String(),
		UpdatedAt:                 m.updated.String(),
	}
	if m.intl {
		out.EmploymentLocationType = "international"
	}
	has := func(bit uint16) bool { return m.missing&bit == 0 }
	if has(noWorkID) {
		out.WorkID = fmt.Sprintf("JW%06d", i+1)
	}
	if has(noPersonalEmail) {
		out.Emails = append(out.Emails, emailJSON{Type: "PERSONAL", Address: fmt.Sprintf("%s%d@example.com", local, mix(c.seed, uint64(i), 1)%100)})
	}
	if has(noPhone) {
		out.Phones = append(out.Phones, phoneJSON{Type: "MOBILE", Number: home.phone + fmt.Sprintf("%04d", 100+mix(c.seed, uint64(i), 2)%100)})
	}
	if has(noDepartment) {
		out.Department = &refJSON{ID: c.departmentID(int(m.dept)), Name: departments[m.dept].name}
	}
	if has(noManager) && m.manager >= 0 {
		out.Manager = &refJSON{ID: c.memberID(int(m.manager))}
	}
	if o := c.officeFor(m); has(noOffice) && o >= 0 {
		out.Office = &refJSON{ID: c.officeID(o), Name: usPlaces[o].city + " Office"}
	}
	if has(noTitle) {
		out.JobTitle = departments[m.dept].titles[m.title]
	}
	if s[scopeMemberDetail] && has(noAddress) {
		h := mix(c.seed, uint64(i), 3)
		a := addressJSON{Type: "HOME", Line1: fmt.Sprintf("%d %s", 1+h%2400, streetNames[h/2400%uint64(len(streetNames))]),
			City: home.city, State: home.state, PostalCode: fillDigits(home.postal, h), Country: home.country}
		if h%3 == 0 {
			a.Line2 = fmt.Sprintf("Apt %d", 1+h/7%40)
		}
		out.Addresses = append(out.Addresses, a)
	}
	if s[scopeDOB] && has(noDOB) {
		out.DateOfBirth = m.dob.String()
	}
	if s[scopeSex] && has(noSex) {
		out.SexAssignedAtBirth = "male"
		if m.female {
			out.SexAssignedAtBirth = "female"
		}
	}
	if s[scopeEmployment] {
		out.CurrentEmployment, out.EmploymentHistory = c.employment(m)
	}
	if s[scopePay] {
		out.CurrentPay, out.CurrentPayFrequency, out.PayHistory = c.payRecords(m)
	}
	return out
}

// officeFor returns the office (a usPlaces index) in the state a US member
// lives in, or -1 for members abroad.
func (c *company) officeFor(m *member) int {
	if m.intl {
		return -1
	}
	for _, o := range c.officePlaces {
		if usPlaces[o].state == usPlaces[m.place].state {
			return o
		}
	}
	return -1
}

// employment returns current_employment, keyed by the member's country (§11),
// and the history that led to it.
func (c *company) employment(m *member) (map[string]employmentJSON, []employmentJSON) {
	kind := "full_time"
	switch {
	case m.kind == typeContractor:
		kind = "contractor"
	case m.hourly:
		kind = "part_time"
	}
	hired := employmentJSON{Status: "active", EmploymentType: kind, StartDate: m.start.String(), EffectiveDate: m.start.String()}
	history := []employmentJSON{hired}
	current := hired
	current.EffectiveDate = ""
	if !m.active() {
		ended := employmentJSON{Status: "terminated", EmploymentType: kind, StartDate: m.start.String(), EndDate: m.end.String(), EffectiveDate: m.end.String()}
		history = append(history, ended)
		current = ended
		current.EffectiveDate = ""
	}
	return map[string]employmentJSON{m.home().country: current}, history
}

// raises returns the dates of a member's pay changes: the hire date, then
// the (up to three) latest work anniversaries before termination or DataDate.
func (m *member) raises() []day {
	last := dataDay
	if !m.active() {
		last = m.end
	}
	years := int(last-m.start) / 365
	dates := []day{m.start}
	for y := max(1, years-2); y <= years; y++ {
		dates = append(dates, m.start+day(365*y))
	}
	return dates
}

// payRecords returns current pay, its frequency and its history, with a 4 %
// raise on every work anniversary.
func (c *company) payRecords(m *member) (*payJSON, string, []payJSON) {
	unit := "year"
	if m.hourly {
		unit = "hour"
	}
	currency := currencies[m.home().country].code
	dates := m.raises()
	latest := int(dates[len(dates)-1]-m.start) / 365
	history := make([]payJSON, len(dates))
	for k, d := range dates {
		amount := m.pay
		for range latest - int(d-m.start)/365 {
			amount = amount * 100 / 104
		}
		history[k] = payJSON{Amount: amount, Currency: currency, Unit: unit, EffectiveDate: d.String()}
	}
	return &payJSON{Amount: m.pay, Currency: currency, Unit: unit}, payFrequencies[m.freq], history
}

// memberFilter is List Members' parsed filter set (§8.3).
type memberFilter struct {
	status  string // "", "active" or "terminated"
	updated []func(stamp) bool
}

// updatedOps are the updated_at comparison suffixes of §8.1; "" is equality.
// A slice, not a map, so the first bad parameter reported is always the same.
var updatedOps = []struct {
	op  string
	cmp func(a, b int64) bool
}{
	{"", func(a, b int64) bool { return a == b }},
	{"gt", func(a, b int64) bool { return a > b }},
	{"gte", func(a, b int64) bool { return a >= b }},
	{"lt", func(a, b int64) bool { return a < b }},
	{"lte", func(a, b int64) bool { return a <= b }},
	{"ne", func(a, b int64) bool { return a != b }},
}

// parseMemberFilter reads status and the updated_at filters, also accepting
// the tolerated spellings of §14 (#8 employment_status, #9 updated_at[op]).
// It returns the normalised values the cursor is bound to.
func parseMemberFilter(w http.ResponseWriter, r *http.Request) (memberFilter, url.Values, bool) {
	q := r.URL.Query()
	var f memberFilter
	norm := url.Values{}
	switch v := q.Get("status"); v {
	case "active", "terminated":
		f.status = v
	case "":
		switch es := strings.ToUpper(q.Get("employment_status")); es {
		case "":
		case "ACTIVE", "ON_LEAVE":
			f.status = "active"
		case "TERMINATED":
			f.status = "terminated"
		default:
			badParam(w, "employment_status", "employment_status must be ACTIVE, ON_LEAVE or TERMINATED, got %q", q.Get("employment_status"))
			return f, nil, false
		}
	default:
		badParam(w, "status", "status must be active or terminated, got %q", v)
		return f, nil, false
	}
	if f.status != "" {
		norm.Set("status", f.status)
	}
	for _, u := range updatedOps {
		key, bracket := "updated_at", "updated_at[eq]"
		if u.op != "" {
			key, bracket = "updated_at_"+u.op, "updated_at["+u.op+"]"
		}
		field, v := key, q.Get(key)
		if v == "" {
			field, v = bracket, q.Get(bracket)
		}
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			badParam(w, field, "%s must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z, got %q", field, v)
			return f, nil, false
		}
		norm.Set(key, t.UTC().Format(time.RFC3339Nano))
		// Compare in nanoseconds: updated_at has whole seconds, the bound may not.
		bound := t.UnixNano()
		f.updated = append(f.updated, func(s stamp) bool { return u.cmp(int64(s)*1e9, bound) })
	}
	return f, norm, true
}

func (f memberFilter) match(m *member) bool {
	if f.status != "" && m.active() != (f.status == "active") {
		return false
	}
	for _, ok := range f.updated {
		if !ok(m.updated) {
			return false
		}
	}
	return true
}

func (a *api) listMembers(w http.ResponseWriter, r *http.Request, x *call) {
	f, norm, ok := parseMemberFilter(w, r)
	if !ok {
		return
	}
	p, ok := a.parsePage(w, r, x, norm)
	if !ok {
		return
	}
	c := x.c
	ms := c.roster()
	idx, more := p.collect(len(ms), func(i int) bool { return !ms[i].removed && f.match(&ms[i]) })
	items := make([]memberJSON, 0, len(idx))
	for _, i := range idx {
		items = append(items, c.render(i, x.scopes))
	}
	a.writeList(w, p, items, idx, more)
}

// member resolves the {member_id} path value, answering 404 when the company
// has no such member.
func (x *call) member(w http.ResponseWriter, r *http.Request) (int, bool) {
	id := r.PathValue("member_id")
	i, ok := x.c.memberIndex(id)
	ok = ok && !x.c.roster()[i].removed
	if !ok {
		notFound(w, "member", id)
	}
	return i, ok
}

func (a *api) getMember(w http.ResponseWriter, r *http.Request, x *call) {
	if i, ok := x.member(w, r); ok {
		writeJSON(w, http.StatusOK, x.c.render(i, x.scopes))
	}
}

type customFieldValueJSON struct {
	ID     string   `json:"id"`
	Values []string `json:"values"`
}

// listCustomFieldValues returns one item per custom field; a field the member
// has not filled in has values [] (arrays are never omitted).
func (a *api) listCustomFieldValues(w http.ResponseWriter, r *http.Request, x *call) {
	i, ok := x.member(w, r)
	if !ok {
		return
	}
	c := x.c
	m := &c.roster()[i]
	items := make([]customFieldValueJSON, len(c.customFields))
	for f, def := range c.customFields {
		items[f] = customFieldValueJSON{ID: def.ID, Values: []string{}}
	}
	if m.missing&noCustomFields == 0 {
		h := mix(c.seed, uint64(i), 4)
		if h%10 != 0 {
			items[fieldShirt].Values = []string{shirtSizes[h/10%uint64(len(shirtSizes))]}
		}
		switch k := h / 100 % 5; k {
		case 3, 4:
			first := h / 1000 % uint64(len(diets))
			items[fieldDiet].Values = append(items[fieldDiet].Values, diets[first])
			if k == 4 {
				items[fieldDiet].Values = append(items[fieldDiet].Values, diets[(first+1+h/10000%3)%uint64(len(diets))])
			}
		}
		if m.missing&noWorkID == 0 {
			items[fieldBadge].Values = []string{strconv.Itoa(10000 + i)}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// getTaxID serves §8.2: US identifiers only. Contractors abroad get 400 and
// international or EOR employees 404, as the reference describes. SSNs are in
// the 9xx area range, which the SSA never issues, so none is a real number.
func (a *api) getTaxID(w http.ResponseWriter, r *http.Request, x *call) {
	i, ok := x.member(w, r)
	if !ok {
		return
	}
	m := &x.c.roster()[i]
	switch {
	case m.kind == typeInternational || m.kind == typeEOR:
		notFound(w, "US tax identifier for member", x.c.memberID(i))
		return
	case m.intl:
		badParam(w, "member_id", "tax identifiers are not available for international contractors")
		return
	}
	h := mix(x.c.seed, uint64(i), 5)
	ssn := fmt.Sprintf("9%02d-%02d-%04d", h%100, 1+h/100%99, 1+h/10000%9999)
	writeJSON(w, http.StatusOK, map[string]map[string]string{"US": {"ssn": ssn}})
}
