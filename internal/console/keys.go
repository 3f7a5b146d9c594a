package console

import (
	"net/http"
	"strings"

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
	keys, err := c.o.Keys.List(q.ctx, q.project.ID, store.Window{})
	return keyList{Keys: keys}, err
}

func (c *Console) listKeys(q *req) {
	l, err := c.keyList(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	if created := c.takeFlash(q, "/keys"); created != "" {
		role, plaintext, _ := strings.Cut(created, " ")
		l.Created, l.Role = plaintext, store.KeyRole(role)
	}
	c.render(q.w, http.StatusOK, "keys", q.view("API keys", "keys", l))
}

func (c *Console) createKey(q *req) {
	role := store.KeyRole(q.r.PostFormValue("role"))
	plaintext, _, err := c.o.Keys.Issue(q.ctx, q.project.ID, q.r.PostFormValue("name"), role)
	if err != nil {
		l, lerr := c.keyList(q)
		if lerr != nil {
			c.internal(q.w, q.r, lerr)
			return
		}
		q.fail(c, "keys", q.view("API keys", "keys", l), err)
		return
	}
	c.flash(q, "/keys", string(role)+" "+plaintext)
	q.redirect("/keys", "")
}

func (c *Console) revokeKey(q *req) {
	if _, err := c.o.Keys.Revoke(q.ctx, q.project.ID, q.r.PathValue("id")); err != nil {
		l, lerr := c.keyList(q)
		if lerr != nil {
			c.internal(q.w, q.r, lerr)
			return
		}
		q.fail(c, "keys", q.view("API keys", "keys", l), err)
		return
	}
	q.redirect("/keys", "key-revoked")
}
