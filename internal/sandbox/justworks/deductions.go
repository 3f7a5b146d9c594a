package justworks

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Deductions (§8.3, §10.9): the only writable data. A company's deductions
// and create operation_ids are guarded by company.mu, held for a whole batch,
// so concurrent duplicate submissions of one operation_id create one deduction.

type deductionTypeJSON struct {
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
}

var deductionTypes = []deductionTypeJSON{
	{"child_support", "Child support garnishment"},
	{"loan_repayment", "Employee loan repayment"},
	{"charitable_giving", "Charitable giving (post-tax)"},
	{"union_dues", "Union dues"},
	{"other_post_tax", "Other post-tax deduction"},
}

// deductionSpec is everything a client sets on a deduction. It is comparable,
// which is how a replayed operation_id is recognised as the same payload.
type deductionSpec struct {
	member                                          int
	typeCode, amountType, currency, frequency, desc string
	amount                                          int64
	start, end                                      day
}

type deduction struct {
	deductionSpec
	cancelled bool // cancelled deductions keep their slot so cursors stay valid
}

// operation is the first successful create of an operation_id.
type operation struct {
	spec  deductionSpec
	index int
}

func (c *company) generateDeductions(r *rand.Rand) {
	c.deductionType = deductionTypes
	for range c.companySpec.deductions {
		// Only active US employees have payroll deductions; member 0 is one.
		i := r.IntN(len(c.roster()))
		for m := &c.roster()[i]; m.kind != typeEmployee || !m.active(); m = &c.roster()[i] {
			i = r.IntN(len(c.roster()))
		}
		s := deductionSpec{
			member: i, typeCode: deductionTypes[r.IntN(len(deductionTypes))].Code, currency: "USD",
			amountType: "fixed", amount: int64(25+r.IntN(40)) * 500, frequency: "every_paycheck",
			start: dataDay - day(r.IntN(300)),
		}
		switch r.IntN(4) {
		case 0:
			s.amountType, s.amount = "percent", int64(1+r.IntN(10))*10000 // 1 % to 10 %
		case 1:
			s.frequency, s.end = "one_time", s.start
		}
		s.desc = deductionDescription(s.typeCode)
		c.deductions = append(c.deductions, deduction{deductionSpec: s})
	}
}

func deductionDescription(code string) string {
	for _, t := range deductionTypes {
		if t.Code == code {
			return t.Description
		}
	}
	return ""
}

func (c *company) deductionID(i int) string { return fmt.Sprintf("ded_%s_%04d", c.key, i+1) }

// deductionIndex needs c.mu held.
func (c *company) deductionIndex(id string) (int, bool) {
	return parseIndex(id, "ded_"+c.key+"_", len(c.deductions), c.deductionID)
}

type deductionJSON struct {
	ID                string `json:"id"`
	MemberID          string `json:"member_id"`
	AmountType        string `json:"amount_type,omitempty"`
	Amount            int64  `json:"amount"`
	Currency          string `json:"currency"`
	DeductionTypeCode string `json:"deduction_type_code"`
	Description       string `json:"description,omitempty"`
	Frequency         string `json:"frequency"`
	StartDate         string `json:"start_date"`
	EndDate           string `json:"end_date,omitempty"`
}

func (c *company) deductionJSON(i int) deductionJSON {
	d := &c.deductions[i]
	return deductionJSON{
		ID: c.deductionID(i), MemberID: c.memberID(d.member), AmountType: d.amountType, Amount: d.amount,
		Currency: d.currency, DeductionTypeCode: d.typeCode, Description: d.desc, Frequency: d.frequency,
		StartDate: d.start.String(), EndDate: d.end.String(),
	}
}

func (a *api) listDeductionTypes(w http.ResponseWriter, r *http.Request, x *call) {
	writeJSON(w, http.StatusOK, x.c.deductionType) // a bare array (§8.1 #13)
}

func (a *api) listDeductions(w http.ResponseWriter, r *http.Request, x *call) {
	q := r.URL.Query()
	norm := url.Values{}
	for _, k := range []string{"deduction_type", "frequency", "description", "member_id"} {
		if v := q.Get(k); v != "" {
			norm.Set(k, v)
		}
	}
	if f := norm.Get("frequency"); f != "" && f != "one_time" && f != "every_paycheck" {
		badParam(w, "frequency", "frequency must be one_time or every_paycheck, got %q", f)
		return
	}
	p, ok := a.parsePage(w, r, x, norm)
	if !ok {
		return
	}
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	idx, more := p.collect(len(c.deductions), func(i int) bool {
		d := &c.deductions[i]
		return !d.cancelled &&
			(norm.Get("deduction_type") == "" || d.typeCode == norm.Get("deduction_type")) &&
			(norm.Get("frequency") == "" || d.frequency == norm.Get("frequency")) &&
			(norm.Get("description") == "" || strings.EqualFold(d.desc, norm.Get("description"))) &&
			(norm.Get("member_id") == "" || c.memberID(d.member) == norm.Get("member_id"))
	})
	items := make([]deductionJSON, 0, len(idx))
	for _, i := range idx {
		items = append(items, c.deductionJSON(i))
	}
	a.writeList(w, p, items, idx, more)
}

// deductionRow is one row of a create or update body. Pointers tell a field
// that was not sent from an empty one, which an update's partial merge needs.
type deductionRow struct {
	OperationID       *string         `json:"operation_id"`
	DeductionID       *string         `json:"deduction_id"`
	MemberID          *string         `json:"member_id"`
	DeductionTypeCode *string         `json:"deduction_type_code"`
	AmountType        *string         `json:"amount_type"`
	Amount            json.RawMessage `json:"amount"` // raw, to reject floats rather than truncate them
	Currency          *string         `json:"currency"`
	Frequency         *string         `json:"frequency"`
	StartDate         *string         `json:"start_date"`
	EndDate           *string         `json:"end_date"`
	Description       *string         `json:"description"`
}

type writeResultJSON struct {
	DeductionID  string `json:"deduction_id,omitempty"`
	MemberID     string `json:"member_id,omitempty"`
	OperationID  string `json:"operation_id,omitempty"`
	Success      bool   `json:"success"`
	ErrorMessage string `json:"error_message,omitempty"`
}

const maxBatch = 100

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// merge applies the fields a row sends to s, validating each. member_id and
// the ids are handled by the caller.
func (c *company) merge(s *deductionSpec, row *deductionRow) error {
	if row.DeductionTypeCode != nil {
		if deductionDescription(*row.DeductionTypeCode) == "" {
			return fmt.Errorf("unknown deduction_type_code %q", *row.DeductionTypeCode)
		}
		s.typeCode = *row.DeductionTypeCode
	}
	if row.AmountType != nil {
		switch strings.ToLower(*row.AmountType) {
		case "fixed", "percent", "percentage":
			s.amountType = *row.AmountType // echoed back as received (§10.9)
		default:
			return fmt.Errorf("amount_type must be fixed or percent, got %q", *row.AmountType)
		}
	}
	if len(row.Amount) > 0 && string(row.Amount) != "null" {
		n, err := strconv.ParseInt(string(row.Amount), 10, 64)
		if err != nil {
			return fmt.Errorf("amount must be a positive integer with implied decimals (4500 for 45.00), got %s", row.Amount)
		}
		s.amount = n
	}
	if row.Currency != nil {
		if !currencyPattern.MatchString(*row.Currency) {
			return fmt.Errorf("currency must be an ISO 4217 code such as USD, got %q", *row.Currency)
		}
		s.currency = *row.Currency
	}
	if row.Frequency != nil {
		if *row.Frequency != "one_time" && *row.Frequency != "every_paycheck" {
			return fmt.Errorf("frequency must be one_time or every_paycheck, got %q", *row.Frequency)
		}
		s.frequency = *row.Frequency
	}
	for _, f := range []struct {
		name string
		v    *string
		to   *day
	}{{"start_date", row.StartDate, &s.start}, {"end_date", row.EndDate, &s.end}} {
		if f.v == nil {
			continue
		}
		d, err := parseDay(*f.v)
		if err != nil {
			return fmt.Errorf("%s must be a date in YYYY-MM-DD form, got %q", f.name, *f.v)
		}
		*f.to = d
	}
	if row.Description != nil {
		s.desc = *row.Description
	}
	if s.amount <= 0 {
		return fmt.Errorf("amount must be greater than 0")
	}
	// Percentages have 4 implied decimals, so 1000000 is 100 %.
	if !strings.EqualFold(s.amountType, "fixed") && s.amount > 1000000 {
		return fmt.Errorf("a percent amount cannot exceed 1000000 (100%%)")
	}
	if s.end != 0 && s.end < s.start {
		return fmt.Errorf("end_date must not be before start_date")
	}
	return nil
}

// writeBatch answers the three deduction writes. It reads a body of 1–100
// entries (400 otherwise, naming field) and applies each entry in order, all
// with c.mu held so that concurrent batches repeating one operation_id create
// one deduction. Every entry gets its own result, so one bad entry never fails
// the others.
func writeBatch[B any](w http.ResponseWriter, r *http.Request, x *call, field string,
	entries func(*B) []json.RawMessage, apply func(*company, json.RawMessage) writeResultJSON) {
	var body B
	if !decodeBody(w, r, &body) {
		return
	}
	raws := entries(&body)
	if len(raws) == 0 || len(raws) > maxBatch {
		badParam(w, field, "%s must hold 1 to %d entries, got %d", field, maxBatch, len(raws))
		return
	}
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	items := make([]writeResultJSON, 0, len(raws))
	for _, raw := range raws {
		items = append(items, apply(c, raw))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// writeRows answers a create or update, whose body is {"items": [rows]}. Rows
// are decoded one by one, so a malformed row fails alone.
func writeRows(w http.ResponseWriter, r *http.Request, x *call, apply func(*company, *deductionRow) writeResultJSON) {
	type itemsBody struct {
		Items []json.RawMessage `json:"items"`
	}
	writeBatch(w, r, x, "items", func(b *itemsBody) []json.RawMessage { return b.Items },
		func(c *company, raw json.RawMessage) writeResultJSON {
			var row deductionRow
			if err := json.Unmarshal(raw, &row); err != nil {
				return writeResultJSON{ErrorMessage: "invalid row: " + err.Error()}
			}
			return apply(c, &row)
		})
}

func (a *api) createDeductions(w http.ResponseWriter, r *http.Request, x *call) {
	writeRows(w, r, x, (*company).createRow)
}

// createRow creates one deduction, or replays the result of its operation_id.
// c.mu must be held.
func (c *company) createRow(row *deductionRow) writeResultJSON {
	var res writeResultJSON
	if row.OperationID != nil {
		res.OperationID = *row.OperationID
	}
	if row.MemberID != nil {
		res.MemberID = *row.MemberID
	}
	fail := func(format string, args ...any) writeResultJSON {
		res.ErrorMessage = fmt.Sprintf(format, args...)
		return res
	}
	if res.OperationID == "" {
		return fail("operation_id is required")
	}
	var s deductionSpec
	err := c.validateCreate(&s, row)
	if op, seen := c.operations[res.OperationID]; seen {
		if err != nil || s != op.spec {
			return fail("operation_id already used with different payload")
		}
		res.DeductionID, res.Success = c.deductionID(op.index), true
		return res
	}
	if err != nil {
		return fail("%v", err)
	}
	c.deductions = append(c.deductions, deduction{deductionSpec: s})
	c.operations[res.OperationID] = operation{spec: s, index: len(c.deductions) - 1}
	res.DeductionID, res.Success = c.deductionID(len(c.deductions)-1), true
	return res
}

func (c *company) validateCreate(s *deductionSpec, row *deductionRow) error {
	required := []struct {
		name string
		set  bool
	}{
		{"member_id", row.MemberID != nil}, {"deduction_type_code", row.DeductionTypeCode != nil},
		{"amount_type", row.AmountType != nil}, {"amount", len(row.Amount) > 0 && string(row.Amount) != "null"},
		{"currency", row.Currency != nil}, {"frequency", row.Frequency != nil}, {"start_date", row.StartDate != nil},
	}
	for _, f := range required {
		if !f.set {
			return fmt.Errorf("%s is required", f.name)
		}
	}
	i, ok := c.memberIndex(*row.MemberID)
	if !ok {
		return fmt.Errorf("unknown member_id %q", *row.MemberID)
	}
	s.member = i
	return c.merge(s, row)
}

func (a *api) updateDeductions(w http.ResponseWriter, r *http.Request, x *call) {
	writeRows(w, r, x, (*company).updateRow)
}

// updateRow merges the fields a row sends into its deduction; a row that fails
// validation changes nothing. c.mu must be held.
func (c *company) updateRow(row *deductionRow) writeResultJSON {
	var res writeResultJSON
	if row.DeductionID == nil || *row.DeductionID == "" {
		res.ErrorMessage = "deduction_id is required"
		return res
	}
	res.DeductionID = *row.DeductionID
	i, ok := c.deductionIndex(res.DeductionID)
	if !ok || c.deductions[i].cancelled {
		res.ErrorMessage = "deduction not found or cancelled: " + res.DeductionID
		return res
	}
	d := &c.deductions[i]
	res.MemberID = c.memberID(d.member)
	if row.MemberID != nil && *row.MemberID != res.MemberID {
		res.ErrorMessage = "member_id cannot be changed"
		return res
	}
	s := d.deductionSpec
	if err := c.merge(&s, row); err != nil {
		res.ErrorMessage = err.Error()
		return res
	}
	d.deductionSpec = s
	res.Success = true
	return res
}

func (a *api) cancelDeductions(w http.ResponseWriter, r *http.Request, x *call) {
	type cancelBody struct {
		DeductionIDs []json.RawMessage `json:"deduction_ids"`
	}
	writeBatch(w, r, x, "deduction_ids", func(b *cancelBody) []json.RawMessage { return b.DeductionIDs }, (*company).cancelID)
}

// cancelID cancels one deduction of a cancel batch. c.mu must be held.
func (c *company) cancelID(raw json.RawMessage) writeResultJSON {
	var res writeResultJSON
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		res.ErrorMessage = "deduction id must be a string, got " + string(raw)
		return res
	}
	res.DeductionID = id
	i, ok := c.deductionIndex(id)
	switch {
	case !ok:
		res.ErrorMessage = "deduction not found: " + id
	case c.deductions[i].cancelled:
		res.MemberID = c.memberID(c.deductions[i].member)
		res.ErrorMessage = "deduction is already cancelled: " + id
	default:
		c.deductions[i].cancelled = true
		res.MemberID, res.Success = c.memberID(c.deductions[i].member), true
	}
	return res
}
