// Package webhooks tells integrators about account changes: endpoints with
// rotatable signing secrets, and durable delivery. The store writes each
// account event in the transaction of the change (an outbox); a dispatcher on
// every node turns events into deliveries on River, the job queue that lives
// in the same database, and River's workers send them, one node per delivery,
// retrying for days.
package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/jobs"
	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Defaults.
const (
	// DefaultOverlap is how long a replaced secret keeps signing after a rotation.
	DefaultOverlap = 24 * time.Hour
	// MaxOverlap bounds a rotation's overlap.
	MaxOverlap = 7 * 24 * time.Hour
	// MaxEndpoints bounds a project's endpoints.
	MaxEndpoints = 50
	// MaxPageSize bounds a page of deliveries.
	MaxPageSize = 200
)

// Service manages a project's webhook endpoints and delivers their events.
type Service struct {
	store        store.Store
	clock        clock.Clock
	log          *slog.Logger
	allowPrivate bool
	jobs         *jobs.Queue
	nudge        chan struct{}
	attempts     *prometheus.CounterVec
	timeout      time.Duration
	poll         time.Duration
}

// EventTypes lists every event an endpoint can subscribe to.
func EventTypes() []string { return slices.Concat(store.EventTypes, connectors.SyncEventTypes()) }

// Collector returns the service's metrics for registration.
func (s *Service) Collector() prometheus.Collector { return s.attempts }

// Input is an endpoint's fields as a caller sets them; nil fields stay as
// they are on update.
type Input struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Enabled     *bool     `json:"enabled"`
	Description *string   `json:"description"`
}

// List returns the project's endpoints.
func (s *Service) List(ctx context.Context, projectID string) ([]store.WebhookEndpoint, error) {
	return s.store.ListWebhookEndpoints(ctx, projectID)
}

// Get returns one endpoint of the project, with its secrets.
func (s *Service) Get(ctx context.Context, projectID, id string) (store.WebhookEndpoint, error) {
	e, err := s.store.GetWebhookEndpoint(ctx, projectID, id)
	return e, endpointError(id, err)
}

// exists checks that the project has the endpoint, without its secrets: its
// delivery log shows even when they cannot be opened.
func (s *Service) exists(ctx context.Context, projectID, id string) error {
	list, err := s.store.ListWebhookEndpoints(ctx, projectID)
	if err != nil {
		return err
	}
	for _, e := range list {
		if e.ID == id {
			return nil
		}
	}
	return problem.New(problem.NotFound, "No webhook %s in this project", id)
}

// Create adds an endpoint and returns it with its signing secret, which is
// shown this once.
func (s *Service) Create(ctx context.Context, projectID string, in Input) (store.WebhookEndpoint, string, error) {
	if in.URL == nil {
		return store.WebhookEndpoint{}, "", problem.New(problem.Invalid, "url: required")
	}
	existing, err := s.store.ListWebhookEndpoints(ctx, projectID)
	if err != nil {
		return store.WebhookEndpoint{}, "", err
	}
	if len(existing) >= MaxEndpoints {
		return store.WebhookEndpoint{}, "", problem.New(problem.Limit, "a project has at most %d webhooks; delete one first", MaxEndpoints)
	}
	e := store.WebhookEndpoint{ProjectID: projectID, Enabled: true}
	if err := s.apply(&e, in); err != nil {
		return store.WebhookEndpoint{}, "", err
	}
	secret := NewSecret()
	e.ID = store.NewID("wh")
	e.Secrets = []store.WebhookSecret{{Secret: secret, CreatedAt: s.clock.Now().UTC()}}
	entry := audit.Entry(ctx, projectID, "webhook.created", "webhook", e.ID)
	entry.Changes = changes(store.WebhookEndpoint{}, e).JSON()
	e, err = s.store.CreateWebhookEndpoint(store.WithAudit(ctx, entry), e)
	if err != nil {
		return store.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// Update changes an endpoint's fields. Enabling it clears the reason
// Patchbay turned it off, and starts its failure clock afresh. ifMatch,
// unless store.AnyVersion, is the version the caller read: an endpoint
// changed since is refused (problem.Stale).
func (s *Service) Update(ctx context.Context, projectID, id string, ifMatch int64, in Input) (store.WebhookEndpoint, error) {
	return s.update(ctx, projectID, id, "webhook.updated", func(e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		if err := checkVersion(e, ifMatch); err != nil {
			return store.WebhookEndpoint{}, err
		}
		wasEnabled := e.Enabled
		if err := s.apply(&e, in); err != nil {
			return store.WebhookEndpoint{}, err
		}
		if e.Enabled && !wasEnabled {
			e.DisabledReason, e.FailingSince = "", time.Time{}
		}
		return e, nil
	})
}

// update writes the change decide makes to an endpoint under its lock, with
// its audit entry, action.
func (s *Service) update(ctx context.Context, projectID, id, action string, decide func(store.WebhookEndpoint) (store.WebhookEndpoint, error)) (store.WebhookEndpoint, error) {
	entry := audit.Entry(ctx, projectID, action, "webhook", id)
	e, err := s.store.UpdateWebhookEndpoint(store.WithAudit(ctx, entry), projectID, id, func(cur store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		next, err := decide(cur)
		entry.Changes = changes(cur, next).JSON()
		return next, err
	})
	return e, endpointError(id, err)
}

// changes are the fields of an endpoint a change sets, its secrets only as
// "changed".
func changes(before, after store.WebhookEndpoint) audit.Changes {
	return audit.Changes{}.
		Set("url", before.URL, after.URL).
		Set("events", before.Events, after.Events).
		Set("description", before.Description, after.Description).
		Set("enabled", before.Enabled, after.Enabled).
		Set("disabled_reason", before.DisabledReason, after.DisabledReason).
		Secret("secret", len(after.Secrets) > 0 && (len(before.Secrets) == 0 || after.Secrets[0].Secret != before.Secrets[0].Secret))
}

// checkVersion refuses a change to e when the caller read another version.
func checkVersion(e store.WebhookEndpoint, ifMatch int64) error {
	if ifMatch != store.AnyVersion && e.Version != ifMatch {
		return problem.New(problem.Stale, "Webhook %s changed since version %d (it is at version %d); read it again and retry", e.ID, ifMatch, e.Version)
	}
	return nil
}

// endpointError turns the store's errors about endpoint id into problems.
func endpointError(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.New(problem.NotFound, "No webhook %s in this project", id)
	case errors.Is(err, store.ErrSealed):
		return problem.New(problem.Conflict, "Webhook %s's signing secrets cannot be opened with this deployment's encryption keys; "+
			"restore the key that sealed them, or delete the webhook and create it again", id)
	}
	return err
}

// apply validates in and writes it over e.
func (s *Service) apply(e *store.WebhookEndpoint, in Input) error {
	if in.URL != nil {
		u := strings.TrimSpace(*in.URL)
		if err := s.checkURL(u); err != nil {
			return err
		}
		e.URL = u
	}
	if in.Events != nil {
		for _, t := range *in.Events {
			if !slices.Contains(EventTypes(), t) {
				return problem.New(problem.Invalid, "events: %q is not an event; use %s (or none for all)", t, strings.Join(EventTypes(), ", "))
			}
		}
		e.Events = slices.Compact(slices.Sorted(slices.Values(*in.Events)))
	}
	if in.Description != nil {
		if len(*in.Description) > 500 {
			return problem.New(problem.Invalid, "description: at most 500 characters")
		}
		e.Description = *in.Description
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	return nil
}

// checkURL accepts an absolute http(s) URL whose host, when written as an
// address, is public (unless private targets are allowed). Names are checked
// again at every delivery, against the addresses they resolve to then.
func (s *Service) checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return problem.New(problem.Invalid, "url: required")
	case len(raw) > 2048:
		return problem.New(problem.Invalid, "url: at most 2048 characters")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return problem.New(problem.Invalid, "url: give an absolute https:// (or http://) address")
	case u.User != nil:
		return problem.New(problem.Invalid, "url: must not hold a user name or password; authenticate deliveries by their signature")
	}
	if s.allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); (err == nil && !publicAddress(ip)) || strings.EqualFold(host, "localhost") {
		return problem.New(problem.Invalid, "url: %s is a private, loopback or special-purpose address; set PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true (or pass --webhook-allow-private) to deliver there, for development only", host)
	}
	return nil
}

// Delete removes an endpoint; deliveries still queued for it are dropped.
// ifMatch is as for Update.
func (s *Service) Delete(ctx context.Context, projectID, id string, ifMatch int64) error {
	entry := audit.Entry(ctx, projectID, "webhook.deleted", "webhook", id)
	err := s.store.DeleteWebhookEndpoint(store.WithAudit(ctx, entry), projectID, id, func(e store.WebhookEndpoint) error { return checkVersion(e, ifMatch) })
	return endpointError(id, err)
}

// RotateSecret adds a new signing secret and returns it; the previous ones
// keep signing (every delivery carries one signature per secret) until
// overlap has passed, 0 meaning DefaultOverlap.
func (s *Service) RotateSecret(ctx context.Context, projectID, id string, overlap time.Duration) (store.WebhookEndpoint, string, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return store.WebhookEndpoint{}, "", problem.New(problem.Invalid, "overlap: 0 to %s", MaxOverlap)
	}
	overlap = cmp.Or(overlap, DefaultOverlap)
	secret := NewSecret()
	e, err := s.update(ctx, projectID, id, "webhook.secret_rotated", func(e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		now := s.clock.Now().UTC()
		kept := []store.WebhookSecret{{Secret: secret, CreatedAt: now}}
		for _, old := range e.Secrets {
			if old.ExpiresAt.IsZero() || old.ExpiresAt.After(now.Add(overlap)) {
				old.ExpiresAt = now.Add(overlap)
			}
			if old.ExpiresAt.After(now) {
				kept = append(kept, old)
			}
		}
		e.Secrets = kept
		return e, nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// signingSecrets are the endpoint's secrets still valid at t, newest first.
func signingSecrets(e store.WebhookEndpoint, t time.Time) []string {
	var out []string
	for _, sec := range e.Secrets {
		if sec.ExpiresAt.IsZero() || sec.ExpiresAt.After(t) {
			out = append(out, sec.Secret)
		}
	}
	return out
}

// Test queues a webhook.test event for this endpoint only.
func (s *Service) Test(ctx context.Context, projectID, id string) (store.Event, error) {
	e, err := s.Get(ctx, projectID, id)
	if err != nil {
		return store.Event{}, err
	}
	if !e.Enabled {
		return store.Event{}, problem.New(problem.Conflict, "webhook %s is disabled; enable it first (PATCH with enabled: true)", id)
	}
	ev, err := s.store.CreateEvent(ctx, store.Event{ProjectID: projectID, Type: store.EventWebhookTest, EndpointID: id,
		Data: jsonObject(map[string]any{"project_id": projectID, "webhook_id": id}), CreatedAt: s.clock.Now()})
	if err != nil {
		return store.Event{}, err
	}
	s.Nudge()
	return ev, nil
}

// Page selects deliveries: Size of them, Before continuing an earlier page.
type Page struct {
	Size   int
	Before string
}

// Deliveries returns a page of an endpoint's deliveries, newest first, and
// the value that continues after it ("" after the last page).
func (s *Service) Deliveries(ctx context.Context, projectID, id string, page Page) ([]store.WebhookDelivery, string, error) {
	if page.Size < 1 || page.Size > MaxPageSize {
		return nil, "", paging.SizeError(MaxPageSize)
	}
	if err := s.exists(ctx, projectID, id); err != nil {
		return nil, "", err
	}
	list, err := s.store.ListWebhookDeliveries(ctx, projectID, store.DeliveryFilter{EndpointID: id, Limit: page.Size, Before: page.Before})
	if err != nil || len(list) < page.Size {
		return list, "", err
	}
	return list, list[len(list)-1].ID, nil
}

// Delivery returns one delivery of an endpoint with its attempts, and the
// body it sends (the event's payload).
func (s *Service) Delivery(ctx context.Context, projectID, endpointID, deliveryID string) (store.WebhookDelivery, []byte, error) {
	d, err := s.delivery(ctx, projectID, endpointID, deliveryID)
	if err != nil {
		return store.WebhookDelivery{}, nil, err
	}
	ev, err := s.store.GetEvent(ctx, projectID, d.EventID)
	if err != nil {
		return store.WebhookDelivery{}, nil, err
	}
	record, err := s.record(ctx, ev)
	if err != nil {
		return store.WebhookDelivery{}, nil, err
	}
	body, err := payload(ev, record)
	return d, body, err
}

// Redeliver sends a delivery's event to its endpoint again, with the same
// event id, as a new delivery.
func (s *Service) Redeliver(ctx context.Context, projectID, endpointID, deliveryID string) (store.WebhookDelivery, error) {
	if _, err := s.delivery(ctx, projectID, endpointID, deliveryID); err != nil {
		return store.WebhookDelivery{}, err
	}
	d, err := s.store.Redeliver(ctx, projectID, deliveryID)
	if err != nil {
		return store.WebhookDelivery{}, err
	}
	s.enqueue(ctx, []store.WebhookDelivery{d})
	return d, nil
}

// delivery returns a delivery of the endpoint; NotFound when the project
// has no such delivery of it.
func (s *Service) delivery(ctx context.Context, projectID, endpointID, deliveryID string) (store.WebhookDelivery, error) {
	d, err := s.store.GetWebhookDelivery(ctx, projectID, deliveryID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.EndpointID != endpointID) {
		return store.WebhookDelivery{}, problem.New(problem.NotFound, "No delivery %s of webhook %s in this project", deliveryID, endpointID)
	}
	return d, err
}

// errAlreadyOff leaves an endpoint that is already off as it is.
var errAlreadyOff = errors.New("the endpoint is already off")

// disable turns an endpoint off for reason, and records a webhook.disabled
// event, which the project's other endpoints may be sent.
func (s *Service) disable(ctx context.Context, e store.WebhookEndpoint, reason string) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "system:webhook-delivery"})
	_, err := s.update(ctx, e.ProjectID, e.ID, "webhook.disabled", func(cur store.WebhookEndpoint) (store.WebhookEndpoint, error) {
		if !cur.Enabled {
			return store.WebhookEndpoint{}, errAlreadyOff
		}
		cur.Enabled, cur.DisabledReason = false, reason
		return cur, nil
	})
	if errors.Is(err, errAlreadyOff) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("disable webhook %s: %w", e.ID, err)
	}
	s.log.WarnContext(ctx, "webhook disabled", "event", store.EventWebhookDisabled, "webhook_id", e.ID, "project_id", e.ProjectID,
		"url", e.URL, "reason", reason)
	_, err = s.store.CreateEvent(ctx, store.Event{ProjectID: e.ProjectID, Type: store.EventWebhookDisabled,
		Data: jsonObject(map[string]any{"project_id": e.ProjectID, "webhook_id": e.ID, "url": e.URL, "reason": reason}), CreatedAt: s.clock.Now()})
	return err
}
