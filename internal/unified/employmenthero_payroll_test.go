package unified

import "testing"

func TestEmploymentHeroPayStatement(t *testing.T) {
	slips := records[[]ehPayslip](t, "employmenthero_payslips")
	aud := func(n int64) *Money { return &Money{Amount: n, Currency: "AUD"} }
	same(t, "payslip with a pre-tax deduction", ehPayStatement("emp1", "AUD", slips[0]), PayStatement{
		ID: "16c446a2-2e29-4546-bc78-82ed51f9b4e1", RemoteID: "16c446a2-2e29-4546-bc78-82ed51f9b4e1", IndividualID: "emp1",
		Type: &Enum{Value: "regular_payroll", SourceValue: "payslip"}, PayDate: "2026-01-01T00:00:00.000Z",
		GrossPay: aud(574381), NetPay: aud(390677),
		Earnings:              []Earning{{Type: &Enum{Value: "salary", SourceValue: "Annually"}, Name: "Wages", Amount: aud(574381)}},
		Taxes:                 []Tax{{Name: "Income tax withheld", Amount: aud(167433)}},
		EmployeeDeductions:    []PayDeduction{{Name: "Pre-tax deductions", Amount: aud(16271), PreTax: true}},
		EmployerContributions: []Contribution{{Name: "Superannuation", Amount: aud(68926), Type: &Enum{Value: "retirement", SourceValue: "super"}}}})
	withExtras := slips[1]
	withExtras.Reimbursements, withExtras.PostTaxDeduction = 42.5, 10
	withExtras.NetPay += 42.5 - 10
	got := ehPayStatement("emp1", "AUD", withExtras)
	same(t, "reimbursement is earned", got.Earnings[1], Earning{Type: &Enum{Value: "reimbursement", SourceValue: "reimbursements"}, Name: "Reimbursements", Amount: aud(4250)})
	same(t, "post-tax deduction", got.EmployeeDeductions, []PayDeduction{{Name: "Post-tax deductions", Amount: aud(1000)}})
	for _, s := range append(slips, withExtras) {
		st := ehPayStatement("emp1", "AUD", s)
		if left := netOf(st); left != st.NetPay.Amount {
			t.Errorf("%s: gross less the person's taxes and deductions is %d, net pay %d", s.ID, left, st.NetPay.Amount)
		}
	}
}
