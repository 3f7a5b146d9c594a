package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
)

// profileRow is a profile in the list, with the accounts that use it.
type profileRow struct {
	profiles.View
	Accounts int
}

func (c *Console) listProfiles(q *req) {
	list, err := c.o.Profiles.List(q.ctx, q.project.ID, store.ProfileFilter{})
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	rows := make([]profileRow, 0, len(list))
	for _, p := range list {
		using, err := c.o.Accounts.Count(q.ctx, q.project.ID, store.AccountFilter{ProfileID: p.ID})
		if err != nil {
			c.internal(q.w, q.r, err)
			return
		}
		rows = append(rows, profileRow{View: c.o.Profiles.Describe(p), Accounts: using})
	}
	c.render(q.w, http.StatusOK, "profiles", q.view("Connector Profiles", "profiles", rows))
}

// profileForm is the create and edit form: the connector, its actions and
// what the admin typed.
type profileForm struct {
	Connector   *connectors.Connector
	Connectors  []*connectors.Connector
	Profile     profiles.View // on edit
	Version     int64         // on edit: the version the form shows, sent back with every change
	Name        string
	ClientID    string
	Environment string
	Actions     []string
	Default     bool
	Proxy       string
	Sync        profiles.SyncView
	// SyncModels are the models the connector can sync.
	SyncModels  []connectors.SyncModel
	RedirectURI string
	Accounts    int // on edit: the linked accounts using the profile
	// Overview, on the profile's page, is how its accounts are doing.
	Overview []accountHealth
	// Fields says, after a refused save, what is wrong with each field.
	Fields map[string]string
}

// SyncMinutes is the sync interval in minutes, as the form asks for it.
func (f profileForm) SyncMinutes() int64 { return f.Sync.IntervalSeconds / 60 }

// accountHealth is an account with its latest call and latest failure.
type accountHealth struct {
	Account             store.Account
	LastCall, LastError *store.RequestLog
}

// overviewSize is how many of a profile's accounts its page shows.
const overviewSize = 20

// profileOverview reads the profile's first accounts with their latest
// call and failure.
func (c *Console) profileOverview(q *req, profileID string) ([]accountHealth, error) {
	list, _, err := c.o.Accounts.List(q.ctx, q.project.ID, store.AccountFilter{ProfileID: profileID}, accounts.Page{Number: 1, Size: overviewSize})
	if err != nil {
		return nil, err
	}
	failed := false
	out := make([]accountHealth, len(list))
	for i, a := range list {
		out[i].Account = a
		for dst, f := range map[**store.RequestLog]store.LogFilter{
			&out[i].LastCall:  {AccountIDs: []string{a.ID}, Limit: 1},
			&out[i].LastError: {AccountIDs: []string{a.ID}, Success: &failed, Limit: 1},
		} {
			logs, err := c.o.Logs.List(q.ctx, q.project.ID, f)
			if err != nil {
				return nil, err
			}
			if len(logs) > 0 {
				*dst = &logs[0]
			}
		}
	}
	return out, nil
}

func (c *Console) newProfile(q *req) {
	f := profileForm{Connectors: c.o.Registry.All(), Environment: string(store.Production), Proxy: string(store.ProxyOff)}
	if c.simulators.Load() {
		f.Environment = string(store.Sandbox)
	}
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
		f.Sync, f.SyncModels = profiles.SyncView{IntervalSeconds: int64(profiles.DefaultSyncInterval / time.Second)}, syncModelsOf(conn)
		if preset := q.r.URL.Query().Get("actions"); preset != "" {
			f.Actions = strings.Split(preset, ",")
		}
	}
	c.render(q.w, http.StatusOK, "profile_new", q.view("New connector profile", "profiles", f))
}

func (c *Console) hasDefault(q *req, connector string) bool {
	list, _ := c.o.Profiles.List(q.ctx, q.project.ID, store.ProfileFilter{ConnectorKey: connector})
	for _, p := range list {
		if p.Default {
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
	if r.PostForm.Has("proxy") {
		proxy := r.PostFormValue("proxy")
		in.Proxy = &proxy
	}
	if r.PostForm.Has("sync_form") {
		enabled, models := r.PostFormValue("sync") == "on", r.PostForm["sync_models"]
		in.Sync = &profiles.SyncInput{Enabled: &enabled, Models: &models}
		if minutes, err := strconv.ParseInt(r.PostFormValue("sync_interval_minutes"), 10, 64); err == nil {
			seconds := minutes * 60
			in.Sync.IntervalSeconds = &seconds
		}
	}
	return in
}

// syncForm is the sync part of a form: what was typed, and the models the
// connector can sync.
func syncForm(r *http.Request, conn *connectors.Connector) (profiles.SyncView, []connectors.SyncModel) {
	v := profiles.SyncView{Enabled: r.PostFormValue("sync") == "on", Models: r.PostForm["sync_models"]}
	v.IntervalSeconds, _ = strconv.ParseInt(r.PostFormValue("sync_interval_minutes"), 10, 64)
	v.IntervalSeconds *= 60
	return v, syncModelsOf(conn)
}

// syncModelsOf lists the models the connector can sync.
func syncModelsOf(conn *connectors.Connector) []connectors.SyncModel {
	var out []connectors.SyncModel
	if conn == nil {
		return nil
	}
	for _, m := range connectors.SyncModels() {
		if _, ok := conn.SyncSource(m.ID); ok {
			out = append(out, m)
		}
	}
	return out
}

func (c *Console) createProfile(q *req) {
	key := q.r.PostFormValue("connector")
	var p store.ConnectorProfile
	var err error
	if q.r.PostFormValue("type") != "oauth2" {
		err = problem.New(problem.Invalid, "type: OAuth 2.0 is the only type these connectors use")
	} else {
		p, err = c.o.Profiles.Create(q.ctx, q.project.ID, profileInput(q.r, key))
	}
	if err != nil {
		f := profileForm{Connectors: c.o.Registry.All(), Name: q.r.PostFormValue("name"), ClientID: q.r.PostFormValue("client_id"),
			Environment: q.r.PostFormValue("environment"), Actions: q.r.PostForm["actions"], Default: q.r.PostFormValue("default") == "on",
			Proxy: q.r.PostFormValue("proxy")}
		if conn, ok := c.o.Registry.Get(key); ok {
			f.Connector, f.RedirectURI = conn, conn.RedirectURI(c.o.PublicURL)
			f.Sync, f.SyncModels = syncForm(q.r, conn)
		}
		c.profileError(q, "profile_new", q.view("New connector profile", "profiles", f), err)
		return
	}
	q.redirect("/profiles#"+p.ID, "profile-created")
}

// profileError shows what is wrong with a profile form. A form another admin's
// change made stale shows the profile as it now is, to reload from.
func (c *Console) profileError(q *req, page string, v view, err error) {
	if p, ok := errors.AsType[*problem.Error](err); ok {
		switch p.Kind {
		case problem.Invalid:
			if f, ok := v.Data.(profileForm); ok && len(p.Fields) > 0 {
				f.Fields = p.Fields
				v.Data = f
				err = &problem.Error{Kind: p.Kind, Message: "Nothing was saved: please fix the fields marked below."}
				break
			}
			err = &problem.Error{Kind: p.Kind, Message: "Please fix: " + p.Message}
		case problem.Stale:
			if cur, gerr := c.o.Profiles.Get(q.ctx, q.project.ID, q.r.PathValue("id")); gerr == nil {
				v = q.view(cur.Name, "profiles", c.profileFormFor(q, cur))
			}
			err = &problem.Error{Kind: p.Kind, Message: "This connector profile was changed by someone else since you opened it, so nothing was saved.",
				Hint: "Reload the page to see their changes, then make yours again."}
		}
	}
	q.fail(c, page, v, err)
}

func (c *Console) profileFormFor(q *req, p store.ConnectorProfile) profileForm {
	v := c.o.Profiles.Describe(p)
	conn, _ := c.o.Registry.Get(p.ConnectorKey)
	using, err := c.o.Accounts.Count(q.ctx, q.project.ID, store.AccountFilter{ProfileID: p.ID})
	if err != nil {
		c.o.Logger.WarnContext(q.ctx, "count a profile's accounts", "profile_id", p.ID, "err", err) // the page shows 0
	}
	return profileForm{Connector: conn, Profile: v, Version: p.Version, Name: p.Name, ClientID: p.ClientID, Environment: string(p.Environment),
		Actions: p.EnabledActions, Default: p.Default, Proxy: v.Proxy, Sync: v.Sync, SyncModels: syncModelsOf(conn), RedirectURI: v.RedirectURI,
		Accounts: using}
}

// editProfile reads the profile an edit form is about and runs change on
// it; the profile page shows what went wrong.
func (c *Console) editProfile(q *req, change func(id string) error) bool {
	existing, err := c.o.Profiles.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		q.fail(c, "message", q.view("Connector profile", "profiles", nil), err)
		return false
	}
	if err := change(existing.ID); err != nil {
		c.profileError(q, "profile", q.view(existing.Name, "profiles", c.profileFormFor(q, existing)), err)
		return false
	}
	return true
}

func (c *Console) showProfile(q *req) {
	p, err := c.o.Profiles.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		q.fail(c, "message", q.view("Connector profile", "profiles", nil), err)
		return
	}
	f := c.profileFormFor(q, p)
	if f.Overview, err = c.profileOverview(q, p.ID); err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	c.render(q.w, http.StatusOK, "profile", q.view(p.Name, "profiles", f))
}

func (c *Console) updateProfile(q *req) {
	ok := c.editProfile(q, func(id string) error {
		_, err := c.o.Profiles.Update(q.ctx, q.project.ID, id, formVersion(q.r), profileInput(q.r, ""))
		return err
	})
	if ok {
		q.redirect("/profiles/"+q.r.PathValue("id"), "profile-saved")
	}
}

func (c *Console) enableProfile(q *req) {
	enabled := q.r.PostFormValue("enabled") == "true"
	ok := c.editProfile(q, func(id string) error {
		_, err := c.o.Profiles.SetEnabled(q.ctx, q.project.ID, id, formVersion(q.r), enabled)
		return err
	})
	if !ok {
		return
	}
	notice := "profile-disabled"
	if enabled {
		notice = "profile-enabled"
	}
	q.redirect("/profiles/"+q.r.PathValue("id"), notice)
}

func (c *Console) deleteProfile(q *req) {
	if c.editProfile(q, func(id string) error { return c.o.Profiles.Delete(q.ctx, q.project.ID, id, formVersion(q.r)) }) {
		q.redirect("/profiles", "profile-deleted")
	}
}
