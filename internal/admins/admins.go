// Package admins is who may use the web console: admin users with argon2id
// password hashes, their projects, sessions kept in the database (so any node
// serves any request), sign-in throttling per account, and the one-time link
// that creates the first admin of a new deployment.
package admins

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Session lifetimes and sign-in limits.
const (
	// IdleTimeout ends a session nobody used for this long.
	IdleTimeout = 12 * time.Hour
	// MaxAge ends every session this long after sign-in.
	MaxAge = 7 * 24 * time.Hour
	// FreeFailures wrong passwords in a row are allowed before the account waits.
	FreeFailures = 5
	// MinPassword is the shortest password accepted.
	MinPassword = 12
	// SetupLinkLifetime is how long the first admin's sign-up link works.
	SetupLinkLifetime = 24 * time.Hour
)

// Service manages admins and their sessions.
type Service struct {
	store store.Store
	clock clock.Clock
	log   *slog.Logger
}

// Options configure a Service.
type Options struct {
	Store  store.Store
	Clock  clock.Clock  // nil is the system clock
	Logger *slog.Logger // nil is the default logger
}

// New returns the service.
func New(o Options) *Service {
	return &Service{store: o.Store, clock: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default())}
}

// argon2id parameters: the OWASP minimum for argon2id (19 MiB, 2 passes).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the argon2id hash of password in the PHC string form.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether password matches a HashPassword hash, with
// the parameters the hash was made with.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// validate checks an email and a password for a new admin.
func validate(email, password string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return "", problem.New(problem.Invalid, "email: give an address such as you@example.com")
	}
	if len([]rune(password)) < MinPassword {
		return "", problem.New(problem.Invalid, "password: at least %d characters", MinPassword)
	}
	if len(password) > 1024 {
		return "", problem.New(problem.Invalid, "password: at most 1024 bytes")
	}
	return email, nil
}

// Create adds an admin who sees the given projects (every project when none
// are given).
func (s *Service) Create(ctx context.Context, email, password string, projectIDs []string) (store.Admin, error) {
	email, err := validate(email, password)
	if err != nil {
		return store.Admin{}, err
	}
	if len(projectIDs) == 0 {
		all, err := s.store.ListProjects(ctx)
		if err != nil {
			return store.Admin{}, err
		}
		for _, p := range all {
			projectIDs = append(projectIDs, p.ID)
		}
	}
	a := store.Admin{ID: store.NewID("adm"), Email: email, PasswordHash: HashPassword(password), CreatedAt: s.clock.Now()}
	a, err = s.store.CreateAdmin(store.WithAudit(ctx, adminCreated(ctx, a, projectIDs)...), a, projectIDs)
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.Admin{}, problem.New(problem.Conflict, "an admin with the email %s exists already", email)
	case errors.Is(err, store.ErrNotFound):
		return store.Admin{}, problem.New(problem.NotFound, "projects: one of %s does not exist", strings.Join(projectIDs, ", "))
	}
	return a, err
}

// adminCreated are the audit entries of a new admin, one in each project
// the admin gets.
func adminCreated(ctx context.Context, a store.Admin, projectIDs []string) []*store.AuditEntry {
	var entries []*store.AuditEntry
	for _, p := range projectIDs {
		e := audit.Entry(ctx, p, "admin.created", "admin", a.ID)
		e.Changes = audit.Changes{}.Created("email", a.Email).Secret("password", true).JSON()
		entries = append(entries, e)
	}
	return entries
}

// wrongPassword is the one answer to an unknown email and a wrong password.
var wrongPassword = problem.New(problem.Invalid, "The email or the password is wrong")

// List returns every admin, oldest first.
func (s *Service) List(ctx context.Context) ([]store.Admin, error) { return s.store.ListAdmins(ctx) }

// Projects lists the projects an admin sees, oldest first.
func (s *Service) Projects(ctx context.Context, adminID string) ([]store.Project, error) {
	return s.store.AdminProjects(ctx, adminID)
}

// Exists reports whether an admin signs in with email.
func (s *Service) Exists(ctx context.Context, email string) bool {
	_, err := s.store.AdminByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	return err == nil
}

// SignIn checks an admin's password and returns a new session's token. After
// FreeFailures wrong passwords in a row the account waits, 30 s doubling up
// to 15 min from the last failure, before any password is checked again.
func (s *Service) SignIn(ctx context.Context, email, password string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	// Failures are counted per email whether an admin has it or not, so the
	// lockout an attacker meets does not tell which emails exist.
	emailHash := hash(email)
	failed, err := s.store.SignInFailures(ctx, emailHash)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	if wait := lockout(failed.Count); wait > 0 {
		if left := failed.Last.Add(wait).Sub(now); left > 0 {
			return "", problem.New(problem.Limit, "Too many wrong passwords for this email; try again in %s", left.Round(time.Second))
		}
	}
	a, err := s.store.AdminByEmail(ctx, email)
	var ok bool
	switch {
	case errors.Is(err, store.ErrNotFound):
		checkPassword(dummyHash(), password) // take as long as a real check
	case err != nil:
		return "", err
	default:
		ok = checkPassword(a.PasswordHash, password)
	}
	if err := s.store.RecordSignIn(ctx, emailHash, ok, now); err != nil {
		return "", err
	}
	if !ok {
		s.log.WarnContext(ctx, "console sign-in refused: wrong email or password", "admin_id", a.ID, "failures", failed.Count+1)
		return "", wrongPassword
	}
	return s.startSession(ctx, a.ID)
}

// dummyHash is checked for unknown emails, so that timing does not tell
// which emails exist. Made on first use: hashing costs 19 MiB and tens of
// milliseconds, which no CLI command should pay at start.
var dummyHash = sync.OnceValue(func() string { return HashPassword("not a password anyone has") })

// lockout is how long an account waits after n failures in a row.
func lockout(n int) time.Duration {
	if n < FreeFailures {
		return 0
	}
	return min(30*time.Second<<min(n-FreeFailures, 10), 15*time.Minute)
}

func (s *Service) startSession(ctx context.Context, adminID string) (string, error) {
	token := newToken()
	now := s.clock.Now()
	if err := s.store.CreateAdminSession(ctx, store.AdminSession{TokenHash: hash(token), AdminID: adminID, CreatedAt: now, LastSeenAt: now}); err != nil {
		return "", err
	}
	return token, nil
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Session is a signed-in admin.
type Session struct {
	Admin    store.Admin
	Projects []store.Project
	// CSRF is the token every form of this session carries.
	CSRF string
}

// Project returns the admin's project with this id.
func (s Session) Project(id string) (store.Project, bool) {
	for _, p := range s.Projects {
		if p.ID == id {
			return p, true
		}
	}
	return store.Project{}, false
}

// ErrNoSession means the token names no live session: sign in again.
var ErrNoSession = errors.New("not signed in")

// Session returns the session a cookie's token names, or ErrNoSession when
// it is unknown or past its idle or absolute expiry.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	h := hash(token)
	as, err := s.store.AdminSessionByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := s.clock.Now()
	if now.Sub(as.LastSeenAt) > IdleTimeout || now.Sub(as.CreatedAt) > MaxAge {
		return Session{}, errors.Join(ErrNoSession, s.store.DeleteAdminSession(ctx, h))
	}
	if now.Sub(as.LastSeenAt) > time.Minute { // one write a minute is enough for the idle clock
		if err := s.store.TouchAdminSession(ctx, h, now); err != nil {
			return Session{}, err
		}
	}
	a, err := s.store.GetAdmin(ctx, as.AdminID)
	if err != nil {
		return Session{}, err
	}
	projects, err := s.store.AdminProjects(ctx, a.ID)
	if err != nil {
		return Session{}, err
	}
	return Session{Admin: a, Projects: projects, CSRF: CSRF(token)}, nil
}

// CSRF is the form token of the session with this cookie token: derived from
// it, so a page on another site, which cannot read the cookie, cannot know it.
func CSRF(token string) string {
	sum := sha256.Sum256([]byte("patchbay console csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SignOut ends the session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.store.DeleteAdminSession(ctx, hash(token))
}

// SetupLink returns a one-time link that creates the first admin, or "" when
// there are admins already. The new link replaces any earlier one, so a link
// printed at an earlier start (and kept in some log) no longer works.
func (s *Service) SetupLink(ctx context.Context, publicURL string) (string, error) {
	token := newToken()
	switch err := s.store.CreateSetupToken(ctx, hash(token), s.clock.Now().Add(SetupLinkLifetime)); {
	case errors.Is(err, store.ErrConflict):
		return "", nil
	case err != nil:
		return "", err
	}
	return strings.TrimRight(publicURL, "/") + "/console/setup?token=" + token, nil
}

// SignUp uses a setup link: it creates the first admin, who sees every
// project, and returns a session token. Once any admin exists no link works:
// creating an admin deletes the link, and SignUp refuses.
func (s *Service) SignUp(ctx context.Context, setupToken, email, password string) (string, error) {
	if _, err := validate(email, password); err != nil {
		return "", err
	}
	switch err := s.store.ConsumeSetupToken(ctx, hash(setupToken), s.clock.Now()); {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed):
		return "", problem.New(problem.NotFound, "This sign-up link is not valid or was used already").
			WithHint("Ask an admin to add you, or run: patchbay admins create --email you@example.com")
	case errors.Is(err, store.ErrExpired):
		return "", problem.New(problem.Expired, "This sign-up link has expired").
			WithHint("Restart Patchbay for a new one, or run: patchbay admins create --email you@example.com")
	case errors.Is(err, store.ErrConflict):
		return "", problem.New(problem.Forbidden, "This deployment has an admin already; sign-up links only create the first one").
			WithHint("Ask an admin to add you, or run: patchbay admins create --email you@example.com")
	case err != nil:
		return "", err
	}
	a, err := s.Create(audit.As(ctx, "admin:"+strings.ToLower(strings.TrimSpace(email))), email, password, nil)
	if err != nil {
		return "", err
	}
	return s.startSession(ctx, a.ID)
}

// Sweep removes expired sessions, and sign-in failures a day old (an
// account, or an email nobody has, starts afresh after a quiet day).
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	_, err := s.store.DeleteAdminSessionsBefore(ctx, now.Add(-IdleTimeout), now.Add(-MaxAge))
	return errors.Join(err, s.store.DeleteSignInFailuresBefore(ctx, now.Add(-24*time.Hour)))
}
