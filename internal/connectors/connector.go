// Package connectors holds Patchbay's knowledge of each provider as data: OAuth
// settings, scopes and their inheritance, and every action with its HTTP mapping,
// input schema and required scopes. Definitions are YAML files embedded in the
// binary and validated when they load; provider specifics live there, not in code.
package connectors

import (
	"fmt"
	"net/http"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Connector is one provider's definition.
type Connector struct {
	Key         string   `yaml:"key"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	DocsURL     string   `yaml:"docs_url"`
	Categories  []string `yaml:"categories"`
	// Logo is an SVG file, relative to the definitions directory.
	Logo              string   `yaml:"logo"`
	Notices           []Notice `yaml:"notices"`
	RegistrationSteps []string `yaml:"registration_steps"`
	TokenNotes        []string `yaml:"token_notes"`
	Auth              Auth     `yaml:"auth"`
	API               API      `yaml:"api"`
	Scopes            []Scope  `yaml:"scopes"`
	// AccountSetup lists what the end user picks after authorizing (e.g. one of
	// several organisations); the answers are stored in the account's setup information.
	AccountSetup []SetupField `yaml:"account_setup"`
	Actions      []Action     `yaml:"actions"`
	// UnifiedOps lists the unified API operations the connector offers; each
	// becomes an action (with Unified set) after the provider's own.
	UnifiedOps []Unified `yaml:"unified"`
	// UnifiedUnsupported says, per unified operation the connector cannot
	// offer, why: the 501 answer and the coverage table repeat it.
	UnifiedUnsupported map[string]string `yaml:"unified_unsupported"`
	// Sync says how the records cache reads each model it can keep for the
	// connector's accounts (docs/sync.md).
	Sync []SyncSource `yaml:"sync"`

	logoSVG     []byte
	actionIndex map[string]int      // action id → position in Actions
	scopeIndex  map[string]int      // scope id → position in Scopes
	closure     map[string][]string // scope id → every scope it includes, however deep
}

// Notice is something an admin must know before setting the connector up.
type Notice struct {
	Title string `yaml:"title"`
	Body  string `yaml:"body"`
}

// Auth describes the provider's OAuth 2.0 authorization server.
type Auth struct {
	Type         string               `yaml:"type"`       // "oauth2"
	GrantType    string               `yaml:"grant_type"` // "authorization_code"
	Environments map[string]Endpoints `yaml:"environments"`
	// ScopeSeparator joins scopes in the authorize request.
	ScopeSeparator string `yaml:"scope_separator"`
	// ScopesInAuthorizeRequest is false where scopes are fixed when the app is
	// registered and the authorize request must not carry them.
	ScopesInAuthorizeRequest bool       `yaml:"scopes_in_authorize_request"`
	PKCE                     PKCEMethod `yaml:"pkce"`
	ClientAuth               ClientAuth `yaml:"client_auth"`
	AccessTokenLifetime      Duration   `yaml:"access_token_lifetime"`
	RefreshTokenLifetime     Duration   `yaml:"refresh_token_lifetime"`
	// RefreshTokenRotates means every refresh returns a new refresh token that
	// replaces the old one, which must be stored at once.
	RefreshTokenRotates bool `yaml:"refresh_token_rotates"`
}

// PKCEMethod is how authorization requests prove the code's origin (RFC 7636).
type PKCEMethod string

// PKCE methods.
const (
	PKCENone PKCEMethod = "none"
	PKCES256 PKCEMethod = "S256"
)

// ClientAuth is how the client authenticates at the token endpoint.
type ClientAuth string

// Client authentication methods.
const (
	ClientSecretPost  ClientAuth = "client_secret_post"
	ClientSecretBasic ClientAuth = "client_secret_basic"
)

// PaginationStyle is how a provider continues a list.
type PaginationStyle string

// Pagination styles.
const (
	CursorStyle PaginationStyle = "cursor" // a continuation value from the previous page
	PageStyle   PaginationStyle = "page"   // page numbers with a total page count
)

// Endpoints are the OAuth URLs of one environment.
type Endpoints struct {
	AuthorizeURL string `yaml:"authorize_url"`
	TokenURL     string `yaml:"token_url"`
	RevokeURL    string `yaml:"revoke_url"`
}

// API describes the provider's resource API.
type API struct {
	BaseURL    string      `yaml:"base_url"`
	RateLimit  *RateLimit  `yaml:"rate_limit"`
	Pagination *Pagination `yaml:"pagination"`
}

// RateLimit is the provider's published request budget; zero means unpublished.
type RateLimit struct {
	PerSecond int `yaml:"per_second"`
	PerMinute int `yaml:"per_minute"`
}

// Pagination says how the provider pages lists.
type Pagination struct {
	Style       PaginationStyle `yaml:"style"`
	CursorParam string          `yaml:"cursor_param"` // cursor style: the continuation parameter
	PageParam   string          `yaml:"page_param"`   // page style: the page number parameter
	LimitParam  string          `yaml:"limit_param"`  // page size parameter
	MaxLimit    int             `yaml:"max_limit"`    // largest page size the provider accepts
	NextField   string          `yaml:"next_field"`   // dotted path to the continuation value in a response
	TotalField  string          `yaml:"total_field"`  // page style: dotted path to the total page count
	FirstPage   int             `yaml:"first_page"`   // page style: number of the first page
}

// ContinuationField is the dotted path, in a list response, of what tells
// whether another page follows: the cursor, or the total page count.
func (p *Pagination) ContinuationField() string {
	if p.Style == PageStyle {
		return p.TotalField
	}
	return p.NextField
}

// Scope is one OAuth scope the provider grants.
type Scope struct {
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	// Includes lists the scopes this one also grants.
	Includes []string `yaml:"includes"`
	// UnlocksFields lists record fields the provider hides without this scope.
	UnlocksFields []string `yaml:"unlocks_fields"`
}

// FieldLevel reports whether the scope gates fields rather than endpoints.
func (s Scope) FieldLevel() bool { return len(s.UnlocksFields) > 0 }

// SetupField is one choice the end user makes after authorizing.
type SetupField struct {
	Key         string `yaml:"key"`
	Label       string `yaml:"label"`
	Description string `yaml:"description"`
	// OptionsAction lists the choices; OptionValue and OptionLabel name the fields
	// of its records that hold each choice's value and label.
	OptionsAction string `yaml:"options_action"`
	OptionValue   string `yaml:"option_value"`
	OptionLabel   string `yaml:"option_label"`
}

// Action is one operation on the provider's API.
type Action struct {
	ID          string   `yaml:"id"`
	Label       string   `yaml:"label"`
	Description string   `yaml:"description"`
	Method      string   `yaml:"method"`
	Path        string   `yaml:"path"`
	Scopes      []string `yaml:"scopes"`
	// Paginated actions page per the connector's API pagination.
	Paginated bool `yaml:"paginated"`
	// Idempotent marks a write the provider deduplicates (e.g. by operation_id),
	// so it may be retried after a timeout or 5xx like a read.
	Idempotent bool `yaml:"idempotent"`
	// Data is the dotted path to the records in a response; empty for the whole body.
	Data   string `yaml:"data"`
	Inputs Inputs `yaml:"inputs"`
	// SetupDefaults fills path or query parameters the caller omits from the
	// account's setup information: parameter name → setup field key.
	SetupDefaults map[string]string `yaml:"setup_defaults"`
	// Unified is set on a unified API operation: it runs through Patchbay's
	// unified endpoints, calling the provider actions it names, never by itself.
	Unified *Unified `yaml:"-"`

	schemas map[string]*jsonschema.Schema // compiled Inputs by part
}

// Inputs are JSON Schemas for each part of an action's request.
type Inputs struct {
	Path  map[string]any `yaml:"path"`
	Query map[string]any `yaml:"query"`
	Body  map[string]any `yaml:"body"`
}

// parts lists the input parts by name, in request order.
func (in Inputs) parts() []struct {
	name   string
	schema map[string]any
} {
	return []struct {
		name   string
		schema map[string]any
	}{{"path", in.Path}, {"query", in.Query}, {"body", in.Body}}
}

// Schema returns the compiled JSON Schema of an input part ("path", "query" or
// "body"), or nil when the action takes no such input.
func (a *Action) Schema(part string) *jsonschema.Schema { return a.schemas[part] }

// Duration is a time.Duration written as "15m" or "24h" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 15m or 24h", n.Line, s)
	}
	d.Duration = v
	return nil
}

// Repeatable reports whether sending the action again cannot change more
// than sending it once: a read, or a write the provider deduplicates. Such a
// call may be retried after a timeout, and run again after its node died.
func (a *Action) Repeatable() bool { return a.Method == http.MethodGet || a.Idempotent }

// LogoSVG returns the connector's logo, an SVG image.
func (c *Connector) LogoSVG() []byte { return c.logoSVG }

// Action returns the action with the given id.
func (c *Connector) Action(id string) (*Action, bool) {
	i, ok := c.actionIndex[id]
	if !ok {
		return nil, false
	}
	return &c.Actions[i], true
}

// Scope returns the scope with the given id.
func (c *Connector) Scope(id string) (Scope, bool) {
	i, ok := c.scopeIndex[id]
	if !ok {
		return Scope{}, false
	}
	return c.Scopes[i], true
}

// FillFromSetup sets the path and query parameters the caller left out from the
// account's setup information (e.g. Employment Hero's organisation_id), per the
// action's SetupDefaults. Parameters the caller gave are never replaced.
func (a *Action) FillFromSetup(path, query map[string]any, setup map[string]string) {
	for param, key := range a.SetupDefaults {
		value, ok := setup[key]
		if !ok || value == "" {
			continue
		}
		target := query
		if declares(a.Inputs.Path, param) {
			target = path
		}
		if _, given := target[param]; !given && target != nil {
			target[param] = value
		}
	}
}
