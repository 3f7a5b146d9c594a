package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/syncs"
)

// accountList is the accounts page: the filters as given, one page, and
// where the next page starts.
type accountList struct {
	Provider, Status, Owner string
	Profile, ProfileName    string // a connector profile's id, from its page's link, and its name
	Providers, Statuses     []string
	Accounts                []store.Account
	Page, Prev, Next        int // Prev and Next are 0 where there is none
}

func (c *Console) listAccounts(q *req) {
	qs := q.r.URL.Query()
	l := accountList{Provider: qs.Get("provider"), Status: qs.Get("status"), Owner: strings.TrimSpace(qs.Get("owner")), Profile: qs.Get("profile"), Page: 1,
		Statuses: []string{string(store.StatusActive), string(store.StatusInactive), string(store.StatusError), string(store.StatusExpired)}}
	for _, conn := range c.o.Registry.All() {
		l.Providers = append(l.Providers, conn.Key)
	}
	if n, err := strconv.Atoi(qs.Get("page")); err == nil && n > 0 {
		l.Page = n
	}
	var f store.AccountFilter
	if l.Provider != "" {
		f.Providers = []string{l.Provider}
	}
	if l.Status != "" {
		f.Statuses = []string{l.Status}
	}
	if l.Owner != "" {
		f.OriginOwnerIDs = []string{l.Owner}
	}
	f.ProfileID = l.Profile
	if l.Profile != "" {
		l.ProfileName = l.Profile
		if p, err := c.o.Profiles.Get(q.ctx, q.project.ID, l.Profile); err == nil {
			l.ProfileName = p.Name
		}
	}
	list, next, err := c.o.Accounts.List(q.ctx, q.project.ID, f, accounts.Page{Number: l.Page, Size: 25})
	if err != nil {
		q.fail(c, "accounts", q.view("Accounts", "accounts", l), err)
		return
	}
	l.Accounts, l.Prev = list, l.Page-1
	if next != "" {
		l.Next = l.Page + 1
	}
	c.render(q.w, http.StatusOK, "accounts", q.view("Accounts", "accounts", l))
}

// accountPage is one account: never its tokens, only the scopes granted.
type accountPage struct {
	Account store.Account
	Scopes  []string
	Sealed  bool // its credentials cannot be opened
	Calls   []store.RequestLog
	Link    *linking.NewSession // after a re-link was asked for
	// ProfileName names the account's connector profile (its id when it
	// cannot be read).
	ProfileName string
	// Sync is each model's sync, when the profile syncs.
	Sync syncs.Status
}

func (c *Console) accountPage(q *req) (accountPage, error) {
	a, err := c.o.Accounts.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		return accountPage{}, err
	}
	p := accountPage{Account: a, ProfileName: a.ProfileID}
	if prof, err := c.o.Profiles.Get(q.ctx, q.project.ID, a.ProfileID); err == nil {
		p.ProfileName = prof.Name
	}
	if p.Scopes, p.Sealed, err = c.o.Accounts.GrantedScopes(q.ctx, q.project.ID, a.ID); err != nil {
		return accountPage{}, err
	}
	if p.Sync, err = c.o.Syncs.Status(q.ctx, q.project.ID, a.ID); err != nil {
		return accountPage{}, err
	}
	p.Calls, err = c.o.Logs.List(q.ctx, q.project.ID, store.LogFilter{AccountIDs: []string{a.ID}, Limit: 10})
	return p, err
}

// SyncEvery says how often the account is synced, in words.
func (p accountPage) SyncEvery() string {
	d := time.Duration(p.Sync.Interval) * time.Second
	switch {
	case d%time.Hour == 0 && d > time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Hour:
		return "hour"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// syncAccount runs the account's sync now.
func (c *Console) syncAccount(q *req) {
	id := q.r.PathValue("id")
	queued, err := c.o.Syncs.Now(q.ctx, q.project.ID, id, nil, q.r.PostFormValue("full") == "true")
	if err != nil {
		q.fail(c, "message", q.view("Account", "accounts", nil), err)
		return
	}
	notice := "sync-queued"
	if !queued {
		notice = "sync-busy"
	}
	q.redirect("/accounts/"+id, notice)
}

func (c *Console) showAccount(q *req) {
	p, err := c.accountPage(q)
	if err != nil {
		q.fail(c, "message", q.view("Account", "accounts", nil), err)
		return
	}
	c.render(q.w, http.StatusOK, "account", q.view(p.Account.OriginOwnerName, "accounts", p))
}

// relink makes a Hub link that links this account again.
func (c *Console) relink(q *req) {
	p, err := c.accountPage(q)
	if err == nil {
		var s linking.NewSession
		s, err = c.o.Linking.CreateSession(q.ctx, q.project.ID, linking.SessionInput{AccountID: p.Account.ID,
			OriginOwnerID: p.Account.OriginOwnerID, OriginOwnerName: p.Account.OriginOwnerName, Provider: p.Account.Provider})
		p.Link = &s
	}
	if err != nil {
		q.fail(c, "message", q.view("Account", "accounts", nil), err)
		return
	}
	c.render(q.w, http.StatusOK, "account", q.view(p.Account.OriginOwnerName, "accounts", p))
}

func (c *Console) confirmDeleteAccount(q *req) {
	a, err := c.o.Accounts.Get(q.ctx, q.project.ID, q.r.PathValue("id"))
	if err != nil {
		q.fail(c, "message", q.view("Delete account", "accounts", nil), err)
		return
	}
	c.render(q.w, http.StatusOK, "account_delete", q.view("Delete account", "accounts", a))
}

func (c *Console) deleteAccount(q *req) {
	if _, err := c.o.Accounts.Delete(q.ctx, q.project.ID, q.r.PathValue("id"), store.AnyVersion); err != nil {
		q.fail(c, "message", q.view("Delete account", "accounts", nil), err)
		return
	}
	q.redirect("/accounts", "account-deleted")
}

// linkForm is the Link account page: the project's connectors with an
// enabled profile, the owner typed, and once made, the Hub link.
type linkForm struct {
	// Profiles are the enabled connector profiles a link may be for.
	Profiles                          []store.ConnectorProfile
	Profile, OwnerID, OwnerName, User string
	Link                              *linking.NewSession
}

func (c *Console) linkForm(q *req) (linkForm, error) {
	enabled := true
	list, err := c.o.Profiles.List(q.ctx, q.project.ID, store.ProfileFilter{Enabled: &enabled})
	return linkForm{Profiles: list, Profile: q.r.URL.Query().Get("profile")}, err
}

func (c *Console) linkPage(q *req) {
	f, err := c.linkForm(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	c.render(q.w, http.StatusOK, "link", q.view("Link account", "accounts", f))
}

// link creates a connect session for the owner and shows its Hub link.
func (c *Console) link(q *req) {
	f, err := c.linkForm(q)
	if err != nil {
		c.internal(q.w, q.r, err)
		return
	}
	f.Profile, f.OwnerID = q.r.PostFormValue("profile"), strings.TrimSpace(q.r.PostFormValue("origin_owner_id"))
	f.OwnerName, f.User = strings.TrimSpace(q.r.PostFormValue("origin_owner_name")), strings.TrimSpace(q.r.PostFormValue("origin_username"))
	// No profile chosen: the customer picks a provider in the Hub, and each
	// provider's default profile serves.
	s, err := c.o.Linking.CreateSession(q.ctx, q.project.ID, linking.SessionInput{ConnectorProfileID: f.Profile, OriginOwnerID: f.OwnerID,
		OriginOwnerName: f.OwnerName, OriginUsername: f.User})
	if err != nil {
		q.fail(c, "link", q.view("Link account", "accounts", f), err)
		return
	}
	f.Link = &s
	c.render(q.w, http.StatusOK, "link", q.view("Link account", "accounts", f))
}
