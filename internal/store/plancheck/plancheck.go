// Package plancheck checks that no statement the store sends reads a whole
// big table. A Recorder wraps the driver to see every statement the
// conformance suite sends; Check asks the database for each one's plan, on a
// database seeded with thousands of rows and fresh statistics, and fails the
// test on a full scan of accounts, request logs, connect sessions, events or
// webhook deliveries.
package plancheck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// BigTables are the tables that grow with use, which no statement may scan.
var BigTables = []string{"accounts", "request_logs", "connect_sessions", "events", "webhook_deliveries"}

// Recorder collects the distinct statements sent through its connectors.
type Recorder struct {
	mu   sync.Mutex
	seen map[string]bool
	// Ran, when set, is told of every statement run, prepared ones included,
	// with the context it runs in (tests count a request's round trips).
	Ran func(ctx context.Context, query string)
	// Refuse, when set, may fail a statement (or a BEGIN) before it reaches
	// the database: tests take the database away from one node, an outage
	// that node alone sees.
	Refuse func(ctx context.Context, query string) error
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{seen: map[string]bool{}} }

// Wrap is a sqlstore.Wrap that records every statement.
func (r *Recorder) Wrap(c driver.Connector) driver.Connector { return connector{c, r} }

// Statements returns what was recorded, sorted.
func (r *Recorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.seen))
	for q := range r.seen {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

func (r *Recorder) add(q string) {
	r.mu.Lock()
	r.seen[q] = true
	r.mu.Unlock()
}

type connector struct {
	driver.Connector
	r *Recorder
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{inner, c.r}, nil
}

// conn records statements and passes everything to the driver's connection.
type conn struct {
	driver.Conn
	r *Recorder
}

func (c *conn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.r.add(q)
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, q)
	} else {
		st, err = c.Conn.Prepare(q)
	}
	if err != nil {
		return nil, err
	}
	return &stmt{st, q, c.r}, nil
}

func (r *Recorder) ran(ctx context.Context, q string) error {
	if r.Ran != nil {
		r.Ran(ctx, q)
	}
	if r.Refuse != nil {
		return r.Refuse(ctx, q)
	}
	return nil
}

// stmt tells the recorder of each run of a prepared statement. Both drivers'
// statements take contexts and named values.
type stmt struct {
	driver.Stmt
	q string
	r *Recorder
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.r.ran(ctx, s.q); err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.r.ran(ctx, s.q); err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.add(q)
	if err := c.r.ran(ctx, q); err != nil {
		return nil, err
	}
	if qc, ok := c.Conn.(driver.QueryerContext); ok {
		return qc.QueryContext(ctx, q, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.r.add(q)
	if err := c.r.ran(ctx, q); err != nil {
		return nil, err
	}
	if ec, ok := c.Conn.(driver.ExecerContext); ok {
		return ec.ExecContext(ctx, q, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.r.Refuse != nil {
		if err := c.r.Refuse(ctx, "BEGIN"); err != nil {
			return nil, err
		}
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // drivers without BeginTx
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := c.Conn.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Seed fills s with enough rows (n accounts with their events and
// deliveries, n request logs, connect sessions) that the planner prefers an
// index wherever one serves, and refreshes the statistics.
func Seed(t testing.TB, s *sqlstore.Store, n int) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"Seeded A", "Seeded B"} {
		p, err := s.CreateProject(ctx, store.Project{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
			ClientID: "id", ClientSecret: "secret", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{ProjectID: p.ID, URL: "https://hooks.example.test", Enabled: true,
			Secrets: []store.WebhookSecret{{Secret: "whsec_x"}}}); err != nil {
			t.Fatal(err)
		}
		logs := make([]store.RequestLog, 0, n/2)
		accounts := make([]store.Account, 0, n/2)
		start := clock.System.Now().Add(-time.Hour)
		for i := range n / 2 {
			a := store.Account{ID: store.NewID("acc"), ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks",
				OriginOwnerID: fmt.Sprintf("owner-%d", i%50), OriginOwnerName: "Owner", Credentials: store.Credentials{AccessToken: "at"}}
			accounts = append(accounts, a)
			at := start.Add(time.Duration(i) * time.Second)
			logs = append(logs, store.RequestLog{ProjectID: p.ID, RequestID: fmt.Sprintf("req-%s-%d", p.ID, i), Source: store.SourceAPI,
				AccountID: a.ID, Provider: "justworks", Action: "justworks_get_company", HTTPMethod: "GET", Path: "/v1/company",
				Status: 200, Success: true, StartTime: at, EndTime: at})
			if i%10 == 0 {
				if _, err := s.CreateConnectSession(ctx, store.ConnectSession{ProjectID: p.ID, TokenHash: []byte(fmt.Sprintf("tok-%s-%d", p.ID, i)),
					OriginOwnerID: "o", OriginOwnerName: "O", ExpiresAt: at.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// One transaction for all the accounts: a transaction each costs
		// the suite minutes under the race detector.
		if err := s.ImportAccounts(ctx, accounts, store.EventAccountCreated); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRequestLogs(ctx, logs); err != nil {
			t.Fatal(err)
		}
	}
	for {
		n, _, err := s.DispatchEvents(ctx, 500)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	analyze := map[string]string{"sqlite": "ANALYZE", "postgres": "ANALYZE"}[s.DialectName()]
	if _, err := s.DB().ExecContext(ctx, analyze); err != nil {
		t.Fatal(err)
	}
}

var (
	bigTable   = `(` + strings.Join(BigTables, "|") + `)`
	sqliteScan = regexp.MustCompile(`^SCAN ` + bigTable + `\b`)
	pgScan     = regexp.MustCompile(`Seq Scan on ` + bigTable + `\b`)
	pgParam    = regexp.MustCompile(`\$(\d+)`)
	mentions   = regexp.MustCompile(`\b` + bigTable + `\b`)
)

// checked reports whether a statement is one whose plan can read a big table.
func checked(q string) bool {
	verb := strings.ToUpper(strings.Fields(q + " x")[0])
	switch verb {
	case "SELECT", "UPDATE", "DELETE", "WITH":
	case "INSERT":
		if !strings.Contains(strings.ToUpper(q), "SELECT") {
			return false
		}
	default:
		return false
	}
	return mentions.MatchString(q) && !strings.Contains(q, "river_")
}

// Check explains every statement and returns one line per statement whose
// plan scans a big table, with the plan, and any statement it could not explain.
func Check(ctx context.Context, s *sqlstore.Store, statements []string) ([]string, error) {
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if s.DialectName() == "postgres" {
		// An index that can serve wins over a scan however small the table;
		// a plan made for any parameter values, not for NULL.
		for _, set := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan"} {
			if _, err := conn.ExecContext(ctx, set); err != nil {
				return nil, err
			}
		}
	}
	// A scan of a partial index reads only the rows it indexes (such as the
	// events not yet dispatched): that is what it is for.
	partial := map[string]bool{}
	if s.DialectName() == "sqlite" {
		rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name string
			rows.Scan(&name)
			partial[name] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	var bad []string
	for _, q := range statements {
		if !checked(q) {
			continue
		}
		plan, err := explain(ctx, conn, s.DialectName(), q)
		if err != nil {
			bad = append(bad, fmt.Sprintf("cannot explain %q: %v", q, err))
			continue
		}
		for _, line := range plan {
			line = strings.TrimSpace(line)
			if _, index, ok := strings.Cut(line, " USING INDEX "); ok && partial[index] {
				continue
			}
			if sqliteScan.MatchString(line) || pgScan.MatchString(line) {
				bad = append(bad, fmt.Sprintf("%s\n    plan: %s", oneLine(q), strings.Join(plan, " | ")))
				break
			}
		}
	}
	return bad, nil
}

func explain(ctx context.Context, conn *sql.Conn, dialect, q string) ([]string, error) {
	if dialect == "sqlite" {
		// Every placeholder bound to NULL: the plan does not depend on values.
		rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return nil, err
			}
			plan = append(plan, detail)
		}
		return plan, rows.Err()
	}
	n := 0
	for _, m := range pgParam.FindAllStringSubmatch(q, -1) {
		var i int
		fmt.Sscan(m[1], &i)
		n = max(n, i)
	}
	if _, err := conn.ExecContext(ctx, "PREPARE plancheck AS "+q); err != nil {
		return nil, err
	}
	defer conn.ExecContext(ctx, "DEALLOCATE plancheck")
	args := strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ")
	query := "EXPLAIN EXECUTE plancheck"
	if n > 0 {
		query += "(" + args + ")"
	}
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		plan = append(plan, line)
	}
	return plan, rows.Err()
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }
