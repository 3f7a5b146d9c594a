package console

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// consentPage is what the consent page shows: the app asking, and the
// project's accounts and enabled actions to choose from.
type consentPage struct {
	Request  aiapps.Request
	Params   url.Values // the authorization request, carried by the form
	Accounts []store.Account
	Owners   []owner
	Actions  []aiapps.GrantableAction
	Choice   aiapps.Consent
}

type owner struct{ ID, Name string }

// authorize shows the consent page of an AI app's authorization request.
func (c *Console) authorize(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	ar, ok := c.authorizationRequest(q, r.URL.Query())
	if !ok {
		return
	}
	project := r.URL.Query().Get("project")
	if project == "" && len(q.session.Projects) > 0 {
		project = q.session.Projects[0].ID
	}
	c.showConsent(q, ar, aiapps.Consent{ProjectID: project}, http.StatusOK, "")
}

// decide records the admin's answer to an authorization request.
func (c *Console) decide(w http.ResponseWriter, r *http.Request) {
	q, ok := c.signedIn(w, r)
	if !ok {
		return
	}
	ar, ok := c.authorizationRequest(q, r.PostForm)
	if !ok {
		return
	}
	if r.PostFormValue("decision") != "approve" {
		http.Redirect(w, r, c.o.AIApps.Deny(ar), http.StatusSeeOther)
		return
	}
	choice := aiapps.Consent{ProjectID: r.PostFormValue("project"), Actions: r.PostForm["action"], Tools: r.PostFormValue("tools"),
		ReadOnly: r.PostFormValue("read_only") == "on"}
	if reach := r.PostFormValue("reach"); strings.HasPrefix(reach, "owner:") {
		choice.OwnerID = strings.TrimPrefix(reach, "owner:")
	} else {
		choice.AccountIDs = r.PostForm["account"]
	}
	to, err := c.o.AIApps.Approve(q.ctx, q.session.Admin, ar, choice)
	if p, ok := errors.AsType[*problem.Error](err); ok {
		c.showConsent(q, ar, choice, problem.HTTPStatus(p), p.Message)
		return
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// authorizationRequest checks the request's OAuth parameters; a failure goes
// back to the app where it can be told, and is shown here otherwise.
func (c *Console) authorizationRequest(q *req, params url.Values) (aiapps.Request, bool) {
	ar, err := c.o.AIApps.Authorization(q.ctx, params)
	if e, ok := errors.AsType[*aiapps.Error](err); ok {
		if e.RedirectTo != "" {
			http.Redirect(q.w, q.r, e.RedirectTo, http.StatusSeeOther)
			return ar, false
		}
		c.render(q.w, http.StatusBadRequest, "message", view{Title: "Cannot connect this app", Session: &q.session,
			Error: e.Description, Hint: "Start again from the app; if it keeps failing, the app's OAuth settings are wrong."})
		return ar, false
	}
	if err != nil {
		c.internal(q.w, q.r, err)
		return ar, false
	}
	return ar, true
}

func (c *Console) showConsent(q *req, ar aiapps.Request, choice aiapps.Consent, status int, failure string) {
	v := view{Title: "Connect " + ar.Client.Name, Session: &q.session, Error: failure}
	if p, member := q.session.Project(choice.ProjectID); member {
		v.Project = p
	} else if choice.ProjectID != "" || len(q.session.Projects) == 0 {
		v.Error = "Choose one of your projects; you are not an admin of " + cmp.Or(choice.ProjectID, "any project") + "."
	}
	page := consentPage{Request: ar, Params: ar.Query(), Choice: choice}
	if v.Project.ID != "" {
		list, _, err := c.o.Accounts.List(q.ctx, v.Project.ID, store.AccountFilter{}, accounts.Page{Number: 1, Size: accounts.MaxPageSize})
		if err != nil {
			c.internal(q.w, q.r, err)
			return
		}
		page.Accounts = list
		for _, a := range list {
			if a.OriginOwnerID != "" && !slices.ContainsFunc(page.Owners, func(o owner) bool { return o.ID == a.OriginOwnerID }) {
				page.Owners = append(page.Owners, owner{a.OriginOwnerID, cmp.Or(a.OriginOwnerName, a.OriginOwnerID)})
			}
		}
		if page.Actions, err = c.o.AIApps.Grantable(q.ctx, v.Project.ID); err != nil {
			c.internal(q.w, q.r, err)
			return
		}
	}
	v.Data = page
	// The form's answer redirects to the app: the page must allow that target.
	q.w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self' "+formTarget(ar.RedirectURI))
	c.render(q.w, status, "consent", v)
}

// formTarget is the CSP source that lets a form's redirect reach uri.
func formTarget(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// listAIApps shows the project's connected AI apps.
func (c *Console) listAIApps(q *req) {
	grants, err := c.o.AIApps.List(q.ctx, q.project.ID)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	c.render(q.w, http.StatusOK, "aiapps", q.view("Connected AI apps", "ai-apps", grants))
}

// revokeAIApp ends a grant.
func (c *Console) revokeAIApp(q *req) {
	if err := c.o.AIApps.Revoke(q.ctx, q.project.ID, q.r.PathValue("id")); err != nil {
		q.fail(c, "aiapps", q.view("Connected AI apps", "ai-apps", nil), err)
		return
	}
	q.redirect("/ai-apps", "ai-app-revoked")
}
