package unified

import (
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Answers are encoded with encoding/json/v2, except employees: a page of them
// is the largest answer the unified API writes, and encoding it by reflection
// cost as much as mapping it. Employees and what they hold are written here by
// hand, field by field in the order of the models' struct tags and with their
// omitempty rules, byte for byte what encoding/json/v2 writes for them
// (TestEmployeesEncodeAsTheirTagsSay holds the two together).

// AppendJSON appends the answer as a client receives it: a list as
// {"data","next","raw"}, next always (null at the end); anything else as
// {"data","raw"}, with next when there is one.
func (a Answer) AppendJSON(b []byte) ([]byte, error) {
	w := &writer{b: b}
	w.open()
	w.key("data")
	switch data := a.Data.(type) {
	case []Employee:
		w.b = append(w.b, '[')
		for i := range data {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			data[i].write(w)
		}
		w.b = append(w.b, ']')
	case Employee:
		data.write(w)
	default:
		w.value(data)
	}
	if a.list || a.Next != nil {
		w.key("next")
		if a.Next == nil {
			w.b = append(w.b, "null"...)
		} else {
			w.quote(*a.Next)
		}
	}
	if len(a.Raw) > 0 {
		w.key("raw")
		w.value(a.Raw)
	}
	w.close()
	return w.b, w.err
}

// writer appends JSON to b, keeping the first error.
type writer struct {
	b     []byte
	err   error
	empty bool // the object just opened has no member yet
}

func (w *writer) open() { w.b, w.empty = append(w.b, '{'), true }

func (w *writer) close() { w.b, w.empty = append(w.b, '}'), false }

// key starts a member.
func (w *writer) key(name string) {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *writer) quote(s string) {
	var err error
	if w.b, err = jsontext.AppendQuote(w.b, s); err != nil && w.err == nil {
		w.err = err
	}
}

// value writes v as encoding/json/v2 does.
func (w *writer) value(v any) {
	switch v := v.(type) {
	case string:
		w.quote(v)
	case bool:
		w.b = strconv.AppendBool(w.b, v)
	case nil:
		w.b = append(w.b, "null"...)
	default:
		out, err := jsonv2.Marshal(v)
		if err != nil && w.err == nil {
			w.err = err
		}
		w.b = append(w.b, out...)
	}
}

// str writes a member that is always there; opt one that omitempty leaves out
// when empty.
func (w *writer) str(name, v string) {
	w.key(name)
	w.quote(v)
}

func (w *writer) opt(name, v string) {
	if v != "" {
		w.str(name, v)
	}
}

func (w *writer) enum(name string, e *Enum) {
	if e != nil {
		w.key(name)
		e.write(w)
	}
}

// writeEach writes a member holding a list, left out when empty.
func writeEach[T any](w *writer, name string, list []T, write func(*T, *writer)) {
	if len(list) == 0 {
		return
	}
	w.key(name)
	w.b = append(w.b, '[')
	for i := range list {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		write(&list[i], w)
	}
	w.b = append(w.b, ']')
}

// writeSome writes a member holding a record, left out when nil.
func writeSome[T any](w *writer, name string, v *T, write func(*T, *writer)) {
	if v != nil {
		w.key(name)
		write(v, w)
	}
}

func (e *Enum) write(w *writer) {
	w.open()
	w.str("value", e.Value)
	w.key("source_value")
	w.value(e.SourceValue)
	w.close()
}

func (e *Employee) write(w *writer) {
	w.open()
	w.str("id", e.ID)
	w.str("remote_id", e.RemoteID)
	w.opt("title", e.Title)
	w.opt("first_name", e.FirstName)
	w.opt("last_name", e.LastName)
	w.opt("name", e.Name)
	w.opt("display_name", e.DisplayName)
	w.enum("gender", e.Gender)
	w.enum("marital_status", e.MaritalStatus)
	w.opt("date_of_birth", e.DateOfBirth)
	w.opt("avatar_url", e.AvatarURL)
	w.opt("personal_email", e.PersonalEmail)
	w.opt("personal_phone_number", e.PersonalPhoneNumber)
	w.opt("work_email", e.WorkEmail)
	w.opt("work_phone_number", e.WorkPhoneNumber)
	w.opt("job_title", e.JobTitle)
	w.opt("employee_number", e.EmployeeNumber)
	w.opt("company_id", e.CompanyID)
	writeSome(w, "company", e.Company, (*Company).write)
	w.enum("employment_status", e.EmploymentStatus)
	writeEach(w, "employments", e.Employments, (*Employment).write)
	writeEach(w, "groups", e.Groups, (*Group).write)
	w.opt("hire_date", e.HireDate)
	w.opt("start_date", e.StartDate)
	w.opt("termination_date", e.TerminationDate)
	w.location("home_location", e.HomeLocation)
	w.location("work_location", e.WorkLocation)
	w.opt("manager_id", e.ManagerID)
	w.opt("department", e.Department)
	w.opt("department_id", e.DepartmentID)
	writeEach(w, "custom_fields", e.CustomFields, (*CustomField).write)
	writeEach(w, "bank_details", e.BankDetails, (*BankDetail).write)
	w.opt("created_at", e.CreatedAt)
	w.opt("updated_at", e.UpdatedAt)
	w.close()
}

// location writes a location member, left out when nil or empty: every field
// of a location is omitempty, so an empty one is {}, which omitempty omits.
func (w *writer) location(name string, l *Location) {
	if l != nil && *l != (Location{}) {
		w.key(name)
		l.write(w)
	}
}

func (l *Location) write(w *writer) {
	w.open()
	w.opt("id", l.ID)
	w.opt("remote_id", l.RemoteID)
	w.opt("employee_id", l.EmployeeID)
	w.opt("name", l.Name)
	w.opt("phone_number", l.PhoneNumber)
	w.opt("street_1", l.Street1)
	w.opt("street_2", l.Street2)
	w.opt("city", l.City)
	w.opt("state", l.State)
	w.opt("zip_code", l.ZipCode)
	w.enum("country", l.Country)
	w.enum("location_type", l.LocationType)
	w.close()
}

func (g *Group) write(w *writer) {
	w.open()
	w.str("id", g.ID)
	w.str("remote_id", g.RemoteID)
	w.opt("name", g.Name)
	w.enum("type", g.Type)
	w.close()
}

func (c *CustomField) write(w *writer) {
	w.open()
	w.str("id", c.ID)
	w.str("remote_id", c.RemoteID)
	w.opt("name", c.Name)
	w.key("value")
	w.value(c.Value)
	w.close()
}

func (e *Employment) write(w *writer) {
	w.open()
	w.str("id", e.ID)
	w.str("remote_id", e.RemoteID)
	w.str("employee_id", e.EmployeeID)
	w.str("remote_employee_id", e.RemoteEmployeeID)
	w.opt("job_title", e.JobTitle)
	w.opt("pay_rate", e.PayRate)
	w.enum("pay_period", e.PayPeriod)
	w.enum("pay_frequency", e.PayFrequency)
	w.opt("pay_currency", e.PayCurrency)
	w.opt("effective_date", e.EffectiveDate)
	w.opt("end_date", e.EndDate)
	if e.Active != nil {
		w.key("active")
		w.value(*e.Active)
	}
	writeSome(w, "type", e.Type, func(t *TypedEnum, w *writer) {
		w.open()
		w.opt("label", t.Label)
		w.key("type")
		w.nullable(t.Type)
		w.close()
	})
	writeSome(w, "contract_type", e.ContractType, func(c *ContractType, w *writer) {
		w.open()
		w.opt("label", c.Label)
		w.key("contract_type")
		w.nullable(c.ContractType)
		w.close()
	})
	w.opt("created_at", e.CreatedAt)
	w.opt("updated_at", e.UpdatedAt)
	w.close()
}

// nullable writes an enum member that has no omitempty: null when absent.
func (w *writer) nullable(e *Enum) {
	if e == nil {
		w.b = append(w.b, "null"...)
		return
	}
	e.write(w)
}

func (c *Company) write(w *writer) {
	w.open()
	w.str("id", c.ID)
	w.str("remote_id", c.RemoteID)
	w.opt("name", c.Name)
	w.opt("display_name", c.DisplayName)
	w.opt("full_name", c.FullName)
	w.opt("created_at", c.CreatedAt)
	w.opt("updated_at", c.UpdatedAt)
	w.close()
}

func (b *BankDetail) write(w *writer) {
	w.open()
	w.opt("id", b.ID)
	w.opt("account_name", b.AccountName)
	w.opt("account_number", b.AccountNumber)
	w.opt("bank_code", b.BankCode)
	w.opt("account_type", b.AccountType)
	w.key("is_primary")
	w.value(b.IsPrimary)
	w.close()
}
