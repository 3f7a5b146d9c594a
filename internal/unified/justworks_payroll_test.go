package unified

import (
	"strings"
	"testing"

	"github.com/patchbayhq/patchbay/internal/problem"
)

func TestJustworksPayRun(t *testing.T) {
	payrolls := records[[]jwPayroll](t, "justworks_payrolls")
	stubs := records[[]jwPaystub](t, "justworks_paystubs")
	usd := func(n int64) *Money { return &Money{Amount: n, Currency: "USD"} }
	same(t, "payroll with its pay period", jwPayRun(payrolls[0], &stubs[0]), PayRun{ID: "prl_acme_01", RemoteID: "prl_acme_01",
		PayDate: "2026-05-15T00:00:00.000Z", DebitDate: "2026-05-13T00:00:00.000Z",
		PayPeriod:     &PayPeriod{StartDate: "2026-05-01T00:00:00.000Z", EndDate: "2026-05-15T00:00:00.000Z"},
		PaymentMethod: &Enum{Value: "direct_deposit", SourceValue: "direct_deposit"},
		GrossPay:      usd(13618791), NetPay: usd(8631363), EmployerTaxes: usd(1476914), EmployeeTaxes: usd(4182995), CompanyDebit: usd(16271305)})
	bare := jwPayroll{ID: "p", GrossPay: 100, NetPay: 80, Currency: "usd", PayDate: "2026-01-15", PaymentMethod: "wire"}
	same(t, "optional totals absent, unknown method", jwPayRun(bare, nil), PayRun{ID: "p", RemoteID: "p", PayDate: "2026-01-15T00:00:00.000Z",
		PaymentMethod: &Enum{Value: Unmapped, SourceValue: "wire"}, GrossPay: usd(100), NetPay: usd(80)})
}

func TestJustworksPayStatement(t *testing.T) {
	stubs := records[[]jwPaystub](t, "justworks_paystubs")
	usd := func(n int64) *Money { return &Money{Amount: n, Currency: "USD"} }
	got := jwPayStatement("prl_acme_01", "", stubs[2])
	same(t, "earnings", got.Earnings, []Earning{{Type: &Enum{Value: "salary", SourceValue: "salary"}, Name: "Regular Salary", Amount: usd(stubs[2].GrossPay)}})
	same(t, "pre-tax deductions", got.EmployeeDeductions, []PayDeduction{
		{Name: "401(k)", Amount: usd(stubs[2].EmployeeDeductions[4].Amount), PreTax: true, Type: &Enum{Value: "retirement", SourceValue: "retirement"}},
		{Name: "Medical Insurance", Amount: usd(stubs[2].EmployeeDeductions[5].Amount), PreTax: true, Type: &Enum{Value: "benefit", SourceValue: "benefits"}}})
	same(t, "employer contributions", got.EmployerContributions, []Contribution{
		{Name: "Medical Insurance", Amount: usd(stubs[2].EmployerContributions[4].Amount), Type: &Enum{Value: "benefit", SourceValue: "benefits"}}})
	same(t, "a state tax", got.Taxes[3], Tax{Type: &Enum{Value: "state", SourceValue: "state"}, Name: "CA State Income Tax", Amount: usd(stubs[2].EmployeeDeductions[3].Amount)})
	same(t, "an employer tax", got.Taxes[6], Tax{Type: &Enum{Value: "federal", SourceValue: "federal"}, Name: "Federal Unemployment (FUTA)", Amount: usd(stubs[2].EmployerContributions[2].Amount), Employer: true})
	same(t, "ids and period", [5]any{got.ID, got.PayRunID, got.IndividualID, got.PayDate, *got.PayPeriod},
		[5]any{"pst_acme_01_000008", "prl_acme_01", "mbr_acme_000008", "2026-05-15T00:00:00.000Z", PayPeriod{StartDate: "2026-05-01T00:00:00.000Z", EndDate: "2026-05-15T00:00:00.000Z"}})
	for _, stub := range stubs {
		s := jwPayStatement("prl_acme_01", "", stub)
		if left := netOf(s); left != s.NetPay.Amount {
			t.Errorf("%s: gross less the person's taxes and deductions is %d, net pay %d", s.ID, left, s.NetPay.Amount)
		}
	}
}

// netOf is gross pay less what the person paid: the money must add up.
func netOf(s PayStatement) int64 {
	left := s.GrossPay.Amount
	for _, tax := range s.Taxes {
		if !tax.Employer {
			left -= tax.Amount.Amount
		}
	}
	for _, d := range s.EmployeeDeductions {
		left -= d.Amount.Amount
	}
	return left
}

func TestJustworksDeduction(t *testing.T) {
	list := records[[]jwDeduction](t, "justworks_deductions")
	same(t, "recurring fixed amount", jwDeductionOf(list[0]), Deduction{ID: "ded_acme_0001", RemoteID: "ded_acme_0001", IndividualID: "mbr_acme_000048",
		Type: "child_support", Description: "Child support garnishment", Frequency: &Enum{Value: "recurring", SourceValue: "every_paycheck"},
		Amount: &Money{Amount: 17500, Currency: "USD"}, StartDate: "2026-09-30T00:00:00.000Z"})
	same(t, "one-time with an end", [2]any{jwDeductionOf(list[2]).Frequency, jwDeductionOf(list[2]).EndDate},
		[2]any{&Enum{Value: "one_time", SourceValue: "one_time"}, "2026-09-01T00:00:00.000Z"})
	percent := list[1]
	percent.AmountType, percent.Amount = "percent", 37000
	got := jwDeductionOf(percent)
	same(t, "percentage", [2]any{got.Percentage, got.Amount}, [2]any{"3.7", (*Money)(nil)})
}

func TestJustworksDeductionRow(t *testing.T) {
	s := func(v string) *string { return &v }
	row, err := jwDeductionRow(DeductionInput{IndividualID: s("mbr_1"), Type: s("union_dues"), Frequency: s("recurring"),
		Amount: &Money{Amount: 4500, Currency: "usd"}, StartDate: s("2026-12-01"), Description: s("Dues")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "create row", row, map[string]any{"member_id": "mbr_1", "deduction_type_code": "union_dues", "frequency": "every_paycheck",
		"amount_type": "fixed", "amount": int64(4500), "currency": "USD", "start_date": "2026-12-01", "description": "Dues"})
	row, err = jwDeductionRow(DeductionInput{Percentage: s("2.25")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "percentage row", row, map[string]any{"amount_type": "percent", "amount": int64(22500), "currency": "USD"})
	for name, in := range map[string]DeductionInput{
		"frequency":          {Frequency: s("weekly")},
		"amount, percentage": {Amount: &Money{Amount: 1, Currency: "USD"}, Percentage: s("1")},
		"amount":             {Amount: &Money{Amount: -5, Currency: "USD"}},
		"percentage":         {Percentage: s("1.23456")},
		"start_date":         {StartDate: s("next week")},
	} {
		_, err := jwDeductionRow(in)
		ae, ok := err.(*problem.Error)
		if !ok || ae.Kind != problem.Invalid || !strings.HasPrefix(ae.Message, name+":") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
