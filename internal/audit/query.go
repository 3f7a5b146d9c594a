package audit

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// MaxPage is the largest page of entries.
const MaxPage = 100

// ParseFilter reads the trail's query parameters for a project, each as
// filter[name] or name: actor, action (one, or a prefix ending in "." such
// as connector_profile.), target_id, start_date and end_date (RFC 3339),
// page_size (1 to 100, default 100) and next (from the page before). A
// wrong value is a problem naming the parameter.
func ParseFilter(projectID string, q url.Values) (store.AuditFilter, error) {
	get := func(name string) string { return strings.TrimSpace(cmp.Or(q.Get("filter["+name+"]"), q.Get(name))) }
	f := store.AuditFilter{ProjectID: projectID, Actor: get("actor"), Action: get("action"), TargetID: get("target_id")}
	var errs []string
	for name, dst := range map[string]*time.Time{"start_date": &f.From, "end_date": &f.To} {
		if v := get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, "filter["+name+"]: use an RFC 3339 date-time such as 2026-05-01T00:00:00Z")
			}
			*dst = t
		}
	}
	size, err := paging.Size(q.Get("page_size"), MaxPage, MaxPage)
	if err != nil {
		errs = append(errs, err.Error())
	}
	f.Limit = size
	if next := q.Get("next"); next != "" {
		if f.BeforeSeq, err = strconv.ParseInt(next, 10, 64); err != nil || f.BeforeSeq < 1 {
			errs = append(errs, "next: not a value an earlier page gave")
		}
	}
	if len(errs) > 0 {
		return f, problem.New(problem.Invalid, "%s", strings.Join(errs, "; "))
	}
	return f, nil
}

// Next is the next of a page of entries listed with f: where the following
// page starts, "" after the last.
func Next(entries []store.AuditEntry, f store.AuditFilter) string {
	if len(entries) == 0 || len(entries) < f.Limit {
		return ""
	}
	return strconv.FormatInt(entries[len(entries)-1].Seq, 10)
}

// Each calls fn with every entry f selects, newest first, a page at a time.
func (s *Service) Each(ctx context.Context, f store.AuditFilter, fn func(store.AuditEntry) error) error {
	f.Limit = 500
	for {
		page, err := s.store.ListAudit(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.BeforeSeq = page[len(page)-1].Seq
	}
}

// ExportTypes are the export formats and their content types.
var ExportTypes = map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}

// Export writes every entry f selects to w, newest first, in format (csv
// or jsonl, a key of ExportTypes).
func (s *Service) Export(ctx context.Context, w io.Writer, f store.AuditFilter, format string) error {
	var write func(View) error
	flush := func() error { return nil }
	if format == "csv" {
		c := csv.NewWriter(w)
		if err := c.Write(CSVHeader); err != nil {
			return err
		}
		write = func(v View) error { return c.Write(v.CSVRow()) }
		flush = func() error { c.Flush(); return c.Error() }
	} else {
		enc := json.NewEncoder(w)
		write = func(v View) error { return enc.Encode(v) }
	}
	if err := s.Each(ctx, f, func(e store.AuditEntry) error { return write(ViewOf(e)) }); err != nil {
		return err
	}
	return flush()
}

// View is an entry as the API, the exports and the console show it.
type View struct {
	ID            string          `json:"id"`
	Seq           int64           `json:"seq"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	Action        string          `json:"action"`
	TargetType    string          `json:"target_type"`
	TargetID      string          `json:"target_id"`
	Changes       json.RawMessage `json:"changes"`
	RequestID     string          `json:"request_id"`
	ClientAddress string          `json:"client_address"`
	Outcome       string          `json:"outcome,omitempty"`
	Hash          string          `json:"hash"`
	PrevHash      string          `json:"prev_hash"`
}

// ViewOf is e as shown.
func ViewOf(e store.AuditEntry) View {
	return View{ID: e.ID, Seq: e.Seq, Time: e.At, Actor: e.Actor, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		Changes: e.Changes, RequestID: e.RequestID, ClientAddress: e.Address, Outcome: e.Outcome,
		Hash: hex.EncodeToString(e.Hash), PrevHash: hex.EncodeToString(e.PrevHash)}
}

// CSVHeader and CSVRow are an entry's columns in a CSV export.
var CSVHeader = []string{"id", "seq", "time", "actor", "action", "target_type", "target_id", "changes", "request_id", "client_address", "outcome", "hash", "prev_hash"}

// CSVRow is v's columns, in CSVHeader's order. A cell a spreadsheet would
// take for a formula (=, +, -, @) starts with a quote, so that opening the
// export never runs what someone typed into a name.
func (v View) CSVRow() []string {
	row := []string{v.ID, strconv.FormatInt(v.Seq, 10), v.Time.Format(time.RFC3339Nano), v.Actor, v.Action, v.TargetType, v.TargetID,
		string(v.Changes), v.RequestID, v.ClientAddress, v.Outcome, v.Hash, v.PrevHash}
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			row[i] = "'" + cell
		}
	}
	return row
}
