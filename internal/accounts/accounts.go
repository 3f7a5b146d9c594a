// Package accounts is the service every change to a linked account goes
// through, from every front end and from the token manager: listing, reading,
// editing, linking, status changes and deletion with revocation. Each change is
// reported once, here, to the observers (metrics and the log today; webhooks
// hang on the same place).
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// ChangeKind names what happened to an account.
type ChangeKind string

// Kinds of change.
const (
	Created       ChangeKind = "created"
	Relinked      ChangeKind = "relinked" // linked again through the Hub
	Updated       ChangeKind = "updated"  // fields edited
	StatusChanged ChangeKind = "status_changed"
	Deleted       ChangeKind = "deleted"
)

// Change is one change to an account. Account is the account after it (before
// it, for Deleted); Previous is the status it had.
type Change struct {
	Kind     ChangeKind
	Account  store.Account
	Previous store.AccountStatus
}

// Observer learns of every change once it is committed.
type Observer func(context.Context, Change)

// Service manages linked accounts. It is safe for concurrent use.
type Service struct {
	store     store.Store
	tokens    *tokens.Manager
	log       *slog.Logger
	changes   *prometheus.CounterVec
	observers []Observer
}

// New returns the service; tokens revokes grants on deletion.
func New(st store.Store, tm *tokens.Manager, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, tokens: tm, log: log, changes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "patchbay_account_changes_total", Help: "Changes to linked accounts, by kind and resulting status."}, []string{"change", "status"})}
}

// Collector returns the service's metrics for registration.
func (s *Service) Collector() prometheus.Collector { return s.changes }

// Observe adds an observer of every later change. Call it while wiring, before use.
func (s *Service) Observe(o Observer) { s.observers = append(s.observers, o) }

func (s *Service) notify(ctx context.Context, c Change) {
	s.changes.WithLabelValues(string(c.Kind), string(c.Account.Status)).Inc()
	s.log.InfoContext(ctx, "account "+string(c.Kind), "account_id", c.Account.ID, "project_id", c.Account.ProjectID,
		"provider", c.Account.Provider, "status", c.Account.Status)
	for _, o := range s.observers {
		o(ctx, c)
	}
}

// Page selects one page of a list: Number from 1, Size from 1 to MaxPageSize.
// After, the next of an earlier page, continues the list from there instead
// of counting pages, at the same cost however deep it goes.
type Page struct {
	Number, Size int
	After        string
}

// MaxPageSize bounds a page of accounts, and MaxPage how far pages go.
const (
	MaxPageSize = 500
	MaxPage     = 1_000_000
)

// List returns one page of the project's accounts matching f, oldest first,
// and the next value that continues after it ("" after the last page).
func (s *Service) List(ctx context.Context, projectID string, f store.AccountFilter, page Page) ([]store.Account, string, error) {
	if page.Number < 1 || page.Number > MaxPage || page.Size < 1 || page.Size > MaxPageSize {
		return nil, "", problem.New(problem.Invalid, "page must be 1 to %d and page_size 1 to %d", MaxPage, MaxPageSize)
	}
	f.Offset, f.Limit = (page.Number-1)*page.Size, page.Size
	if page.After != "" {
		if page.Number != 1 {
			return nil, "", problem.New(problem.Invalid, "next: give next or page, not both")
		}
		key, err := paging.Parse(page.After)
		if err != nil {
			return nil, "", err
		}
		f.After = key
	}
	list, err := s.store.ListAccounts(ctx, projectID, f)
	if err != nil || len(list) < page.Size {
		return list, "", err
	}
	last := list[len(list)-1]
	return list, paging.Cursor(store.ListKey{CreatedAt: last.CreatedAt, ID: last.ID}), nil
}

// Get returns one account of the project without its credentials, which no
// front end shows: an account whose credentials cannot be opened can still be
// seen, edited and deleted.
func (s *Service) Get(ctx context.Context, projectID, id string) (store.Account, error) {
	found, err := s.store.ListAccounts(ctx, projectID, store.AccountFilter{AccountIDs: []string{id}, Limit: 1})
	if err != nil {
		return store.Account{}, err
	}
	if len(found) == 0 {
		return store.Account{}, problem.New(problem.NotFound, "No account %s in this project", id)
	}
	return found[0], nil
}

// Patch is an edit of an account's descriptive fields; nil fields stay as they are.
type Patch struct {
	OriginOwnerName  *string           `json:"origin_owner_name"`
	OriginUsername   *string           `json:"origin_username"`
	Label            *string           `json:"label"`
	Type             *string           `json:"type"`
	Metadata         map[string]any    `json:"metadata"`
	SetupInformation map[string]string `json:"setup_information"`
}

// Update applies p to an account.
func (s *Service) Update(ctx context.Context, projectID, id string, p Patch) (store.Account, error) {
	a, err := s.Get(ctx, projectID, id)
	if err != nil {
		return store.Account{}, err
	}
	if p.Type != nil && !slices.Contains([]string{"", "production", "test"}, *p.Type) {
		return store.Account{}, problem.New(problem.Invalid, "type: use production or test")
	}
	for dst, src := range map[*string]*string{&a.OriginOwnerName: p.OriginOwnerName, &a.OriginUsername: p.OriginUsername, &a.Label: p.Label, &a.Type: p.Type} {
		if src != nil {
			*dst = *src
		}
	}
	if p.Metadata != nil {
		a.Metadata = p.Metadata
	}
	if p.SetupInformation != nil {
		a.SetupInformation = p.SetupInformation
	}
	if a.OriginOwnerName == "" {
		return store.Account{}, problem.New(problem.Invalid, "origin_owner_name: must not be empty")
	}
	a, err = s.store.UpdateAccount(ctx, a)
	if err != nil {
		return store.Account{}, err
	}
	s.notify(ctx, Change{Kind: Updated, Account: a, Previous: a.Status})
	return a, nil
}

// Delete revokes the account's grant where the provider supports it, then
// forgets the account, and returns it as it was. A failed revocation is logged, not fatal: the customer
// asked to disconnect, and the tokens are gone from here either way.
func (s *Service) Delete(ctx context.Context, projectID, id string) (store.Account, error) {
	a, err := s.Get(ctx, projectID, id)
	if err != nil {
		return store.Account{}, err
	}
	switch full, err := s.store.GetAccount(ctx, projectID, id); {
	case errors.Is(err, store.ErrSealed):
		s.log.WarnContext(ctx, "the account's credentials cannot be opened, so its provider token is not revoked; deleting the account anyway", "account_id", a.ID)
	case err != nil:
		return store.Account{}, fmt.Errorf("delete account %s: %w", id, err)
	default:
		if err := s.tokens.Revoke(ctx, full); err != nil {
			s.log.WarnContext(ctx, "the provider token could not be revoked; deleting the account anyway", "account_id", a.ID, "err", err)
		}
	}
	if err := s.store.DeleteAccount(ctx, projectID, id); err != nil {
		return store.Account{}, fmt.Errorf("delete account %s: %w", id, err)
	}
	s.notify(ctx, Change{Kind: Deleted, Account: a, Previous: a.Status})
	return a, nil
}

// Link decides a connection attempt and links its account in one transaction
// (store.LinkAccount); created reports a new account rather than a re-link.
func (s *Service) Link(ctx context.Context, l store.Link) (acc store.Account, att store.ConnectionAttempt, created bool, err error) {
	acc, att, err = s.store.LinkAccount(ctx, l)
	if err != nil {
		return acc, att, false, err
	}
	kind := Relinked
	if acc.ID == l.NewAccountID {
		kind, created = Created, true
	}
	s.notify(ctx, Change{Kind: kind, Account: acc})
	return acc, att, created, nil
}

// StatusChanged reports a status the token manager wrote under the account's
// lock (needs re-authorization, expired, recovered); wire it as the manager's hook.
func (s *Service) StatusChanged(ctx context.Context, before, after store.Account) {
	s.notify(ctx, Change{Kind: StatusChanged, Account: after, Previous: before.Status})
}
