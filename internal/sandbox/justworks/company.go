package justworks

import (
	"fmt"
	"net/http"
	"strconv"
)

// Company-level resources (§10.1–§10.4). Empty scalars are omitted and arrays
// are always present (§11), hence omitempty on scalars only.

type companyJSON struct {
	ID          string                     `json:"id"`
	TaxID       string                     `json:"tax_id,omitempty"`
	DisplayName string                     `json:"display_name,omitempty"`
	LegalName   string                     `json:"legal_name,omitempty"`
	Addresses   []addressJSON              `json:"addresses"`
	Departments []refJSON                  `json:"departments"`
	Offices     []officeJSON               `json:"offices"`
	Phones      []phoneJSON                `json:"phones"`
	CountryData map[string]legalStructJSON `json:"country_data,omitempty"`
	CreatedAt   string                     `json:"created_at,omitempty"`
	UpdatedAt   string                     `json:"updated_at,omitempty"`
}

type addressJSON struct {
	Type       string `json:"type,omitempty"`
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

type refJSON struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type officeJSON struct {
	ID      string       `json:"id"`
	Name    string       `json:"name,omitempty"`
	Address *addressJSON `json:"address,omitempty"`
}

type phoneJSON struct {
	Type   string `json:"type,omitempty"`
	Number string `json:"number,omitempty"`
}

type legalStructJSON struct {
	LegalStructure string `json:"legal_structure,omitempty"`
}

type bankAccountJSON struct {
	BankName          string `json:"bank_name,omitempty"`
	AccountType       string `json:"account_type,omitempty"`
	AccountNumberTail string `json:"account_number_tail,omitempty"`
	RoutingNumber     string `json:"routing_number,omitempty"`
}

type businessInfoJSON struct {
	EntityIdentifiers []entityIDJSON `json:"entity_identifiers"`
	Officers          []officerJSON  `json:"officers"`
}

type entityIDJSON struct {
	FileNumber string `json:"file_number,omitempty"`
	IssueDate  string `json:"issue_date,omitempty"`
	State      string `json:"state,omitempty"`
}

type officerJSON struct {
	Name   string   `json:"name,omitempty"`
	Titles []string `json:"titles"`
}

type customFieldJSON struct {
	ID          string   `json:"id"`
	Label       string   `json:"label,omitempty"`
	Type        string   `json:"type,omitempty"`
	Category    string   `json:"category,omitempty"`
	Options     []string `json:"options"`
	Cardinality string   `json:"cardinality,omitempty"`
}

// The three custom fields every company defines; customFieldValues derives
// each member's values from them.
const (
	fieldShirt = iota
	fieldDiet
	fieldBadge
)

var shirtSizes = []string{"XS", "S", "M", "L", "XL", "XXL"}
var diets = []string{"Vegetarian", "Vegan", "Gluten-free", "Halal", "Kosher", "Nut allergy"}

// generateProfile builds the company's own records; it runs after the members
// exist because the officers are members.
func (c *company) generateProfile() {
	hq := usPlaces[c.places[0]]
	var offices []officeJSON
	for _, pi := range c.officePlaces {
		p := usPlaces[pi]
		offices = append(offices, officeJSON{
			ID:   c.officeID(pi),
			Name: p.city + " Office",
			Address: &addressJSON{Line1: fmt.Sprintf("%d %s", 100+pi*37, streetNames[pi%len(streetNames)]), Line2: "Floor " + strconv.Itoa(3+pi),
				City: p.city, State: p.state, PostalCode: fillDigits(p.postal, uint64(pi)), Country: p.country},
		})
	}
	var depts []refJSON
	for di := range departments {
		depts = append(depts, refJSON{ID: c.departmentID(di), Name: departments[di].name})
	}
	c.profile = companyJSON{
		ID: c.id, TaxID: c.taxID, DisplayName: c.display, LegalName: c.legal,
		Addresses: []addressJSON{
			{Type: "legal", Line1: "251 Little Falls Dr", City: "Wilmington", State: "DE", PostalCode: "19808", Country: "US"},
			{Type: "mailing", Line1: offices[0].Address.Line1, Line2: offices[0].Address.Line2, City: hq.city, State: hq.state, PostalCode: offices[0].Address.PostalCode, Country: "US"},
		},
		Departments: depts,
		Offices:     offices,
		Phones:      []phoneJSON{{Type: "MAIN", Number: hq.phone + "0100"}},
		CountryData: map[string]legalStructJSON{"US": {LegalStructure: c.legalStructure}},
		CreatedAt:   c.created.String(),
		UpdatedAt:   c.updated.String(),
	}
	c.bank = bankAccountJSON{BankName: "First Sandbox Bank", AccountType: "checking",
		AccountNumberTail: fmt.Sprintf("%04d", mix(c.seed, 1)%10000), RoutingNumber: "110000000"}

	officers := []officerJSON{{Name: c.memberName(0), Titles: []string{"Chief Executive Officer", "President"}}}
	if len(c.roster()) > 1 {
		officers = append(officers, officerJSON{Name: c.memberName(1), Titles: []string{"Secretary", "Treasurer"}})
	}
	c.business = businessInfoJSON{
		EntityIdentifiers: []entityIDJSON{
			{FileNumber: fmt.Sprintf("%07d", mix(c.seed, 2)%10000000), IssueDate: c.founded.String(), State: "DE"},
			{FileNumber: fmt.Sprintf("%07d", mix(c.seed, 3)%10000000), IssueDate: (c.founded + 45).String(), State: hq.state},
		},
		Officers: officers,
	}
	c.customFields = []customFieldJSON{
		fieldShirt: {ID: c.customFieldID("tshirt"), Label: "T-shirt size", Type: "select", Category: "personal", Options: shirtSizes, Cardinality: "single"},
		fieldDiet:  {ID: c.customFieldID("diet"), Label: "Dietary preferences", Type: "select", Category: "personal", Options: diets, Cardinality: "multiple"},
		fieldBadge: {ID: c.customFieldID("badge"), Label: "Badge number", Type: "number", Category: "work", Options: []string{}, Cardinality: "single"},
	}
}

// officePlacesOf returns the usPlaces indices of a company's offices: one per
// state it employs people in, so every US member has an office in their state.
func officePlacesOf(places []int) []int {
	var out []int
	seen := map[string]bool{}
	for _, pi := range places {
		if st := usPlaces[pi].state; !seen[st] {
			seen[st] = true
			out = append(out, pi)
		}
	}
	return out
}

func (c *company) officeID(placeIdx int) string { return fmt.Sprintf("off_%s_%d", c.key, placeIdx) }
func (c *company) departmentID(di int) string   { return "dep_" + c.key + "_" + departments[di].key }
func (c *company) customFieldID(k string) string {
	return "cf_" + c.key + "_" + k
}

// fillDigits replaces each '#' of pattern with a digit derived from h.
func fillDigits(pattern string, h uint64) string {
	out := []byte(pattern)
	for i := range out {
		if out[i] == '#' {
			h = mix(h, uint64(i))
			out[i] = byte('0' + h%10)
		}
	}
	return string(out)
}

func (a *api) getCompany(w http.ResponseWriter, r *http.Request, x *call) {
	writeJSON(w, http.StatusOK, x.c.profile)
}

func (a *api) getBankAccount(w http.ResponseWriter, r *http.Request, x *call) {
	writeJSON(w, http.StatusOK, x.c.bank)
}

func (a *api) getBusinessInfo(w http.ResponseWriter, r *http.Request, x *call) {
	writeJSON(w, http.StatusOK, x.c.business)
}

func (a *api) listCustomFields(w http.ResponseWriter, r *http.Request, x *call) {
	writeJSON(w, http.StatusOK, map[string]any{"items": x.c.customFields})
}

func (a *api) listJurisdictions(w http.ResponseWriter, r *http.Request, x *call) {
	type zone struct {
		ZoneCode string `json:"zone_code"`
	}
	items := []zone{}
	for _, z := range x.c.jurisdictions {
		items = append(items, zone{z})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
