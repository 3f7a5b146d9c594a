// Package apikeys issues and checks project API keys, and its Service is the
// one writer of projects and their keys. A key is shown once; only its
// SHA-256 hash and a short display prefix are stored. Keys carry 256 random bits,
// so a fast hash is enough: there is nothing to brute-force.
package apikeys

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// keyPrefix follows the "v1.{region}.{secret}" shape of the API this one mirrors;
// a self-hosted deployment is its own region, "local".
const keyPrefix = "v1.local."

// displayChars is how much of the secret part the stored prefix keeps.
const displayChars = 6

// ErrInvalid means the key is missing, malformed, unknown or revoked. Callers must
// not tell these apart in responses.
var ErrInvalid = errors.New("missing or invalid API key")

// Hash returns the stored form of a plaintext key.
func Hash(plaintext string) []byte {
	sum := sha256.Sum256([]byte(plaintext))
	return sum[:]
}

// Issue creates an admin key for the project and returns its plaintext, which
// is never available again.
func Issue(ctx context.Context, s store.Store, projectID, name string) (string, store.APIKey, error) {
	return IssueRole(ctx, s, projectID, name, store.RoleAdmin)
}

// IssueRole creates a key with the given role (admin when empty), as Issue
// does; a bad name or role is a problem.Invalid naming the field.
func IssueRole(ctx context.Context, s store.Store, projectID, name string, role store.KeyRole) (string, store.APIKey, error) {
	name, role = strings.TrimSpace(name), cmp.Or(role, store.RoleAdmin)
	if name == "" || len(name) > 200 {
		return "", store.APIKey{}, problem.New(problem.Invalid, "name: required, at most 200 characters")
	}
	if role != store.RoleAdmin && role != store.RoleRuntime {
		return "", store.APIKey{}, problem.New(problem.Invalid, "role: admin or runtime")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", store.APIKey{}, fmt.Errorf("issue api key: %w", err)
	}
	plaintext := keyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	id := store.NewID("key")
	e := audit.Entry(ctx, projectID, "api_key.created", "api_key", id)
	e.Changes = audit.Changes{}.Created("name", name).Created("role", role).JSON()
	k, err := s.CreateAPIKey(store.WithAudit(ctx, e), store.APIKey{
		ID:        id,
		ProjectID: projectID,
		Name:      name,
		Role:      role,
		Prefix:    plaintext[:len(keyPrefix)+displayChars],
		Hash:      Hash(plaintext),
	})
	if err != nil {
		return "", store.APIKey{}, fmt.Errorf("issue api key: %w", err)
	}
	return plaintext, k, nil
}

// Revoke revokes a key of the project at once on every node; the project's
// last valid admin key cannot be revoked.
func Revoke(ctx context.Context, s store.Store, projectID, id string, at time.Time) (store.APIKey, error) {
	e := audit.Entry(ctx, projectID, "api_key.revoked", "api_key", id)
	k, err := s.RevokeAPIKey(store.WithAudit(ctx, e), projectID, id, at)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.APIKey{}, problem.New(problem.NotFound, "No API key %s in this project", id)
	case errors.Is(err, store.ErrConflict):
		return store.APIKey{}, problem.New(problem.Conflict, "API key %s is the project's last valid admin key; create another admin key first", id)
	}
	return k, err
}

// Authenticate returns the live key matching plaintext, or ErrInvalid. It reads the
// database every time so a revocation on any node takes effect at once.
func Authenticate(ctx context.Context, s store.Store, plaintext string) (store.APIKey, error) {
	if !wellFormed(plaintext) {
		return store.APIKey{}, ErrInvalid
	}
	k, err := s.APIKeyByHash(ctx, Hash(plaintext))
	return live(k, err)
}

// AuthenticateFor is Authenticate for a call on accountID: the account of the
// key's project, with its profile, is read in the same query (an action
// call's one round trip) and returned with the key.
func AuthenticateFor(ctx context.Context, s store.Store, plaintext, accountID string) (store.KeyedAccount, error) {
	if !wellFormed(plaintext) {
		return store.KeyedAccount{}, ErrInvalid
	}
	ka, err := s.APIKeyAndAccount(ctx, Hash(plaintext), accountID)
	if ka.Key, err = live(ka.Key, err); err != nil {
		return store.KeyedAccount{}, err
	}
	return ka, nil
}

func wellFormed(plaintext string) bool {
	return strings.HasPrefix(plaintext, keyPrefix) && len(plaintext) <= 128
}

// live turns a key lookup's answer into the live key or ErrInvalid.
func live(k store.APIKey, err error) (store.APIKey, error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.APIKey{}, ErrInvalid
	case err != nil:
		return store.APIKey{}, fmt.Errorf("authenticate: %w", err)
	case k.Revoked():
		return store.APIKey{}, ErrInvalid
	}
	return k, nil
}

// Options configure a Service.
type Options struct {
	Store store.Store
	// Clock dates revocations; nil is the system clock.
	Clock clock.Clock
}

// Service is the one writer of projects and their API keys, for the API, the
// console and the CLI alike. It is safe for concurrent use.
type Service struct {
	store store.Store
	clock clock.Clock
}

// NewService returns the service.
func NewService(o Options) *Service { return &Service{store: o.Store, clock: clock.Or(o.Clock)} }

// CreateProject creates a project; it has no key until one is issued.
// The console admins named (the one who creates it in the console) see it at
// once: it is given to them in the same transaction.
func (s *Service) CreateProject(ctx context.Context, name string, adminIDs ...string) (store.Project, error) {
	name, err := projectName(name)
	if err != nil {
		return store.Project{}, err
	}
	id := store.NewID("prj")
	e := audit.Entry(ctx, id, "project.created", "project", id)
	changes := audit.Changes{}.Created("name", name)
	if len(adminIDs) > 0 {
		changes.Created("admins", adminIDs)
	}
	e.Changes = changes.JSON()
	return s.store.CreateProject(store.WithAudit(ctx, e), store.Project{ID: id, Name: name}, adminIDs...)
}

// projectName checks a project's name.
func projectName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", problem.New(problem.Invalid, "name: required, at most 200 characters")
	}
	return name, nil
}

// RenameProject gives a project a new name.
func (s *Service) RenameProject(ctx context.Context, id, name string) (store.Project, error) {
	name, err := projectName(name)
	if err != nil {
		return store.Project{}, err
	}
	before, err := s.Project(ctx, id)
	if err != nil {
		return store.Project{}, err
	}
	e := audit.Entry(ctx, id, "project.renamed", "project", id)
	e.Changes = audit.Changes{}.Set("name", before.Name, name).JSON()
	return s.store.RenameProject(store.WithAudit(ctx, e), id, name)
}

// SetBranding changes how the Hub presents a project: each field is
// checked (a name of at most 80 characters, an https logo, a #rrggbb
// colour, an https or mailto support link), an empty one shows Patchbay's.
func (s *Service) SetBranding(ctx context.Context, id string, b store.Branding) (store.Project, error) {
	b = store.Branding{Name: strings.TrimSpace(b.Name), LogoURL: strings.TrimSpace(b.LogoURL), Accent: strings.ToLower(strings.TrimSpace(b.Accent)),
		SupportURL: strings.TrimSpace(b.SupportURL)}
	var problems []string
	if len([]rune(b.Name)) > 80 {
		problems = append(problems, "display name: at most 80 characters")
	}
	if b.LogoURL != "" && !webAddress(b.LogoURL, "https") {
		problems = append(problems, "logo URL: an https:// address of an image")
	}
	if b.Accent != "" && !accentColour.MatchString(b.Accent) {
		problems = append(problems, "accent colour: six hexadecimal digits after #, such as #2f5bea")
	}
	if b.SupportURL != "" && !webAddress(b.SupportURL, "https", "mailto") {
		problems = append(problems, "support link: an https:// address or a mailto: link")
	}
	if len(problems) > 0 {
		return store.Project{}, problem.New(problem.Invalid, "%s", strings.Join(problems, "; "))
	}
	before, err := s.Project(ctx, id)
	if err != nil {
		return store.Project{}, err
	}
	e := audit.Entry(ctx, id, "project.branding_changed", "project", id)
	e.Changes = audit.Changes{}.Set("display_name", before.Branding.Name, b.Name).Set("logo_url", before.Branding.LogoURL, b.LogoURL).
		Set("accent", before.Branding.Accent, b.Accent).Set("support_url", before.Branding.SupportURL, b.SupportURL).JSON()
	return s.store.SetProjectBranding(store.WithAudit(ctx, e), id, b)
}

// accentColour is a #rrggbb colour.
var accentColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// webAddress reports whether raw is an absolute URL of one of the schemes,
// at most 2048 characters.
func webAddress(raw string, schemes ...string) bool {
	u, err := url.Parse(raw)
	return err == nil && len(raw) <= 2048 && slices.Contains(schemes, u.Scheme) && (u.Host != "" || u.Scheme == "mailto" && u.Opaque != "")
}

// Project returns one project.
func (s *Service) Project(ctx context.Context, id string) (store.Project, error) {
	p, err := s.store.GetProject(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Project{}, problem.New(problem.NotFound, "No project %s", id)
	}
	return p, err
}

// Projects lists every project, oldest first.
func (s *Service) Projects(ctx context.Context) ([]store.Project, error) {
	return s.store.ListProjects(ctx)
}

// Issue creates a key of the project with the given role, as IssueRole does.
func (s *Service) Issue(ctx context.Context, projectID, name string, role store.KeyRole) (string, store.APIKey, error) {
	return IssueRole(ctx, s.store, projectID, name, role)
}

// List returns the project's keys in w, oldest first.
func (s *Service) List(ctx context.Context, projectID string, w store.Window) ([]store.APIKey, error) {
	return s.store.ListAPIKeys(ctx, projectID, w)
}

// Revoke revokes a key of the project now, as Revoke does.
func (s *Service) Revoke(ctx context.Context, projectID, id string) (store.APIKey, error) {
	return Revoke(ctx, s.store, projectID, id, s.clock.Now())
}

// Authenticate returns the live key matching plaintext, as Authenticate does.
func (s *Service) Authenticate(ctx context.Context, plaintext string) (store.APIKey, error) {
	return Authenticate(ctx, s.store, plaintext)
}

// AuthenticateFor is AuthenticateFor over the service's store.
func (s *Service) AuthenticateFor(ctx context.Context, plaintext, accountID string) (store.KeyedAccount, error) {
	return AuthenticateFor(ctx, s.store, plaintext, accountID)
}

// DefaultProjectID is the project a new embedded database starts with. It is
// fixed so that two processes starting on one new database create one
// project, not two.
const DefaultProjectID = "prj_default"

// EnsureDefaultProject creates the default project when there is no project
// at all; created says whether this call made it.
func (s *Service) EnsureDefaultProject(ctx context.Context) (p store.Project, created bool, err error) {
	projects, err := s.store.ListProjects(ctx)
	if err != nil || len(projects) > 0 {
		return store.Project{}, false, err
	}
	e := audit.Entry(ctx, DefaultProjectID, "project.created", "project", DefaultProjectID)
	e.Changes = audit.Changes{}.Created("name", "Default").JSON()
	p, err = s.store.CreateProject(store.WithAudit(ctx, e), store.Project{ID: DefaultProjectID, Name: "Default"})
	if errors.Is(err, store.ErrConflict) {
		return store.Project{}, false, nil // another process got there first
	}
	if err != nil {
		return store.Project{}, false, fmt.Errorf("create default project: %w", err)
	}
	return p, true, nil
}
