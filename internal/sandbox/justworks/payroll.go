package justworks

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Payrolls (§10.6–§10.8): six months of semi-monthly runs. Only their totals
// are stored; fees and paystubs are derived per (payroll, member) on request,
// since one paystub per member per run would be 1.2 million records at
// 100,000 members.

const payrollMonths = 6

// payroll is one run: the pay period, its dates and its totals in US cents.
type payroll struct {
	periodStart, periodEnd, payDate, debitDate day
	gross, net, employeeTaxes, employerTaxes   int64
	companyDebit                               int64
}

// generatePayrolls creates the runs of the six months ending with DataDate's
// month (periods 1st–15th and 16th–month end, paid on the period's last
// weekday) and sums their paystubs and fees.
func (c *company) generatePayrolls() {
	last := dataDay.time()
	for k := payrollMonths - 1; k >= 0; k-- {
		month := time.Date(last.Year(), last.Month()-time.Month(k), 1, 0, 0, 0, 0, time.UTC)
		first := day(month.Unix() / 86400)
		monthEnd := day(month.AddDate(0, 1, -1).Unix() / 86400)
		for _, period := range [][2]day{{first, first + 14}, {first + 15, monthEnd}} {
			pay := period[1].weekday()
			c.payrolls = append(c.payrolls, payroll{periodStart: period[0], periodEnd: period[1], payDate: pay, debitDate: (pay - 2).weekday()})
		}
	}
	for p := range c.payrolls {
		run := &c.payrolls[p]
		for i := range c.roster() {
			if c.paid(p, i) {
				s := c.stub(p, i)
				run.gross += s.gross
				run.net += s.net()
				run.employeeTaxes += s.employeeTaxes()
				run.employerTaxes += s.employerTaxes()
				run.companyDebit += s.gross + s.employerTaxes() + s.erMedical
			}
			if c.charged(p, i) {
				run.companyDebit += feeOf(c.roster()[i].kind).amount
			}
		}
	}
}

// paid reports whether member i has a paystub on payroll p: US employees
// employed during the period. Contractors invoice and international members
// are paid through local payroll, so they only incur fees.
func (c *company) paid(p, i int) bool {
	m := &c.roster()[i]
	return m.kind == typeEmployee && m.activeDuring(c.payrolls[p].periodStart, c.payrolls[p].periodEnd)
}

// charged reports whether member i incurs a fee on payroll p: everyone
// employed during the period.
func (c *company) charged(p, i int) bool {
	return c.roster()[i].activeDuring(c.payrolls[p].periodStart, c.payrolls[p].periodEnd)
}

// fee is the per-member service fee of one run, half the monthly price.
type fee struct {
	name, kind string
	amount     int64
}

func feeOf(t memberType) fee {
	switch t {
	case typeContractor:
		return fee{"Contractor payment fee", "contractor_fee", 400}
	case typeInternational:
		return fee{"International employee fee", "international_fee", 24950}
	case typeEOR:
		return fee{"Employer of record service fee", "eor_fee", 29950}
	}
	return fee{"PEO service fee", "service_fee", 5450}
}

// stubAmounts is one paystub in US cents. Withholding is simplified (flat
// rates, no wage caps) but internally consistent: net = gross − employee
// taxes − pre-tax deductions.
type stubAmounts struct {
	gross, hours                 int64
	fed, ss, medicare, state     int64 // employee taxes
	k401, medical                int64 // pre-tax deductions
	erSS, erMedicare, futa, suta int64 // employer taxes
	erMedical                    int64 // employer's share of the premium
}

func (s stubAmounts) employeeTaxes() int64 { return s.fed + s.ss + s.medicare + s.state }
func (s stubAmounts) employerTaxes() int64 { return s.erSS + s.erMedicare + s.futa + s.suta }
func (s stubAmounts) net() int64           { return s.gross - s.employeeTaxes() - s.k401 - s.medical }

// stub derives member i's paystub on payroll p. Hourly workers' hours vary per
// run, derived from a hash so no random stream is needed.
func (c *company) stub(p, i int) stubAmounts {
	m := &c.roster()[i]
	var s stubAmounts
	if m.hourly {
		s.hours = 72 + int64(mix(c.seed, uint64(p), uint64(i))%17)
		s.gross = m.pay * s.hours
	} else {
		s.gross = m.pay / 24
	}
	s.k401 = pct(s.gross, int64(m.k401)*100)
	s.medical = []int64{0, 4500, 12000}[m.medical]
	s.erMedical = []int64{0, 22000, 52000}[m.medical]
	taxable := s.gross - s.k401 - s.medical
	fedBP := int64(2400)
	switch annual := s.gross * 24; {
	case annual <= 50000_00:
		fedBP = 1000
	case annual <= 100000_00:
		fedBP = 1200
	case annual <= 200000_00:
		fedBP = 2200
	}
	s.fed = pct(taxable, fedBP)
	s.state = pct(taxable, usPlaces[m.place].stateTaxBP)
	s.ss = pct(s.gross-s.medical, 620)
	s.medicare = pct(s.gross-s.medical, 145)
	s.erSS, s.erMedicare = s.ss, s.medicare
	s.futa = pct(s.gross, 60)
	s.suta = pct(s.gross, 270)
	return s
}

func (c *company) payrollID(p int) string { return fmt.Sprintf("prl_%s_%02d", c.key, p+1) }

func (c *company) paystubID(p, i int) string {
	return fmt.Sprintf("pst_%s_%02d_%06d", c.key, p+1, i+1)
}

// paystubIndex parses a paystub id into its payroll and member, accepting
// only paystubs that exist.
func (c *company) paystubIndex(id string) (p, i int, ok bool) {
	rest, ok := strings.CutPrefix(id, "pst_"+c.key+"_")
	if !ok {
		return 0, 0, false
	}
	run, mem, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, 0, false
	}
	if p, ok = parseIndex(run, "", len(c.payrolls), func(p int) string { return fmt.Sprintf("%02d", p+1) }); !ok {
		return 0, 0, false
	}
	if i, ok = parseIndex(mem, "", len(c.roster()), func(i int) string { return fmt.Sprintf("%06d", i+1) }); !ok {
		return 0, 0, false
	}
	return p, i, c.paid(p, i)
}

// payrollIndex resolves the {payroll_id} path value, answering 404 when the
// company has no such payroll.
func (x *call) payrollIndex(w http.ResponseWriter, r *http.Request) (int, bool) {
	id := r.PathValue("payroll_id")
	p, ok := parseIndex(id, "prl_"+x.c.key+"_", len(x.c.payrolls), x.c.payrollID)
	if !ok {
		notFound(w, "payroll", id)
	}
	return p, ok
}

type payrollJSON struct {
	ID            string `json:"id"`
	GrossPay      int64  `json:"gross_pay"`
	NetPay        int64  `json:"net_pay"`
	CompanyDebit  int64  `json:"company_debit"`
	EmployeeTaxes int64  `json:"employee_taxes"`
	EmployerTaxes int64  `json:"employer_taxes"`
	Currency      string `json:"currency"`
	PayDate       string `json:"pay_date"`
	DebitDate     string `json:"debit_date,omitempty"`
	PaymentMethod string `json:"payment_method,omitempty"`
}

type feeJSON struct {
	MemberID      string `json:"member_id"`
	ReferenceID   string `json:"reference_id,omitempty"`
	ReferenceType string `json:"reference_type,omitempty"`
	Name          string `json:"name,omitempty"`
	Type          string `json:"type,omitempty"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency,omitempty"`
}

type paystubSummaryJSON struct {
	MemberID       string `json:"member_id"`
	PaystubID      string `json:"paystub_id"`
	GrossPay       int64  `json:"gross_pay"`
	NetPay         int64  `json:"net_pay"`
	Currency       string `json:"currency"`
	PayDate        string `json:"pay_date,omitempty"`
	PayPeriodStart string `json:"pay_period_start,omitempty"`
	PayPeriodEnd   string `json:"pay_period_end,omitempty"`
	PayGroup       string `json:"pay_group,omitempty"`
}

type paystubJSON struct {
	paystubSummaryJSON
	Earnings              []lineItemJSON `json:"earnings"`
	EmployeeDeductions    []lineItemJSON `json:"employee_deductions"`
	EmployerContributions []lineItemJSON `json:"employer_contributions"`
}

type lineItemJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Amount   int64  `json:"amount"`
	Category string `json:"category,omitempty"`
	Currency string `json:"currency,omitempty"`
}

func (a *api) listPayrolls(w http.ResponseWriter, r *http.Request, x *call) {
	start, end, ok := dateRange(w, r)
	if !ok {
		return
	}
	p, ok := a.parsePage(w, r, x, url.Values{"start_date": {start.String()}, "end_date": {end.String()}})
	if !ok {
		return
	}
	runs := x.c.payrolls
	idx, more := p.collect(len(runs), func(i int) bool { return runs[i].payDate >= start && runs[i].payDate <= end })
	items := make([]payrollJSON, 0, len(idx))
	for _, i := range idx {
		run := &runs[i]
		items = append(items, payrollJSON{
			ID: x.c.payrollID(i), GrossPay: run.gross, NetPay: run.net, CompanyDebit: run.companyDebit,
			EmployeeTaxes: run.employeeTaxes, EmployerTaxes: run.employerTaxes, Currency: "USD",
			PayDate: run.payDate.String(), DebitDate: run.debitDate.String(), PaymentMethod: "direct_deposit",
		})
	}
	a.writeList(w, p, items, idx, more)
}

// listRunMembers answers the per-member lists of one payroll (fees and
// paystubs): it resolves {payroll_id}, then pages through the members that
// keep accepts for that run, rendering each with item.
func listRunMembers[T any](a *api, w http.ResponseWriter, r *http.Request, x *call,
	keep func(run, i int) bool, item func(run, i int) T) {
	run, ok := x.payrollIndex(w, r)
	if !ok {
		return
	}
	p, ok := a.parsePage(w, r, x, nil)
	if !ok {
		return
	}
	idx, more := p.collect(len(x.c.roster()), func(i int) bool { return keep(run, i) })
	items := make([]T, 0, len(idx))
	for _, i := range idx {
		items = append(items, item(run, i))
	}
	a.writeList(w, p, items, idx, more)
}

func (a *api) listPayrollFees(w http.ResponseWriter, r *http.Request, x *call) {
	c := x.c
	listRunMembers(a, w, r, x, c.charged, func(run, i int) feeJSON {
		f := feeOf(c.roster()[i].kind)
		return feeJSON{
			MemberID: c.memberID(i), ReferenceID: c.payrollID(run), ReferenceType: "payroll",
			Name: f.name, Type: f.kind, Amount: f.amount, Currency: "USD",
		}
	})
}

func (a *api) listPaystubs(w http.ResponseWriter, r *http.Request, x *call) {
	c := x.c
	listRunMembers(a, w, r, x, c.paid, func(run, i int) paystubSummaryJSON {
		return c.paystubSummary(run, i, c.stub(run, i))
	})
}

func (c *company) paystubSummary(p, i int, s stubAmounts) paystubSummaryJSON {
	run := &c.payrolls[p]
	group := "Semi-monthly salaried"
	if c.roster()[i].hourly {
		group = "Semi-monthly hourly"
	}
	return paystubSummaryJSON{
		MemberID: c.memberID(i), PaystubID: c.paystubID(p, i), GrossPay: s.gross, NetPay: s.net(), Currency: "USD",
		PayDate: run.payDate.String(), PayPeriodStart: run.periodStart.String(), PayPeriodEnd: run.periodEnd.String(), PayGroup: group,
	}
}

func (a *api) getPaystub(w http.ResponseWriter, r *http.Request, x *call) {
	id := r.PathValue("paystub_id")
	c := x.c
	p, i, ok := c.paystubIndex(id)
	if !ok {
		notFound(w, "paystub", id)
		return
	}
	s := c.stub(p, i)
	line := func(name, typ, category string, amount int64) lineItemJSON {
		return lineItemJSON{Name: name, Type: typ, Amount: amount, Category: category, Currency: "USD"}
	}
	out := paystubJSON{paystubSummaryJSON: c.paystubSummary(p, i, s)}
	if s.hours > 0 {
		out.Earnings = []lineItemJSON{line(fmt.Sprintf("Regular Hours (%d h)", s.hours), "hourly", "earnings", s.gross)}
	} else {
		out.Earnings = []lineItemJSON{line("Regular Salary", "salary", "earnings", s.gross)}
	}
	out.EmployeeDeductions = []lineItemJSON{
		line("Federal Income Tax", "tax", "federal", s.fed),
		line("Social Security", "tax", "federal", s.ss),
		line("Medicare", "tax", "federal", s.medicare),
	}
	if s.state > 0 {
		state := usPlaces[c.roster()[i].place].state
		out.EmployeeDeductions = append(out.EmployeeDeductions, line(state+" State Income Tax", "tax", "state", s.state))
	}
	if s.k401 > 0 {
		out.EmployeeDeductions = append(out.EmployeeDeductions, line("401(k)", "pre_tax", "retirement", s.k401))
	}
	if s.medical > 0 {
		out.EmployeeDeductions = append(out.EmployeeDeductions, line("Medical Insurance", "pre_tax", "benefits", s.medical))
	}
	out.EmployerContributions = []lineItemJSON{
		line("Social Security", "tax", "federal", s.erSS),
		line("Medicare", "tax", "federal", s.erMedicare),
		line("Federal Unemployment (FUTA)", "tax", "federal", s.futa),
		line("State Unemployment (SUTA)", "tax", "state", s.suta),
	}
	if s.erMedical > 0 {
		out.EmployerContributions = append(out.EmployerContributions, line("Medical Insurance", "benefit", "benefits", s.erMedical))
	}
	writeJSON(w, http.StatusOK, out)
}
