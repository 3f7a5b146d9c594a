package config_test

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/patchbayhq/patchbay/internal/config"
)

// These tests change the process environment, so none of them may run in parallel.

var allFlags = func() []string {
	var names []string
	for _, s := range config.Settings {
		names = append(names, s.Flag)
	}
	return names
}()

// clearEnv unsets every PATCHBAY_* variable for the duration of the test and
// restores the previous values afterwards. t.Setenv(name, "") would not do: an
// empty variable is still set, and Load treats it as a value.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PATCHBAY_") {
			continue
		}
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Setenv(name, value) })
	}
	for _, s := range config.Settings {
		if _, ok := os.LookupEnv(s.Env); ok {
			t.Fatalf("%s still set after clearEnv", s.Env)
		}
	}
}

// newFlags registers every setting on a fresh flag set (reading the environment as
// it is now) and parses args.
func newFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(&strings.Builder{})
	config.AddFlags(fs, allFlags...)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return fs
}

func load(t *testing.T, args ...string) config.Config {
	t.Helper()
	c, err := config.Load(newFlags(t, args...))
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return c
}

func loadErr(t *testing.T, args ...string) error {
	t.Helper()
	c, err := config.Load(newFlags(t, args...))
	if err == nil {
		t.Fatalf("Load(%q) succeeded with %+v, want an error", args, c)
	}
	if c != (config.Config{}) {
		t.Errorf("Load(%q) returned %+v alongside error %v, want the zero Config", args, c, err)
	}
	return err
}

func wantErrContains(t *testing.T, err error, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("error %q does not contain %q", err, sub)
		}
	}
}

func TestSettingsCoverEveryFlag(t *testing.T) {
	want := []string{"listen", "public-url", "sandbox-url", "database-url", "data-dir", "encryption-keys", "log-retention", "audit-retention", "sync-retention", "sync-workers", "key-rate-limit", "webhook-allow-private", "log-level", "log-format", "debug-listen"}
	if strings.Join(allFlags, ",") != strings.Join(want, ",") {
		t.Errorf("Settings flags = %q, want %q", allFlags, want)
	}
	for _, s := range config.Settings {
		if want := "PATCHBAY_" + strings.ToUpper(strings.ReplaceAll(s.Flag, "-", "_")); s.Env != want {
			t.Errorf("setting %q reads %s, want %s", s.Flag, s.Env, want)
		}
		if s.Usage == "" {
			t.Errorf("setting %q has no usage text", s.Flag)
		}
	}
}

func TestAddFlagsUnknownSettingPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AddFlags with an unknown setting did not panic")
		}
	}()
	config.AddFlags(pflag.NewFlagSet("test", pflag.ContinueOnError), "no-such-setting")
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	c := load(t)
	if c.Listen != ":8080" {
		t.Errorf("Listen = %q, want :8080", c.Listen)
	}
	if c.PublicURL != "" {
		t.Errorf("PublicURL = %q, want empty", c.PublicURL)
	}
	if c.DataDir != "./data" {
		t.Errorf("DataDir = %q, want ./data", c.DataDir)
	}
	if want := "sqlite:" + filepath.Join("data", "patchbay.db"); c.DatabaseURL != want {
		t.Errorf("DatabaseURL = %q, want %q", c.DatabaseURL, want)
	}
	if c.EncryptionKeys != "" {
		t.Errorf("EncryptionKeys = %q, want empty", c.EncryptionKeys)
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("LogLevel = %v, want info", c.LogLevel)
	}
	if c.LogFormat != "text" {
		t.Errorf("LogFormat = %q, want text", c.LogFormat)
	}
	if c.KeyRateLimit != 1000 {
		t.Errorf("KeyRateLimit = %d, want the reference's 1000", c.KeyRateLimit)
	}
	if !c.Embedded() {
		t.Error("Embedded() = false, want true")
	}
	if want := filepath.Join("data", "patchbay.key"); c.KeyFile() != want {
		t.Errorf("KeyFile() = %q, want %q", c.KeyFile(), want)
	}
}

func TestLoadWithoutRegisteredFlags(t *testing.T) {
	clearEnv(t)
	t.Setenv("PATCHBAY_LISTEN", "127.0.0.1:9000")
	c, err := config.Load(pflag.NewFlagSet("empty", pflag.ContinueOnError))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Listen != "127.0.0.1:9000" {
		t.Errorf("Listen = %q, want the env value 127.0.0.1:9000", c.Listen)
	}
	if c.DataDir != "./data" || c.LogFormat != "text" {
		t.Errorf("DataDir, LogFormat = %q, %q; want defaults", c.DataDir, c.LogFormat)
	}
}

func TestPrecedence(t *testing.T) {
	cases := []struct {
		env, flag, envValue, flagValue string
		get                            func(config.Config) string
	}{
		{"PATCHBAY_LISTEN", "listen", "127.0.0.1:9000", ":9100", func(c config.Config) string { return c.Listen }},
		{"PATCHBAY_PUBLIC_URL", "public-url", "https://env.example.com", "https://flag.example.com", func(c config.Config) string { return c.PublicURL }},
		{"PATCHBAY_DATABASE_URL", "database-url", "sqlite:/env/db.sqlite", "postgres://flag@db/patchbay", func(c config.Config) string { return c.DatabaseURL }},
		{"PATCHBAY_DATA_DIR", "data-dir", "/env/data", "/flag/data", func(c config.Config) string { return c.DataDir }},
		{"PATCHBAY_ENCRYPTION_KEYS", "encryption-keys", "env:AAAA", "flag:BBBB", func(c config.Config) string { return c.EncryptionKeys }},
		{"PATCHBAY_LOG_LEVEL", "log-level", "debug", "error", func(c config.Config) string { return c.LogLevel.String() }},
		{"PATCHBAY_LOG_FORMAT", "log-format", "json", "text", func(c config.Config) string { return c.LogFormat }},
	}
	for _, tc := range cases {
		t.Run(tc.flag, func(t *testing.T) {
			clearEnv(t)
			def := tc.get(load(t))

			t.Setenv(tc.env, tc.envValue)
			envGot := tc.get(load(t))
			if envGot == def {
				t.Fatalf("test setup: env value %q equals the default", tc.envValue)
			}
			if want := strings.ToUpper(tc.envValue); strings.ToUpper(envGot) != want {
				t.Errorf("with %s=%q: got %q, want the env value", tc.env, tc.envValue, envGot)
			}

			flagGot := tc.get(load(t, "--"+tc.flag+"="+tc.flagValue))
			if want := strings.ToUpper(tc.flagValue); strings.ToUpper(flagGot) != want {
				t.Errorf("with %s=%q and --%s=%q: got %q, want the flag value", tc.env, tc.envValue, tc.flag, tc.flagValue, flagGot)
			}
		})
	}
}

func TestFlagEqualToDefaultStillBeatsEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("PATCHBAY_LOG_FORMAT", "json")
	if c := load(t, "--log-format", "text"); c.LogFormat != "text" {
		t.Errorf("--log-format text with PATCHBAY_LOG_FORMAT=json: LogFormat = %q, want text", c.LogFormat)
	}
}

func TestAddFlagsShowsEnvAsDefault(t *testing.T) {
	clearEnv(t)
	t.Setenv("PATCHBAY_LISTEN", "127.0.0.1:9000")
	fs := newFlags(t)
	if got := fs.Lookup("listen").DefValue; got != "127.0.0.1:9000" {
		t.Errorf("listen DefValue = %q, want the env value", got)
	}
	if got := fs.Lookup("data-dir").DefValue; got != "./data" {
		t.Errorf("data-dir DefValue = %q, want ./data", got)
	}
	if usage := fs.Lookup("listen").Usage; !strings.Contains(usage, "PATCHBAY_LISTEN") {
		t.Errorf("listen usage %q does not name its env variable", usage)
	}
}

func TestEncryptionKeysEnvNotShownInHelp(t *testing.T) {
	clearEnv(t)
	const secret = "k1:c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdw"
	t.Setenv("PATCHBAY_ENCRYPTION_KEYS", secret)
	fs := newFlags(t)
	f := fs.Lookup("encryption-keys")
	if f == nil {
		t.Fatal("encryption-keys flag not registered")
	}
	if f.DefValue != "" {
		t.Errorf("encryption-keys DefValue = %q, want empty (the env value is secret)", f.DefValue)
	}
	if strings.Contains(fs.FlagUsages(), secret) {
		t.Error("flag usages reveal PATCHBAY_ENCRYPTION_KEYS")
	}
	c, err := config.Load(fs)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.EncryptionKeys != secret {
		t.Errorf("EncryptionKeys = %q, want the env value", c.EncryptionKeys)
	}
}

func TestDatabaseURL(t *testing.T) {
	cases := []struct {
		name, env, flag string // env and flag for PATCHBAY_DATABASE_URL / --database-url
		dataDir         string
		wantURL         string
		wantEmbedded    bool
		wantKeyFile     string
	}{
		{
			name: "postgres env", env: "postgres://user:pw@db:5432/patchbay",
			wantURL: "postgres://user:pw@db:5432/patchbay", wantKeyFile: filepath.Join("data", "patchbay.key"),
		},
		{
			name: "postgresql flag", flag: "postgresql://db/patchbay", dataDir: "/var/lib/patchbay",
			wantURL: "postgresql://db/patchbay", wantKeyFile: filepath.Join("/var/lib/patchbay", "patchbay.key"),
		},
		{
			name: "data dir moves the default database", dataDir: "/srv/pb",
			wantURL: "sqlite:" + filepath.Join("/srv/pb", "patchbay.db"), wantEmbedded: true,
			wantKeyFile: filepath.Join("/srv/pb", "patchbay.key"),
		},
		{
			name: "sqlite elsewhere keeps the key beside it", env: "sqlite:/var/db/pb.sqlite", dataDir: "/srv/pb",
			wantURL: "sqlite:/var/db/pb.sqlite", wantEmbedded: true, wantKeyFile: filepath.Join("/var/db", "patchbay.key"),
		},
		{
			name: "sqlite with slashes", flag: "sqlite://rel/pb.db",
			wantURL: "sqlite://rel/pb.db", wantEmbedded: true, wantKeyFile: filepath.Join("rel", "patchbay.key"),
		},
		{
			name: "empty env means the default", env: "",
			wantURL: "sqlite:" + filepath.Join("data", "patchbay.db"), wantEmbedded: true,
			wantKeyFile: filepath.Join("data", "patchbay.key"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			if tc.env != "" || tc.name == "empty env means the default" {
				t.Setenv("PATCHBAY_DATABASE_URL", tc.env)
			}
			if tc.dataDir != "" {
				t.Setenv("PATCHBAY_DATA_DIR", tc.dataDir)
			}
			var args []string
			if tc.flag != "" {
				args = append(args, "--database-url", tc.flag)
			}
			c := load(t, args...)
			if c.DatabaseURL != tc.wantURL {
				t.Errorf("DatabaseURL = %q, want %q", c.DatabaseURL, tc.wantURL)
			}
			if c.Embedded() != tc.wantEmbedded {
				t.Errorf("Embedded() = %v, want %v", c.Embedded(), tc.wantEmbedded)
			}
			if c.KeyFile() != tc.wantKeyFile {
				t.Errorf("KeyFile() = %q, want %q", c.KeyFile(), tc.wantKeyFile)
			}
		})
	}
}

func TestErrorsNameTheirSource(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"bad log level env", map[string]string{"PATCHBAY_LOG_LEVEL": "loud"}, nil, []string{"PATCHBAY_LOG_LEVEL", `"loud"`}},
		{"bad log level flag", nil, []string{"--log-level", "verbose"}, []string{"--log-level", `"verbose"`}},
		{"bad log format flag", nil, []string{"--log-format=xml"}, []string{"--log-format", `"xml"`}},
		{"bad log format env", map[string]string{"PATCHBAY_LOG_FORMAT": "JSON"}, nil, []string{"PATCHBAY_LOG_FORMAT", `"JSON"`}},
		{"flag error wins over env", map[string]string{"PATCHBAY_LOG_FORMAT": "json"}, []string{"--log-format=yaml"}, []string{"--log-format", "yaml"}},
		{"listen without port", map[string]string{"PATCHBAY_LISTEN": "8080"}, nil, []string{"PATCHBAY_LISTEN", `"8080"`}},
		{"listen host only", nil, []string{"--listen", "localhost"}, []string{"--listen", `"localhost"`}},
		{"listen empty", map[string]string{"PATCHBAY_LISTEN": ""}, nil, []string{"PATCHBAY_LISTEN"}},
		{"public url ftp", map[string]string{"PATCHBAY_PUBLIC_URL": "ftp://x"}, nil, []string{"PATCHBAY_PUBLIC_URL", "ftp://x"}},
		{"public url not a url", nil, []string{"--public-url", "not a url"}, []string{"--public-url", "not a url"}},
		{"public url without host", nil, []string{"--public-url", "https://"}, []string{"--public-url"}},
		{"public url without scheme", nil, []string{"--public-url", "patchbay.example.com"}, []string{"--public-url"}},
		{"public url unparseable", nil, []string{"--public-url", "http://[::1"}, []string{"--public-url"}},
		{"empty data dir env", map[string]string{"PATCHBAY_DATA_DIR": ""}, nil, []string{"PATCHBAY_DATA_DIR", "empty"}},
		{"empty data dir flag", nil, []string{"--data-dir="}, []string{"--data-dir", "empty"}},
		{"unknown database scheme", map[string]string{"PATCHBAY_DATABASE_URL": "mysql://db/patchbay"}, nil, []string{"PATCHBAY_DATABASE_URL", "mysql"}},
		{"sqlite without path", nil, []string{"--database-url", "sqlite:"}, []string{"--database-url"}},
		{"relative path as database url", nil, []string{"--database-url", "data/patchbay.db"}, []string{"--database-url"}},
		{"key rate limit not a number", map[string]string{"PATCHBAY_KEY_RATE_LIMIT": "lots"}, nil, []string{"PATCHBAY_KEY_RATE_LIMIT", `"lots"`}},
		{"key rate limit zero", nil, []string{"--key-rate-limit", "0"}, []string{"--key-rate-limit", "positive"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			wantErrContains(t, loadErr(t, tc.args...), tc.want...)
		})
	}
}

func TestValidValues(t *testing.T) {
	cases := []struct {
		args  []string
		check func(config.Config) bool
	}{
		{[]string{"--listen", "127.0.0.1:8080"}, func(c config.Config) bool { return c.Listen == "127.0.0.1:8080" }},
		{[]string{"--listen", ":0"}, func(c config.Config) bool { return c.Listen == ":0" }},
		{[]string{"--listen", "[::1]:8080"}, func(c config.Config) bool { return c.Listen == "[::1]:8080" }},
		{[]string{"--public-url", "http://localhost:8080"}, func(c config.Config) bool { return c.PublicURL == "http://localhost:8080" }},
		{[]string{"--public-url", "https://pb.example.com/base/"}, func(c config.Config) bool { return c.PublicURL == "https://pb.example.com/base" }},
		{[]string{"--public-url", "https://pb.example.com///"}, func(c config.Config) bool { return c.PublicURL == "https://pb.example.com" }},
		{[]string{"--log-level", "debug"}, func(c config.Config) bool { return c.LogLevel == slog.LevelDebug }},
		{[]string{"--log-level", "WARN"}, func(c config.Config) bool { return c.LogLevel == slog.LevelWarn }},
		{[]string{"--log-level", "error"}, func(c config.Config) bool { return c.LogLevel == slog.LevelError }},
		{[]string{"--log-format", "json"}, func(c config.Config) bool { return c.LogFormat == "json" }},
		{[]string{"--key-rate-limit", "60000"}, func(c config.Config) bool { return c.KeyRateLimit == 60000 }},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, "="), func(t *testing.T) {
			clearEnv(t)
			if c := load(t, tc.args...); !tc.check(c) {
				t.Errorf("Load(%q) = %+v", tc.args, c)
			}
		})
	}
}

func TestDatabaseURLErrorDoesNotLeakPassword(t *testing.T) {
	for _, raw := range []string{
		"mysql://user:hunter2@host/db",
		"mysql://user:hunter2@host:3306/db?sslmode=disable",
		"postgress://patchbay:hunter2@db:5432/patchbay", // misspelt scheme
		"POSTGRES://patchbay:hunter2@db/patchbay",       // scheme is case-sensitive here
		" postgres://patchbay:hunter2@db/patchbay",      // stray leading space: unparseable
		"postgres:/patchbay:hunter2@db/patchbay",        // one slash short
		"postgres:patchbay:hunter2@db/patchbay",
		"host=db user=patchbay password=hunter2 dbname=patchbay", // libpq key=value DSN
		"patchbay:hunter2@db/patchbay",
		"mysql://user:hunter2@host:badport/db",
	} {
		for _, source := range []string{"PATCHBAY_DATABASE_URL", "--database-url"} {
			t.Run(source+"="+raw, func(t *testing.T) {
				clearEnv(t)
				var args []string
				if source == "--database-url" {
					args = []string{"--database-url", raw}
				} else {
					t.Setenv(source, raw)
				}
				err := loadErr(t, args...)
				wantErrContains(t, err, source)
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q leaks the password", err)
				}
			})
		}
	}
}

func TestDatabaseURLErrorShowsScheme(t *testing.T) {
	clearEnv(t)
	t.Setenv("PATCHBAY_DATABASE_URL", "mysql://user:hunter2@host/db")
	// The scheme is what is wrong, so the message must still show it.
	wantErrContains(t, loadErr(t), "mysql")
}

func TestResolvePublicURL(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4321}

	clearEnv(t)
	t.Setenv("PATCHBAY_PUBLIC_URL", "https://patchbay.example.com/")
	c := load(t)
	if got := c.ResolvePublicURL(addr.String()); got != "https://patchbay.example.com" {
		t.Errorf("configured: ResolvePublicURL = %q, want https://patchbay.example.com", got)
	}

	clearEnv(t)
	c = load(t, "--listen", ":0")
	if got := c.ResolvePublicURL(addr.String()); got != "http://localhost:4321" {
		t.Errorf("unconfigured: ResolvePublicURL(%q) = %q, want http://localhost:4321", addr, got)
	}
	v6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 8443}
	if got := c.ResolvePublicURL(v6.String()); got != "http://localhost:8443" {
		t.Errorf("IPv6 address: ResolvePublicURL(%q) = %q, want http://localhost:8443", v6, got)
	}
	if got := load(t).ResolvePublicURL(load(t).Listen); got != "http://localhost:8080" {
		t.Errorf("default listen address: ResolvePublicURL = %q, want http://localhost:8080", got)
	}
	unix := &net.UnixAddr{Name: "/tmp/patchbay.sock", Net: "unix"}
	if got := c.ResolvePublicURL(unix.String()); got != "http://localhost" {
		t.Errorf("address without port: ResolvePublicURL(%q) = %q, want http://localhost", unix, got)
	}
}

func TestLogger(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			clearEnv(t)
			c := load(t, "--log-level", "warn", "--log-format", format)
			f, err := os.CreateTemp(t.TempDir(), "log")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			logger := c.Logger(f)
			logger.Info("quiet-message")
			logger.Warn("loud-message", "key", "value")
			data, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			out := string(data)
			if strings.Contains(out, "quiet-message") {
				t.Errorf("info record logged at level warn: %q", out)
			}
			if !strings.Contains(out, "loud-message") {
				t.Errorf("warn record missing: %q", out)
			}
			if isJSON := strings.HasPrefix(out, "{"); isJSON != (format == "json") {
				t.Errorf("format %s produced %q", format, out)
			}
		})
	}
}
