package connectors

import (
	"fmt"
	"slices"
	"strings"
)

// SyncModel is a unified model the records cache keeps (docs/sync.md): its
// id in settings and the change feed, and the noun of its webhook events.
type SyncModel struct {
	ID    string // hris.employees
	Event string // hris.employee: events hris.employee.created, .updated, .deleted
	Label string
	// List is the unified list operation whose answer the cache can give
	// (?source=cache); "" when records are listed per parent only.
	List string
}

// syncModels are the models sync can keep, in the order pages show them.
var syncModels = []SyncModel{
	{"hris.employees", "hris.employee", "Employees", "hris_list_employees"},
	{"hris.employments", "hris.employment", "Employments", "hris_list_employments"},
	{"hris.time_off", "hris.time_off", "Time-off requests", "hris_list_time_off_requests"},
	{"hris.groups", "hris.group", "Groups", "hris_list_groups"},
	{"payroll.pay_statements", "payroll.pay_statement", "Pay statements", ""},
}

// SyncModels returns every model sync can keep.
func SyncModels() []SyncModel { return slices.Clone(syncModels) }

// SyncModelByID returns the model with the given id.
func SyncModelByID(id string) (SyncModel, bool) {
	i := slices.IndexFunc(syncModels, func(m SyncModel) bool { return m.ID == id })
	if i < 0 {
		return SyncModel{}, false
	}
	return syncModels[i], true
}

// SyncModelOfList returns the model whose records a unified list operation
// lists, when the cache can answer it.
func SyncModelOfList(operation string) (SyncModel, bool) {
	i := slices.IndexFunc(syncModels, func(m SyncModel) bool { return m.List != "" && m.List == operation })
	if i < 0 {
		return SyncModel{}, false
	}
	return syncModels[i], true
}

// SyncModelIDs lists the ids of every model, for messages.
func SyncModelIDs() []string {
	ids := make([]string, len(syncModels))
	for i, m := range syncModels {
		ids[i] = m.ID
	}
	return ids
}

// SyncEventTypes lists the webhook events of every model's changes.
func SyncEventTypes() []string {
	var out []string
	for _, m := range syncModels {
		out = append(out, m.Event+".created", m.Event+".updated", m.Event+".deleted")
	}
	return out
}

// Sync changes, as the change feed names them.
const (
	ChangeAdded   = "ADDED"
	ChangeUpdated = "UPDATED"
	ChangeDeleted = "DELETED"
)

// EventType is the webhook event of a change of a record of this model.
func (m SyncModel) EventType(change string) string {
	switch change {
	case ChangeAdded:
		return m.Event + ".created"
	case ChangeDeleted:
		return m.Event + ".deleted"
	}
	return m.Event + ".updated"
}

// SyncSource is how a connector reads one model's records: a unified list
// operation, run once, or once per record of the Per operation (the parent's
// id in the path) where the provider lists them per parent.
type SyncSource struct {
	Model string `yaml:"model"`
	List  string `yaml:"list"`
	Per   string `yaml:"per"`
	// Incremental says List takes filter[updated_after] from the provider:
	// a run between full runs then asks only for what changed.
	Incremental bool `yaml:"incremental"`
}

// Operations are the unified operations a run calls: the profile must enable them.
func (s SyncSource) Operations() []string {
	if s.Per == "" {
		return []string{s.List}
	}
	return []string{s.Per, s.List}
}

// SyncSource returns how the connector reads a model, false when it cannot.
func (c *Connector) SyncSource(model string) (SyncSource, bool) {
	i := slices.IndexFunc(c.Sync, func(s SyncSource) bool { return s.Model == model })
	if i < 0 {
		return SyncSource{}, false
	}
	return c.Sync[i], true
}

// validateSync checks the sync sources against the models and the unified
// operations the connector offers.
func (c *Connector) validateSync() error {
	seen := map[string]bool{}
	for i, s := range c.Sync {
		field := fmt.Sprintf("sync[%d]", i)
		if _, ok := SyncModelByID(s.Model); !ok {
			return fieldError(field+".model", "%q is not a sync model (%s)", s.Model, strings.Join(SyncModelIDs(), ", "))
		}
		if seen[s.Model] {
			return fieldError(field+".model", "%s is read twice", s.Model)
		}
		seen[s.Model] = true
		for _, op := range s.Operations() {
			a, ok := c.Action(op)
			if !ok || a.Unified == nil {
				return fieldError(field, "%q is not a unified operation the connector offers", op)
			}
		}
		if s.Incremental && s.Per != "" {
			return fieldError(field+".incremental", "only a list read once can be incremental")
		}
	}
	return nil
}
