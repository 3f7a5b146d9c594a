package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// change is one field of an audit entry's changes, as the page shows it.
type change struct{ Field, Before, After string }

// changesOf lists an entry's changed fields in order, each value as short
// JSON: a long one (a list of 40 actions) is cut, the export has it whole.
func changesOf(raw json.RawMessage) []change {
	var fields map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return []change{{Field: "changes", After: short(raw)}}
	}
	out := make([]change, 0, len(fields))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		out = append(out, change{Field: name, Before: short(fields[name]["before"]), After: short(fields[name]["after"])})
	}
	return out
}

func short(v json.RawMessage) string {
	const most = 90
	if len(v) <= most {
		return string(v)
	}
	return string(v[:most]) + "…"
}

// auditPage is the audit trail page: the filters as typed, and one page.
type auditPage struct {
	Actor, Action, Target, From, To string
	Entries                         []store.AuditEntry
	Next                            string // the query of the next page, when there is one
	Export                          string // the filters, for the export links
}

func (c *Console) listAudit(q *req) {
	qs := q.r.URL.Query()
	p := auditPage{Actor: strings.TrimSpace(qs.Get("actor")), Action: strings.TrimSpace(qs.Get("action")),
		Target: strings.TrimSpace(qs.Get("target")), From: qs.Get("from"), To: qs.Get("to")}
	filters := url.Values{"actor": {p.Actor}, "action": {p.Action}, "target_id": {p.Target}, "next": {qs.Get("next")}, "page_size": {"50"}}
	// Dates come from datetime-local inputs, read as UTC.
	for name, v := range map[string]string{"start_date": p.From, "end_date": p.To} {
		if t, err := time.Parse("2006-01-02T15:04", v); err == nil {
			filters.Set(name, t.Format(time.RFC3339))
		} else if v != "" {
			filters.Set(name, v) // ParseFilter names the field
		}
	}
	v := q.view("Audit trail", "audit", &p)
	f, err := audit.ParseFilter(q.project.ID, filters)
	if err != nil {
		q.fail(c, "audit", v, problem.New(problem.Invalid, "%s", strings.NewReplacer("filter[start_date]", "From", "filter[end_date]", "To").Replace(err.Error())))
		return
	}
	if p.Entries, err = c.o.Audit.List(q.ctx, f); err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	filters.Del("next")
	filters.Del("page_size")
	p.Export = filters.Encode()
	if next := audit.Next(p.Entries, f); next != "" {
		page := url.Values{"actor": {p.Actor}, "action": {p.Action}, "target": {p.Target}, "from": {p.From}, "to": {p.To}, "next": {next}}
		p.Next = page.Encode()
	}
	c.render(q.w, http.StatusOK, "audit", v)
}

// exportAudit downloads the entries the filters select, as the API's export.
func (c *Console) exportAudit(q *req) {
	format := q.r.URL.Query().Get("format")
	f, err := audit.ParseFilter(q.project.ID, q.r.URL.Query())
	if _, known := audit.ExportTypes[format]; err != nil || !known {
		q.redirect("/audit", "") // a damaged link: show the page
		return
	}
	q.w.Header().Set("Content-Type", audit.ExportTypes[format])
	q.w.Header().Set("Content-Disposition", `attachment; filename="audit.`+format+`"`)
	if err := c.o.Audit.Export(q.ctx, q.w, f, format); err != nil {
		c.o.Logger.WarnContext(q.ctx, "audit export cut off", "err", err)
		panic(http.ErrAbortHandler)
	}
}
