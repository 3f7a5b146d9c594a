package unified

import (
	"fmt"
	"strings"
	"time"
)

// The unified HRIS model. Field names follow the reference's unified HRIS API
// so that clients written for it read these records unchanged. A field the
// provider does not have is left out rather than sent empty.

// Enum is an enum-like field: the unified value, and the provider's own value
// it was mapped from. A provider value with no mapping gives Unmapped, never an
// error.
type Enum struct {
	Value       string `json:"value"`
	SourceValue any    `json:"source_value"`
}

// Unmapped is the value of an Enum whose provider value has no unified meaning.
const Unmapped = "unmapped_value"

// enum maps a provider value through table (keys compared case-insensitively);
// nil when the provider gave no value.
func enum(source string, table map[string]string) *Enum {
	if source == "" {
		return nil
	}
	v, ok := table[strings.ToLower(source)]
	if !ok {
		v = Unmapped
	}
	return &Enum{Value: v, SourceValue: source}
}

// Employee is the unified employee.
type Employee struct {
	ID                  string        `json:"id"`
	RemoteID            string        `json:"remote_id"`
	Title               string        `json:"title,omitempty"`
	FirstName           string        `json:"first_name,omitempty"`
	LastName            string        `json:"last_name,omitempty"`
	Name                string        `json:"name,omitempty"`
	DisplayName         string        `json:"display_name,omitempty"`
	Gender              *Enum         `json:"gender,omitempty"`
	MaritalStatus       *Enum         `json:"marital_status,omitempty"`
	DateOfBirth         string        `json:"date_of_birth,omitempty"`
	AvatarURL           string        `json:"avatar_url,omitempty"`
	PersonalEmail       string        `json:"personal_email,omitempty"`
	PersonalPhoneNumber string        `json:"personal_phone_number,omitempty"`
	WorkEmail           string        `json:"work_email,omitempty"`
	WorkPhoneNumber     string        `json:"work_phone_number,omitempty"`
	JobTitle            string        `json:"job_title,omitempty"`
	EmployeeNumber      string        `json:"employee_number,omitempty"`
	CompanyID           string        `json:"company_id,omitempty"`
	Company             *Company      `json:"company,omitempty"`
	EmploymentStatus    *Enum         `json:"employment_status,omitempty"`
	Employments         []Employment  `json:"employments,omitempty"`
	Groups              []Group       `json:"groups,omitempty"`
	HireDate            string        `json:"hire_date,omitempty"`
	StartDate           string        `json:"start_date,omitempty"`
	TerminationDate     string        `json:"termination_date,omitempty"`
	HomeLocation        *Location     `json:"home_location,omitempty"`
	WorkLocation        *Location     `json:"work_location,omitempty"`
	ManagerID           string        `json:"manager_id,omitempty"`
	Department          string        `json:"department,omitempty"`
	DepartmentID        string        `json:"department_id,omitempty"`
	CustomFields        []CustomField `json:"custom_fields,omitempty"`
	BankDetails         []BankDetail  `json:"bank_details,omitempty"`
	CreatedAt           string        `json:"created_at,omitempty"`
	UpdatedAt           string        `json:"updated_at,omitempty"`
}

// Location is a place: an employee's home or workplace, or one of the
// company's workplaces.
type Location struct {
	ID           string `json:"id,omitempty"`
	RemoteID     string `json:"remote_id,omitempty"`
	EmployeeID   string `json:"employee_id,omitempty"`
	Name         string `json:"name,omitempty"`
	PhoneNumber  string `json:"phone_number,omitempty"`
	Street1      string `json:"street_1,omitempty"`
	Street2      string `json:"street_2,omitempty"`
	City         string `json:"city,omitempty"`
	State        string `json:"state,omitempty"`
	ZipCode      string `json:"zip_code,omitempty"`
	Country      *Enum  `json:"country,omitempty"`
	LocationType *Enum  `json:"location_type,omitempty"`
}

// Group is a department, team or other grouping of employees.
type Group struct {
	ID       string `json:"id"`
	RemoteID string `json:"remote_id"`
	Name     string `json:"name,omitempty"`
	Type     *Enum  `json:"type,omitempty"`
}

// CustomField is one custom field's value on an employee.
type CustomField struct {
	ID       string `json:"id"`
	RemoteID string `json:"remote_id"`
	Name     string `json:"name,omitempty"`
	Value    any    `json:"value"`
}

// Employment is one employment of an employee: job, contract and pay.
type Employment struct {
	ID               string        `json:"id"`
	RemoteID         string        `json:"remote_id"`
	EmployeeID       string        `json:"employee_id"`
	RemoteEmployeeID string        `json:"remote_employee_id"`
	JobTitle         string        `json:"job_title,omitempty"`
	PayRate          string        `json:"pay_rate,omitempty"`
	PayPeriod        *Enum         `json:"pay_period,omitempty"`
	PayFrequency     *Enum         `json:"pay_frequency,omitempty"`
	PayCurrency      string        `json:"pay_currency,omitempty"`
	EffectiveDate    string        `json:"effective_date,omitempty"`
	EndDate          string        `json:"end_date,omitempty"`
	Active           *bool         `json:"active,omitempty"`
	Type             *TypedEnum    `json:"type,omitempty"`
	ContractType     *ContractType `json:"contract_type,omitempty"`
	CreatedAt        string        `json:"created_at,omitempty"`
	UpdatedAt        string        `json:"updated_at,omitempty"`
}

// TypedEnum is an employment's type: {type: {value, source_value}}.
type TypedEnum struct {
	Label string `json:"label,omitempty"`
	Type  *Enum  `json:"type"`
}

// ContractType is an employment's contract: {contract_type: {value, source_value}}.
type ContractType struct {
	Label        string `json:"label,omitempty"`
	ContractType *Enum  `json:"contract_type"`
}

// Company is a company (an employer) the account covers.
type Company struct {
	ID          string `json:"id"`
	RemoteID    string `json:"remote_id"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	FullName    string `json:"full_name,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
	UpdatedAt   string `json:"updated_at,omitempty"`
}

// TimeOff is one time-off request.
type TimeOff struct {
	ID                    string         `json:"id"`
	RemoteID              string         `json:"remote_id"`
	EmployeeID            string         `json:"employee_id,omitempty"`
	RemoteEmployeeID      string         `json:"remote_employee_id,omitempty"`
	ApproverID            string         `json:"approver_id,omitempty"`
	Status                *Enum          `json:"status,omitempty"`
	StartDate             string         `json:"start_date,omitempty"`
	EndDate               string         `json:"end_date,omitempty"`
	Duration              string         `json:"duration,omitempty"`
	TimeOffPolicyID       string         `json:"time_off_policy_id,omitempty"`
	RemoteTimeOffPolicyID string         `json:"remote_time_off_policy_id,omitempty"`
	Policy                *TimeOffPolicy `json:"policy,omitempty"`
	Reason                *Reason        `json:"reason,omitempty"`
	Comment               string         `json:"comment,omitempty"`
	CreatedAt             string         `json:"created_at,omitempty"`
	UpdatedAt             string         `json:"updated_at,omitempty"`
}

// TimeOffPolicy is a time-off policy (a leave category).
type TimeOffPolicy struct {
	ID           string `json:"id,omitempty"`
	RemoteID     string `json:"remote_id,omitempty"`
	Name         string `json:"name,omitempty"`
	Type         *Enum  `json:"type,omitempty"`
	DurationUnit *Enum  `json:"duration_unit,omitempty"`
}

// Reason is why time off was taken, as the provider names it.
type Reason struct {
	ID       string `json:"id,omitempty"`
	RemoteID string `json:"remote_id,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Dates. The unified API writes every date as an ISO 8601 date-time in UTC
// (clients parse them as date-times), and time-off bounds as the reference's
// date-time without a zone.

// isoDate turns a provider date ("2024-03-01") or date-time (any offset) into
// "2024-03-01T00:00:00.000Z" — a calendar date stays the same calendar date,
// whatever offset the provider wrote it with. "" when absent or unreadable.
func isoDate(s string) string {
	if d, ok := dayPrefix(s); ok {
		return d + "T00:00:00.000Z"
	}
	return ""
}

// isoTime turns a provider timestamp into UTC with milliseconds.
func isoTime(s string) string {
	if len(s) == 20 && s[19] == 'Z' && s[10] == 'T' {
		if _, ok := dayPrefix(s); ok { // already UTC: only the milliseconds are missing
			return s[:19] + ".000Z"
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// localDate writes a calendar date as the time-off model's zone-less date-time.
func localDate(s string) string {
	if d, ok := dayPrefix(s); ok {
		return d + "T00:00:00.000"
	}
	return ""
}

// dayPrefix returns the calendar date ("2024-03-01") a provider date or
// date-time names: a date-time's date in the offset it was written with is its
// first ten characters. Mapping a page formats thousands of dates; reading the
// text is much cheaper than parsing and formatting times.
func dayPrefix(s string) (string, bool) {
	switch {
	case len(s) == 10:
	case len(s) >= 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':':
	default:
		return "", false
	}
	for i, c := range []byte(s[:10]) {
		if (i == 4 || i == 7) != (c == '-') || (c != '-' && (c < '0' || c > '9')) {
			return "", false
		}
	}
	month, day := (s[5]-'0')*10+s[6]-'0', (s[8]-'0')*10+s[9]-'0'
	return s[:10], month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// calendarDay reads the calendar date a provider date or date-time names, in
// the offset it was written with.
func calendarDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
}

// duration writes an amount of time off as an ISO 8601 duration: whole days
// as "P2D", hours as "PT7H30M".
func duration(amount float64, unit string) string {
	switch strings.ToLower(unit) {
	case "days", "day":
		whole := int64(amount)
		if float64(whole) == amount {
			return fmt.Sprintf("P%dD", whole)
		}
		return hoursDuration(amount * 24)
	case "hours", "hour":
		return hoursDuration(amount)
	}
	return ""
}

func hoursDuration(h float64) string {
	minutes := int64(h*60 + 0.5)
	if minutes%60 == 0 {
		return fmt.Sprintf("PT%dH", minutes/60)
	}
	return fmt.Sprintf("PT%dH%dM", minutes/60, minutes%60)
}

// countryEnum is an ISO 3166-1 alpha-2 country as the unified model's enum.
func countryEnum(code string) *Enum {
	if len(code) != 2 {
		if code == "" {
			return nil
		}
		return &Enum{Value: Unmapped, SourceValue: code}
	}
	return &Enum{Value: strings.ToUpper(code), SourceValue: code}
}

// decimal writes an amount in minor units with the given implied decimals,
// e.g. 850000 and 2 as "8500.00".
func decimal(minor int64, places int) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := fmt.Sprintf("%0*d", places+1, minor)
	return sign + s[:len(s)-places] + "." + s[len(s)-places:]
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TimeOffType is a kind of time off (a policy or leave category), as the
// reference's Reference model.
type TimeOffType struct {
	ID       string `json:"id"`
	RemoteID string `json:"remote_id"`
	Name     string `json:"name,omitempty"`
	Active   *bool  `json:"active,omitempty"`
}

// TimeOffBalance is what an employee has left under one policy.
type TimeOffBalance struct {
	ID               string         `json:"id"`
	RemoteID         string         `json:"remote_id"`
	EmployeeID       string         `json:"employee_id"`
	RemoteEmployeeID string         `json:"remote_employee_id"`
	PolicyID         string         `json:"policy_id,omitempty"`
	RemotePolicyID   string         `json:"remote_policy_id,omitempty"`
	Policy           *TimeOffPolicy `json:"policy,omitempty"`
	CurrentBalance   *float64       `json:"current_balance,omitempty"`
	InitialBalance   *float64       `json:"initial_balance,omitempty"`
	BalanceUnit      *Enum          `json:"balance_unit,omitempty"`
	IsUnlimited      bool           `json:"is_unlimited"`
}

// CustomFieldDefinition is a custom field employees can have.
type CustomFieldDefinition struct {
	ID          string              `json:"id"`
	RemoteID    string              `json:"remote_id"`
	Name        string              `json:"name,omitempty"`
	Description string              `json:"description,omitempty"`
	Type        *Enum               `json:"type,omitempty"`
	Options     []CustomFieldOption `json:"options,omitempty"`
}

// CustomFieldOption is one choice of a select custom field.
type CustomFieldOption struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// BankDetail is one of an employee's bank accounts, as the provider shows it.
type BankDetail struct {
	ID            string `json:"id,omitempty"`
	AccountName   string `json:"account_name,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	BankCode      string `json:"bank_code,omitempty"`
	AccountType   string `json:"account_type,omitempty"`
	IsPrimary     bool   `json:"is_primary"`
}

// work is the location_type of a workplace.
var work = &Enum{Value: "work", SourceValue: "work"}
