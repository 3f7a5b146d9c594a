package unified

import (
	"context"
	"strings"

	"github.com/patchbayhq/patchbay/internal/actions"
)

// Employment Hero: pay statements from payslips
// (shared/reference/employmenthero.md §8.7). The HR API has payslips per
// employee but no pay runs and no deductions to manage (those live in the
// separate payroll product). Payslip money is a decimal number with no
// currency: Patchbay converts it to minor units in the organisation's currency,
// read once per call from the organisation's country.

func init() {
	register("employmenthero", provider{
		"payroll_list_employee_pay_statements": {run: ehListEmployeePayStatements},
	})
}

type ehPayslip struct {
	ID               string  `json:"id"`
	PaymentDate      string  `json:"payment_date"`
	Wages            float64 `json:"wages"`
	Tax              float64 `json:"tax"`
	Super            float64 `json:"super"`
	Reimbursements   float64 `json:"reimbursements"`
	PreTaxDeduction  float64 `json:"pre_tax_deduction"`
	PostTaxDeduction float64 `json:"post_tax_deduction"`
	NetPay           float64 `json:"net_pay"`
	BaseRateUnit     string  `json:"base_rate_unit"`
}

// ehCurrencies are the currencies of the countries Employment Hero serves.
var ehCurrencies = map[string]string{"AU": "AUD", "NZ": "NZD", "GB": "GBP", "UK": "GBP", "SG": "SGD", "MY": "MYR", "CA": "CAD"}

var ehEarningType = map[string]string{"annually": "salary", "hourly": "wage", "daily": "wage", "weekly": "salary", "monthly": "salary"}

// ehPayStatement maps a payslip of the employee, in currency. Gross pay is
// what was earned, reimbursements included, so that gross less taxes and
// deductions is the net pay.
func ehPayStatement(employeeID, currency string, s ehPayslip) PayStatement {
	out := PayStatement{ID: s.ID, RemoteID: s.ID, IndividualID: employeeID,
		Type: &Enum{Value: "regular_payroll", SourceValue: "payslip"}, PayDate: isoDate(s.PaymentDate),
		GrossPay: decimalMoney(s.Wages+s.Reimbursements, currency), NetPay: decimalMoney(s.NetPay, currency),
		Earnings:           []Earning{{Type: enum(s.BaseRateUnit, ehEarningType), Name: "Wages", Amount: decimalMoney(s.Wages, currency)}},
		Taxes:              []Tax{{Name: "Income tax withheld", Amount: decimalMoney(s.Tax, currency)}},
		EmployeeDeductions: []PayDeduction{}, EmployerContributions: []Contribution{}}
	if s.Reimbursements != 0 {
		out.Earnings = append(out.Earnings, Earning{Type: &Enum{Value: "reimbursement", SourceValue: "reimbursements"}, Name: "Reimbursements", Amount: decimalMoney(s.Reimbursements, currency)})
	}
	if s.PreTaxDeduction != 0 {
		out.EmployeeDeductions = append(out.EmployeeDeductions, PayDeduction{Name: "Pre-tax deductions", Amount: decimalMoney(s.PreTaxDeduction, currency), PreTax: true})
	}
	if s.PostTaxDeduction != 0 {
		out.EmployeeDeductions = append(out.EmployeeDeductions, PayDeduction{Name: "Post-tax deductions", Amount: decimalMoney(s.PostTaxDeduction, currency)})
	}
	if s.Super != 0 {
		out.EmployerContributions = append(out.EmployerContributions, Contribution{Name: "Superannuation", Amount: decimalMoney(s.Super, currency),
			Type: &Enum{Value: "retirement", SourceValue: "super"}})
	}
	return out
}

func ehListEmployeePayStatements(ctx context.Context, s *actions.Session, p Params) (page, error) {
	var org struct {
		Country string `json:"country"`
	}
	if _, err := call(ctx, s, actions.Request{Action: "employmenthero_get_organisation"}, &org); err != nil {
		return page{}, err
	}
	currency, ok := ehCurrencies[strings.ToUpper(org.Country)]
	if !ok {
		return page{}, unreadable("Employment Hero's organisation is in %s, whose currency Patchbay does not know", org.Country)
	}
	return mapPage(ctx, s, p, "employmenthero_list_payslips", map[string]any{"employee_id": p.ID}, nil,
		func(slip ehPayslip) PayStatement { return ehPayStatement(p.ID, currency, slip) })
}
