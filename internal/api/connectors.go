package api

import (
	"cmp"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/guide"
	"github.com/patchbayhq/patchbay/internal/paging"
)

type scopeDefinitionJSON struct {
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Includes      []string `json:"includes"`
	UnlocksFields []string `json:"unlocks_fields,omitempty"`
}

type actionMetaJSON struct {
	ID             string         `json:"id"`
	Label          string         `json:"label"`
	Description    string         `json:"description"`
	RequiredScopes []string       `json:"required_scopes"`
	ActionDetails  *actionDetails `json:"action_details,omitempty"`
	// OperationDetails is the same, under the name the reference's SDK reads.
	OperationDetails *actionDetails `json:"operation_details,omitempty"`
}

type actionDetails struct {
	Method    string         `json:"method"`
	Path      string         `json:"path"`
	Paginated bool           `json:"paginated"`
	Inputs    map[string]any `json:"inputs"`
}

type connectorJSON struct {
	Key               string                  `json:"key"`
	Name              string                  `json:"name"`
	Description       string                  `json:"description"`
	DocsURL           string                  `json:"docs_url,omitempty"`
	Categories        []string                `json:"categories"`
	Icon              string                  `json:"icon"`
	Notices           []connectors.Notice     `json:"notices"`
	RedirectURI       string                  `json:"redirect_uri"`
	GuideURL          string                  `json:"guide_url"`
	Auth              *authJSON               `json:"auth,omitempty"`
	RegistrationSteps []string                `json:"registration_steps,omitempty"`
	TokenNotes        []string                `json:"token_notes,omitempty"`
	AccountSetup      []connectors.SetupField `json:"account_setup,omitempty"`
	ScopeDefinitions  []scopeDefinitionJSON   `json:"scope_definitions,omitempty"`
	Actions           []actionMetaJSON        `json:"actions,omitempty"`
	ActionsCount      int                     `json:"actions_count"`
}

type authJSON struct {
	Type                     string `json:"type"`
	GrantType                string `json:"grant_type"`
	PKCE                     string `json:"pkce"`
	ScopeSeparator           string `json:"scope_separator"`
	ScopesInAuthorizeRequest bool   `json:"scopes_in_authorize_request"`
	AccessTokenLifetime      int    `json:"access_token_lifetime_seconds"`
	RefreshTokenRotates      bool   `json:"refresh_token_rotates"`
}

// summary is what every connector listing shows.
func (s *Server) summary(c *connectors.Connector) connectorJSON {
	return connectorJSON{
		Key: c.Key, Name: c.Name, Description: c.Description, DocsURL: c.DocsURL,
		Categories: c.Categories, Notices: c.Notices, Icon: s.iconURL(c),
		RedirectURI:  c.RedirectURI(s.publicURL),
		GuideURL:     s.publicURL + "/guides/" + c.Key,
		ActionsCount: len(c.Actions),
	}
}

func scopeDefinitions(c *connectors.Connector) []scopeDefinitionJSON {
	out := make([]scopeDefinitionJSON, len(c.Scopes))
	for i, sc := range c.Scopes {
		out[i] = scopeDefinitionJSON{Name: sc.ID, Description: sc.Description, Includes: nonNil(sc.Includes), UnlocksFields: sc.UnlocksFields}
	}
	return out
}

// actionMeta describes an action, with its details under each name include asks
// for (action_details, operation_details).
func actionMeta(a *connectors.Action, include []string) actionMetaJSON {
	m := actionMetaJSON{ID: a.ID, Label: a.Label, Description: a.Description, RequiredScopes: a.Scopes}
	if slices.Contains(include, "action_details") || slices.Contains(include, "operation_details") {
		inputs := map[string]any{}
		if a.Inputs.Path != nil {
			inputs["path"] = a.Inputs.Path
		}
		if a.Inputs.Query != nil {
			inputs["query"] = a.Inputs.Query
		}
		if a.Inputs.Body != nil {
			inputs["body"] = a.Inputs.Body
		}
		details := &actionDetails{Method: a.Method, Path: a.Path, Paginated: a.Paginated, Inputs: inputs}
		if slices.Contains(include, "action_details") {
			m.ActionDetails = details
		}
		if slices.Contains(include, "operation_details") {
			m.OperationDetails = details
		}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// connector finds the {key} connector, answering 404 itself when it is unknown.
func (s *Server) connector(w http.ResponseWriter, r *http.Request) (*connectors.Connector, bool) {
	c, ok := s.registry.Get(r.PathValue("key"))
	if !ok {
		s.writeError(w, http.StatusNotFound, "Unknown connector "+strconv.Quote(r.PathValue("key"))+"; GET /connectors lists them")
	}
	return c, ok
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	var out []connectorJSON
	for _, c := range s.registry.All() {
		out = append(out, s.summary(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) {
	c, ok := s.connector(w, r)
	if !ok {
		return
	}
	out := s.summary(c)
	out.Auth = &authJSON{
		Type: c.Auth.Type, GrantType: c.Auth.GrantType, PKCE: string(c.Auth.PKCE), ScopeSeparator: c.Auth.ScopeSeparator,
		ScopesInAuthorizeRequest: c.Auth.ScopesInAuthorizeRequest,
		AccessTokenLifetime:      int(c.Auth.AccessTokenLifetime.Seconds()),
		RefreshTokenRotates:      c.Auth.RefreshTokenRotates,
	}
	out.RegistrationSteps = c.Steps(s.publicURL)
	out.TokenNotes = c.TokenNotes
	out.AccountSetup = c.AccountSetup
	out.ScopeDefinitions = scopeDefinitions(c)
	for i := range c.Actions {
		out.Actions = append(out.Actions, actionMeta(&c.Actions[i], nil))
	}
	writeJSON(w, http.StatusOK, out)
}

// listActions answers GET /actions with one ActionsMeta entry per connector.
func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var wantConnectors []string
	if v := q.Get("filter[connectors]"); v != "" {
		wantConnectors = splitList(v)
		for _, key := range wantConnectors {
			if _, ok := s.registry.Get(key); !ok {
				s.writeError(w, http.StatusBadRequest, "filter[connectors]: unknown connector "+strconv.Quote(key))
				return
			}
		}
	}
	actionKey := q.Get("filter[action_key]")
	search := strings.ToLower(strings.TrimSpace(q.Get("search")))
	include := splitList(q.Get("include"))
	pageSize, offset, err := pageParams(q.Get("page_size"), q.Get("next"))
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// With filter[account_ids], one entry per account: its connector's actions,
	// marked with the account's id.
	type subject struct {
		c         *connectors.Connector
		accountID string
	}
	var subjects []subject
	if ids := splitList(q.Get("filter[account_ids]")); len(ids) > 0 {
		if s.tooMany(w, map[string][]string{"filter[account_ids]": ids}) {
			return
		}
		for _, id := range ids {
			a, err := s.accounts.Get(r.Context(), callerKey(r.Context()).ProjectID, id)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if c, ok := s.registry.Get(a.Provider); ok {
				subjects = append(subjects, subject{c, a.ID})
			}
		}
	} else {
		for _, c := range s.registry.All() {
			subjects = append(subjects, subject{c: c})
		}
	}

	var metas []map[string]any
	for _, sub := range subjects {
		c := sub.c
		if wantConnectors != nil && !slices.Contains(wantConnectors, c.Key) {
			continue
		}
		connectorMatches := search == "" || strings.Contains(strings.ToLower(c.Name), search)
		var actions []actionMetaJSON
		for i := range c.Actions {
			a := &c.Actions[i]
			if actionKey != "" && a.ID != actionKey {
				continue
			}
			if !connectorMatches && !strings.Contains(strings.ToLower(a.Label+" "+a.Description+" "+a.ID), search) {
				continue
			}
			actions = append(actions, actionMeta(a, include))
		}
		if len(actions) == 0 {
			continue
		}
		meta := map[string]any{
			"key": c.Key, "name": c.Name, "description": c.Description, "categories": c.Categories, "icon": s.iconURL(c),
			"authentication": []map[string]any{{
				"key": c.Auth.Type, "label": "OAuth 2.0", "type": c.Auth.Type,
				"required_scopes": mustScopes(c, actions),
			}},
			"scope_definitions": scopeDefinitions(c),
			"actions":           actions,
		}
		if sub.accountID != "" {
			meta["account_id"] = sub.accountID
		}
		metas = append(metas, meta)
	}
	page, next := paginate(metas, pageSize, offset)
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": page, "next": next})
}

// mustScopes is the union of the listed actions' scopes; the ids come from the
// connector itself, so none can be unknown.
func mustScopes(c *connectors.Connector, actions []actionMetaJSON) []string {
	ids := make([]string, len(actions))
	for i, a := range actions {
		ids[i] = a.ID
	}
	scopes, _ := c.RequiredScopes(ids)
	return nonNil(scopes)
}

// scopesFor answers the scope calculator: the scopes the chosen actions (plus any
// extra scopes) need, joined with the chosen separator, and the actions they enable.
func (s *Server) scopesFor(w http.ResponseWriter, r *http.Request) {
	c, ok := s.connector(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	sel := connectors.Selection{
		Actions:     splitList(q.Get("actions")),
		ExtraScopes: splitList(q.Get("extra_scopes")),
		Separator:   q.Get("separator"),
		Minimal:     q.Get("minimal") == "true",
	}
	res, err := c.Calculate(sel)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out := scopesJSON{
		Connector: c.Key, Actions: nonNil(sel.Actions), ExtraScopes: nonNil(sel.ExtraScopes), Scopes: nonNil(res.Scopes),
		Separator: cmp.Or(sel.Separator, "space"), Minimal: sel.Minimal, Text: res.Text,
		EnabledActions: []actionMetaJSON{}, RedirectURI: c.RedirectURI(s.publicURL),
	}
	for _, a := range res.EnabledActions {
		out.EnabledActions = append(out.EnabledActions, actionMeta(a, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

type scopesJSON struct {
	Connector      string           `json:"connector"`
	Actions        []string         `json:"actions"`
	ExtraScopes    []string         `json:"extra_scopes"`
	Scopes         []string         `json:"scopes"`
	Separator      string           `json:"separator"`
	Minimal        bool             `json:"minimal"`
	Text           string           `json:"text"`
	EnabledActions []actionMetaJSON `json:"enabled_actions"`
	RedirectURI    string           `json:"redirect_uri"`
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// pageParams reads page_size (default 25, at most 100) and the opaque next cursor.
func pageParams(size, next string) (int, int, error) {
	pageSize, err := paging.Size(size, 25, 100)
	if err != nil {
		return 0, 0, err
	}
	offset := 0
	if next != "" {
		raw, err := base64.RawURLEncoding.DecodeString(next)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), "o:"))
		if err != nil || convErr != nil || n < 0 || !strings.HasPrefix(string(raw), "o:") {
			return 0, 0, errors.New("next: not a cursor this endpoint returned")
		}
		offset = n
	}
	return pageSize, offset, nil
}

// paginate cuts one page from items and returns the cursor of the next, or nil.
func paginate[T any](items []T, pageSize, offset int) ([]T, *string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+pageSize, len(items))
	if end == len(items) {
		return items[offset:end], nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	return items[offset:end], &next
}

func (s *Server) guidePage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.connector(w, r)
	if !ok {
		return
	}
	if err := guide.Render(w, c, s.publicURL); err != nil {
		s.log.ErrorContext(r.Context(), "render guide", "connector", c.Key, "err", err)
	}
}

func (s *Server) iconURL(c *connectors.Connector) string {
	return s.publicURL + "/static/icons/" + c.Key + ".svg"
}

// icon serves a connector's logo.
func (s *Server) icon(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	c, found := s.registry.Get(key)
	if !ok || !found {
		s.writeError(w, http.StatusNotFound, "No such icon")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(c.LogoSVG())
}

// searchActions answers POST /actions/search {query, top_k, connector}: the
// catalogue's actions that best match a plain-language request, best first,
// as the StackOne AI SDK's searchActionNames reads them.
func (s *Server) searchActions(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query     string `json:"query"`
		TopK      *int   `json:"top_k"`
		Connector string `json:"connector"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	k := 10
	if in.TopK != nil {
		k = *in.TopK
	}
	found, err := s.search.Search(in.Query, in.Connector, k)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type result struct {
		ID              string  `json:"id"`
		SimilarityScore float64 `json:"similarity_score"`
		Label           string  `json:"label"`
		Description     string  `json:"description"`
	}
	results := make([]result, len(found))
	for i, m := range found {
		results[i] = result{m.ActionID, m.Score, m.Label, m.Description}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "total_count": len(results), "query": in.Query})
}
