// Package console is the admin web console at /console: server-rendered
// pages (html/template, embedded assets, a little plain JavaScript) over the
// same services as the API. An admin signs in with email and password; a
// session cookie names a session in the database, so any node serves any
// page; every form carries the session's CSRF token.
package console

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/admins"
	"github.com/patchbayhq/patchbay/internal/aiapps"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/feedback"
	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/ratelimit"
	"github.com/patchbayhq/patchbay/internal/requestlog"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/syncs"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assets embed.FS

// cookieName is the session cookie, sent to /console only.
const cookieName = "patchbay_console"

// Options are the services the console fronts.
type Options struct {
	Registry  *connectors.Registry
	Keys      *apikeys.Service
	Profiles  *profiles.Service
	Admins    *admins.Service
	Accounts  *accounts.Service
	Linking   *linking.Service
	Webhooks  *webhooks.Service
	Feedback  *feedback.Service
	Audit     *audit.Service
	AIApps    *aiapps.Service
	Syncs     *syncs.Service
	Logs      *requestlog.Writer
	PublicURL string
	Clock     clock.Clock
	Logger    *slog.Logger
	// SignInLimit caps sign-in attempts per client address and minute on each
	// node; zero means 20.
	SignInLimit int
}

// Console serves the pages.
type Console struct {
	o        Options
	pages    map[string]*template.Template
	mux      *http.ServeMux
	patterns []string
	secure   bool // the public URL is https: cookies are Secure
	signIns  *ratelimit.Limiter
	// simulators: new profiles default to the sandbox (WithSimulators).
	simulators atomic.Bool
	// crossOrigin refuses posts a browser sends from another site, the
	// sign-in and setup forms' included (they have no session to derive a
	// CSRF token from).
	crossOrigin *http.CrossOriginProtection
}

// New builds the console.
func New(o Options) *Console {
	o.Clock, o.Logger = clock.Or(o.Clock), cmp.Or(o.Logger, slog.Default())
	c := &Console{o: o, pages: parsePages(o.Registry), mux: http.NewServeMux(), secure: strings.HasPrefix(o.PublicURL, "https://"),
		signIns:     ratelimit.New(ratelimit.Limit{Requests: cmp.Or(o.SignInLimit, 20), Window: time.Minute}).WithClock(o.Clock),
		crossOrigin: http.NewCrossOriginProtection()}
	if origin, err := url.Parse(o.PublicURL); err == nil && origin.Host != "" {
		// Behind a proxy the Host header may differ from the public address.
		if err := c.crossOrigin.AddTrustedOrigin(origin.Scheme + "://" + origin.Host); err != nil {
			o.Logger.Warn("the console trusts only its Host header for form origins", "public_url", o.PublicURL, "err", err)
		}
	}
	c.routes()
	return c
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Console pages are never cached, framed or sniffed.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10) // forms are small
	if err := c.crossOrigin.Check(r); err != nil {
		c.render(w, http.StatusForbidden, "message", view{Title: "Refused", Error: "This form was sent from another site.",
			Hint: "Open the console at its own address and try again."})
		return
	}
	c.mux.ServeHTTP(w, r)
}

// WithSimulators tells the console that the provider simulators run with this
// deployment (the demo): new profiles default to the sandbox environment.
func (c *Console) WithSimulators() { c.simulators.Store(true) }

// HandleFunc registers a page, noting its pattern for Patterns.
func (c *Console) HandleFunc(pattern string, h http.HandlerFunc) {
	c.patterns = append(c.patterns, pattern)
	c.mux.HandleFunc(pattern, h)
}

// Handle registers a handler, as HandleFunc does.
func (c *Console) Handle(pattern string, h http.Handler) {
	c.patterns = append(c.patterns, pattern)
	c.mux.Handle(pattern, h)
}

// Patterns lists every route the console serves, as "METHOD /path/{param}"
// (tests check each one).
func (c *Console) Patterns() []string { return c.patterns }

// Assets serves the console's CSS and JavaScript under /static/console/
// (the console's handler serves them too).
func Assets() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	return http.StripPrefix("/static/console/", http.FileServerFS(sub))
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
	},
	"join":    strings.Join,
	"has":     slices.Contains[[]string],
	"changes": changesOf,
	"took":    took,
}

// took is how long a call took, to the microsecond where it was measured
// so (entries from before that count milliseconds only).
func took(l store.RequestLog) string {
	us := l.DurationUS
	if us == 0 {
		us = l.DurationMS * 1000
	}
	switch {
	case us < 1000:
		return fmt.Sprintf("%d µs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2f ms", float64(us)/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%.0f ms", float64(us)/1000)
	}
	return fmt.Sprintf("%.2f s", float64(us)/1e6)
}

// parsePages pairs the layout with each page template. providerName shows a
// connector's name where a page has its key.
func parsePages(registry *connectors.Registry) map[string]*template.Template {
	fm := maps.Clone(funcs)
	fm["providerName"] = func(key string) string {
		if c, ok := registry.Get(key); ok {
			return c.Name
		}
		return key
	}
	layout := template.Must(template.New("layout.html").Funcs(fm).ParseFS(templateFiles, "templates/layout.html"))
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, name))
	}
	return pages
}

// view is what every page template gets.
type view struct {
	Title    string
	Section  string // the nav entry to mark
	Session  *admins.Session
	Project  store.Project
	Notice   string
	Error    string
	Hint     string
	Data     any
	Base     string // /console/p/{project}
	Redirect string // sign-in: where to go after
}

func (c *Console) render(w http.ResponseWriter, status int, page string, v view) {
	t, ok := c.pages[page]
	if !ok {
		panic("console: no template " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.o.Logger.Error("render console page", "page", page, "err", err)
		http.Error(w, "The page could not be shown; the server log has the details.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// req is one signed-in request on a project's pages.
type req struct {
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context
	token   string
	session admins.Session
	project store.Project
}

func (q *req) base() string {
	if q.project.ID == "" {
		return "/console" // the pages of no project: people, projects
	}
	return "/console/p/" + q.project.ID
}

// view returns a view of this request's project and session.
func (q *req) view(title, section string, data any) view {
	return view{Title: title, Section: section, Session: &q.session, Project: q.project, Data: data, Base: q.base(),
		Notice: notices[q.r.URL.Query().Get("notice")]}
}

// redirect sends the browser to a path below the project, after a form post.
func (q *req) redirect(path, notice string) {
	path, fragment, _ := strings.Cut(path, "#")
	target := q.base() + path
	if notice != "" {
		target += "?notice=" + notice
	}
	if fragment != "" {
		target += "#" + fragment
	}
	http.Redirect(q.w, q.r, target, http.StatusSeeOther)
}

// notices are the messages a redirect may ask a page to show.
var notices = map[string]string{
	"profile-created":  "The connector profile was created. It is ready to be used: you can now link accounts.",
	"profile-saved":    "The connector profile was saved.",
	"profile-deleted":  "The connector profile was deleted.",
	"profile-disabled": "The connector profile is disabled; its accounts are inactive until you enable it again.",
	"profile-enabled":  "The connector profile is enabled; its accounts are active again.",
	"account-deleted":  "The account was deleted, and its access revoked at the provider where the provider allows it.",
	"key-revoked":      "The API key was revoked. Calls with it now fail.",
	"webhook-deleted":  "The webhook was deleted.",
	"webhook-saved":    "The webhook was saved.",
	"webhook-test":     "A webhook.test event is on its way; its delivery shows below in a moment.",
	"redelivered":      "The event is queued again, with the same webhook-id.",
	"ai-app-revoked":   "The AI app was disconnected: its tokens stopped working, and it must ask for consent again.",
	"projects-saved":   "The admin's projects were saved.",
	"admin-removed":    "The admin was removed and signed out.",
	"project-renamed":  "The project was renamed.",
	"branding-saved":   "Saved: the Hub shows your branding from now on.",
	"sync-queued":      "A sync of this account is queued; the panel below shows it once it has run.",
	"sync-busy":        "A sync of this account is already queued or running; it goes on.",
}

// page wraps a handler of a project's page: it needs a session (else the
// sign-in page), membership of the project (else 404), and on a POST the
// session's CSRF token (else 403).
func (c *Console) page(fn func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		p, member := q.session.Project(r.PathValue("project"))
		if !member {
			c.render(w, http.StatusNotFound, "message", view{Title: "Not found", Session: &q.session,
				Error: "There is no such project, or you are not one of its admins."})
			return
		}
		q.project = p
		fn(q)
	}
}

// signedIn loads the session and checks a form's CSRF token.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) (*req, bool) {
	cookie, _ := r.Cookie(cookieName)
	var token string
	if cookie != nil {
		token = cookie.Value
	}
	sess, err := c.o.Admins.Session(r.Context(), token)
	if errors.Is(err, admins.ErrNoSession) {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/console"
		}
		http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, false
	}
	if err != nil {
		c.internal(w, r, err)
		return nil, false
	}
	if r.Method == http.MethodPost && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		c.render(w, http.StatusForbidden, "message", view{Title: "Refused", Session: &sess,
			Error: "This form is out of date or did not come from this console. Go back, reload the page and try again."})
		return nil, false
	}
	audit.Name(r.Context(), "admin:"+sess.Admin.Email)
	return &req{w: w, r: r, ctx: r.Context(), token: token, session: sess}, true
}

func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.o.Logger.ErrorContext(r.Context(), "console page failed", "path", r.URL.Path, "err", err)
	c.render(w, http.StatusInternalServerError, "message", view{Title: "Something went wrong",
		Error: "Something went wrong on our side; the server log has the details."})
}

// fail shows a service's error on the page it came from: a problem's
// message, anything else as an internal error.
func (q *req) fail(c *Console, page string, v view, err error) {
	p, ok := errors.AsType[*problem.Error](err)
	if !ok {
		c.internal(q.w, q.r, err)
		return
	}
	v.Error, v.Hint = p.Message, p.Hint
	c.render(q.w, problem.HTTPStatus(p), page, v)
}

// formVersion is the version of the thing a form showed (a profile, a webhook). A form without one
// (posted by a script) checks none; a damaged one matches no version.
func formVersion(r *http.Request) int64 {
	raw := r.PostFormValue("version")
	if raw == "" {
		return store.AnyVersion
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < 0 {
		return store.NoVersion
	}
	return v
}

// flash keeps a value (a new key or secret, shown once) for the next load of
// one page of this browser: a form's answer redirects there, so that
// reloading the page shows what is left, and never runs the form again. The
// cookie lives a minute, for that page only, and the page deletes it.
func (c *Console) flash(q *req, page, value string) {
	http.SetCookie(q.w, &http.Cookie{Name: flashCookie, Value: value, Path: q.base() + page, MaxAge: 60, HttpOnly: true,
		Secure: c.secure, SameSite: http.SameSiteStrictMode})
}

// takeFlash returns the page's flashed value, once.
func (c *Console) takeFlash(q *req, page string) string {
	cookie, err := q.r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(q.w, &http.Cookie{Name: flashCookie, Path: q.base() + page, MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	return cookie.Value
}

const flashCookie = "patchbay_flash"

func (c *Console) setCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/console", MaxAge: maxAge, HttpOnly: true,
		Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// clientAddress is the request's peer address, for the sign-in limit.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console"
	}
	return next
}
