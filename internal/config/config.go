// Package config turns flags and PATCHBAY_* environment variables into one Config.
// A flag beats its environment variable, which beats the built-in default; the
// defaults make `patchbay serve` work with no configuration at all.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/patchbayhq/patchbay/internal/store/dburl"
)

// Config is everything Patchbay reads from its environment.
type Config struct {
	// Listen is the HTTP listen address, e.g. ":8080".
	Listen string
	// PublicURL is the address users and providers reach Patchbay at; OAuth
	// redirect URIs are built from it. Empty means "derive from the listen address".
	PublicURL string
	// DatabaseURL is "postgres://…" or "sqlite:PATH".
	DatabaseURL string
	// SandboxURL is where sandbox-environment profiles reach the simulators;
	// empty means those mounted under PublicURL/sandbox.
	SandboxURL string
	// DataDir holds the embedded database and the generated key file.
	DataDir string
	// EncryptionKeys is "id:base64key,…", primary first; empty means use KeyFile.
	EncryptionKeys string
	// LogRetention is how long request logs are kept.
	LogRetention time.Duration
	// AuditRetention is how long audit trail entries are kept.
	AuditRetention time.Duration
	// SyncRetention is how long the sync change feed keeps a change.
	SyncRetention time.Duration
	// SyncWorkers is how many accounts a node syncs at once.
	SyncWorkers int
	// KeyRateLimit caps the requests one API key makes per clock minute, counted
	// across every node.
	KeyRateLimit int
	// WebhookAllowPrivate lets webhooks deliver to loopback and private
	// addresses (development and tests).
	WebhookAllowPrivate bool
	// LogLevel and LogFormat ("text" or "json") shape the log on stderr.
	// LogLevelChosen says the level came from a flag or the environment,
	// not the default.
	LogLevel       slog.Level
	LogLevelChosen bool
	LogFormat      string
	// DebugListen, when set, is where serve offers Go's profiler
	// (net/http/pprof), apart from the API.
	DebugListen string
}

// Setting is one configurable value: a flag and its environment variable.
type Setting struct {
	Flag, Env, Default, Usage string
	secret                    bool
}

// Settings lists every setting, for flags, --help and the README.
var Settings = []Setting{
	{Flag: "listen", Env: "PATCHBAY_LISTEN", Default: ":8080", Usage: "address the HTTP server listens on"},
	{Flag: "public-url", Env: "PATCHBAY_PUBLIC_URL", Usage: "URL users and providers reach Patchbay at, used for OAuth redirect URIs (default http://localhost:<listen port>)"},
	{Flag: "sandbox-url", Env: "PATCHBAY_SANDBOX_URL", Usage: "where sandbox-environment profiles reach the provider simulators, e.g. a 'patchbay sandbox' shared by several nodes (default <public-url>/sandbox)"},
	{Flag: "database-url", Env: "PATCHBAY_DATABASE_URL", Usage: "postgres://user:pass@host/db for PostgreSQL, or sqlite:PATH (default sqlite:<data-dir>/patchbay.db)"},
	{Flag: "data-dir", Env: "PATCHBAY_DATA_DIR", Default: "./data", Usage: "directory for the embedded database and the generated encryption key file"},
	{Flag: "encryption-keys", Env: "PATCHBAY_ENCRYPTION_KEYS", Usage: "keys that seal secrets, as id:base64key[,id:base64key…], primary first (default: a key file generated in the data directory)", secret: true},
	{Flag: "log-retention", Env: "PATCHBAY_LOG_RETENTION", Default: "2160h", Usage: "how long request logs are kept, as a `duration` such as 720h (2160h is 90 days)"},
	{Flag: "audit-retention", Env: "PATCHBAY_AUDIT_RETENTION", Default: "8760h", Usage: "how long audit trail entries are kept, as a `duration` (8760h is a year)"},
	{Flag: "sync-retention", Env: "PATCHBAY_SYNC_RETENTION", Default: "720h", Usage: "how long the sync change feed keeps a change, as a `duration` (720h is 30 days)"},
	{Flag: "sync-workers", Env: "PATCHBAY_SYNC_WORKERS", Default: "1", Usage: "how many accounts a node syncs at once (sync runs share the node's CPU with live calls)"},
	{Flag: "key-rate-limit", Env: "PATCHBAY_KEY_RATE_LIMIT", Default: "1000", Usage: "the `number` of requests one API key may make per clock minute, counted across every node sharing the database; more get 429 with Retry-After"},
	{Flag: "webhook-allow-private", Env: "PATCHBAY_WEBHOOK_ALLOW_PRIVATE", Default: "false", Usage: "let webhooks deliver to loopback and private network addresses: true for development and tests only"},
	{Flag: "log-level", Env: "PATCHBAY_LOG_LEVEL", Default: "info", Usage: "log level: debug, info, warn or error"},
	{Flag: "log-format", Env: "PATCHBAY_LOG_FORMAT", Default: "text", Usage: "log format: text or json"},
	{Flag: "debug-listen", Env: "PATCHBAY_DEBUG_LISTEN", Usage: "address to serve Go's profiler (/debug/pprof/) on, apart from the API, e.g. 127.0.0.1:6060; it has no authentication, so keep it on loopback (default off)"},
}

// AddFlags registers the named settings on fs. A setting's environment variable, when
// set, replaces its built-in default.
func AddFlags(fs *pflag.FlagSet, flags ...string) {
	for _, name := range flags {
		s := lookup(name)
		def := s.Default
		if v, ok := os.LookupEnv(s.Env); ok && !s.secret {
			def = v
		}
		fs.String(s.Flag, def, s.Usage+" (env "+s.Env+")")
	}
}

func lookup(flag string) Setting {
	for _, s := range Settings {
		if s.Flag == flag {
			return s
		}
	}
	panic("config: unknown setting " + flag)
}

// Load reads every setting registered on fs into a validated Config. Settings not
// registered on fs keep their environment value or default.
func Load(fs *pflag.FlagSet) (Config, error) {
	var c Config
	get := func(name string) (value, source string) {
		s := lookup(name)
		if f := fs.Lookup(name); f != nil && f.Changed {
			return f.Value.String(), "--" + name
		}
		if v, ok := os.LookupEnv(s.Env); ok {
			return v, s.Env
		}
		return s.Default, "default " + name
	}
	var source string
	c.Listen, source = get("listen")
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return Config{}, fmt.Errorf("%s: %q is not a host:port address (e.g. :8080 or 127.0.0.1:8080)", source, c.Listen)
	}
	c.PublicURL, source = get("public-url")
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("%s: %q is not an http(s) URL (e.g. https://patchbay.example.com)", source, c.PublicURL)
		}
	}
	c.SandboxURL, source = get("sandbox-url")
	c.SandboxURL = strings.TrimRight(c.SandboxURL, "/")
	if c.SandboxURL != "" {
		if u, err := url.Parse(c.SandboxURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("%s: %q is not an http(s) URL", source, c.SandboxURL)
		}
	}
	c.DataDir, source = get("data-dir")
	if c.DataDir == "" {
		return Config{}, fmt.Errorf("%s: must not be empty", source)
	}
	c.DatabaseURL, source = get("database-url")
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "patchbay.db")
	}
	if _, isSQLite := dburl.SQLitePath(c.DatabaseURL); !isSQLite && !dburl.IsPostgres(c.DatabaseURL) {
		return Config{}, fmt.Errorf("%s: must start with postgres:// or sqlite: (got %q)", source, redactURL(c.DatabaseURL))
	}
	c.EncryptionKeys, _ = get("encryption-keys")
	retention, source := get("log-retention")
	var err error
	if c.LogRetention, err = time.ParseDuration(retention); err != nil || c.LogRetention < time.Hour {
		return Config{}, fmt.Errorf("%s: %q is not a duration of at least 1h, such as 720h", source, retention)
	}
	auditRetention, source := get("audit-retention")
	if c.AuditRetention, err = time.ParseDuration(auditRetention); err != nil || c.AuditRetention < 24*time.Hour {
		return Config{}, fmt.Errorf("%s: %q is not a duration of at least 24h, such as 8760h", source, auditRetention)
	}
	syncRetention, source := get("sync-retention")
	if c.SyncRetention, err = time.ParseDuration(syncRetention); err != nil || c.SyncRetention < time.Hour {
		return Config{}, fmt.Errorf("%s: %q is not a duration of at least 1h, such as 720h", source, syncRetention)
	}
	workers, source := get("sync-workers")
	if c.SyncWorkers, err = strconv.Atoi(workers); err != nil || c.SyncWorkers < 1 || c.SyncWorkers > 100 {
		return Config{}, fmt.Errorf("%s: %q is not a number of accounts from 1 to 100", source, workers)
	}
	limit, source := get("key-rate-limit")
	if c.KeyRateLimit, err = strconv.Atoi(limit); err != nil || c.KeyRateLimit < 1 {
		return Config{}, fmt.Errorf("%s: %q is not a positive number of requests per minute, such as 1000", source, limit)
	}
	private, source := get("webhook-allow-private")
	if c.WebhookAllowPrivate, err = strconv.ParseBool(private); err != nil {
		return Config{}, fmt.Errorf("%s: %q is not true or false", source, private)
	}
	level, source := get("log-level")
	c.LogLevelChosen = !strings.HasPrefix(source, "default ")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return Config{}, fmt.Errorf("%s: unknown level %q (use debug, info, warn or error)", source, level)
	}
	c.LogFormat, source = get("log-format")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return Config{}, fmt.Errorf("%s: unknown format %q (use text or json)", source, c.LogFormat)
	}
	c.DebugListen, source = get("debug-listen")
	if c.DebugListen != "" {
		if _, _, err := net.SplitHostPort(c.DebugListen); err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a host:port address (e.g. 127.0.0.1:6060)", source, c.DebugListen)
		}
	}
	return c, nil
}

// Embedded reports whether the database is the embedded SQLite file.
func (c Config) Embedded() bool {
	_, ok := dburl.SQLitePath(c.DatabaseURL)
	return ok
}

// HasData reports whether the database exists: always for PostgreSQL (the
// server says), for SQLite when its file does.
func (c Config) HasData() bool {
	path, ok := dburl.SQLitePath(c.DatabaseURL)
	if !ok {
		return true
	}
	_, err := os.Stat(path)
	return err == nil
}

// TokenJournalDir is where rotated tokens wait, sealed, until the database
// has them: always on this node's disk, whatever the database.
func (c Config) TokenJournalDir() string { return filepath.Join(c.DataDir, "token-journal") }

// LogSpillDir is where request log entries wait when the database refuses
// them: on this node's disk, whatever the database.
func (c Config) LogSpillDir() string { return filepath.Join(c.DataDir, "request-log-spill") }

// KeyFile is where the generated encryption key lives when PATCHBAY_ENCRYPTION_KEYS
// is not set: next to the embedded database, or in the data directory.
func (c Config) KeyFile() string {
	if path, ok := dburl.SQLitePath(c.DatabaseURL); ok {
		return filepath.Join(filepath.Dir(path), "patchbay.key")
	}
	return filepath.Join(c.DataDir, "patchbay.key")
}

// ResolvePublicURL returns PublicURL, or http://localhost:PORT for the listen
// address (the one the server actually bound, when known) if none is configured.
func (c Config) ResolvePublicURL(listenAddr string) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	_, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "http://localhost"
	}
	return "http://localhost:" + port
}

// startedURLFile is where serve records the public URL it runs at, for the
// commands run beside it (they listen on nothing and cannot know the port).
func (c Config) startedURLFile() string { return filepath.Join(c.DataDir, "public-url") }

// RecordStartedURL notes the public URL a serve (or demo) in this data
// directory runs at.
func (c Config) RecordStartedURL(publicURL string) error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(c.startedURLFile(), []byte(publicURL+"\n"), 0o600)
}

// RunningURL is the public URL for commands that do not listen themselves
// (the CLI): the one set, else the one the last serve in this data directory
// recorded, else the default for --listen.
func (c Config) RunningURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	if raw, err := os.ReadFile(c.startedURLFile()); err == nil {
		if u := strings.TrimSpace(string(raw)); u != "" {
			return u
		}
	}
	return c.ResolvePublicURL(c.Listen)
}

// Logger builds the process logger on w.
func (c Config) Logger(w *os.File) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// redactURL describes a database URL for error messages by its scheme alone. A
// value that is not a well-formed URL can hold a password anywhere (a libpq
// "host=… password=…" string, a mistyped "postgres:/user:pass@host"), where
// url.URL.Redacted would not find it, so nothing after the scheme is shown.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || !schemePattern.MatchString(scheme) {
		return "(no URL scheme)"
	}
	if strings.HasPrefix(rest, "//") {
		return scheme + "://…"
	}
	return scheme + ":…"
}
