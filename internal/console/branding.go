package console

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/hub"
	"github.com/patchbayhq/patchbay/internal/store"
)

func (c *Console) brandingPage(q *req) {
	c.render(q.w, http.StatusOK, "branding", q.view("Hub branding", "branding", q.project.Branding))
}

func (c *Console) saveBranding(q *req) {
	b := store.Branding{Name: q.r.PostFormValue("name"), LogoURL: q.r.PostFormValue("logo_url"), Accent: q.r.PostFormValue("accent"),
		SupportURL: q.r.PostFormValue("support_url")}
	if q.r.PostFormValue("accent_set") == "" {
		b.Accent = "" // a colour input always sends a colour: the box says whether to use it
	}
	if _, err := c.o.Keys.SetBranding(q.ctx, q.project.ID, b); err != nil {
		q.fail(c, "branding", q.view("Hub branding", "branding", b), err)
		return
	}
	q.redirect("/branding", "branding-saved")
}

// brandingPreview is the Hub as the project's end users see it, framed by
// the branding page.
func (c *Console) brandingPreview(q *req) {
	var options []hub.Provider
	for _, conn := range c.o.Registry.All() {
		options = append(options, hub.Provider{Key: conn.Key, Name: conn.Name, LogoURL: "/static/icons/" + conn.Key + ".svg"})
	}
	b := q.project.Branding
	hub.RenderPreview(q.w, hub.Brand{Name: b.Name, LogoURL: b.LogoURL, Accent: b.Accent, SupportURL: b.SupportURL}, options)
}
