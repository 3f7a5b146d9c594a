// Package profiles validates connector profiles and describes them to admins: the
// redirect URI to register and the exact scopes to request. The API and the CLI
// both go through it, so a profile is checked the same way wherever it is written.
package profiles

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Input is a create or update request. Nil fields keep their current value (or
// the default, on create).
type Input struct {
	ConnectorKey   *string   `json:"connector_key"`
	Name           *string   `json:"name"`
	ClientID       *string   `json:"client_id"`
	ClientSecret   *string   `json:"client_secret"`
	Environment    *string   `json:"environment"`
	EnabledActions *[]string `json:"enabled_actions"`
	ExtraScopes    *[]string `json:"extra_scopes"`
	Default        *bool     `json:"default"`
	Enabled        *bool     `json:"enabled"`
}

// ValidationError lists every field that is wrong and why.
type ValidationError struct{ Fields []string }

func (e *ValidationError) Error() string { return strings.Join(e.Fields, "; ") }

// Apply validates in against the connector catalogue and returns the resulting
// profile. existing is nil on create.
func Apply(reg *connectors.Registry, existing *store.ConnectorProfile, in Input) (store.ConnectorProfile, error) {
	var p store.ConnectorProfile
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if existing != nil {
		p = *existing
		if in.ConnectorKey != nil && *in.ConnectorKey != p.ConnectorKey {
			bad("connector_key: cannot change; create a new profile instead")
		}
	} else {
		p.Environment, p.Enabled = store.Production, true
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
		bad("connector_key: unknown connector %q (use %s)", p.ConnectorKey, strings.Join(keys, ", "))
		return store.ConnectorProfile{}, &ValidationError{errs}
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
		bad("client_id: required, as the provider issued it")
	}
	if strings.TrimSpace(p.ClientSecret) == "" {
		bad("client_secret: required, as the provider issued it")
	}
	if p.Environment != store.Production && p.Environment != store.Sandbox {
		bad("environment: %q is not production or sandbox", p.Environment)
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
		bad("enabled_actions: unknown %s actions: %s", c.Key, strings.Join(unknown, ", "))
	}
	if in.ExtraScopes != nil {
		p.ExtraScopes = slices.Clone(*in.ExtraScopes)
	}
	for _, sc := range p.ExtraScopes {
		if _, ok := c.Scope(sc); !ok {
			bad("extra_scopes: %q is not a %s scope", sc, c.Key)
		}
	}
	if in.Default != nil {
		p.Default = *in.Default
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if len(errs) > 0 {
		return store.ConnectorProfile{}, &ValidationError{errs}
	}
	return p, nil
}

// View is a profile as admins see it: never the secret, always what to register.
type View struct {
	ID                       string    `json:"id"`
	Name                     string    `json:"name"`
	Active                   bool      `json:"active"`
	Default                  bool      `json:"default"`
	ConnectorKey             string    `json:"connector_key"`
	ConnectorLabel           string    `json:"connector_label"`
	Categories               []string  `json:"categories"`
	AuthenticationConfigKey  string    `json:"authentication_config_key"`
	Environment              string    `json:"environment"`
	LogoURL                  string    `json:"logo_url"`
	ClientID                 string    `json:"client_id"`
	ClientSecretSet          bool      `json:"client_secret_set"`
	EnabledActions           []string  `json:"enabled_actions"`
	ExtraScopes              []string  `json:"extra_scopes"`
	RedirectURI              string    `json:"redirect_uri"`
	Scopes                   []string  `json:"scopes"`
	ScopesInAuthorizeRequest bool      `json:"scopes_in_authorize_request"`
	CreatedAt                time.Time `json:"created_at"`
	UpdatedAt                time.Time `json:"updated_at"`
}

// Describe turns a stored profile into its View for a deployment at publicURL.
func Describe(reg *connectors.Registry, publicURL string, p store.ConnectorProfile) View {
	v := View{
		ID: p.ID, Name: p.Name, Active: p.Enabled, Default: p.Default, ConnectorKey: p.ConnectorKey,
		AuthenticationConfigKey: "oauth2", Environment: string(p.Environment), ClientID: p.ClientID,
		ClientSecretSet: p.SecretSet || p.ClientSecret != "", EnabledActions: nonNil(p.EnabledActions), ExtraScopes: nonNil(p.ExtraScopes),
		Scopes: []string{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
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
