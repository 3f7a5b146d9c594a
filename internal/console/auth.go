package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/patchbayhq/patchbay/internal/admins"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
)

func (c *Console) routes() {
	m := c
	m.HandleFunc("GET /console", c.home)
	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("GET /console/setup", c.setupPage)
	m.HandleFunc("POST /console/setup", c.setup)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/switch", c.switchProject)
	m.HandleFunc("GET /console/new-profile", c.newProfileAnywhere)
	m.HandleFunc("GET /console/people", c.signedInPage(c.listPeople))
	m.HandleFunc("POST /console/people/invite", c.signedInPage(c.invite))
	m.HandleFunc("POST /console/people/{id}/projects", c.signedInPage(c.setProjects))
	m.HandleFunc("POST /console/people/{id}/remove", c.signedInPage(c.removeAdmin))
	m.HandleFunc("GET /console/projects", c.signedInPage(c.listProjects))
	m.HandleFunc("POST /console/projects", c.signedInPage(c.createProject))
	m.HandleFunc("POST /console/projects/{id}/rename", c.signedInPage(c.renameProject))
	m.HandleFunc("GET /console/invite", c.invitationPage)
	m.HandleFunc("POST /console/invite", c.acceptInvitation)

	m.HandleFunc("GET /console/p/{project}", c.page(func(q *req) { q.redirect("/profiles", "") }))
	m.HandleFunc("GET /console/p/{project}/profiles", c.page(c.listProfiles))
	m.HandleFunc("GET /console/p/{project}/profiles/new", c.page(c.newProfile))
	m.HandleFunc("POST /console/p/{project}/profiles", c.page(c.createProfile))
	m.HandleFunc("GET /console/p/{project}/profiles/{id}", c.page(c.showProfile))
	m.HandleFunc("POST /console/p/{project}/profiles/{id}", c.page(c.updateProfile))
	m.HandleFunc("POST /console/p/{project}/profiles/{id}/enabled", c.page(c.enableProfile))
	m.HandleFunc("POST /console/p/{project}/profiles/{id}/delete", c.page(c.deleteProfile))

	m.HandleFunc("GET /console/p/{project}/accounts", c.page(c.listAccounts))
	m.HandleFunc("GET /console/p/{project}/accounts/link", c.page(c.linkPage))
	m.HandleFunc("POST /console/p/{project}/accounts/link", c.page(c.link))
	m.HandleFunc("GET /console/p/{project}/accounts/{id}", c.page(c.showAccount))
	m.HandleFunc("POST /console/p/{project}/accounts/{id}/relink", c.page(c.relink))
	m.HandleFunc("POST /console/p/{project}/accounts/{id}/sync", c.page(c.syncAccount))
	m.HandleFunc("GET /console/p/{project}/accounts/{id}/delete", c.page(c.confirmDeleteAccount))
	m.HandleFunc("POST /console/p/{project}/accounts/{id}/delete", c.page(c.deleteAccount))

	m.HandleFunc("GET /console/p/{project}/logs", c.page(c.listLogs))
	m.HandleFunc("GET /console/p/{project}/logs/{id}", c.page(c.showLog))

	m.HandleFunc("GET /console/p/{project}/keys", c.page(c.listKeys))
	m.HandleFunc("POST /console/p/{project}/keys", c.page(c.createKey))
	m.HandleFunc("POST /console/p/{project}/keys/{id}/revoke", c.page(c.revokeKey))

	m.HandleFunc("GET /console/p/{project}/webhooks", c.page(c.listWebhooks))
	m.HandleFunc("POST /console/p/{project}/webhooks", c.page(c.createWebhook))
	m.HandleFunc("GET /console/p/{project}/webhooks/{id}", c.page(c.showWebhook))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/enabled", c.page(c.enableWebhook))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/edit", c.page(c.editWebhook))
	m.HandleFunc("GET /console/p/{project}/webhooks/{id}/deliveries/{delivery}", c.page(c.showDelivery))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/test", c.page(c.testWebhook))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/rotate", c.page(c.rotateWebhook))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/delete", c.page(c.deleteWebhook))
	m.HandleFunc("POST /console/p/{project}/webhooks/{id}/deliveries/{delivery}/redeliver", c.page(c.redeliver))

	m.HandleFunc("GET /console/p/{project}/feedback", c.page(c.listFeedback))
	m.HandleFunc("GET /console/p/{project}/audit", c.page(c.listAudit))
	m.HandleFunc("GET /console/p/{project}/audit/export", c.page(c.exportAudit))
	m.HandleFunc("GET /console/p/{project}/branding", c.page(c.brandingPage))
	m.HandleFunc("POST /console/p/{project}/branding", c.page(c.saveBranding))
	m.HandleFunc("GET /console/p/{project}/branding/preview", c.page(c.brandingPreview))
	m.HandleFunc("GET /console/p/{project}/ai-apps", c.page(c.listAIApps))
	m.HandleFunc("POST /console/p/{project}/ai-apps/{id}/revoke", c.page(c.revokeAIApp))
	m.HandleFunc("GET /console/oauth/authorize", c.authorize)
	m.HandleFunc("POST /console/oauth/authorize", c.decide)

	m.Handle("GET /static/console/", Assets())
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, http.StatusNotFound, "message", view{Title: "Not found", Error: "There is no such page in the console."})
	})
}

// home sends a signed-in admin to their first project, others to sign in.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	if len(q.session.Projects) == 0 {
		c.render(w, http.StatusOK, "message", view{Title: "No projects", Session: &q.session,
			Error: "You are not an admin of any project yet.", Hint: "Ask another admin, or run: patchbay admins create --email you@example.com --projects PROJECT_ID"})
		return
	}
	http.Redirect(w, r, "/console/p/"+q.session.Projects[0].ID+"/profiles", http.StatusSeeOther)
}

func (c *Console) switchProject(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	p, member := q.session.Project(r.URL.Query().Get("project"))
	if !member {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/p/"+p.ID+"/"+sectionOr(r.URL.Query().Get("section")), http.StatusSeeOther)
}

// sectionOr keeps a section name the switcher may carry over.
func sectionOr(s string) string {
	switch s {
	case "accounts", "logs", "keys", "webhooks", "feedback", "audit":
		return s
	}
	return "profiles"
}

// newProfileAnywhere is where the setup guide sends an admin: the
// "+ Connector Profile" form of their first project, with the connector and
// actions the guide chose.
func (c *Console) newProfileAnywhere(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	if len(q.session.Projects) == 0 {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	form := url.Values{"connector": {r.URL.Query().Get("connector")}}
	if actions := r.URL.Query().Get("actions"); actions != "" {
		form.Set("actions", actions)
	}
	http.Redirect(w, r, "/console/p/"+q.session.Projects[0].ID+"/profiles/new?"+form.Encode(), http.StatusSeeOther)
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "signin", view{Title: "Sign in", Redirect: safeNext(r.URL.Query().Get("next"))})
}

// signIn checks the password, limited per client address on this node and
// per account across nodes (admins.SignIn).
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	// A failed attempt shows the form again with the email typed, so that
	// only the password needs typing again.
	v := view{Title: "Sign in", Redirect: safeNext(r.PostFormValue("next")), Data: strings.TrimSpace(r.PostFormValue("email"))}
	if ok, wait := c.signIns.Allow(clientAddress(r)); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfterHeader(wait))
		v.Error = "Too many sign-in attempts from your address; wait a minute and try again."
		c.render(w, http.StatusTooManyRequests, "signin", v)
		return
	}
	token, err := c.o.Admins.SignIn(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"))
	if err != nil {
		(&req{w: w, r: r}).fail(c, "signin", v, err)
		return
	}
	c.setCookie(w, token, int(admins.MaxAge.Seconds()))
	http.Redirect(w, r, v.Redirect, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	if err := c.o.Admins.SignOut(r.Context(), q.token); err != nil {
		c.internal(w, r, err)
		return
	}
	c.setCookie(w, "", -1)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "setup", view{Title: "Create the first admin", Data: r.URL.Query().Get("token")})
}

func (c *Console) setup(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Create the first admin", Data: r.PostFormValue("token")}
	if ok, wait := c.signIns.Allow(clientAddress(r)); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfterHeader(wait))
		v.Error = "Too many attempts from your address; wait a minute and try again."
		c.render(w, http.StatusTooManyRequests, "setup", v)
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		v.Error = "The two passwords differ."
		c.render(w, http.StatusBadRequest, "setup", v)
		return
	}
	token, err := c.o.Admins.SignUp(r.Context(), r.PostFormValue("token"), r.PostFormValue("email"), r.PostFormValue("password"))
	if err != nil {
		(&req{w: w, r: r}).fail(c, "setup", v, err)
		return
	}
	c.setCookie(w, token, int(admins.MaxAge.Seconds()))
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
