package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

var endpointSecrets = sealedColumns[5]

const endpointColumns = `id, project_id, url, description, events, enabled, disabled_reason, secrets, failing_since, created_at, updated_at`

// endpointSelect is what a read of an endpoint takes: its columns and its version.
const endpointSelect = endpointColumns + `, version`

// endpointRow is e as stored: its events as JSON, its secrets sealed.
func (s *Store) endpointRow(e store.WebhookEndpoint) ([]any, error) {
	events, err := json.Marshal(nonNil(e.Events))
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(e.Secrets)
	if err != nil {
		return nil, err
	}
	secrets, err := s.seal(endpointSecrets, e.ID, string(plain))
	if err != nil {
		return nil, err
	}
	return []any{e.ID, e.ProjectID, e.URL, e.Description, string(events), e.Enabled, e.DisabledReason, secrets,
		nullTime(e.FailingSince), normalizeTime(e.CreatedAt), normalizeTime(e.UpdatedAt)}, nil
}

func (s *Store) scanEndpoint(row scanner) (store.WebhookEndpoint, error) {
	e, secrets, err := scanEndpointFields(row)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	if err := s.openSecrets(&e, secrets); err != nil {
		return store.WebhookEndpoint{}, err
	}
	return e, nil
}

// scanEndpointWithoutSecrets reads an endpoint for routing and bookkeeping,
// which need no secret: an endpoint whose secrets cannot be opened fails
// only its own deliveries, never the dispatch of everyone's events.
func scanEndpointWithoutSecrets(row scanner) (store.WebhookEndpoint, error) {
	e, _, err := scanEndpointFields(row)
	return e, err
}

// scanEndpointFields reads an endpoint row, its secrets still sealed.
func scanEndpointFields(row scanner) (store.WebhookEndpoint, string, error) {
	var x endpointScan
	if err := row.Scan(x.dest()...); err != nil {
		return store.WebhookEndpoint{}, "", err
	}
	return x.endpoint()
}

// endpointScan reads endpointSelect, with other columns of the same row.
type endpointScan struct {
	e               store.WebhookEndpoint
	events, secrets string
	failing         sql.NullTime
}

func (x *endpointScan) dest() []any {
	e := &x.e
	return []any{&e.ID, &e.ProjectID, &e.URL, &e.Description, &x.events, &e.Enabled, &e.DisabledReason, &x.secrets,
		&x.failing, &e.CreatedAt, &e.UpdatedAt, &e.Version}
}

// endpoint returns the endpoint read, and its secrets still sealed.
func (x *endpointScan) endpoint() (store.WebhookEndpoint, string, error) {
	e := x.e
	e.FailingSince, e.CreatedAt, e.UpdatedAt = fromNullTime(x.failing), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(x.events), &e.Events); err != nil {
		return store.WebhookEndpoint{}, "", fmt.Errorf("events of endpoint %s: %w", e.ID, err)
	}
	return e, x.secrets, nil
}

// openSecrets opens the endpoint's sealed secrets into e.
func (s *Store) openSecrets(e *store.WebhookEndpoint, secrets string) error {
	plain, err := s.open(endpointSecrets, e.ID, secrets)
	if err != nil {
		return fmt.Errorf("secrets of endpoint %s: %w: %w", e.ID, store.ErrSealed, err)
	}
	if err := json.Unmarshal([]byte(plain), &e.Secrets); err != nil {
		return fmt.Errorf("secrets of endpoint %s: %w: %w", e.ID, store.ErrSealed, err)
	}
	return nil
}

// CreateWebhookEndpoint stores e with its secrets sealed.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	if e.ID == "" {
		e.ID = store.NewID("wh")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	e.CreatedAt, e.UpdatedAt, e.Events = normalizeTime(e.CreatedAt), normalizeTime(e.UpdatedAt), nonNil(e.Events)
	row, err := s.endpointRow(e)
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook endpoint: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireProject(ctx, tx, e.ProjectID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_endpoints (`+endpointColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), row...)
		return s.translate(err)
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook endpoint: %w", err)
	}
	return e, nil
}

// GetWebhookEndpoint returns one endpoint of the project, secrets opened.
func (s *Store) GetWebhookEndpoint(ctx context.Context, projectID, id string) (store.WebhookEndpoint, error) {
	e, err := s.scanEndpoint(s.queryRow(ctx, `SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? AND id = ?`, projectID, id))
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("get webhook endpoint %s: %w", id, s.translate(err))
	}
	return e, nil
}

// ListWebhookEndpoints returns the project's endpoints, oldest first,
// without their secrets.
func (s *Store) ListWebhookEndpoints(ctx context.Context, projectID string) ([]store.WebhookEndpoint, error) {
	out, err := queryAll(ctx, s, scanEndpointWithoutSecrets, `SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? ORDER BY created_at, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	return out, nil
}

func (s *Store) listEndpointsTx(ctx context.Context, tx *sql.Tx, projectID string) ([]store.WebhookEndpoint, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? ORDER BY created_at, id`), projectID)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints of %s: %w", projectID, err)
	}
	return collect(rows, scanEndpointWithoutSecrets)
}

// UpdateWebhookEndpoint writes the endpoint decide makes of the stored one,
// read under its write lock.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, projectID, id string, decide func(store.WebhookEndpoint) (store.WebhookEndpoint, error)) (store.WebhookEndpoint, error) {
	var out store.WebhookEndpoint
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.scanEndpoint(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id))
		if err != nil {
			return s.translate(err)
		}
		e, err := decide(cur)
		if err != nil {
			return err
		}
		e.ID, e.ProjectID, e.CreatedAt, e.UpdatedAt, e.Events, e.Version = cur.ID, cur.ProjectID, cur.CreatedAt, s.now(), nonNil(e.Events), cur.Version+1
		row, err := s.endpointRow(e)
		if err != nil {
			return err
		}
		// row follows endpointColumns: url … failing_since are row[2:9], updated_at is row[10].
		args := append(append(row[2:9:9], row[10]), e.Version, e.ProjectID, e.ID)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ?, disabled_reason = ?,
			secrets = ?, failing_since = ?, updated_at = ?, version = ? WHERE project_id = ? AND id = ?`), args...); err != nil {
			return s.translate(err)
		}
		out = e
		return nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("update webhook endpoint %s: %w", id, err)
	}
	return out, nil
}

// DeleteWebhookEndpoint removes an endpoint unless check refuses; its
// deliveries go with it.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, projectID, id string, check func(store.WebhookEndpoint) error) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		e, err := scanEndpointWithoutSecrets(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? AND id = ?`+s.dialect.ForUpdate), projectID, id))
		if err != nil {
			return s.translate(err)
		}
		if err := check(e); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM webhook_endpoints WHERE project_id = ? AND id = ?`), projectID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint %s: %w", id, err)
	}
	return nil
}

const deliveryColumns = `d.id, d.project_id, d.endpoint_id, d.event_id, e.type, d.event_seq, d.account_id, d.status, d.attempts,
	d.last_status_code, d.last_error, d.last_duration_ms, d.next_attempt_at, d.created_at, d.updated_at`

const deliveryFrom = ` FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`

func scanDelivery(row scanner) (store.WebhookDelivery, error) {
	var x deliveryScan
	if err := row.Scan(x.dest()...); err != nil {
		return store.WebhookDelivery{}, err
	}
	return x.delivery(), nil
}

// deliveryScan reads deliveryColumns, with other columns of the same row.
type deliveryScan struct {
	d    store.WebhookDelivery
	next sql.NullTime
}

func (x *deliveryScan) dest() []any {
	d := &x.d
	return []any{&d.ID, &d.ProjectID, &d.EndpointID, &d.EventID, &d.EventType, &d.EventSeq, &d.AccountID, &d.Status, &d.Attempts,
		&d.LastStatusCode, &d.LastError, &d.LastDurationMS, &x.next, &d.CreatedAt, &d.UpdatedAt}
}

func (x *deliveryScan) delivery() store.WebhookDelivery {
	d := x.d
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNullTime(x.next), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d
}

// outgoingQuery reads a delivery with its event, its endpoint and the
// account's earlier pending delivery to the endpoint, in one round trip.
var outgoingQuery = `SELECT ` + deliveryColumns + `, ` + prefixed("e.", eventColumns) + `, ` + prefixed("w.", endpointSelect) + `,
	p.id, p.next_attempt_at` + deliveryFrom + ` JOIN webhook_endpoints w ON w.id = d.endpoint_id
	LEFT JOIN webhook_deliveries p ON p.id = (SELECT x.id FROM webhook_deliveries x WHERE x.endpoint_id = d.endpoint_id
		AND x.account_id = d.account_id AND x.event_seq < d.event_seq AND x.status = 'pending' AND d.account_id <> ''
		ORDER BY x.event_seq LIMIT 1)
	WHERE d.project_id = ? AND d.id = ?`

// prefixed qualifies each of a list of columns with prefix.
func prefixed(prefix, columns string) string {
	return prefix + strings.ReplaceAll(columns, ", ", ", "+prefix)
}

// OutgoingDelivery reads what sending a delivery needs.
func (s *Store) OutgoingDelivery(ctx context.Context, projectID, id string) (store.Outgoing, error) {
	var d deliveryScan
	var e eventScan
	var w endpointScan
	var earlier sql.NullString
	var earlierNext sql.NullTime
	dest := append(append(append(d.dest(), e.dest()...), w.dest()...), &earlier, &earlierNext)
	if err := s.queryRow(ctx, outgoingQuery, projectID, id).Scan(dest...); err != nil {
		return store.Outgoing{}, fmt.Errorf("read webhook delivery %s: %w", id, s.translate(err))
	}
	out := store.Outgoing{Delivery: d.delivery(), Event: e.event(), Earlier: store.Earlier{ID: earlier.String, NextAttemptAt: fromNullTime(earlierNext)}}
	ep, secrets, err := w.endpoint()
	if err == nil {
		err = s.openSecrets(&ep, secrets)
	}
	out.Endpoint = ep
	return out, err
}

// deliveryRows is how many deliveries one INSERT writes at most.
const deliveryRows = 100

// insertDeliveriesTx writes new deliveries, those heads says queued.
func (s *Store) insertDeliveriesTx(ctx context.Context, tx *sql.Tx, deliveries []store.WebhookDelivery, heads map[string]bool) error {
	for chunk := range slices.Chunk(deliveries, deliveryRows) {
		args := make([]any, 0, 10*len(chunk))
		for _, d := range chunk {
			args = append(args, d.ID, d.ProjectID, d.EndpointID, d.EventID, d.EventSeq, d.AccountID, d.Status, normalizeTime(d.CreatedAt),
				normalizeTime(d.UpdatedAt), heads[d.ID])
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (id, project_id, endpoint_id, event_id, event_seq, account_id, status,
			created_at, updated_at, queued) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(chunk)-1)), args...)
		if err != nil {
			return fmt.Errorf("create %d deliveries: %w", len(chunk), s.translate(err))
		}
	}
	return nil
}

// GetWebhookDelivery returns one delivery of the project.
func (s *Store) GetWebhookDelivery(ctx context.Context, projectID, id string) (store.WebhookDelivery, error) {
	d, err := scanDelivery(s.queryRow(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.project_id = ? AND d.id = ?`, projectID, id))
	if err != nil {
		return store.WebhookDelivery{}, fmt.Errorf("get webhook delivery %s: %w", id, s.translate(err))
	}
	one := []store.WebhookDelivery{d}
	if err := s.withAttempts(ctx, one); err != nil {
		return store.WebhookDelivery{}, err
	}
	return one[0], nil
}

// ListWebhookDeliveries returns a page of an endpoint's deliveries, newest
// first, with their attempts.
func (s *Store) ListWebhookDeliveries(ctx context.Context, projectID string, f store.DeliveryFilter) ([]store.WebhookDelivery, error) {
	query := `SELECT ` + deliveryColumns + deliveryFrom + ` WHERE d.project_id = ? AND d.endpoint_id = ?`
	args := []any{projectID, f.EndpointID}
	if f.Before != "" {
		query += ` AND (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE project_id = ? AND id = ?)`
		args = append(args, projectID, f.Before)
	}
	query += ` ORDER BY d.created_at DESC, d.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, err
	}
	return out, s.withAttempts(ctx, out)
}

// withAttempts fills the deliveries' attempt logs, newest first.
func (s *Store) withAttempts(ctx context.Context, deliveries []store.WebhookDelivery) error {
	if len(deliveries) == 0 {
		return nil
	}
	ids := make([]any, len(deliveries))
	index := map[string]int{}
	for i, d := range deliveries {
		ids[i], index[d.ID] = d.ID, i
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT delivery_id, attempt, started_at, status_code, error, duration_ms, answer FROM webhook_attempts
		WHERE delivery_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY attempt DESC`), ids...)
	if err != nil {
		return fmt.Errorf("list webhook attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a store.WebhookAttempt
		if err := rows.Scan(&id, &a.Attempt, &a.StartedAt, &a.StatusCode, &a.Error, &a.DurationMS, &a.Answer); err != nil {
			return fmt.Errorf("list webhook attempts: %w", err)
		}
		a.StartedAt = a.StartedAt.UTC()
		deliveries[index[id]].AttemptLog = append(deliveries[index[id]].AttemptLog, a)
	}
	return rows.Err()
}

// RecordWebhookAttempt logs one attempt and its outcome in one transaction.
func (s *Store) RecordWebhookAttempt(ctx context.Context, d store.WebhookDelivery, o store.AttemptOutcome) (store.WebhookEndpoint, []store.WebhookDelivery, error) {
	var ep store.WebhookEndpoint
	var next []store.WebhookDelivery
	at := s.now()
	a := o.Attempt
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ends := o.Status != store.DeliveryPending && d.AccountID != ""
		if ends {
			if err := s.lockChainTx(ctx, tx, d.EndpointID, d.AccountID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status_code = ?, last_error = ?,
			last_duration_ms = ?, next_attempt_at = ?, updated_at = ? WHERE project_id = ? AND id = ?`),
			o.Status, a.Attempt, a.StatusCode, a.Error, a.DurationMS, nullTime(o.NextAttemptAt), at, d.ProjectID, d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, error, duration_ms, answer)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), d.ID, a.Attempt, normalizeTime(a.StartedAt), a.StatusCode, a.Error, a.DurationMS, a.Answer); err != nil {
			return s.translate(err)
		}
		// Only a change of the endpoint's state writes it: an update that
		// matches no row takes no lock, so the deliveries to one endpoint do
		// not queue behind each other's commits.
		failing, args := `failing_since = NULL WHERE failing_since IS NOT NULL`, []any{d.ProjectID, d.EndpointID}
		if o.Failing {
			failing, args = `failing_since = ? WHERE failing_since IS NULL`, append([]any{normalizeTime(a.StartedAt)}, args...)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_endpoints SET `+failing+` AND project_id = ? AND id = ?`), args...); err != nil {
			return err
		}
		if o.Failing {
			ep, err = scanEndpointWithoutSecrets(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointSelect+` FROM webhook_endpoints WHERE project_id = ? AND id = ?`),
				d.ProjectID, d.EndpointID))
			if err != nil {
				return s.translate(err)
			}
		}
		if !ends {
			return nil
		}
		next, err = s.queueNextTx(ctx, tx, d, at)
		return err
	})
	if err != nil {
		return store.WebhookEndpoint{}, nil, fmt.Errorf("record attempt %d of delivery %s: %w", a.Attempt, d.ID, err)
	}
	return ep, next, nil
}

// queueNextTx marks the account's next unqueued pending delivery to d's
// endpoint queued at at, and returns it.
func (s *Store) queueNextTx(ctx context.Context, tx *sql.Tx, d store.WebhookDelivery, at time.Time) ([]store.WebhookDelivery, error) {
	next, err := scanDelivery(tx.QueryRowContext(ctx, s.q(`SELECT `+deliveryColumns+deliveryFrom+` WHERE d.endpoint_id = ? AND d.account_id = ?
		AND d.status = 'pending' AND NOT d.queued ORDER BY d.event_seq LIMIT 1`), d.EndpointID, d.AccountID))
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next delivery after %s: %w", d.ID, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET queued = ?, updated_at = ? WHERE id = ?`), true, at, next.ID); err != nil {
		return nil, err
	}
	next.UpdatedAt = at
	return []store.WebhookDelivery{next}, nil
}

// StrandedDeliveries finds deliveries handed to the queue long ago that never had an attempt.
func (s *Store) StrandedDeliveries(ctx context.Context, before time.Time, limit int) ([]store.WebhookDelivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deliveryColumns+deliveryFrom+` WHERE d.status = 'pending' AND d.attempts = 0 AND d.queued
		AND d.updated_at < ? ORDER BY d.updated_at LIMIT ?`), normalizeTime(before), limit)
	if err != nil {
		return nil, fmt.Errorf("stranded deliveries: %w", err)
	}
	return collect(rows, scanDelivery)
}

// Redeliver makes a new delivery of the delivery's event to its endpoint.
func (s *Store) Redeliver(ctx context.Context, projectID, deliveryID string) (store.WebhookDelivery, error) {
	var out store.WebhookDelivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		d, err := scanDelivery(tx.QueryRowContext(ctx, s.q(`SELECT `+deliveryColumns+deliveryFrom+` WHERE d.project_id = ? AND d.id = ?`), projectID, deliveryID))
		if err != nil {
			return s.translate(err)
		}
		at := s.now()
		out = store.WebhookDelivery{ID: store.NewID("whd"), ProjectID: d.ProjectID, EndpointID: d.EndpointID, EventID: d.EventID,
			EventType: d.EventType, EventSeq: d.EventSeq, AccountID: d.AccountID, Status: store.DeliveryPending, CreatedAt: at, UpdatedAt: at}
		return s.insertDeliveriesTx(ctx, tx, []store.WebhookDelivery{out}, map[string]bool{out.ID: true})
	})
	if err != nil {
		return store.WebhookDelivery{}, fmt.Errorf("redeliver %s: %w", deliveryID, err)
	}
	return out, nil
}
