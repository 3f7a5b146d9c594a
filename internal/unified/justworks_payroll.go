package unified

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Justworks: pay runs (payrolls), pay statements (paystubs) and deductions
// (shared/reference/justworks.md §10.6–§10.9). Money arrives in minor units
// already. List Payrolls needs a date range; the unified list asks for every
// payroll paid in jwTimeOffFrom..jwTimeOffTo.

func init() {
	register("justworks", provider{
		"payroll_list_pay_runs":           {run: jwListPayRuns},
		"payroll_list_pay_run_statements": {run: jwListPayRunStatements},
		"payroll_list_deductions":         {jwListDeductions, []string{byIndividual}},
		"payroll_create_deduction":        {run: jwCreateDeduction},
		"payroll_update_deduction":        {run: jwUpdateDeduction},
		"payroll_cancel_deduction":        {run: jwCancelDeduction},
	})
}

type jwPayroll struct {
	ID            string `json:"id"`
	GrossPay      int64  `json:"gross_pay"`
	NetPay        int64  `json:"net_pay"`
	CompanyDebit  *int64 `json:"company_debit"`
	EmployeeTaxes *int64 `json:"employee_taxes"`
	EmployerTaxes *int64 `json:"employer_taxes"`
	Currency      string `json:"currency"`
	PayDate       string `json:"pay_date"`
	DebitDate     string `json:"debit_date"`
	PaymentMethod string `json:"payment_method"`
}

type jwPaystub struct {
	MemberID              string       `json:"member_id"`
	PaystubID             string       `json:"paystub_id"`
	GrossPay              int64        `json:"gross_pay"`
	NetPay                int64        `json:"net_pay"`
	Currency              string       `json:"currency"`
	PayDate               string       `json:"pay_date"`
	PayPeriodStart        string       `json:"pay_period_start"`
	PayPeriodEnd          string       `json:"pay_period_end"`
	Earnings              []jwLineItem `json:"earnings"`
	EmployeeDeductions    []jwLineItem `json:"employee_deductions"`
	EmployerContributions []jwLineItem `json:"employer_contributions"`
}

type jwLineItem struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Amount   int64  `json:"amount"`
	Category string `json:"category"`
	Currency string `json:"currency"`
}

type jwDeduction struct {
	ID                string `json:"id"`
	MemberID          string `json:"member_id"`
	AmountType        string `json:"amount_type"`
	Amount            int64  `json:"amount"`
	Currency          string `json:"currency"`
	DeductionTypeCode string `json:"deduction_type_code"`
	Description       string `json:"description"`
	Frequency         string `json:"frequency"`
	StartDate         string `json:"start_date"`
	EndDate           string `json:"end_date"`
}

type jwWriteResult struct {
	DeductionID  string `json:"deduction_id"`
	Success      bool   `json:"success"`
	ErrorMessage string `json:"error_message"`
}

var (
	jwPaymentMethod = map[string]string{"direct_deposit": "direct_deposit", "check": "check"}
	jwEarningType   = map[string]string{"salary": "salary", "hourly": "wage", "bonus": "bonus", "commission": "commission", "overtime": "overtime"}
	jwTaxType       = map[string]string{"federal": "federal", "state": "state", "local": "local", "fica": "fica"}
	jwFrequency     = map[string]string{"one_time": "one_time", "every_paycheck": "recurring"}
	jwFrequencyOf   = map[string]string{"one_time": "one_time", "recurring": "every_paycheck"}
)

// jwPayRun maps a payroll; the first paystub, when given, supplies the pay period.
func jwPayRun(p jwPayroll, first *jwPaystub) PayRun {
	optional := func(v *int64) *Money {
		if v == nil {
			return nil
		}
		return money(*v, p.Currency)
	}
	run := PayRun{ID: p.ID, RemoteID: p.ID, PayDate: isoDate(p.PayDate), DebitDate: isoDate(p.DebitDate),
		PaymentMethod: enum(p.PaymentMethod, jwPaymentMethod),
		GrossPay:      money(p.GrossPay, p.Currency), NetPay: money(p.NetPay, p.Currency),
		EmployerTaxes: optional(p.EmployerTaxes), EmployeeTaxes: optional(p.EmployeeTaxes), CompanyDebit: optional(p.CompanyDebit)}
	if first != nil && first.PayPeriodStart != "" {
		run.PayPeriod = &PayPeriod{StartDate: isoDate(first.PayPeriodStart), EndDate: isoDate(first.PayPeriodEnd)}
	}
	return run
}

// jwPayStatement maps a paystub. Line items typed "tax" are taxes, withheld
// from the person among the deductions and paid by the employer among its
// contributions.
func jwPayStatement(runID, paymentMethod string, s jwPaystub) PayStatement {
	out := PayStatement{ID: s.PaystubID, RemoteID: s.PaystubID, PayRunID: runID, IndividualID: s.MemberID,
		Type: &Enum{Value: "regular_payroll", SourceValue: "payroll"}, PaymentMethod: enum(paymentMethod, jwPaymentMethod),
		PayDate: isoDate(s.PayDate), GrossPay: money(s.GrossPay, s.Currency), NetPay: money(s.NetPay, s.Currency),
		Earnings: []Earning{}, Taxes: []Tax{}, EmployeeDeductions: []PayDeduction{}, EmployerContributions: []Contribution{}}
	if s.PayPeriodStart != "" {
		out.PayPeriod = &PayPeriod{StartDate: isoDate(s.PayPeriodStart), EndDate: isoDate(s.PayPeriodEnd)}
	}
	currency := func(l jwLineItem) string { return cmp.Or(l.Currency, s.Currency) }
	for _, l := range s.Earnings {
		out.Earnings = append(out.Earnings, Earning{Type: enum(l.Type, jwEarningType), Name: l.Name, Amount: money(l.Amount, currency(l))})
	}
	for _, l := range s.EmployeeDeductions {
		if l.Type == "tax" {
			out.Taxes = append(out.Taxes, Tax{Type: enum(l.Category, jwTaxType), Name: l.Name, Amount: money(l.Amount, currency(l))})
			continue
		}
		out.EmployeeDeductions = append(out.EmployeeDeductions, PayDeduction{Name: l.Name, Amount: money(l.Amount, currency(l)),
			PreTax: l.Type == "pre_tax", Type: enum(l.Category, map[string]string{"retirement": "retirement", "benefits": "benefit"})})
	}
	for _, l := range s.EmployerContributions {
		if l.Type == "tax" {
			out.Taxes = append(out.Taxes, Tax{Type: enum(l.Category, jwTaxType), Name: l.Name, Amount: money(l.Amount, currency(l)), Employer: true})
			continue
		}
		out.EmployerContributions = append(out.EmployerContributions, Contribution{Name: l.Name, Amount: money(l.Amount, currency(l)),
			Type: enum(l.Category, map[string]string{"retirement": "retirement", "benefits": "benefit"})})
	}
	return out
}

// jwDeductionOf maps a deduction. Fixed amounts are money in minor units;
// percentages carry four implied decimals (37000 is 3.7 %).
func jwDeductionOf(d jwDeduction) Deduction {
	out := Deduction{ID: d.ID, RemoteID: d.ID, IndividualID: d.MemberID, Type: d.DeductionTypeCode, Description: d.Description,
		Frequency: enum(d.Frequency, jwFrequency), StartDate: isoDate(d.StartDate), EndDate: isoDate(d.EndDate)}
	if strings.HasPrefix(strings.ToLower(d.AmountType), "percent") {
		out.Percentage = strings.TrimRight(strings.TrimRight(decimal(d.Amount, 4), "0"), ".")
	} else {
		out.Amount = money(d.Amount, d.Currency)
	}
	return out
}

// jwDeductionRow turns a unified deduction (or the changed fields of one) into
// a Justworks write row. Errors name the unified field at fault.
func jwDeductionRow(in DeductionInput) (map[string]any, error) {
	row := map[string]any{}
	if in.IndividualID != nil {
		row["member_id"] = *in.IndividualID
	}
	if in.Type != nil {
		row["deduction_type_code"] = *in.Type
	}
	if in.Description != nil {
		row["description"] = *in.Description
	}
	if in.Frequency != nil {
		f, ok := jwFrequencyOf[*in.Frequency]
		if !ok {
			return nil, badInput("frequency: %q must be one_time or recurring", *in.Frequency)
		}
		row["frequency"] = f
	}
	switch {
	case in.Amount != nil && in.Percentage != nil:
		return nil, badInput("amount, percentage: give one, not both")
	case in.Amount != nil:
		if in.Amount.Amount <= 0 || in.Amount.Currency == "" {
			return nil, badInput("amount: must be {amount: a positive whole number of minor units, currency}")
		}
		row["amount_type"], row["amount"], row["currency"] = "fixed", in.Amount.Amount, strings.ToUpper(in.Amount.Currency)
	case in.Percentage != nil:
		bp, err := fourDecimals(*in.Percentage)
		if err != nil || bp <= 0 {
			return nil, badInput("percentage: %q must be a positive decimal such as 3.7, with at most 4 decimals", *in.Percentage)
		}
		row["amount_type"], row["amount"] = "percent", bp
		if _, set := row["currency"]; !set {
			row["currency"] = "USD" // Justworks requires one on every row; a percentage has none of its own
		}
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"start_date", in.StartDate}, {"end_date", in.EndDate}} {
		if f.value == nil {
			continue
		}
		d, ok := calendarDay(*f.value)
		if !ok {
			return nil, badInput("%s: %q is not a date such as 2026-01-31", f.name, *f.value)
		}
		row[f.name] = d.Format("2006-01-02")
	}
	return row, nil
}

// fourDecimals reads "3.7" as 37000.
func fourDecimals(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if len(frac) > 4 {
		return 0, fmt.Errorf("too many decimals")
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", 4-len(frac)), 10, 64)
	return n, err
}

// Operations.

func jwListPayRuns(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var payrolls []jwPayroll
	next, err := listCall(ctx, s, p, "justworks_list_payrolls", nil, map[string]any{"start_date": jwTimeOffFrom, "end_date": jwTimeOffTo}, &payrolls)
	if err != nil {
		return page{}, err
	}
	runs := make([]PayRun, len(payrolls))
	err = each(ctx, len(payrolls), func(ctx context.Context, i int) error {
		first, people, err := jwRunPeople(ctx, s, payrolls[i].ID, slices.Contains(p.Expand, "individual_ids"))
		if err != nil {
			return err
		}
		runs[i] = jwPayRun(payrolls[i], first)
		runs[i].IndividualIDs = people
		return nil
	})
	return page{data: runs, next: next, list: true}, err
}

// jwRunPeople reads a payroll's first paystub summary (for the pay period)
// and, when all is set, every paystub's member.
func jwRunPeople(ctx context.Context, s *actions.Session, payrollID string, all bool) (*jwPaystub, []string, error) {
	var first *jwPaystub
	var people []string
	next := ""
	for {
		var stubs []jwPaystub
		size := 1
		if all {
			size = MaxPageSize
		}
		n, err := call(ctx, s, actions.Request{Action: "justworks_list_payroll_paystubs", Path: map[string]any{"payroll_id": payrollID}, PageSize: size, Next: next}, &stubs)
		if err != nil {
			return nil, nil, err
		}
		if first == nil && len(stubs) > 0 {
			first = &stubs[0]
		}
		for _, st := range stubs {
			people = append(people, st.MemberID)
		}
		if !all || n == "" {
			if !all {
				people = nil
			}
			return first, people, nil
		}
		next = n
	}
}

func jwListPayRunStatements(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var summaries []jwPaystub
	next, err := listCall(ctx, s, p, "justworks_list_payroll_paystubs", map[string]any{"payroll_id": p.ID}, nil, &summaries)
	if err != nil {
		return page{}, err
	}
	out := make([]PayStatement, len(summaries))
	err = each(ctx, len(summaries), func(ctx context.Context, i int) error {
		var stub jwPaystub
		if _, err := call(ctx, s, actions.Request{Action: "justworks_get_paystub", Path: map[string]any{"paystub_id": summaries[i].PaystubID}}, &stub); err != nil {
			return err
		}
		out[i] = jwPayStatement(p.ID, "", stub)
		return nil
	})
	return page{data: out, next: next, list: true}, err
}

func jwListDeductions(ctx context.Context, s *actions.Session, p Params) (page, error) {
	query := map[string]any{}
	if p.IndividualID != "" {
		query["member_id"] = p.IndividualID
	}
	return mapPage(ctx, s, p, "justworks_list_deductions", nil, query, jwDeductionOf)
}

// jwWrite sends one row to a deduction write action and returns its result;
// a row Justworks refused is a 400 with its reason.
func jwWrite(ctx context.Context, s *actions.Session, action string, body map[string]any) (jwWriteResult, error) {
	var results []jwWriteResult
	if _, err := call(ctx, s, actions.Request{Action: action, Body: body}, &results); err != nil {
		return jwWriteResult{}, err
	}
	if len(results) != 1 {
		return jwWriteResult{}, unreadable("Justworks answered %s with %d results for one row", action, len(results))
	}
	if !results[0].Success {
		return jwWriteResult{}, badInput("Justworks refused the deduction: %s", results[0].ErrorMessage)
	}
	return results[0], nil
}

func jwCreateDeduction(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var in DeductionInput
	if err := decodeBody(p, &in); err != nil {
		return page{}, err
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"individual_id", in.IndividualID}, {"type", in.Type}, {"frequency", in.Frequency}, {"start_date", in.StartDate}} {
		if f.value == nil || *f.value == "" {
			return page{}, badInput("%s: required", f.name)
		}
	}
	if in.Amount == nil && in.Percentage == nil {
		return page{}, badInput("amount or percentage: one is required")
	}
	row, err := jwDeductionRow(in)
	if err != nil {
		return page{}, err
	}
	// Justworks deduplicates rows by operation_id: the caller's Idempotency-Key
	// makes a retried create safe; without one each request is a new deduction.
	row["operation_id"] = store.NewID("op")
	if p.IdempotencyKey != "" {
		row["operation_id"] = s.OperationID(p.IdempotencyKey)
	}
	res, err := jwWrite(ctx, s, "justworks_create_deductions", map[string]any{"items": []any{row}})
	if err != nil {
		return page{}, err
	}
	created, err := jwFindDeduction(ctx, s, res.DeductionID, *in.IndividualID)
	return page{data: created, created: true}, err
}

func jwUpdateDeduction(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var in DeductionInput
	if err := decodeBody(p, &in); err != nil {
		return page{}, err
	}
	if in.IndividualID != nil {
		return page{}, badInput("individual_id: a deduction cannot move to another person; cancel it and create another")
	}
	row, err := jwDeductionRow(in)
	if err != nil {
		return page{}, err
	}
	if len(row) == 0 {
		return page{}, badInput("body: give at least one field to change")
	}
	row["deduction_id"] = p.ID
	if _, err := jwWrite(ctx, s, "justworks_update_deductions", map[string]any{"items": []any{row}}); err != nil {
		return page{}, jwMissingDeduction(ctx, s, p.ID, err)
	}
	updated, err := jwFindDeduction(ctx, s, p.ID, "")
	return page{data: updated}, err
}

func jwCancelDeduction(ctx context.Context, s *actions.Session, p Params) (page, error) {
	if _, err := jwWrite(ctx, s, "justworks_cancel_deductions", map[string]any{"deduction_ids": []string{p.ID}}); err != nil {
		return page{}, jwMissingDeduction(ctx, s, p.ID, err)
	}
	return page{data: map[string]any{"id": p.ID, "remote_id": p.ID, "status": "cancelled"}}, nil
}

// jwMissingDeduction turns a refused write on deduction id into 404 when
// Justworks has no such deduction: its row error says so only in words, so
// the deductions are read to tell. Other failures stay as they were.
func jwMissingDeduction(ctx context.Context, s *actions.Session, id string, refused error) error {
	if p, ok := errors.AsType[*problem.Error](refused); !ok || p.Kind != problem.Invalid {
		return refused
	}
	if _, err := jwFindDeduction(ctx, s, id, ""); err != nil {
		if p, ok := errors.AsType[*problem.Error](err); ok && p.Kind == problem.NotFound {
			return err
		}
	}
	return refused
}

// jwFindDeduction reads a deduction back after a write (Justworks has no
// endpoint for one): the person's deductions when the person is known,
// otherwise every page.
func jwFindDeduction(ctx context.Context, s *actions.Session, id, memberID string) (Deduction, error) {
	query := map[string]any{}
	if memberID != "" {
		query["member_id"] = memberID
	}
	next := ""
	for {
		var list []jwDeduction
		n, err := call(ctx, s, actions.Request{Action: "justworks_list_deductions", Query: query, PageSize: MaxPageSize, Next: next}, &list)
		if err != nil {
			return Deduction{}, err
		}
		for _, d := range list {
			if d.ID == id {
				return jwDeductionOf(d), nil
			}
		}
		if n == "" {
			return Deduction{}, notFound(s, "deduction", id)
		}
		next = n
	}
}
