package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

// registerControls adds the test controls under /_sim/. They are not part of the
// provider's API: they register apps, mint tokens, inject faults and read
// counters, so each needs the control token (Authorization: Bearer …): an app
// registered by a stranger would make the simulator's authorize endpoint
// redirect to any address from the origin that serves it.
func (p *Provider) registerControls(mux *http.ServeMux, token string) {
	control := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox controls"`)
				controlError(w, http.StatusUnauthorized, "the simulator's controls need its control token as Authorization: Bearer TOKEN "+
					"(printed by patchbay sandbox; under patchbay demo or serve --sandbox, send an admin API key instead)")
				return
			}
			h(w, r)
		})
	}
	control("POST /_sim/apps", p.createApp)
	control("POST /_sim/tokens", p.mintToken)
	control("GET /_sim/users", p.listUsers)
	control("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, p.Stats.Snapshot())
	})
	control("DELETE /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		p.Stats.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	control("POST /_sim/faults", p.addFault)
	control("POST /_sim/changes", p.applyChanges)
	control("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		p.Faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decode reads a JSON body strictly, answering 400 itself on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func (p *Provider) createApp(w http.ResponseWriter, r *http.Request) {
	var app oauthserver.App
	if !decode(w, r, &app) {
		return
	}
	app, err := p.OAuth.RegisterApp(app)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, app)
}

func (p *Provider) mintToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID string   `json:"client_id"`
		Email    string   `json:"email"`
		Scopes   []string `json:"scopes"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.ClientID == "" {
		req.ClientID = p.DemoApp.ClientID
	}
	if req.Email == "" {
		req.Email = p.DemoUser
	}
	tok, err := p.OAuth.MintToken(req.ClientID, req.Email, req.Scopes)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, tok)
}

func (p *Provider) listUsers(w http.ResponseWriter, r *http.Request) {
	type user struct {
		Email   string   `json:"email"`
		Name    string   `json:"name"`
		Role    string   `json:"role"`
		Tenants []string `json:"tenants"`
	}
	var out []user
	for _, u := range p.OAuth.Users() {
		var tenants []string
		for _, t := range u.Tenants {
			tenants = append(tenants, t.Name)
		}
		out = append(out, user{Email: u.Email, Name: u.Name, Role: u.Role, Tenants: tenants})
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *Provider) addFault(w http.ResponseWriter, r *http.Request) {
	var f simctl.Fault
	if !decode(w, r, &f) {
		return
	}
	if err := p.Faults.Add(f); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

// maxChanges bounds one POST /_sim/changes per kind.
const maxChanges = 1000

// applyChanges adds, edits and removes people of the demo company:
// {"add": N, "update": N, "delete": N}, answering the ids touched as the
// unified API shows them.
func (p *Provider) applyChanges(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Add    int `json:"add"`
		Update int `json:"update"`
		Delete int `json:"delete"`
	}
	if !decode(w, r, &req) {
		return
	}
	for field, n := range map[string]int{"add": req.Add, "update": req.Update, "delete": req.Delete} {
		if n < 0 || n > maxChanges {
			controlError(w, http.StatusBadRequest, fmt.Sprintf("%s: %d is not from 0 to %d", field, n, maxChanges))
			return
		}
	}
	added, updated, deleted := p.change(req.Add, req.Update, req.Delete, p.clock.Now())
	writeJSON(w, http.StatusOK, map[string][]string{"added": nonNil(added), "updated": nonNil(updated), "deleted": nonNil(deleted)})
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
