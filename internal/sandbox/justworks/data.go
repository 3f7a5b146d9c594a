// Package justworks simulates the Justworks Partner API (V1) over generated,
// deterministic company data: the resource server behind the sandbox's OAuth
// server (shared/reference/justworks.md §15).
package justworks

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

// Seeded companies and their admins. Every admin's password is AdminPassword.
const (
	DemoCompanyID   = "cmp_acme"
	DemoCompanyName = "Acme Demo Co"
	DemoAdminEmail  = "admin@acme.test"

	// OtherCompanyID is a second, small company that exists to prove tenant
	// isolation: its token must never reach the demo company's data.
	OtherCompanyID   = "cmp_globex"
	OtherCompanyName = "Globex Sandbox Inc"
	OtherAdminEmail  = "admin@globex.test"

	AdminPassword = "sandbox"

	// DataDate is the day the generated data describes: the last payroll is
	// paid on it and every created_at/updated_at lies before its end. It is
	// fixed, not today, so the same seed always gives the same data.
	DataDate = "2026-10-31"
)

// DefaultMembers is the demo company's size when Options.Members is 0.
const DefaultMembers = 50

// Options shapes the generated data; equal options give identical data.
type Options struct {
	Seed int64
	// Members is the demo company's member count (DefaultMembers when 0).
	Members int
}

// Dataset is the generated data of every company. Reads are lock-free because
// everything but members and deductions is immutable after Generate;
// members change copy on write (changes.go) and deductions carry their own
// lock.
type Dataset struct {
	companies []*company
}

// companySpec is what differs between the two seeded companies.
type companySpec struct {
	key, id, display, legal, domain, taxID, legalStructure string
	adminEmail, adminName                                  string
	founded                                                day
	places                                                 []int // indices into usPlaces where US members live
	jurisdictions                                          []string
	members, requests, deductions                          int
}

// company is one Justworks customer and everything the API can return for it.
type company struct {
	companySpec
	seed         uint64 // derives the lazily built parts of members and paystubs
	officePlaces []int  // usPlaces indices of the offices
	created      stamp
	updated      stamp

	profile       companyJSON
	bank          bankAccountJSON
	business      businessInfoJSON
	customFields  []customFieldJSON
	members       []member // while generating; then live
	payrolls      []payroll
	deductionType []deductionTypeJSON
	policies      []policy
	requests      []timeOffRequest

	// live is the members as they are now: simulated changes replace the
	// slice (copy on write, appending only), so reads need no lock.
	live    atomic.Pointer[[]member]
	changes sync.Mutex // one simulated change at a time

	mu         sync.Mutex // guards deductions and operations
	deductions []deduction
	operations map[string]operation // create operation_id → its first result
}

// Generate builds the dataset. It is deterministic in o, and fast enough for
// 100,000 members because members are stored compactly and everything larger
// (addresses, histories, paystubs, fees) is derived when requested.
func Generate(o Options) *Dataset {
	n := o.Members
	if n <= 0 {
		n = DefaultMembers
	}
	specs := []companySpec{
		{
			key: "acme", id: DemoCompanyID, display: DemoCompanyName, legal: "Acme Demo Company, LLC",
			domain: "acme.test", taxID: "27-4815162", legalStructure: "llc",
			adminEmail: DemoAdminEmail, adminName: "Alex Morgan",
			founded: dayOf(2018, time.March, 1), places: []int{0, 1, 2, 3}, jurisdictions: []string{"US-NY", "US-CA"},
			members: n, requests: min(max(n/2, 24), 2000), deductions: 6,
		},
		{
			key: "globex", id: OtherCompanyID, display: OtherCompanyName, legal: "Globex Sandbox, Inc.",
			domain: "globex.test", taxID: "84-2342342", legalStructure: "c_corp",
			adminEmail: OtherAdminEmail, adminName: "Hank Scorpio",
			founded: dayOf(2021, time.June, 14), places: []int{4, 5}, jurisdictions: []string{"US-TX", "US-IL"},
			members: 5, requests: 6, deductions: 2,
		},
	}
	d := &Dataset{}
	for i, s := range specs {
		// Each company draws from its own stream, so the second company does not
		// change when the demo company's size does.
		seed := uint64(o.Seed)
		r := rand.New(rand.NewPCG(seed, uint64(i+1)))
		d.companies = append(d.companies, generateCompany(r, seed^uint64(i+1)<<56, s))
	}
	return d
}

func generateCompany(r *rand.Rand, seed uint64, s companySpec) *company {
	c := &company{companySpec: s, seed: seed, officePlaces: officePlacesOf(s.places), operations: map[string]operation{}}
	c.created = stampOf(s.founded+30, 14*3600)
	c.updated = stampOf(dataDay-3, 9*3600+r.IntN(3600))
	c.generateMembers(r)
	members := c.members
	c.live.Store(&members)
	c.members = nil
	c.generateProfile()
	c.generatePayrolls()
	c.generateDeductions(r)
	c.generateTimeOff(r)
	return c
}

// roster is the company's members as they are now.
func (c *company) roster() []member { return *c.live.Load() }

// company returns the company with the id, or nil.
func (d *Dataset) company(id string) *company {
	for _, c := range d.companies {
		if c.id == id {
			return c
		}
	}
	return nil
}

// Users returns the people who can sign in on the sandbox's consent screen:
// one admin per company, each reaching only that company.
func (d *Dataset) Users() []oauthserver.User {
	var users []oauthserver.User
	for _, c := range d.companies {
		users = append(users, oauthserver.User{
			ID:       "usr_" + c.key + "_admin",
			Email:    c.adminEmail,
			Password: AdminPassword,
			Name:     c.adminName,
			Role:     "admin",
			Tenants:  []oauthserver.Tenant{{ID: c.id, Name: c.display}},
		})
	}
	return users
}

// day is a calendar date as days since 1970-01-01 (UTC). The zero value means
// "no date": no generated date is that old.
type day int32

var dataDay = mustDay(DataDate)

func dayOf(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func mustDay(s string) day {
	d, err := parseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

// parseDay parses a YYYY-MM-DD date.
func parseDay(s string) (day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return day(t.Unix() / 86400), nil
}

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the date, or "" for no date so omitempty drops it.
func (d day) String() string {
	if d == 0 {
		return ""
	}
	return d.time().Format(time.DateOnly)
}

// weekday moves a date back to the Friday before when it falls on a weekend,
// as payroll does.
func (d day) weekday() day {
	switch d.time().Weekday() {
	case time.Saturday:
		return d - 1
	case time.Sunday:
		return d - 2
	}
	return d
}

// addWorkdays returns the date n weekdays after d.
func (d day) addWorkdays(n int) day {
	for n > 0 {
		d++
		if wd := d.time().Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}

// stamp is a point in time as Unix seconds.
type stamp int64

func stampOf(d day, secs int) stamp { return stamp(int64(d)*86400 + int64(secs)) }

func (s stamp) String() string { return time.Unix(int64(s), 0).UTC().Format(time.RFC3339) }

// mix hashes values into a well-spread 64-bit number (SplitMix64 steps). It
// derives per-record values, such as an hourly worker's hours on one payroll,
// without a random stream.
func mix(vals ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		h ^= v
		h += 0x9e3779b97f4a7c15
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// pct returns amount × basisPoints / 10000, rounded half up.
func pct(amount, basisPoints int64) int64 { return (amount*basisPoints + 5000) / 10000 }
