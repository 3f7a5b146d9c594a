// Package hub renders the Hub: the page an end user opens from an auth link to
// connect their HR system, and the small script (hub.js) that embeds it. Its
// assets are embedded; the Hub needs no build step and no network of its own.
package hub

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("hub").Parse(pageHTML))

// Provider is one connector the Hub offers, with the profile it links through.
// The JSON names are those of the Hub's connector list (GET /hub/connectors).
type Provider struct {
	Key       string `json:"provider"`
	Name      string `json:"name"`
	ProfileID string `json:"integration_id"`
	LogoURL   string `json:"logo_url"`
}

// Page is what the Hub page shows.
type Page struct {
	Token         string
	OwnerName     string
	Options       []Provider
	AllowedOrigin string // where the result may be posted
	AttemptID     string // set when coming back from the provider
	Problem       string // set for the error pages
	Hint          string
	Brand         Brand
	Preview       bool // the console's preview: no script runs
}

// Brand is how the project presents itself in the Hub; empty fields show
// Patchbay's own look.
type Brand struct {
	Name, LogoURL, Accent, SupportURL string
}

// RenderPage writes the Hub page.
func RenderPage(w http.ResponseWriter, p Page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL carries the session token
	page.Execute(w, p)
}

// RenderPreview writes the Hub page as an end user with this brand would
// see it, for the console's preview: the page frames it from its own
// origin, and its buttons do nothing (no token).
func RenderPreview(w http.ResponseWriter, brand Brand, options []Provider) {
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'; default-src 'self'; img-src 'self' https:; style-src 'self' 'unsafe-inline'; script-src 'none'")
	RenderPage(w, Page{OwnerName: "A customer of yours", Options: options, Brand: brand, Preview: true})
}

// RenderProblem writes a Hub page that explains what went wrong and what to do.
func RenderProblem(w http.ResponseWriter, status int, problem, hint string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	page.Execute(w, Page{Problem: problem, Hint: hint})
}

// Assets serves hub.js and the page's CSS and script under /static/hub/.
func Assets() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	return http.StripPrefix("/static/hub/", http.FileServerFS(sub))
}
