package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store"
)

// connectorMetaJSON is the reference's ConnectorsMeta: a connector's category,
// whether this project can use it, and the unified models it serves.
type connectorMetaJSON struct {
	Provider     string         `json:"provider"`
	ProviderName string         `json:"provider_name"`
	Category     string         `json:"category"`
	Active       bool           `json:"active"`
	Models       map[string]any `json:"models"`
	Resources    map[string]any `json:"resources"`
}

// connectorMeta describes c; active says whether the project has an enabled profile for it.
func (s *Server) connectorMeta(c *connectors.Connector, active bool) connectorMetaJSON {
	category := ""
	if len(c.Categories) > 0 {
		category = c.Categories[0]
	}
	return connectorMetaJSON{Provider: c.Key, ProviderName: c.Name, Category: category, Active: active, Models: unifiedModels(c),
		Resources: map[string]any{"images": map[string]any{"logo_url": s.iconURL(c)}}}
}

// unifiedModels lists the connector's unified operations by resource, as
// {employees: {hris_list_employees: {apiPath, method}}}.
func unifiedModels(c *connectors.Connector) map[string]any {
	models := map[string]any{}
	for _, a := range c.Actions {
		if a.Unified == nil {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(a.Path, "/unified/"), "/") // hris, employees, …
		resource := parts[0] + "/" + parts[1]
		ops, _ := models[resource].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			models[resource] = ops
		}
		ops[a.ID] = map[string]any{"apiPath": a.Path, "method": a.Method}
	}
	return models
}

// activeConnectors are the connectors the caller's project has an enabled profile for.
func (s *Server) activeConnectors(r *http.Request) (map[string]bool, error) {
	profiles, err := s.profiles.List(r.Context(), callerKey(r.Context()).ProjectID, store.ProfileFilter{})
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, p := range profiles {
		active[p.ConnectorKey] = active[p.ConnectorKey] || p.Enabled
	}
	return active, nil
}

// listConnectorsMeta answers GET /connectors/meta with a bare array.
func (s *Server) listConnectorsMeta(w http.ResponseWriter, r *http.Request) {
	active, err := s.activeConnectors(r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := []connectorMetaJSON{}
	for _, c := range s.registry.All() {
		out = append(out, s.connectorMeta(c, active[c.Key]))
	}
	writeJSON(w, http.StatusOK, out)
}

// connectorSub answers the two routes that share /connectors/{a}/{b}: the
// scope calculator, /connectors/{key}/scopes, and the reference's connector
// meta, /connectors/meta/{provider}.
func (s *Server) connectorSub(w http.ResponseWriter, r *http.Request) {
	switch key, sub := r.PathValue("key"), r.PathValue("sub"); {
	case key == "meta":
		s.getConnectorMeta(w, r, sub)
	case sub == "scopes":
		s.scopesFor(w, r)
	default:
		s.writeError(w, http.StatusNotFound, "No such endpoint: "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) getConnectorMeta(w http.ResponseWriter, r *http.Request, provider string) {
	c, ok := s.registry.Get(provider)
	if !ok {
		s.writeError(w, http.StatusNotFound, "No connector "+provider+"; GET /connectors/meta lists them")
		return
	}
	active, err := s.activeConnectors(r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.connectorMeta(c, active[c.Key]))
}

// getAccountMeta answers GET /accounts/{id}/meta: the account's provider and category.
func (s *Server) getAccountMeta(w http.ResponseWriter, r *http.Request) {
	a, err := s.accounts.Get(r.Context(), callerKey(r.Context()).ProjectID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	meta := map[string]any{"provider": a.Provider, "category": "", "models": map[string]any{}}
	if c, ok := s.registry.Get(a.Provider); ok {
		m := s.connectorMeta(c, true)
		meta["category"], meta["models"] = m.Category, m.Models
	}
	writeJSON(w, http.StatusOK, meta)
}

// stepLogJSON is one provider call of an action call, as GET /requests/logs/steps lists it.
type stepLogJSON struct {
	ID         string    `json:"id"`
	RequestID  string    `json:"request_id"`
	AccountID  string    `json:"account_id"`
	ProjectID  string    `json:"project_id"`
	Provider   string    `json:"provider"`
	Action     string    `json:"action"`
	HTTPMethod string    `json:"http_method"`
	URL        string    `json:"url"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	Success    bool      `json:"success"`
	Duration   int64     `json:"duration"`
	StartTime  time.Time `json:"start_time"`
	EndTime    time.Time `json:"end_time"`
}

// listStepLogs answers GET /requests/logs/steps: the provider calls of the
// action calls GET /requests/logs would list (same filters and cursor), newest
// call first.
func (s *Server) listStepLogs(w http.ResponseWriter, r *http.Request) {
	logs, f, ok := s.readLogs(w, r)
	if !ok {
		return
	}
	out := []stepLogJSON{}
	for _, l := range logs {
		for i, st := range l.Steps {
			out = append(out, stepLogJSON{ID: l.ID + "-" + strconv.Itoa(i), RequestID: l.RequestID, AccountID: l.AccountID, ProjectID: l.ProjectID,
				Provider: l.Provider, Action: l.Action, HTTPMethod: st.Method, URL: st.URL, Path: l.Path, Status: st.Status,
				Success: st.Status > 0 && st.Status < 400, Duration: st.DurationMS, StartTime: st.StartTime,
				EndTime: st.StartTime.Add(time.Duration(st.DurationMS) * time.Millisecond)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next": logCursor(logs, f.Limit)})
}
