package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/store"
)

// keyList is the API keys page; Created holds a new key's plaintext, shown
// in this one answer only.
type keyList struct {
	Keys    []store.APIKey
	Created string
	Role    store.KeyRole
}

func (c *Console) keyList(q *req) (keyList, error) {
	keys, err := c.o.Store.ListAPIKeys(q.ctx, q.project.ID)
	return keyList{Keys: keys}, err
}

func (c *Console) listKeys(q *req) {
	l, err := c.keyList(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	c.render(q.w, http.StatusOK, "keys", q.view("API keys", "keys", l))
}

func (c *Console) createKey(q *req) {
	name, role := strings.TrimSpace(q.r.PostFormValue("name")), store.KeyRole(q.r.PostFormValue("role"))
	var problem string
	switch {
	case name == "" || len(name) > 200:
		problem = "Name: give the key a name (at most 200 characters), such as the service that will use it."
	case role != store.RoleAdmin && role != store.RoleRuntime:
		problem = "Role: admin or runtime."
	}
	var plaintext string
	var err error
	if problem == "" {
		plaintext, _, err = apikeys.IssueRole(q.ctx, c.o.Store, q.project.ID, name, role)
		if err != nil {
			c.internal(q.w, q.r, err)
			return
		}
	}
	l, err := c.keyList(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	l.Created, l.Role = plaintext, role
	v := q.view("API keys", "keys", l)
	status := http.StatusCreated
	if problem != "" {
		v.Error, status = problem, http.StatusBadRequest
	}
	c.render(q.w, status, "keys", v)
}

func (c *Console) revokeKey(q *req) {
	_, err := c.o.Store.RevokeAPIKey(q.ctx, q.project.ID, q.r.PathValue("id"), c.o.Clock.Now())
	if err == nil {
		q.redirect("/keys", "key-revoked")
		return
	}
	l, lerr := c.keyList(q)
	if lerr != nil {
		c.internal(q.w, q.r, lerr)
		return
	}
	v := q.view("API keys", "keys", l)
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Error = "There is no such key in this project."
		c.render(q.w, http.StatusNotFound, "keys", v)
	case errors.Is(err, store.ErrConflict):
		v.Error = "This is the project's last valid admin key; create another admin key before revoking it."
		c.render(q.w, http.StatusConflict, "keys", v)
	default:
		c.internal(q.w, q.r, err)
	}
}
