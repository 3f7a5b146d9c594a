package admins

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// InviteLifetime is how long an invitation link works.
const InviteLifetime = 24 * time.Hour

// Operator is who acts from the command line on the host: every project is
// theirs to give.
var Operator = store.Admin{}

// An admin manages people within their own projects: they invite to, give
// and take only projects they have, and remove only admins all of whose
// projects they have. The operator (the CLI) has every project.

// mine lists the projects by may give: theirs, or every one for the operator.
func (s *Service) mine(ctx context.Context, by store.Admin) ([]string, error) {
	var projects []store.Project
	var err error
	if by.ID == "" {
		projects, err = s.store.ListProjects(ctx)
	} else {
		projects, err = s.store.AdminProjects(ctx, by.ID)
	}
	ids := make([]string, len(projects))
	for i, p := range projects {
		ids[i] = p.ID
	}
	return ids, err
}

// Invite makes a one-time link (InviteLifetime) that lets email become an
// admin of projectIDs, which by must have.
func (s *Service) Invite(ctx context.Context, by store.Admin, email string, projectIDs []string, publicURL string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return "", problem.New(problem.Invalid, "email: give an address such as colleague@example.com")
	}
	if len(projectIDs) == 0 {
		return "", problem.New(problem.Invalid, "projects: choose at least one project the new admin will see")
	}
	mine, err := s.mine(ctx, by)
	if err != nil {
		return "", err
	}
	for _, p := range projectIDs {
		if !slices.Contains(mine, p) {
			return "", problem.New(problem.Forbidden, "projects: %s is not one of your projects", p)
		}
	}
	if s.Exists(ctx, email) {
		return "", problem.New(problem.Conflict, "%s is an admin already; give them projects instead", email)
	}
	token, now := newToken(), s.clock.Now()
	var entries []*store.AuditEntry
	for _, p := range projectIDs {
		e := audit.Entry(ctx, p, "admin.invited", "admin", email)
		e.Changes = audit.Changes{}.Created("email", email).Created("projects", projectIDs).JSON()
		entries = append(entries, e)
	}
	err = s.store.CreateAdminInvite(store.WithAudit(ctx, entries...), store.AdminInvite{TokenHash: hash(token), Email: email, ProjectIDs: projectIDs,
		InvitedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(InviteLifetime)})
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.New(problem.NotFound, "projects: one of %s does not exist", strings.Join(projectIDs, ", "))
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(publicURL, "/") + "/console/invite?token=" + token, nil
}

// Invitation returns the live invitation of a link's token.
func (s *Service) Invitation(ctx context.Context, token string) (store.AdminInvite, error) {
	inv, err := s.store.AdminInviteByHash(ctx, hash(token), s.clock.Now())
	return inv, inviteError(err)
}

// AcceptInvite makes the invited person an admin with password and signs
// them in: it returns their session token.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) (string, error) {
	inv, err := s.Invitation(ctx, token)
	if err != nil {
		return "", err
	}
	if _, err := validate(inv.Email, password); err != nil {
		return "", err
	}
	a := store.Admin{ID: store.NewID("adm"), Email: inv.Email, PasswordHash: HashPassword(password), CreatedAt: s.clock.Now()}
	ctx = audit.As(ctx, "admin:"+inv.Email)
	a, err = s.store.AcceptAdminInvite(store.WithAudit(ctx, adminCreated(ctx, a, inv.ProjectIDs)...), hash(token), a)
	if errors.Is(err, store.ErrConflict) {
		return "", problem.New(problem.Conflict, "%s is an admin already: sign in instead", inv.Email)
	}
	if err != nil {
		return "", inviteError(err)
	}
	return s.startSession(ctx, a.ID)
}

// inviteError turns the store's answers about a link into problems.
func inviteError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed):
		return problem.New(problem.NotFound, "This invitation is not valid or was used already").WithHint("Ask the admin who invited you for a new link.")
	case errors.Is(err, store.ErrExpired):
		return problem.New(problem.Expired, "This invitation has expired").WithHint("Ask the admin who invited you for a new link.")
	}
	return err
}

// Person is an admin with the projects they see and when they were last
// active in the console.
type Person struct {
	store.Admin
	Projects []store.Project
	LastSeen time.Time
}

// SignedIn reports whether the person used the console in the last 15 minutes.
func (p Person) SignedIn(now time.Time) bool { return now.Sub(p.LastSeen) < 15*time.Minute }

// People lists every admin, oldest first.
func (s *Service) People(ctx context.Context) ([]Person, error) {
	list, err := s.store.ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	seen, err := s.store.AdminsLastSeen(ctx)
	if err != nil {
		return nil, err
	}
	people := make([]Person, len(list))
	for i, a := range list {
		people[i] = Person{Admin: a, LastSeen: seen[a.ID]}
		if people[i].Projects, err = s.store.AdminProjects(ctx, a.ID); err != nil {
			return nil, err
		}
	}
	return people, nil
}

// SetProjects gives an admin exactly projectIDs among by's projects; the
// admin's projects by does not have stay as they are.
func (s *Service) SetProjects(ctx context.Context, by store.Admin, adminID string, projectIDs []string) error {
	mine, err := s.mine(ctx, by)
	if err != nil {
		return err
	}
	for _, p := range projectIDs {
		if !slices.Contains(mine, p) {
			return problem.New(problem.Forbidden, "projects: %s is not one of your projects", p)
		}
	}
	had, err := s.store.AdminProjects(ctx, adminID)
	if err != nil {
		return err
	}
	var before, after []string
	for _, p := range had {
		before = append(before, p.ID)
		if !slices.Contains(mine, p.ID) {
			after = append(after, p.ID) // not by's to take
		}
	}
	after = slices.Compact(slices.Sorted(slices.Values(append(after, projectIDs...))))
	var entries []*store.AuditEntry
	for _, p := range slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(before), after...)))) {
		if slices.Contains(before, p) != slices.Contains(after, p) {
			e := audit.Entry(ctx, p, "admin.projects_changed", "admin", adminID)
			e.Changes = audit.Changes{}.Set("projects", before, after).JSON()
			entries = append(entries, e)
		}
	}
	err = s.store.SetAdminProjects(store.WithAudit(ctx, entries...), adminID, after)
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "No such admin or project")
	}
	return err
}

// Remove removes an admin, all of whose projects by must have, with their
// sessions; never by themselves nor the last admin.
func (s *Service) Remove(ctx context.Context, by store.Admin, adminID string) error {
	if adminID == by.ID {
		return problem.New(problem.Conflict, "You cannot remove yourself; ask another admin")
	}
	mine, err := s.mine(ctx, by)
	if err != nil {
		return err
	}
	theirs, err := s.store.AdminProjects(ctx, adminID)
	if err != nil {
		return err
	}
	var entries []*store.AuditEntry
	for _, p := range theirs {
		if !slices.Contains(mine, p.ID) {
			return problem.New(problem.Forbidden, "This admin sees project %s, which you do not: only an admin of all their projects may remove them", p.Name)
		}
		entries = append(entries, audit.Entry(ctx, p.ID, "admin.removed", "admin", adminID))
	}
	switch err := s.store.DeleteAdmin(store.WithAudit(ctx, entries...), adminID); {
	case errors.Is(err, store.ErrNotFound):
		return problem.New(problem.NotFound, "No admin %s", adminID)
	case errors.Is(err, store.ErrConflict):
		return problem.New(problem.Conflict, "This is the last admin; invite another first")
	default:
		return err
	}
}
