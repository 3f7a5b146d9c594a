package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/admins"
	"github.com/patchbayhq/patchbay/internal/store"
)

// signedInPage wraps a page of no project: it needs a session (and on a
// POST its CSRF token), as page does.
func (c *Console) signedInPage(fn func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if q, ok := c.signedIn(w, r); ok {
			fn(q)
		}
	}
}

// peoplePage lists the admins, with the invitation just made.
type peoplePage struct {
	People []admins.Person
	Mine   []store.Project // the projects this admin may give
	Link   string          // a new invitation's link, shown once
}

// Yours reports whether project id is one of this admin's, to give or take.
func (p peoplePage) Yours(id string) bool {
	return slices.ContainsFunc(p.Mine, func(pr store.Project) bool { return pr.ID == id })
}

// Given reports whether the person sees project id.
func (p peoplePage) Given(person admins.Person, id string) bool {
	return slices.ContainsFunc(person.Projects, func(pr store.Project) bool { return pr.ID == id })
}

func (c *Console) peoplePage(q *req) (peoplePage, error) {
	people, err := c.o.Admins.People(q.ctx)
	return peoplePage{People: people, Mine: q.session.Projects}, err
}

func (c *Console) listPeople(q *req) {
	p, err := c.peoplePage(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	p.Link = c.takeFlash(q, "/people")
	c.render(q.w, http.StatusOK, "people", q.view("People", "people", p))
}

// peopleAction runs a change and shows the people page again, or the error
// on it.
func (c *Console) peopleAction(q *req, notice string, act func() error) {
	if err := act(); err != nil {
		p, perr := c.peoplePage(q)
		if perr != nil {
			c.internal(q.w, q.r, perr)
			return
		}
		q.fail(c, "people", q.view("People", "people", p), err)
		return
	}
	q.redirect("/people", notice)
}

func (c *Console) invite(q *req) {
	c.peopleAction(q, "", func() error {
		q.r.ParseForm()
		link, err := c.o.Admins.Invite(q.ctx, q.session.Admin, q.r.PostFormValue("email"), q.r.PostForm["projects"], c.o.PublicURL)
		if err == nil {
			c.flash(q, "/people", link)
		}
		return err
	})
}

func (c *Console) setProjects(q *req) {
	c.peopleAction(q, "projects-saved", func() error {
		q.r.ParseForm()
		return c.o.Admins.SetProjects(q.ctx, q.session.Admin, q.r.PathValue("id"), q.r.PostForm["projects"])
	})
}

func (c *Console) removeAdmin(q *req) {
	c.peopleAction(q, "admin-removed", func() error {
		return c.o.Admins.Remove(q.ctx, q.session.Admin, q.r.PathValue("id"))
	})
}

func (c *Console) listProjects(q *req) {
	c.render(q.w, http.StatusOK, "projects", q.view("Projects", "projects", q.session.Projects))
}

// createProject makes a project, gives it to this admin and opens its
// API keys page, where its first key is made.
func (c *Console) createProject(q *req) {
	p, err := c.o.Keys.CreateProject(q.ctx, q.r.PostFormValue("name"), q.session.Admin.ID)
	if err != nil {
		q.fail(c, "projects", q.view("Projects", "projects", q.session.Projects), err)
		return
	}
	http.Redirect(q.w, q.r, "/console/p/"+p.ID+"/keys", http.StatusSeeOther)
}

func (c *Console) renameProject(q *req) {
	id := q.r.PathValue("id")
	if _, mine := q.session.Project(id); !mine {
		c.render(q.w, http.StatusNotFound, "message", view{Title: "Not found", Session: &q.session,
			Error: "There is no such project, or you are not one of its admins."})
		return
	}
	if _, err := c.o.Keys.RenameProject(q.ctx, id, q.r.PostFormValue("name")); err != nil {
		q.fail(c, "projects", q.view("Projects", "projects", q.session.Projects), err)
		return
	}
	q.redirect("/projects", "project-renamed")
}

// invitePage is where an invited person picks a password.
type invitePage struct {
	Token    string
	Email    string
	Projects int
}

func (c *Console) invitationPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	inv, err := c.o.Admins.Invitation(r.Context(), token)
	if err != nil {
		(&req{w: w, r: r}).fail(c, "message", view{Title: "Invitation"}, err)
		return
	}
	c.render(w, http.StatusOK, "invite", view{Title: "Join Patchbay", Data: invitePage{Token: token, Email: inv.Email, Projects: len(inv.ProjectIDs)}})
}

func (c *Console) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	v := view{Title: "Join Patchbay", Data: invitePage{Token: token, Email: strings.TrimSpace(r.PostFormValue("email"))}}
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		v.Error = "The two passwords differ."
		c.render(w, http.StatusBadRequest, "invite", v)
		return
	}
	session, err := c.o.Admins.AcceptInvite(r.Context(), token, r.PostFormValue("password"))
	if err != nil {
		(&req{w: w, r: r}).fail(c, "invite", v, err)
		return
	}
	c.setCookie(w, session, int(admins.MaxAge.Seconds()))
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
