package connectors

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed defs/*.yaml defs/icons/*.svg
var embedded embed.FS

// Registry indexes the loaded connector definitions by key.
type Registry struct {
	connectors []*Connector
	byKey      map[string]*Connector
}

// Embedded loads the definitions shipped in the binary.
//
// The catalogue is loaded and its schemas compiled once per process; every
// caller shares the result, which nothing changes after it is loaded.
func Embedded() (*Registry, error) { return embeddedRegistry() }

var embeddedRegistry = sync.OnceValues(func() (*Registry, error) { return Load(embedded, "defs") })

// Load reads and validates every "*.yaml" definition in dir of fsys. The first
// broken definition stops the load with an error naming its file, action and field.
func Load(fsys fs.FS, dir string) (*Registry, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no connector definitions in %s", dir)
	}
	r := &Registry{byKey: map[string]*Connector{}}
	for _, file := range files {
		c, err := loadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("connector definition %s: %w", file, err)
		}
		if _, dup := r.byKey[c.Key]; dup {
			return nil, fmt.Errorf("connector definition %s: key %q is defined twice", file, c.Key)
		}
		r.byKey[c.Key] = c
		r.connectors = append(r.connectors, c)
	}
	slices.SortFunc(r.connectors, func(a, b *Connector) int { return strings.Compare(a.Key, b.Key) })
	return r, nil
}

// All returns the connectors ordered by key.
func (r *Registry) All() []*Connector { return slices.Clone(r.connectors) }

// Get returns the connector with the given key.
func (r *Registry) Get(key string) (*Connector, bool) {
	c, ok := r.byKey[key]
	return c, ok
}

// Action returns the action with the given id of whichever connector has it
// (a unified operation's id is the same on every connector that offers it).
func (r *Registry) Action(id string) (*Action, bool) {
	for _, c := range r.connectors {
		if a, ok := c.Action(id); ok {
			return a, true
		}
	}
	return nil, false
}

func loadFile(fsys fs.FS, file string) (*Connector, error) {
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var c Connector
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.Logo == "" || !strings.HasSuffix(c.Logo, ".svg") {
		return nil, fieldError("logo", "an .svg file beside the definition is required")
	}
	if c.logoSVG, err = fs.ReadFile(fsys, path.Join(path.Dir(file), c.Logo)); err != nil {
		return nil, fieldError("logo", "%v", err)
	}
	return &c, nil
}

var (
	keyPattern       = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	actionIDPattern  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)+$`)
	pathParamPattern = regexp.MustCompile(`\{([^{}]+)\}`)
	methods          = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
)

// fieldError names the field of a definition that is wrong.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}

func (c *Connector) validate() error {
	if !keyPattern.MatchString(c.Key) {
		return fieldError("key", "%q must be lower-case letters and digits", c.Key)
	}
	if c.Name == "" {
		return fieldError("name", "required")
	}
	if len(c.Categories) == 0 {
		return fieldError("categories", "at least one is required, e.g. [hris]")
	}
	if err := c.Auth.validate(); err != nil {
		return err
	}
	if err := c.API.validate(); err != nil {
		return err
	}
	c.scopeIndex = map[string]int{}
	for i, s := range c.Scopes {
		if s.ID == "" {
			return fieldError(fmt.Sprintf("scopes[%d].id", i), "required")
		}
		if _, dup := c.scopeIndex[s.ID]; dup {
			return fieldError("scopes", "%q is defined twice", s.ID)
		}
		c.scopeIndex[s.ID] = i
	}
	for _, s := range c.Scopes {
		for _, inc := range s.Includes {
			if _, ok := c.scopeIndex[inc]; !ok || inc == s.ID {
				return fieldError("scope "+s.ID+": includes", "%q is not another defined scope", inc)
			}
		}
	}
	c.closure = map[string][]string{}
	for _, s := range c.Scopes {
		c.closure[s.ID] = c.inherited(s.ID)
	}
	for i, f := range c.AccountSetup {
		if f.Key == "" || f.Label == "" || f.OptionsAction == "" || f.OptionValue == "" || f.OptionLabel == "" {
			return fieldError(fmt.Sprintf("account_setup[%d]", i), "key, label, options_action, option_value and option_label are required")
		}
	}
	c.actionIndex = map[string]int{}
	for i := range c.Actions {
		a := &c.Actions[i]
		if err := c.validateAction(a); err != nil {
			if a.ID == "" {
				return fmt.Errorf("actions[%d]: %w", i, err)
			}
			return fmt.Errorf("action %s: %w", a.ID, err)
		}
		if _, dup := c.actionIndex[a.ID]; dup {
			return fmt.Errorf("action %s: defined twice", a.ID)
		}
		c.actionIndex[a.ID] = i
	}
	if len(c.Actions) == 0 {
		return fieldError("actions", "at least one is required")
	}
	if err := c.addUnified(); err != nil {
		return err
	}
	if err := c.validateSync(); err != nil {
		return err
	}
	for i, f := range c.AccountSetup {
		if _, ok := c.Action(f.OptionsAction); !ok {
			return fieldError(fmt.Sprintf("account_setup[%d].options_action", i), "%q is not a defined action", f.OptionsAction)
		}
	}
	return nil
}

// hasSetupField reports whether the connector declares the setup field key.
func (c *Connector) hasSetupField(key string) bool {
	return slices.ContainsFunc(c.AccountSetup, func(f SetupField) bool { return f.Key == key })
}

func (a *Auth) validate() error {
	if a.Type != "oauth2" {
		return fieldError("auth.type", "%q is not supported (use oauth2)", a.Type)
	}
	if a.GrantType != "authorization_code" {
		return fieldError("auth.grant_type", "%q is not supported (use authorization_code)", a.GrantType)
	}
	if _, ok := a.Environments["production"]; !ok {
		return fieldError("auth.environments", "a production environment is required")
	}
	for env, e := range a.Environments {
		for field, u := range map[string]string{"authorize_url": e.AuthorizeURL, "token_url": e.TokenURL} {
			if !isHTTPURL(u) {
				return fieldError("auth.environments."+env+"."+field, "%q is not an http(s) URL", u)
			}
		}
		if e.RevokeURL != "" && !isHTTPURL(e.RevokeURL) {
			return fieldError("auth.environments."+env+".revoke_url", "%q is not an http(s) URL", e.RevokeURL)
		}
	}
	if a.ScopeSeparator == "" {
		return fieldError("auth.scope_separator", "required, e.g. \" \"")
	}
	if a.PKCE != PKCENone && a.PKCE != PKCES256 {
		return fieldError("auth.pkce", "%q: use none or S256", a.PKCE)
	}
	if a.ClientAuth != ClientSecretPost && a.ClientAuth != ClientSecretBasic {
		return fieldError("auth.client_auth", "%q: use client_secret_post or client_secret_basic", a.ClientAuth)
	}
	if a.AccessTokenLifetime.Duration <= 0 {
		return fieldError("auth.access_token_lifetime", "required, e.g. 15m")
	}
	return nil
}

func (api *API) validate() error {
	if !isHTTPURL(api.BaseURL) {
		return fieldError("api.base_url", "%q is not an http(s) URL", api.BaseURL)
	}
	p := api.Pagination
	if p == nil {
		return nil
	}
	switch {
	case p.Style == CursorStyle && p.CursorParam == "":
		return fieldError("api.pagination.cursor_param", "required for cursor pagination")
	case p.Style == PageStyle && p.PageParam == "":
		return fieldError("api.pagination.page_param", "required for page pagination")
	case p.Style != CursorStyle && p.Style != PageStyle:
		return fieldError("api.pagination.style", "%q: use cursor or page", p.Style)
	case p.LimitParam == "" || p.MaxLimit <= 0:
		return fieldError("api.pagination", "limit_param and a positive max_limit are required")
	case p.Style == CursorStyle && p.NextField == "":
		return fieldError("api.pagination.next_field", "required for cursor pagination")
	}
	return nil
}

func (c *Connector) validateAction(a *Action) error {
	if !actionIDPattern.MatchString(a.ID) || !strings.HasPrefix(a.ID, c.Key+"_") {
		return fieldError("id", "%q must look like %s_<operation>_<entity>", a.ID, c.Key)
	}
	if a.Label == "" {
		return fieldError("label", "required")
	}
	if !slices.Contains(methods, a.Method) {
		return fieldError("method", "%q: use one of %s", a.Method, strings.Join(methods, ", "))
	}
	if !strings.HasPrefix(a.Path, "/") {
		return fieldError("path", "%q must start with /", a.Path)
	}
	if len(a.Scopes) == 0 {
		return fieldError("scopes", "at least one is required")
	}
	for _, s := range a.Scopes {
		if _, ok := c.scopeIndex[s]; !ok {
			return fieldError("scopes", "%q is not a defined scope", s)
		}
	}
	a.schemas = map[string]*jsonschema.Schema{}
	for _, part := range a.Inputs.parts() {
		if part.schema == nil {
			continue
		}
		compiled, err := compileSchema(a.ID+"/"+part.name, part.schema)
		if err != nil {
			return fieldError("inputs."+part.name, "%v", err)
		}
		a.schemas[part.name] = compiled
	}
	for _, m := range pathParamPattern.FindAllStringSubmatch(a.Path, -1) {
		if !requires(a.Inputs.Path, m[1]) {
			return fieldError("inputs.path", "path parameter %q must be a required property", m[1])
		}
	}
	for param, key := range a.SetupDefaults {
		if !c.hasSetupField(key) {
			return fieldError("setup_defaults."+param, "%q is not an account_setup key", key)
		}
		if !declares(a.Inputs.Path, param) && !declares(a.Inputs.Query, param) {
			return fieldError("setup_defaults."+param, "not a path or query parameter of the action")
		}
	}
	if a.Paginated {
		p := c.API.Pagination
		if p == nil {
			return fieldError("paginated", "the connector declares no api.pagination")
		}
		param := p.CursorParam
		if p.Style == PageStyle {
			param = p.PageParam
		}
		if !declares(a.Inputs.Query, param) || !declares(a.Inputs.Query, p.LimitParam) {
			return fieldError("inputs.query", "a paginated action must accept %q and %q", param, p.LimitParam)
		}
	}
	return nil
}

// compileSchema compiles a JSON Schema decoded from YAML. It goes through JSON so
// numbers and maps have the types the compiler expects.
func compileSchema(id string, schema map[string]any) (*jsonschema.Schema, error) {
	raw, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	loc := "mem://" + id + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(loc)
	if err != nil {
		var se *jsonschema.SchemaValidationError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a valid JSON Schema: %v", se.Err)
		}
		return nil, err
	}
	return s, nil
}

func properties(schema map[string]any) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	return props
}

func declares(schema map[string]any, name string) bool {
	_, ok := properties(schema)[name]
	return ok
}

func requires(schema map[string]any, name string) bool {
	required, _ := schema["required"].([]any)
	return declares(schema, name) && slices.Contains(required, any(name))
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
