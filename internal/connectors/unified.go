package connectors

import (
	"fmt"
	"slices"
)

// UnifiedOperation is one endpoint of Patchbay's unified API: one path and one
// model whichever provider an account is on. A connector offers an operation by
// naming, in its definition, the actions the operation calls; the operation's
// scopes are those actions' scopes, so enabling it asks for exactly what it needs.
type UnifiedOperation struct {
	ID          string
	Label       string
	Description string
	Method      string
	Path        string // on Patchbay, e.g. /unified/hris/employees
}

// Unified is what a connector's definition says about one unified operation it
// offers: the actions it always calls, and those it calls only when the caller
// asks for more (expand, include) and the grant allows them.
type Unified struct {
	ID       string   `yaml:"id"`
	Uses     []string `yaml:"uses"`
	Optional []string `yaml:"optional"`
	// Scopes are scopes the operation needs beyond its actions': field scopes
	// that unlock the records' fields it maps (Justworks' member.pay:read).
	Scopes []string `yaml:"scopes"`
	// Notes say, per provider, what the operation costs or cannot do (a field
	// that costs a call per record, a filter Patchbay applies itself).
	Notes []string `yaml:"notes"`
}

// unifiedOperations is the unified API's catalogue. The HRIS paths and ids
// follow the reference's unified HRIS API; payroll is Patchbay's own extension.
var unifiedOperations = []UnifiedOperation{
	{"hris_list_employees", "List Employees", "Employees in the unified HRIS model.", "GET", "/unified/hris/employees"},
	{"hris_get_employee", "Get Employee", "One employee in the unified HRIS model.", "GET", "/unified/hris/employees/{id}"},
	{"hris_list_employments", "List Employments", "Employments (job, pay, contract) of every employee.", "GET", "/unified/hris/employments"},
	{"hris_get_employment", "Get Employment", "One employment.", "GET", "/unified/hris/employments/{id}"},
	{"hris_list_employee_employments", "List Employee Employments", "The employments of one employee.", "GET", "/unified/hris/employees/{id}/employments"},
	{"hris_list_companies", "List Companies", "The companies the account covers.", "GET", "/unified/hris/companies"},
	{"hris_get_company", "Get Company", "One company.", "GET", "/unified/hris/companies/{id}"},
	{"hris_list_time_off_requests", "List Time Off Requests", "Time-off requests of every employee.", "GET", "/unified/hris/time_off"},
	{"hris_get_time_off_request", "Get Time Off Request", "One time-off request.", "GET", "/unified/hris/time_off/{id}"},
	{"hris_list_employee_time_off_requests", "List Employee Time Off Requests", "The time-off requests of one employee.", "GET", "/unified/hris/employees/{id}/time_off"},
	{"hris_list_time_off_policies", "List Time Off Policies", "Time-off policies (leave categories).", "GET", "/unified/hris/time_off_policies"},
	{"hris_list_time_off_types", "List Time Off Types", "Kinds of time off.", "GET", "/unified/hris/time_off_types"},
	{"hris_list_employee_time_off_balances", "List Employee Time Off Balances", "What one employee has left under each policy.", "GET", "/unified/hris/employees/{id}/time_off_balances"},
	{"hris_list_groups", "List Groups", "Departments, teams and other groups of employees.", "GET", "/unified/hris/groups"},
	{"hris_list_department_groups", "List Department Groups", "Departments.", "GET", "/unified/hris/groups/departments"},
	{"hris_list_team_groups", "List Team Groups", "Teams.", "GET", "/unified/hris/groups/teams"},
	{"hris_list_locations", "List Locations", "Places people work from.", "GET", "/unified/hris/locations"},
	{"hris_list_employee_custom_field_definitions", "List Employee Custom Field Definitions", "The custom fields employees can have.", "GET", "/unified/hris/custom_field_definitions/employees"},
	{"hris_create_employee_time_off_request", "Create Employee Time Off Request", "Ask for time off for one employee.", "POST", "/unified/hris/employees/{id}/time_off"},

	{"payroll_list_pay_runs", "List Pay Runs", "Payments of payroll: dates, pay period and totals.", "GET", "/unified/payroll/pay_runs"},
	{"payroll_list_pay_run_statements", "List Pay Run Statements", "Each person's pay statement in one pay run: earnings, taxes, deductions, contributions.", "GET", "/unified/payroll/pay_runs/{id}/pay_statements"},
	{"payroll_list_employee_pay_statements", "List Employee Pay Statements", "One person's pay statements.", "GET", "/unified/payroll/employees/{id}/pay_statements"},
	{"payroll_list_deductions", "List Deductions", "Standing payroll deductions.", "GET", "/unified/payroll/deductions"},
	{"payroll_create_deduction", "Create Deduction", "Start a payroll deduction for a person.", "POST", "/unified/payroll/deductions"},
	{"payroll_update_deduction", "Update Deduction", "Change a payroll deduction.", "PATCH", "/unified/payroll/deductions/{id}"},
	{"payroll_cancel_deduction", "Cancel Deduction", "Stop a payroll deduction.", "DELETE", "/unified/payroll/deductions/{id}"},
}

// UnifiedOperations returns the unified API's catalogue.
func UnifiedOperations() []UnifiedOperation { return slices.Clone(unifiedOperations) }

// UnifiedOperationByID returns the unified operation with the given id.
func UnifiedOperationByID(id string) (UnifiedOperation, bool) {
	i := slices.IndexFunc(unifiedOperations, func(o UnifiedOperation) bool { return o.ID == id })
	if i < 0 {
		return UnifiedOperation{}, false
	}
	return unifiedOperations[i], true
}

// UnifiedOperationName names an operation by its endpoint ("GET
// /unified/hris/employees"), or returns the id of an unknown one.
func UnifiedOperationName(id string) string {
	if op, ok := UnifiedOperationByID(id); ok {
		return op.Method + " " + op.Path
	}
	return id
}

// addUnified turns the definition's unified entries into actions, after the
// provider actions they use: an admin enables and scopes them like any other.
func (c *Connector) addUnified() error {
	for i, u := range c.UnifiedOps {
		op, ok := UnifiedOperationByID(u.ID)
		if !ok {
			return fieldError(fmt.Sprintf("unified[%d].id", i), "%q is not a unified operation", u.ID)
		}
		if len(u.Uses) == 0 {
			return fieldError("unified "+u.ID+": uses", "at least one action is required")
		}
		need := map[string]bool{}
		for _, id := range slices.Concat(u.Uses, u.Optional) {
			a, ok := c.Action(id)
			if !ok || a.Unified != nil {
				return fieldError("unified "+u.ID, "%q is not one of the connector's actions", id)
			}
			if slices.Contains(u.Uses, id) {
				for _, s := range a.Scopes {
					need[s] = true
				}
			}
		}
		for _, sc := range u.Scopes {
			if _, ok := c.scopeIndex[sc]; !ok {
				return fieldError("unified "+u.ID+": scopes", "%q is not a defined scope", sc)
			}
			need[sc] = true
		}
		if _, dup := c.actionIndex[u.ID]; dup {
			return fieldError("unified "+u.ID, "defined twice")
		}
		c.Actions = append(c.Actions, Action{ID: op.ID, Label: op.Label, Description: op.Description + " Unified API: " + op.Method + " " + op.Path,
			Method: op.Method, Path: op.Path, Scopes: c.inDefinitionOrder(need), Unified: &c.UnifiedOps[i]})
		c.actionIndex[op.ID] = len(c.Actions) - 1
	}
	return c.validateUnsupported()
}

// validateUnsupported checks that each operation said to be unsupported is a
// unified operation the connector does not offer.
func (c *Connector) validateUnsupported() error {
	for id, why := range c.UnifiedUnsupported {
		if _, ok := UnifiedOperationByID(id); !ok {
			return fieldError("unified_unsupported."+id, "not a unified operation")
		}
		if _, offered := c.actionIndex[id]; offered {
			return fieldError("unified_unsupported."+id, "the connector offers it under unified")
		}
		if why == "" {
			return fieldError("unified_unsupported."+id, "say why")
		}
	}
	return nil
}

// ProviderActions returns the connector's own actions, without its unified operations.
func (c *Connector) ProviderActions() []*Action {
	var out []*Action
	for i := range c.Actions {
		if c.Actions[i].Unified == nil {
			out = append(out, &c.Actions[i])
		}
	}
	return out
}
