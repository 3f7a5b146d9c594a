// Package guide renders the connector setup guide: the page an admin follows to
// register an OAuth app with a provider. Its scope selector turns the actions the
// admin picks into the exact scopes to request. The page holds no secrets and
// needs no login; its assets are embedded, so it works with no network.
package guide

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

//go:embed assets
var assets embed.FS

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("guide").Parse(pageHTML))

// Assets serves the page's CSS and JavaScript under /static/guide/.
func Assets() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	return http.StripPrefix("/static/guide/", http.FileServerFS(sub))
}

type scopeView struct {
	ID, Description string
	Fields          []string
}

type pageData struct {
	C               *connectors.Connector
	PublicURL       string
	RedirectURI     string
	Steps           []string
	OptionalScopes  []scopeView
	Separators      []string
	ScopesInRequest bool
}

// Render writes the guide page for c, as reached at publicURL.
func Render(w http.ResponseWriter, c *connectors.Connector, publicURL string) error {
	d := pageData{
		C:               c,
		PublicURL:       strings.TrimRight(publicURL, "/"),
		RedirectURI:     c.RedirectURI(publicURL),
		Steps:           c.Steps(publicURL),
		Separators:      connectors.SeparatorNames(),
		ScopesInRequest: c.Auth.ScopesInAuthorizeRequest,
	}
	// Optional scopes: those that unlock fields, and those no action needs (such
	// as Justworks' member.tax_id:read).
	used := map[string]bool{}
	for _, a := range c.Actions {
		for _, sc := range a.Scopes {
			used[sc] = true
		}
	}
	for _, s := range c.Scopes {
		if s.FieldLevel() || !used[s.ID] {
			d.OptionalScopes = append(d.OptionalScopes, scopeView{ID: s.ID, Description: s.Description, Fields: s.UnlocksFields})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return page.Execute(w, d)
}
