package unified

import (
	"math"
	"strings"
)

// The unified payroll model: Patchbay's own extension of the unified API,
// modelled on Finch's payroll model. Money is always Money, integer minor
// units and a currency, never a float.

// Money is an amount in the currency's minor units (cents).
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// money returns amount minor units of currency; nil without a currency.
func money(amount int64, currency string) *Money {
	if currency == "" {
		return nil
	}
	return &Money{Amount: amount, Currency: strings.ToUpper(currency)}
}

// decimalMoney converts a provider's decimal amount (1834.55) to Money,
// rounding to the nearest minor unit.
func decimalMoney(amount float64, currency string) *Money {
	return money(int64(math.Round(amount*100)), currency)
}

// PayRun is one payment of a payroll.
type PayRun struct {
	ID            string     `json:"id"`
	RemoteID      string     `json:"remote_id"`
	PayDate       string     `json:"pay_date,omitempty"`
	DebitDate     string     `json:"debit_date,omitempty"`
	PayPeriod     *PayPeriod `json:"pay_period,omitempty"`
	PaymentMethod *Enum      `json:"payment_method,omitempty"`
	GrossPay      *Money     `json:"gross_pay,omitempty"`
	NetPay        *Money     `json:"net_pay,omitempty"`
	EmployerTaxes *Money     `json:"employer_taxes,omitempty"`
	EmployeeTaxes *Money     `json:"employee_taxes,omitempty"`
	CompanyDebit  *Money     `json:"company_debit,omitempty"`
	IndividualIDs []string   `json:"individual_ids,omitempty"`
}

// PayPeriod is the dates a payment covers.
type PayPeriod struct {
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
}

// PayStatement is one person's statement in one payment.
type PayStatement struct {
	ID                    string         `json:"id"`
	RemoteID              string         `json:"remote_id"`
	PayRunID              string         `json:"pay_run_id,omitempty"`
	IndividualID          string         `json:"individual_id"`
	Type                  *Enum          `json:"type,omitempty"`
	PaymentMethod         *Enum          `json:"payment_method,omitempty"`
	PayDate               string         `json:"pay_date,omitempty"`
	PayPeriod             *PayPeriod     `json:"pay_period,omitempty"`
	TotalHours            *float64       `json:"total_hours,omitempty"`
	GrossPay              *Money         `json:"gross_pay,omitempty"`
	NetPay                *Money         `json:"net_pay,omitempty"`
	Earnings              []Earning      `json:"earnings"`
	Taxes                 []Tax          `json:"taxes"`
	EmployeeDeductions    []PayDeduction `json:"employee_deductions"`
	EmployerContributions []Contribution `json:"employer_contributions"`
}

// Earning is one line of pay.
type Earning struct {
	Type   *Enum    `json:"type,omitempty"`
	Name   string   `json:"name"`
	Amount *Money   `json:"amount"`
	Hours  *float64 `json:"hours,omitempty"`
}

// Tax is one tax withheld from the person or paid by the employer.
type Tax struct {
	Type     *Enum  `json:"type,omitempty"`
	Name     string `json:"name"`
	Amount   *Money `json:"amount"`
	Employer bool   `json:"employer"`
}

// PayDeduction is one amount deducted from the person's pay.
type PayDeduction struct {
	Name   string `json:"name"`
	Amount *Money `json:"amount"`
	PreTax bool   `json:"pre_tax"`
	Type   *Enum  `json:"type,omitempty"`
}

// Contribution is one amount the employer pays on the person's behalf.
type Contribution struct {
	Name   string `json:"name"`
	Amount *Money `json:"amount"`
	Type   *Enum  `json:"type,omitempty"`
}

// Deduction is a standing instruction to deduct from a person's pay.
type Deduction struct {
	ID           string `json:"id"`
	RemoteID     string `json:"remote_id"`
	IndividualID string `json:"individual_id"`
	// Type is the provider's deduction type code.
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Frequency   *Enum  `json:"frequency,omitempty"`
	// Amount is set for a fixed amount, Percentage (a decimal string such as
	// "3.7") for a share of pay.
	Amount     *Money `json:"amount,omitempty"`
	Percentage string `json:"percentage,omitempty"`
	StartDate  string `json:"start_date,omitempty"`
	EndDate    string `json:"end_date,omitempty"`
}

// DeductionInput is a deduction to create, or the fields of one to change.
type DeductionInput struct {
	IndividualID *string `json:"individual_id"`
	Type         *string `json:"type"`
	Description  *string `json:"description"`
	Frequency    *string `json:"frequency"`
	Amount       *Money  `json:"amount"`
	Percentage   *string `json:"percentage"`
	StartDate    *string `json:"start_date"`
	EndDate      *string `json:"end_date"`
}
