package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

// webhookList is the webhooks page; Secret is a new endpoint's secret, in
// this one answer only.
type webhookList struct {
	Endpoints []store.WebhookEndpoint
	Types     []string
	Secret    string
	Created   string
}

func (c *Console) webhookList(q *req) (webhookList, error) {
	list, err := c.o.Webhooks.List(q.ctx, q.project.ID)
	return webhookList{Endpoints: list, Types: webhooks.EventTypes()}, err
}

func (c *Console) listWebhooks(q *req) {
	l, err := c.webhookList(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	if created := c.takeFlash(q, "/webhooks"); created != "" {
		l.Created, l.Secret, _ = strings.Cut(created, " ")
	}
	c.render(q.w, http.StatusOK, "webhooks", q.view("Webhooks", "webhooks", l))
}

func (c *Console) createWebhook(q *req) {
	q.r.ParseForm()
	u, desc, events := strings.TrimSpace(q.r.PostFormValue("url")), q.r.PostFormValue("description"), q.r.PostForm["events"]
	e, secret, err := c.o.Webhooks.Create(q.ctx, q.project.ID, webhooks.Input{URL: &u, Description: &desc, Events: &events})
	if err != nil {
		l, lerr := c.webhookList(q)
		if lerr != nil {
			c.internal(q.w, q.r, lerr)
			return
		}
		q.fail(c, "webhooks", q.view("Webhooks", "webhooks", l), err)
		return
	}
	c.flash(q, "/webhooks", e.ID+" "+secret)
	q.redirect("/webhooks", "")
}

// webhookPage is one endpoint with its latest deliveries.
type webhookPage struct {
	Endpoint   store.WebhookEndpoint
	Deliveries []store.WebhookDelivery
	Types      []string // the events the edit form offers
	Secret     string   // after a rotation
}

func (c *Console) webhookPage(q *req) (webhookPage, error) {
	e, err := c.o.Webhooks.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		return webhookPage{}, err
	}
	d, _, err := c.o.Webhooks.Deliveries(q.ctx, q.project.ID, e.ID, webhooks.Page{Size: 50})
	return webhookPage{Endpoint: e, Deliveries: d, Types: webhooks.EventTypes()}, err
}

// editWebhook saves the edit form: the address, the events and the
// description.
func (c *Console) editWebhook(q *req) {
	c.webhookAction(q, "webhook-saved", func(id string) error {
		q.r.ParseForm()
		u, desc, events := strings.TrimSpace(q.r.PostFormValue("url")), q.r.PostFormValue("description"), q.r.PostForm["events"]
		_, err := c.o.Webhooks.Update(q.ctx, q.project.ID, id, formVersion(q.r), webhooks.Input{URL: &u, Description: &desc, Events: &events})
		return err
	})
}

// deliveryPage is one delivery: what was sent and what came back.
type deliveryPage struct {
	Endpoint store.WebhookEndpoint
	Delivery store.WebhookDelivery
	Payload  string // indented
}

func (c *Console) showDelivery(q *req) {
	e, err := c.o.Webhooks.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	var d store.WebhookDelivery
	var body []byte
	if err == nil {
		d, body, err = c.o.Webhooks.Delivery(q.ctx, q.project.ID, e.ID, q.r.PathValue("delivery"))
	}
	if err != nil {
		q.fail(c, "message", q.view("Delivery", "webhooks", nil), err)
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil {
		pretty.Write(body)
	}
	c.render(q.w, http.StatusOK, "delivery", q.view("Delivery", "webhooks", deliveryPage{Endpoint: e, Delivery: d, Payload: pretty.String()}))
}

func (c *Console) showWebhook(q *req) {
	p, err := c.webhookPage(q)
	if err != nil {
		q.fail(c, "message", q.view("Webhook", "webhooks", nil), err)
		return
	}
	c.render(q.w, http.StatusOK, "webhook", q.view("Webhook", "webhooks", p))
}

// webhookAction runs one action on an endpoint, then shows it again.
func (c *Console) webhookAction(q *req, notice string, act func(id string) error) {
	id := q.r.PathValue("id")
	if err := act(id); err != nil {
		p, perr := c.webhookPage(q)
		if perr != nil {
			q.fail(c, "message", q.view("Webhook", "webhooks", nil), perr)
			return
		}
		q.fail(c, "webhook", q.view("Webhook", "webhooks", p), err)
		return
	}
	q.redirect("/webhooks/"+id, notice)
}

func (c *Console) enableWebhook(q *req) {
	c.webhookAction(q, "webhook-saved", func(id string) error {
		on := q.r.PostFormValue("enabled") == "true"
		_, err := c.o.Webhooks.Update(q.ctx, q.project.ID, id, formVersion(q.r), webhooks.Input{Enabled: &on})
		return err
	})
}

func (c *Console) testWebhook(q *req) {
	c.webhookAction(q, "webhook-test", func(id string) error {
		_, err := c.o.Webhooks.Test(q.ctx, q.project.ID, id)
		return err
	})
}

func (c *Console) redeliver(q *req) {
	c.webhookAction(q, "redelivered", func(id string) error {
		_, err := c.o.Webhooks.Redeliver(q.ctx, q.project.ID, id, q.r.PathValue("delivery"))
		return err
	})
}

func (c *Console) deleteWebhook(q *req) {
	if err := c.o.Webhooks.Delete(q.ctx, q.project.ID, q.r.PathValue("id"), formVersion(q.r)); err != nil {
		q.fail(c, "message", q.view("Webhook", "webhooks", nil), err)
		return
	}
	q.redirect("/webhooks", "webhook-deleted")
}

// rotateWebhook shows the new secret once, on the endpoint's page.
func (c *Console) rotateWebhook(q *req) {
	_, secret, err := c.o.Webhooks.RotateSecret(q.ctx, q.project.ID, q.r.PathValue("id"), 0)
	p, perr := c.webhookPage(q)
	if perr != nil {
		q.fail(c, "message", q.view("Webhook", "webhooks", nil), perr)
		return
	}
	if err != nil {
		q.fail(c, "webhook", q.view("Webhook", "webhooks", p), err)
		return
	}
	p.Secret = secret
	c.render(q.w, http.StatusOK, "webhook", q.view("Webhook", "webhooks", p))
}
