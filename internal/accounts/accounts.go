// Package accounts is the service every change to a linked account goes
// through, from every front end and from the token manager: listing, reading,
// editing, linking, status changes and deletion with revocation. Each change is
// reported once, here, to the observers (metrics and the log today; webhooks
// hang on the same place).
package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/connectors"
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
	registry  *connectors.Registry
	log       *slog.Logger
	changes   *prometheus.CounterVec
	observers []Observer
}

// Options configure a Service.
type Options struct {
	Store    store.Store
	Tokens   *tokens.Manager      // revokes grants on deletion
	Registry *connectors.Registry // the providers a filter may name
	Logger   *slog.Logger         // nil is the default logger
}

// New returns the service.
func New(o Options) *Service {
	return &Service{store: o.Store, tokens: o.Tokens, registry: o.Registry, log: cmp.Or(o.Logger, slog.Default()), changes: prometheus.NewCounterVec(prometheus.CounterOpts{
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
	if page.Size < 1 || page.Size > MaxPageSize {
		return nil, "", paging.SizeError(MaxPageSize)
	}
	if page.Number < 1 || page.Number > MaxPage {
		return nil, "", problem.New(problem.Invalid, "page: must be a whole number from 1 to %d", MaxPage)
	}
	if err := s.checkFilter(f); err != nil {
		return nil, "", err
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

// checkFilter refuses a status or provider that no account can have: a
// misspelt filter would otherwise answer an empty list, as if nothing matched.
func (s *Service) checkFilter(f store.AccountFilter) error {
	for _, st := range f.Statuses {
		if !slices.Contains(store.AccountStatuses, store.AccountStatus(st)) {
			return problem.New(problem.Invalid, "status: %q is not an account status; use one of %s", st, joined(store.AccountStatuses))
		}
	}
	if s.registry == nil {
		return nil
	}
	var known []string
	for _, c := range s.registry.All() {
		known = append(known, c.Key)
	}
	for _, p := range f.Providers {
		if !slices.Contains(known, p) {
			return problem.New(problem.Invalid, "providers: %q is not a provider; use one of %s", p, strings.Join(known, ", "))
		}
	}
	return nil
}

func joined[T ~string](values []T) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

// Count counts the project's accounts matching f, every page.
func (s *Service) Count(ctx context.Context, projectID string, f store.AccountFilter) (int, error) {
	return s.store.CountAccounts(ctx, projectID, f)
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

// GrantedScopes returns the scopes the account's grant holds; sealed reports
// credentials that cannot be opened with this deployment's keys.
func (s *Service) GrantedScopes(ctx context.Context, projectID, id string) (scopes []string, sealed bool, err error) {
	full, err := s.store.GetAccount(ctx, projectID, id)
	switch {
	case errors.Is(err, store.ErrSealed):
		return nil, true, nil
	case err != nil:
		return nil, false, s.storeError(id, err)
	}
	return full.Credentials.Scopes, false, nil
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

// Update applies p to an account. ifMatch, unless store.AnyVersion, is the version the
// caller read: an account changed since is refused (problem.Stale).
func (s *Service) Update(ctx context.Context, projectID, id string, ifMatch int64, p Patch) (store.Account, error) {
	if p.Type != nil && !slices.Contains([]string{"", "production", "test"}, *p.Type) {
		return store.Account{}, problem.New(problem.Invalid, "type: use production or test")
	}
	entry := audit.Entry(ctx, projectID, "account.updated", "account", id)
	a, err := s.store.UpdateAccount(store.WithAudit(ctx, entry), projectID, id, func(a store.Account) (store.AccountEdit, error) {
		if err := checkVersion(a, ifMatch); err != nil {
			return store.AccountEdit{}, err
		}
		before := a
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
			return store.AccountEdit{}, problem.New(problem.Invalid, "origin_owner_name: must not be empty")
		}
		entry.Changes = audit.Changes{}.
			Set("origin_owner_name", before.OriginOwnerName, a.OriginOwnerName).
			Set("origin_username", before.OriginUsername, a.OriginUsername).
			Set("label", before.Label, a.Label).
			Set("type", before.Type, a.Type).
			Set("metadata", before.Metadata, a.Metadata).
			Set("setup_information", before.SetupInformation, a.SetupInformation).JSON()
		return store.AccountEdit{Account: a, Event: store.EventAccountUpdated}, nil
	})
	if err != nil {
		return store.Account{}, s.storeError(id, err)
	}
	s.notify(ctx, Change{Kind: Updated, Account: a, Previous: a.Status})
	return a, nil
}

// checkVersion refuses a change to a when the caller read another version.
func checkVersion(a store.Account, ifMatch int64) error {
	if ifMatch != store.AnyVersion && a.Version != ifMatch {
		return problem.New(problem.Stale, "Account %s changed since version %d (it is at version %d); read it again and retry", a.ID, ifMatch, a.Version)
	}
	return nil
}

// storeError turns the store's not-found into the service's.
func (s *Service) storeError(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "No account %s in this project", id)
	}
	return err
}

// Delete revokes the account's grant where the provider supports it, then
// forgets the account, and returns it as it was. A failed revocation is logged,
// not fatal: the customer asked to disconnect, and the tokens are gone from
// here either way. ifMatch, unless store.AnyVersion, is the version the caller read.
func (s *Service) Delete(ctx context.Context, projectID, id string, ifMatch int64) (store.Account, error) {
	a, err := s.Get(ctx, projectID, id)
	if err != nil {
		return store.Account{}, err
	}
	// Checked before revoking too: a stale delete must not cut the grant.
	if err := checkVersion(a, ifMatch); err != nil {
		return store.Account{}, err
	}
	switch full, err := s.store.GetAccount(ctx, projectID, id); {
	case errors.Is(err, store.ErrSealed):
		s.log.WarnContext(ctx, "the account's credentials cannot be opened, so its provider token is not revoked; deleting the account anyway", "account_id", a.ID)
	case err != nil:
		return store.Account{}, fmt.Errorf("delete account %s: %w", id, s.storeError(id, err))
	default:
		if err := s.tokens.Revoke(ctx, full); err != nil {
			s.log.WarnContext(ctx, "the provider token could not be revoked; deleting the account anyway", "account_id", a.ID, "err", err)
		}
	}
	entry := audit.Entry(ctx, projectID, "account.deleted", "account", id)
	a, err = s.store.DeleteAccount(store.WithAudit(ctx, entry), projectID, id, func(cur store.Account) (string, error) {
		return store.EventAccountDeleted, checkVersion(cur, ifMatch)
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("delete account %s: %w", id, s.storeError(id, err))
	}
	s.notify(ctx, Change{Kind: Deleted, Account: a, Previous: a.Status})
	return a, nil
}

// Link is an authorized connection attempt to link: its end user's tokens and
// setup choices.
type Link struct {
	ProjectID, AttemptID string
	Credentials          store.Credentials
	SetupInformation     map[string]string
	// At is when the link happens: the connect session must still be live then.
	At time.Time
}

// Link decides a connection attempt and links its account in one transaction
// by the create-or-update rule: the session's account in edit mode, else the
// end user's existing account for the provider (of the session's profile, if
// it names one) unless the session allows several, else a new account. The
// account comes out active with the new tokens; created reports a new account
// rather than a re-link.
func (s *Service) Link(ctx context.Context, l Link) (acc store.Account, att store.ConnectionAttempt, created bool, err error) {
	// Who links is the end user the connect session names: the entry is
	// completed once the attempt and the account are known.
	entry := audit.Entry(ctx, l.ProjectID, "", "account", "")
	acc, att, err = s.store.LinkAccount(store.WithAudit(ctx, entry), store.Link{ProjectID: l.ProjectID, AttemptID: l.AttemptID, At: l.At,
		Target: func(c store.LinkContext) store.LinkTarget {
			cs := c.Session
			switch {
			case cs.AccountID != "":
				return store.LinkTarget{AccountID: cs.AccountID}
			case cs.Multiple:
				return store.LinkTarget{}
			}
			return store.LinkTarget{Owner: &store.OwnerMatch{Provider: c.Provider, OwnerID: cs.OriginOwnerID, OwnerName: cs.OriginOwnerName, ProfileID: cs.ProfileID}}
		},
		Write: func(c store.LinkContext, existing *store.Account) (store.Account, string) {
			cs, profileID := c.Session, c.Attempt.ProfileID
			entry.Actor = "end_user:" + cs.OriginOwnerID
			entry.Changes = audit.Changes{}.Created("connection_attempt", c.Attempt.ID).Created("profile_id", profileID).
				Created("provider", c.Provider).Secret("credentials", true).JSON()
			if existing == nil {
				created = true
				entry.Action, entry.TargetID = "account.linked", store.NewID("acc")
				return store.Account{ID: entry.TargetID, ProjectID: l.ProjectID, ProfileID: profileID, Provider: c.Provider, Status: store.StatusActive,
					OriginOwnerID: cs.OriginOwnerID, OriginOwnerName: cs.OriginOwnerName, OriginUsername: cs.OriginUsername,
					Label: cs.Label, Type: cs.Type, Metadata: cs.Metadata, SetupInformation: l.SetupInformation, Credentials: l.Credentials,
				}, store.EventAccountCreated
			}
			entry.Action, entry.TargetID = "account.relinked", existing.ID
			a := *existing
			a.ProfileID, a.Status, a.StatusReasons = profileID, store.StatusActive, nil
			a.OriginUsername = cmp.Or(cs.OriginUsername, a.OriginUsername)
			a.Label = cmp.Or(cs.Label, a.Label)
			a.SetupInformation, a.Credentials = l.SetupInformation, l.Credentials
			return a, store.EventAccountUpdated
		},
	})
	if err != nil {
		return acc, att, false, err
	}
	kind := Relinked
	if created {
		kind = Created
	}
	s.notify(ctx, Change{Kind: kind, Account: acc})
	return acc, att, created, nil
}

// StatusChanged reports a status the token manager wrote under the account's
// lock (needs re-authorization, expired, recovered); wire it as the manager's hook.
func (s *Service) StatusChanged(ctx context.Context, before, after store.Account) {
	s.notify(ctx, Change{Kind: StatusChanged, Account: after, Previous: before.Status})
}
