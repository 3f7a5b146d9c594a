// Package profiles is the service every change to a connector profile goes
// through, from the API, the console, the CLI and the demo's setup: it
// validates a profile against the connector catalogue, refuses writes over a
// version the writer did not see, decides what a change does to the profile's
// accounts (disabling makes them inactive, each reported as account.updated),
// and describes a profile to admins: the redirect URI to register and the
// exact scopes to request.
package profiles

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Options configure a Service.
type Options struct {
	Store    store.Store
	Registry *connectors.Registry
	// PublicURL is where providers reach this deployment: redirect URIs are built from it.
	PublicURL string
}

// Service manages a project's connector profiles. It is safe for concurrent use.
type Service struct {
	store     store.Store
	registry  *connectors.Registry
	publicURL string
}

// New returns the service.
func New(o Options) *Service {
	return &Service{store: o.Store, registry: o.Registry, publicURL: strings.TrimRight(o.PublicURL, "/")}
}

// List returns the project's profiles matching f, oldest first, their secrets unopened.
func (s *Service) List(ctx context.Context, projectID string, f store.ProfileFilter) ([]store.ConnectorProfile, error) {
	return s.store.ListConnectorProfiles(ctx, projectID, f)
}

// Get returns one profile of the project.
func (s *Service) Get(ctx context.Context, projectID, id string) (store.ConnectorProfile, error) {
	p, err := s.store.GetConnectorProfile(ctx, projectID, id)
	return p, storeError(id, err)
}

// Create validates in and stores the new profile; becoming the connector's
// default unsets the previous default.
func (s *Service) Create(ctx context.Context, projectID string, in Input) (store.ConnectorProfile, error) {
	p, err := apply(s.registry, nil, in)
	if err != nil {
		return store.ConnectorProfile{}, err
	}
	p.ProjectID, p.ID = projectID, store.NewID("cp")
	e := audit.Entry(ctx, projectID, "connector_profile.created", "connector_profile", p.ID)
	e.Changes = changes(store.ConnectorProfile{}, p).JSON()
	p, err = s.store.CreateConnectorProfile(store.WithAudit(ctx, e), p)
	if errors.Is(err, store.ErrNotFound) {
		return store.ConnectorProfile{}, problem.New(problem.NotFound, "No project %s", projectID)
	}
	return p, err
}

// Update applies in to a profile. ifMatch, unless store.AnyVersion, is the version the
// caller read: a profile changed since is refused (problem.Stale) and left
// as it is. Disabling the profile makes its active accounts inactive, and
// enabling it makes its inactive accounts active, each reported by an
// account.updated event in the same transaction.
func (s *Service) Update(ctx context.Context, projectID, id string, ifMatch int64, in Input) (store.ConnectorProfile, error) {
	e := audit.Entry(ctx, projectID, "connector_profile.updated", "connector_profile", id)
	p, err := s.store.UpdateConnectorProfile(store.WithAudit(ctx, e), projectID, id, func(cur store.ConnectorProfile) (store.ProfileChange, error) {
		if err := checkVersion(cur, ifMatch); err != nil {
			return store.ProfileChange{}, err
		}
		if cur.SecretSet && cur.ClientSecret == "" && in.ClientSecret == nil {
			return store.ProfileChange{}, store.ErrSealed // the store could not open it: only a new one repairs the profile
		}
		p, err := apply(s.registry, &cur, in)
		if err != nil {
			return store.ProfileChange{}, err
		}
		change := store.ProfileChange{Profile: p}
		e.Changes = changes(cur, p).JSON()
		if cur.Enabled != p.Enabled {
			from, to := store.StatusActive, store.StatusInactive
			if p.Enabled {
				from, to = to, from
			}
			change.Cascade = &store.StatusCascade{From: from, To: to, Event: store.EventAccountUpdated}
		}
		if keep, drop := keptModels(cur.Sync, p.Sync); drop {
			change.KeepSync = &keep
		}
		return change, nil
	})
	return p, storeError(id, err)
}

// SetEnabled enables or disables a profile, as Update does.
func (s *Service) SetEnabled(ctx context.Context, projectID, id string, ifMatch int64, enabled bool) (store.ConnectorProfile, error) {
	return s.Update(ctx, projectID, id, ifMatch, Input{Enabled: &enabled})
}

// Delete removes a profile that no account uses. ifMatch is as for Update.
func (s *Service) Delete(ctx context.Context, projectID, id string, ifMatch int64) error {
	e := audit.Entry(ctx, projectID, "connector_profile.deleted", "connector_profile", id)
	err := s.store.DeleteConnectorProfile(store.WithAudit(ctx, e), projectID, id, func(cur store.ConnectorProfile, accounts int) error {
		if err := checkVersion(cur, ifMatch); err != nil {
			return err
		}
		if accounts == 1 {
			return problem.New(problem.Conflict, "Connector profile %s is used by 1 linked account: delete it first, or disable the profile instead.", id)
		}
		if accounts > 1 {
			return problem.New(problem.Conflict, "Connector profile %s is used by %d linked accounts: delete them first, or disable the profile instead.", id, accounts)
		}
		return nil
	})
	return storeError(id, err)
}

// changes are the fields of a profile a change sets, its secret only as
// "changed".
func changes(before, after store.ConnectorProfile) audit.Changes {
	return audit.Changes{}.
		Set("name", before.Name, after.Name).
		Set("connector_key", before.ConnectorKey, after.ConnectorKey).
		Set("client_id", before.ClientID, after.ClientID).
		Secret("client_secret", before.ClientSecret != after.ClientSecret).
		Set("environment", before.Environment, after.Environment).
		Set("enabled_actions", before.EnabledActions, after.EnabledActions).
		Set("extra_scopes", before.ExtraScopes, after.ExtraScopes).
		Set("default", before.Default, after.Default).
		Set("enabled", before.Enabled, after.Enabled).
		Set("proxy", before.Proxy, after.Proxy).
		Set("sync", syncView(before.Sync), syncView(after.Sync))
}

// Describe turns a stored profile into its View for this deployment.
func (s *Service) Describe(p store.ConnectorProfile) View {
	return Describe(s.registry, s.publicURL, p)
}

// checkVersion refuses a change to p when the caller read another version.
func checkVersion(p store.ConnectorProfile, ifMatch int64) error {
	if ifMatch != store.AnyVersion && p.Version != ifMatch {
		return problem.New(problem.Stale, "Connector profile %s was changed by someone else since version %d (it is at version %d)", p.ID, ifMatch, p.Version).
			WithHint("Reload it, then make your change again.")
	}
	return nil
}

// storeError turns the store's errors about profile id into problems.
func storeError(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.New(problem.NotFound, "No connector profile %s in this project", id)
	case errors.Is(err, store.ErrSealed):
		return problem.New(problem.Conflict, "Connector profile %s's client secret cannot be opened with this deployment's encryption keys: "+
			"give it a new client_secret, or restore the key that sealed it to PATCHBAY_ENCRYPTION_KEYS", id)
	}
	return err
}

// Input is a create or update request. Nil fields keep their current value (or
// the default, on create).
type Input struct {
	ConnectorKey   *string    `json:"connector_key"`
	Name           *string    `json:"name"`
	ClientID       *string    `json:"client_id"`
	ClientSecret   *string    `json:"client_secret"`
	Environment    *string    `json:"environment"`
	EnabledActions *[]string  `json:"enabled_actions"`
	ExtraScopes    *[]string  `json:"extra_scopes"`
	Default        *bool      `json:"default"`
	Enabled        *bool      `json:"enabled"`
	Proxy          *string    `json:"proxy"`
	Sync           *SyncInput `json:"sync"`
}

// SyncInput is a profile's sync as a caller sets it (docs/sync.md); nil
// fields stay as they are.
type SyncInput struct {
	Enabled         *bool     `json:"enabled"`
	Models          *[]string `json:"models"`
	IntervalSeconds *int64    `json:"interval_seconds"`
}

// Sync intervals: the default, and the shortest a profile may ask for.
const (
	DefaultSyncInterval = time.Hour
	MinSyncInterval     = time.Minute
)

// applySync sets p's sync from in and checks it against the connector and
// the enabled actions; turning it on with no models syncs every model the
// connector can.
func applySync(c *connectors.Connector, p *store.ConnectorProfile, in *SyncInput, bad func(field, format string, args ...any)) {
	if in != nil {
		if in.Enabled != nil {
			p.Sync.Enabled = *in.Enabled
		}
		if in.Models != nil {
			p.Sync.Models = slices.Clone(*in.Models)
		}
		if in.IntervalSeconds != nil {
			p.Sync.Interval = time.Duration(*in.IntervalSeconds) * time.Second
			if p.Sync.Interval < MinSyncInterval {
				bad("sync.interval_seconds", "at least %d", int(MinSyncInterval/time.Second))
			}
		}
	}
	if p.Sync.Interval == 0 {
		p.Sync.Interval = DefaultSyncInterval
	}
	if p.Sync.Enabled && len(p.Sync.Models) == 0 {
		for _, src := range c.Sync {
			p.Sync.Models = append(p.Sync.Models, src.Model)
		}
	}
	slices.Sort(p.Sync.Models)
	p.Sync.Models = slices.Compact(p.Sync.Models)
	var problems []string
	for _, m := range p.Sync.Models {
		src, ok := c.SyncSource(m)
		if !ok {
			if _, known := connectors.SyncModelByID(m); !known {
				problems = append(problems, fmt.Sprintf("%q is not a model (%s)", m, strings.Join(connectors.SyncModelIDs(), ", ")))
			} else {
				problems = append(problems, fmt.Sprintf("%s cannot sync %s", c.Name, m))
			}
			continue
		}
		var missing []string
		for _, op := range src.Operations() {
			if !slices.Contains(p.EnabledActions, op) {
				missing = append(missing, op)
			}
		}
		if len(missing) > 0 && p.Sync.Enabled {
			problems = append(problems, fmt.Sprintf("%s reads with %s: enable it", m, strings.Join(missing, " and ")))
		}
	}
	if len(problems) > 0 {
		bad("sync.models", "%s", strings.Join(problems, "; "))
	}
}

// keptModels says which models' synced data a change of settings keeps, and
// whether it drops any: all when sync is turned off, those left out when
// models are.
func keptModels(before, after store.SyncSettings) ([]string, bool) {
	if !after.Enabled {
		return []string{}, before.Enabled || len(before.Models) > 0
	}
	for _, m := range before.Models {
		if !slices.Contains(after.Models, m) {
			return slices.Clone(after.Models), true
		}
	}
	return nil, false
}

// apply validates in against the connector catalogue and returns the resulting
// profile, or a problem.Invalid naming every wrong field and why. existing is
// nil on create.
func apply(reg *connectors.Registry, existing *store.ConnectorProfile, in Input) (store.ConnectorProfile, error) {
	var p store.ConnectorProfile
	errs := map[string]string{}
	bad := func(field, format string, args ...any) { errs[field] = fmt.Sprintf(format, args...) }
	if existing != nil {
		p = *existing
		if in.ConnectorKey != nil && *in.ConnectorKey != p.ConnectorKey {
			bad("connector_key", "cannot change; create a new profile instead")
		}
	} else {
		p.Environment, p.Enabled, p.Proxy = store.Production, true, store.ProxyOff
		if in.ConnectorKey != nil {
			p.ConnectorKey = strings.TrimSpace(*in.ConnectorKey)
		}
	}
	c, ok := reg.Get(p.ConnectorKey)
	if !ok {
		var keys []string
		for _, c := range reg.All() {
			keys = append(keys, c.Key)
		}
		bad("connector_key", "unknown connector %q (use %s)", p.ConnectorKey, strings.Join(keys, ", "))
		return store.ConnectorProfile{}, invalid(errs)
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&p.Name, in.Name)
	set(&p.ClientID, in.ClientID)
	if in.Environment != nil {
		p.Environment = store.Environment(strings.TrimSpace(*in.Environment))
	}
	if in.ClientSecret != nil {
		p.ClientSecret = *in.ClientSecret
	}
	if p.Name == "" {
		p.Name = c.Name
	}
	if p.ClientID == "" {
		bad("client_id", "required, as the provider issued it")
	}
	if strings.TrimSpace(p.ClientSecret) == "" {
		bad("client_secret", "required, as the provider issued it")
	}
	if p.Environment != store.Production && p.Environment != store.Sandbox {
		bad("environment", "%q is not production or sandbox", p.Environment)
	}
	if in.EnabledActions != nil {
		p.EnabledActions = slices.Clone(*in.EnabledActions)
	} else if existing == nil {
		for _, a := range c.Actions {
			p.EnabledActions = append(p.EnabledActions, a.ID)
		}
	}
	var unknown []string
	for _, id := range p.EnabledActions {
		if _, ok := c.Action(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		bad("enabled_actions", "unknown %s actions: %s", c.Key, strings.Join(unknown, ", "))
	}
	if in.ExtraScopes != nil {
		p.ExtraScopes = slices.Clone(*in.ExtraScopes)
	}
	var strange []string
	for _, sc := range p.ExtraScopes {
		if _, ok := c.Scope(sc); !ok {
			strange = append(strange, strconv.Quote(sc))
		}
	}
	if len(strange) > 0 {
		bad("extra_scopes", "not %s scopes: %s", c.Key, strings.Join(strange, ", "))
	}
	if in.Default != nil {
		p.Default = *in.Default
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if in.Proxy != nil {
		switch a := store.ProxyAccess(strings.TrimSpace(*in.Proxy)); a {
		case store.ProxyOff, store.ProxyRead, store.ProxyReadWrite:
			p.Proxy = a
		default:
			bad("proxy", "%q is not off, read or read_write", *in.Proxy)
		}
	}
	applySync(c, &p, in.Sync, bad)
	if len(errs) > 0 {
		return store.ConnectorProfile{}, invalid(errs)
	}
	return p, nil
}

// invalid is the problem of the wrong fields: one message naming each, in
// a fixed order, and each field's own for forms.
func invalid(fields map[string]string) error {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, name+": "+fields[name])
	}
	p := problem.New(problem.Invalid, "%s", strings.Join(parts, "; "))
	p.Fields = fields
	return p
}

// View is a profile as admins see it: never the secret, always what to register.
type View struct {
	ID                       string   `json:"id"`
	Name                     string   `json:"name"`
	Active                   bool     `json:"active"`
	Default                  bool     `json:"default"`
	ConnectorKey             string   `json:"connector_key"`
	ConnectorLabel           string   `json:"connector_label"`
	Categories               []string `json:"categories"`
	AuthenticationConfigKey  string   `json:"authentication_config_key"`
	Environment              string   `json:"environment"`
	LogoURL                  string   `json:"logo_url"`
	ClientID                 string   `json:"client_id"`
	ClientSecretSet          bool     `json:"client_secret_set"`
	EnabledActions           []string `json:"enabled_actions"`
	ExtraScopes              []string `json:"extra_scopes"`
	RedirectURI              string   `json:"redirect_uri"`
	Scopes                   []string `json:"scopes"`
	ScopesInAuthorizeRequest bool     `json:"scopes_in_authorize_request"`
	// Proxy is what /unified/proxy may do with the profile's accounts: off,
	// read (GET) or read_write.
	Proxy string `json:"proxy"`
	// Sync is the records cache kept for the profile's accounts.
	Sync      SyncView  `json:"sync"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Describe turns a stored profile into its View for a deployment at publicURL.
func Describe(reg *connectors.Registry, publicURL string, p store.ConnectorProfile) View {
	v := View{
		ID: p.ID, Name: p.Name, Active: p.Enabled, Default: p.Default, ConnectorKey: p.ConnectorKey,
		AuthenticationConfigKey: "oauth2", Environment: string(p.Environment), ClientID: p.ClientID,
		ClientSecretSet: p.SecretSet || p.ClientSecret != "", EnabledActions: nonNil(p.EnabledActions), ExtraScopes: nonNil(p.ExtraScopes),
		Scopes: []string{}, Proxy: string(cmp.Or(p.Proxy, store.ProxyOff)), Sync: syncView(p.Sync), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if c, ok := reg.Get(p.ConnectorKey); ok {
		v.ConnectorLabel, v.Categories = c.Name, c.Categories
		v.LogoURL = strings.TrimRight(publicURL, "/") + "/static/icons/" + c.Key + ".svg"
		v.RedirectURI = c.RedirectURI(publicURL)
		v.ScopesInAuthorizeRequest = c.Auth.ScopesInAuthorizeRequest
		if res, err := c.Calculate(connectors.Selection{Actions: p.EnabledActions, ExtraScopes: p.ExtraScopes}); err == nil {
			v.Scopes = nonNil(res.Scopes)
		}
	}
	return v
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// SyncView is a profile's sync as the API shows it.
type SyncView struct {
	Enabled         bool     `json:"enabled"`
	Models          []string `json:"models"`
	IntervalSeconds int64    `json:"interval_seconds"`
}

func syncView(s store.SyncSettings) SyncView {
	return SyncView{Enabled: s.Enabled, Models: nonNil(s.Models), IntervalSeconds: int64(cmp.Or(s.Interval, DefaultSyncInterval) / time.Second)}
}
