package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

const eventColumns = `seq, id, project_id, type, account_id, endpoint_id, data, created_at, traceparent`

// insertEventTx writes e in tx, the transaction of the change it reports.
// Writers of one account hold its row lock until they commit, so the seq an
// account's events get follows the order their changes commit in.
func (s *Store) insertEventTx(ctx context.Context, tx *sql.Tx, e store.Event) (store.Event, error) {
	if e.ID == "" {
		e.ID = store.NewID("evt")
	}
	e.CreatedAt = normalizeTime(e.CreatedAt)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	if e.TraceParent == "" {
		e.TraceParent = telemetry.TraceParent(ctx)
	}
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO events (id, project_id, type, account_id, endpoint_id, data, created_at, traceparent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`), e.ID, e.ProjectID, e.Type, e.AccountID, e.EndpointID, string(e.Data), e.CreatedAt, e.TraceParent).Scan(&e.Seq)
	if err != nil {
		return store.Event{}, fmt.Errorf("record %s event: %w", e.Type, s.translate(err))
	}
	return e, nil
}

// accountEventTx records the event of type typ about a in tx.
func (s *Store) accountEventTx(ctx context.Context, tx *sql.Tx, typ string, a store.Account) error {
	if typ == "" {
		return nil
	}
	_, err := s.insertEventTx(ctx, tx, store.AccountEvent(typ, a, s.now()))
	return err
}

// CreateEvent stores an event about the project rather than an account.
func (s *Store) CreateEvent(ctx context.Context, e store.Event) (store.Event, error) {
	var out store.Event
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		if err := s.requireProject(ctx, tx, e.ProjectID); err != nil {
			return err
		}
		out, err = s.insertEventTx(ctx, tx, e)
		return err
	})
	if err != nil {
		return store.Event{}, fmt.Errorf("create event: %w", err)
	}
	return out, nil
}

// GetEvent returns one event of the project.
func (s *Store) GetEvent(ctx context.Context, projectID, id string) (store.Event, error) {
	e, err := scanEvent(s.queryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.Event{}, fmt.Errorf("get event %s: %w", id, s.translate(err))
	}
	return e, nil
}

func scanEvent(row scanner) (store.Event, error) {
	var x eventScan
	if err := row.Scan(x.dest()...); err != nil {
		return store.Event{}, err
	}
	return x.event(), nil
}

// eventScan reads eventColumns, with other columns of the same row.
type eventScan struct {
	e    store.Event
	data string
}

func (x *eventScan) dest() []any {
	return []any{&x.e.Seq, &x.e.ID, &x.e.ProjectID, &x.e.Type, &x.e.AccountID, &x.e.EndpointID, &x.data, &x.e.CreatedAt, &x.e.TraceParent}
}

func (x *eventScan) event() store.Event {
	x.e.Data, x.e.CreatedAt = json.RawMessage(x.data), x.e.CreatedAt.UTC()
	return x.e
}

// DispatchEvents turns undispatched events into deliveries. On PostgreSQL
// the events are taken with SKIP LOCKED, so nodes dispatching at once take
// different events; on SQLite the transaction holds the only write lock.
func (s *Store) DispatchEvents(ctx context.Context, limit int) (int, []store.WebhookDelivery, error) {
	// Most calls find nothing: look before taking a write lock.
	var waiting int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE dispatched_at IS NULL LIMIT 1) AS w`).Scan(&waiting); err != nil {
		return 0, nil, fmt.Errorf("dispatch events: %w", err)
	}
	if waiting == 0 {
		return 0, nil, nil
	}
	var taken int
	var queued []store.WebhookDelivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+eventColumns+` FROM events WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?`+s.dialect.SkipLocked), limit)
		if err != nil {
			return err
		}
		events, err := collect(rows, scanEvent)
		if err != nil || len(events) == 0 {
			return err
		}
		endpoints := map[string][]store.WebhookEndpoint{}
		var deliveries []store.WebhookDelivery
		at := s.now()
		seqs := make([]any, len(events))
		for i, e := range events {
			seqs[i] = e.Seq
			list, ok := endpoints[e.ProjectID]
			if !ok {
				if list, err = s.listEndpointsTx(ctx, tx, e.ProjectID); err != nil {
					return err
				}
				endpoints[e.ProjectID] = list
			}
			for _, ep := range list {
				// An event for one endpoint (a test) goes there whatever it subscribes to.
				if !ep.Enabled || (e.EndpointID == "" && !ep.Wants(e.Type)) || (e.EndpointID != "" && e.EndpointID != ep.ID) {
					continue
				}
				deliveries = append(deliveries, store.WebhookDelivery{ID: store.NewID("whd"), ProjectID: e.ProjectID, EndpointID: ep.ID,
					EventID: e.ID, EventType: e.Type, EventSeq: e.Seq, AccountID: e.AccountID, Status: store.DeliveryPending, CreatedAt: at, UpdatedAt: at})
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE events SET dispatched_at = ? WHERE seq IN (?`+strings.Repeat(", ?", len(seqs)-1)+`)`),
			append([]any{at}, seqs...)...); err != nil {
			return err
		}
		heads, err := s.chainHeadsTx(ctx, tx, deliveries)
		if err != nil {
			return err
		}
		if err := s.insertDeliveriesTx(ctx, tx, deliveries, heads); err != nil {
			return err
		}
		for _, d := range deliveries {
			if heads[d.ID] {
				queued = append(queued, d)
			}
		}
		taken = len(events)
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("dispatch events: %w", err)
	}
	return taken, queued, nil
}

// chainHeadsTx says which of new deliveries go out now: those of no account,
// and the first of each account and endpoint unless one is pending already.
// It locks each account's chain to each endpoint (in one order, so that
// dispatchers never deadlock) against the attempt that ends its last
// delivery and looks for the next.
func (s *Store) chainHeadsTx(ctx context.Context, tx *sql.Tx, deliveries []store.WebhookDelivery) (map[string]bool, error) {
	heads := map[string]bool{}
	first := map[[2]string]string{} // endpoint, account → the first new delivery
	var chains [][2]string
	for _, d := range deliveries {
		if d.AccountID == "" {
			heads[d.ID] = true
			continue
		}
		k := [2]string{d.EndpointID, d.AccountID}
		if _, seen := first[k]; !seen {
			first[k] = d.ID
			chains = append(chains, k)
		}
	}
	if len(chains) == 0 {
		return heads, nil
	}
	slices.SortFunc(chains, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	var endpoints, accounts []any
	for _, k := range chains {
		if err := s.lockChainTx(ctx, tx, k[0], k[1]); err != nil {
			return nil, err
		}
		if !slices.Contains(endpoints, any(k[0])) {
			endpoints = append(endpoints, k[0])
		}
		accounts = append(accounts, k[1])
	}
	// One look for every chain with a delivery pending (the rows of other
	// endpoint and account pairs the lists also match are passed over).
	rows, err := tx.QueryContext(ctx, s.q(`SELECT DISTINCT endpoint_id, account_id FROM webhook_deliveries WHERE status = 'pending'
		AND endpoint_id IN (?`+strings.Repeat(", ?", len(endpoints)-1)+`) AND account_id IN (?`+strings.Repeat(", ?", len(accounts)-1)+`)`),
		append(endpoints, accounts...)...)
	if err != nil {
		return nil, err
	}
	busy, err := collect(rows, func(row scanner) (k [2]string, err error) { return k, row.Scan(&k[0], &k[1]) })
	if err != nil {
		return nil, err
	}
	for _, k := range chains {
		heads[first[k]] = !slices.Contains(busy, k)
	}
	return heads, nil
}

// lockChainTx takes the lock of an account's deliveries to an endpoint until
// tx ends.
func (s *Store) lockChainTx(ctx context.Context, tx *sql.Tx, endpointID, accountID string) error {
	if s.dialect.KeyLock == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(s.dialect.KeyLock), lockKey("delivery-chain", endpointID, accountID))
	return err
}

// DeleteEventsBefore removes dispatched events created before t; their
// deliveries and attempts go with them.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM events WHERE created_at < ? AND dispatched_at IS NOT NULL`), normalizeTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete events before %s: %w", t, err)
	}
	return res.RowsAffected()
}
