package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
)

// profileRow is a profile in the list, with the accounts that use it.
type profileRow struct {
	profiles.View
	Accounts int
}

func (c *Console) listProfiles(q *req) {
	list, err := c.o.Store.ListConnectorProfiles(q.ctx, q.project.ID, store.ProfileFilter{})
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	rows := make([]profileRow, 0, len(list))
	for _, p := range list {
		using, err := c.o.Store.CountAccounts(q.ctx, q.project.ID, store.AccountFilter{ProfileID: p.ID})
		if err != nil {
			c.internal(q.w, q.r, err)
			return
		}
		rows = append(rows, profileRow{View: profiles.Describe(c.o.Registry, c.o.PublicURL, p), Accounts: using})
	}
	c.render(q.w, http.StatusOK, "profiles", q.view("Connector Profiles", "profiles", rows))
}

// profileForm is the create and edit form: the connector, its actions and
// what the admin typed.
type profileForm struct {
	Connector   *connectors.Connector
	Connectors  []*connectors.Connector
	Profile     profiles.View // on edit
	Name        string
	ClientID    string
	Environment string
	Actions     []string
	Default     bool
	RedirectURI string
}

func (c *Console) newProfile(q *req) {
	f := profileForm{Connectors: c.o.Registry.All(), Environment: string(store.Production)}
	if key := q.r.URL.Query().Get("connector"); key != "" {
		conn, ok := c.o.Registry.Get(key)
		if !ok {
			v := q.view("New connector profile", "profiles", f)
			v.Error = fmt.Sprintf("There is no connector %q; pick one below.", key)
			c.render(q.w, http.StatusNotFound, "profile_new", v)
			return
		}
		f.Connector, f.Name, f.RedirectURI = conn, conn.Name, conn.RedirectURI(c.o.PublicURL)
		f.Default = !c.hasDefault(q, conn.Key)
		if preset := q.r.URL.Query().Get("actions"); preset != "" {
			f.Actions = strings.Split(preset, ",")
		}
	}
	c.render(q.w, http.StatusOK, "profile_new", q.view("New connector profile", "profiles", f))
}

func (c *Console) hasDefault(q *req, connector string) bool {
	list, _ := c.o.Store.ListConnectorProfiles(q.ctx, q.project.ID, store.ProfileFilter{})
	for _, p := range list {
		if p.ConnectorKey == connector && p.Default {
			return true
		}
	}
	return false
}

// profileInput reads the form into the profiles service's input. The
// secret is only sent when typed: an empty field keeps the stored one.
func profileInput(r *http.Request, connector string) profiles.Input {
	r.ParseForm()
	name, clientID, env := r.PostFormValue("name"), r.PostFormValue("client_id"), r.PostFormValue("environment")
	actions := r.PostForm["actions"]
	isDefault := r.PostFormValue("default") == "on"
	in := profiles.Input{Name: &name, ClientID: &clientID, Environment: &env, EnabledActions: &actions, Default: &isDefault}
	if connector != "" {
		in.ConnectorKey = &connector
	}
	if secret := r.PostFormValue("client_secret"); secret != "" {
		in.ClientSecret = &secret
	}
	return in
}

func (c *Console) createProfile(q *req) {
	key := q.r.PostFormValue("connector")
	p, err := profiles.Apply(c.o.Registry, nil, profileInput(q.r, key))
	if err == nil && q.r.PostFormValue("type") != "oauth2" {
		err = &profiles.ValidationError{Fields: []string{"type: OAuth 2.0 is the only type these connectors use"}}
	}
	if err == nil {
		p.ProjectID = q.project.ID
		p, err = c.o.Store.CreateConnectorProfile(q.ctx, p)
	}
	if err != nil {
		f := profileForm{Connectors: c.o.Registry.All(), Name: q.r.PostFormValue("name"), ClientID: q.r.PostFormValue("client_id"),
			Environment: q.r.PostFormValue("environment"), Actions: q.r.PostForm["actions"], Default: q.r.PostFormValue("default") == "on"}
		if conn, ok := c.o.Registry.Get(key); ok {
			f.Connector, f.RedirectURI = conn, conn.RedirectURI(c.o.PublicURL)
		}
		c.profileError(q, "profile_new", q.view("New connector profile", "profiles", f), err)
		return
	}
	q.redirect("/profiles#"+p.ID, "profile-created")
}

// profileError shows what is wrong with a profile form, field by field.
func (c *Console) profileError(q *req, page string, v view, err error) {
	var invalid *profiles.ValidationError
	switch {
	case errors.As(err, &invalid):
		v.Error = "Please fix: " + strings.Join(invalid.Fields, "; ")
		c.render(q.w, http.StatusBadRequest, page, v)
	case errors.Is(err, store.ErrNotFound):
		v.Error = "There is no such connector profile in this project."
		c.render(q.w, http.StatusNotFound, "message", v)
	case errors.Is(err, store.ErrConflict):
		v.Error = "This connector profile cannot be deleted while accounts use it: " + conflictDetail(err)
		v.Hint = "Delete those accounts first, or disable the profile instead."
		c.render(q.w, http.StatusConflict, page, v)
	default:
		c.internal(q.w, q.r, err)
	}
}

// conflictDetail is the store's explanation after "conflict: ".
func conflictDetail(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "conflict: "); i >= 0 {
		return msg[i+len("conflict: "):]
	}
	return msg
}

func (c *Console) profileFormFor(p store.ConnectorProfile) profileForm {
	v := profiles.Describe(c.o.Registry, c.o.PublicURL, p)
	conn, _ := c.o.Registry.Get(p.ConnectorKey)
	return profileForm{Connector: conn, Profile: v, Name: p.Name, ClientID: p.ClientID, Environment: string(p.Environment),
		Actions: p.EnabledActions, Default: p.Default, RedirectURI: v.RedirectURI}
}

func (c *Console) showProfile(q *req) {
	p, err := c.o.Store.GetConnectorProfile(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		c.profileError(q, "message", q.view("Connector profile", "profiles", nil), err)
		return
	}
	c.render(q.w, http.StatusOK, "profile", q.view(p.Name, "profiles", c.profileFormFor(p)))
}

func (c *Console) updateProfile(q *req) {
	existing, err := c.o.Store.GetConnectorProfile(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		c.profileError(q, "message", q.view("Connector profile", "profiles", nil), err)
		return
	}
	p, err := profiles.Apply(c.o.Registry, &existing, profileInput(q.r, ""))
	if err == nil {
		_, err = c.o.Store.UpdateConnectorProfile(q.ctx, p)
	}
	if err != nil {
		c.profileError(q, "profile", q.view(existing.Name, "profiles", c.profileFormFor(existing)), err)
		return
	}
	q.redirect("/profiles/"+existing.ID, "profile-saved")
}

func (c *Console) enableProfile(q *req) {
	existing, err := c.o.Store.GetConnectorProfile(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		c.profileError(q, "message", q.view("Connector profile", "profiles", nil), err)
		return
	}
	enabled := q.r.PostFormValue("enabled") == "true"
	p, err := profiles.Apply(c.o.Registry, &existing, profiles.Input{Enabled: &enabled})
	if err == nil {
		_, err = c.o.Store.UpdateConnectorProfile(q.ctx, p)
	}
	if err != nil {
		c.profileError(q, "profile", q.view(existing.Name, "profiles", c.profileFormFor(existing)), err)
		return
	}
	notice := "profile-disabled"
	if enabled {
		notice = "profile-enabled"
	}
	q.redirect("/profiles/"+existing.ID, notice)
}

func (c *Console) deleteProfile(q *req) {
	existing, err := c.o.Store.GetConnectorProfile(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err == nil {
		err = c.o.Store.DeleteConnectorProfile(q.ctx, q.project.ID, existing.ID)
	}
	if err != nil {
		c.profileError(q, "profile", q.view(existing.Name, "profiles", c.profileFormFor(existing)), err)
		return
	}
	q.redirect("/profiles", "profile-deleted")
}
