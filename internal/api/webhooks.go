package api

import (
	"net/http"
	"time"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

type webhookJSON struct {
	ID             string           `json:"id"`
	URL            string           `json:"url"`
	Description    string           `json:"description"`
	Events         []string         `json:"events"`
	Enabled        bool             `json:"enabled"`
	DisabledReason string           `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time       `json:"failing_since"`
	Secrets        []webhookSecrets `json:"secrets,omitempty"` // one endpoint's only; lists leave them out
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	// Secret is the new signing secret, in the answers that create one only.
	Secret string `json:"secret,omitempty"`
}

// webhookSecrets describes a signing secret without showing it.
type webhookSecrets struct {
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func webhookView(e store.WebhookEndpoint) webhookJSON {
	out := webhookJSON{ID: e.ID, URL: e.URL, Description: e.Description, Events: e.Events, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if !e.FailingSince.IsZero() {
		out.FailingSince = &e.FailingSince
	}
	for _, sec := range e.Secrets {
		info := webhookSecrets{CreatedAt: sec.CreatedAt}
		if !sec.ExpiresAt.IsZero() {
			info.ExpiresAt = &sec.ExpiresAt
		}
		out.Secrets = append(out.Secrets, info)
	}
	return out
}

type deliveryJSON struct {
	ID             string                 `json:"id"`
	WebhookID      string                 `json:"webhook_id"`
	EventID        string                 `json:"event_id"`
	EventType      string                 `json:"event_type"`
	AccountID      string                 `json:"account_id,omitempty"`
	Status         store.DeliveryStatus   `json:"status"`
	Attempts       int                    `json:"attempts"`
	LastStatusCode int                    `json:"last_status_code,omitempty"`
	LastError      string                 `json:"last_error,omitempty"`
	LastDurationMS int64                  `json:"last_duration_ms"`
	NextRetryAt    *time.Time             `json:"next_retry_at"`
	CreatedAt      time.Time              `json:"created_at"`
	UpdatedAt      time.Time              `json:"updated_at"`
	AttemptLog     []store.WebhookAttempt `json:"attempt_log"`
}

func deliveryView(d store.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, WebhookID: d.EndpointID, EventID: d.EventID, EventType: d.EventType, AccountID: d.AccountID,
		Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError, LastDurationMS: d.LastDurationMS,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, AttemptLog: d.AttemptLog}
	if out.AttemptLog == nil {
		out.AttemptLog = []store.WebhookAttempt{}
	}
	if !d.NextAttemptAt.IsZero() && d.Status == store.DeliveryPending {
		out.NextRetryAt = &d.NextAttemptAt
	}
	return out
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := s.webhooks.List(r.Context(), callerKey(r.Context()).ProjectID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]webhookJSON, len(list))
	for i, e := range list {
		out[i] = webhookView(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhooks.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	e, secret, err := s.webhooks.Create(r.Context(), callerKey(r.Context()).ProjectID, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := webhookView(e)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	e, err := s.webhooks.Get(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, e.Version)
	writeJSON(w, http.StatusOK, webhookView(e))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhooks.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	e, err := s.webhooks.Update(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setETag(w, e.Version)
	writeJSON(w, http.StatusOK, webhookView(e))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.webhooks.Delete(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), ifMatch(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rotateWebhookSecret answers the endpoint with its new secret; the body,
// optional, sets how long the previous secret keeps signing.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OverlapSeconds int64 `json:"overlap_seconds"`
	}
	if r.ContentLength != 0 && !s.decodeJSON(w, r, &in) {
		return
	}
	e, secret, err := s.webhooks.RotateSecret(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"),
		time.Duration(in.OverlapSeconds)*time.Second)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := webhookView(e)
	out.Secret = secret
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) {
	ev, err := s.webhooks.Test(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"event_id": ev.ID, "type": ev.Type})
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	size, err := paging.Size(r.URL.Query().Get("page_size"), 25, webhooks.MaxPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := webhooks.Page{Size: size, Before: r.URL.Query().Get("next")}
	list, next, err := s.webhooks.Deliveries(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]deliveryJSON, len(list))
	for i, d := range list {
		out[i] = deliveryView(d)
	}
	var nextValue any
	if next != "" {
		nextValue = next
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next": nextValue})
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) {
	d, err := s.webhooks.Redeliver(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, deliveryView(d))
}
