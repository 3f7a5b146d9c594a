package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/telemetry"
)

func newServeCmd() *cobra.Command {
	var withSandbox bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Patchbay HTTP server",
		Long: `Run the Patchbay HTTP server until SIGINT or SIGTERM, then shut down gracefully.

With no configuration it uses an embedded SQLite database in ./data/, generates an
encryption key file next to it, and on first start creates a default project and
prints its API key. Set PATCHBAY_DATABASE_URL=postgres://… to run any number of
nodes on one PostgreSQL database.

Endpoints: GET /healthz (process up), GET /readyz (database reachable),
GET /metrics (Prometheus), and the API, authenticated with an API key sent as
the Basic auth user name (curl -u KEY: …) or as a Bearer token.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, serveMode{sandbox: withSandbox}) },
	}
	config.AddFlags(cmd.Flags(), "listen", "public-url", "sandbox-url", "log-retention", "audit-retention", "sync-retention", "sync-workers", "key-rate-limit", "webhook-allow-private", "debug-listen")
	cmd.Flags().BoolVar(&withSandbox, "sandbox", false, "also serve the Justworks and Employment Hero simulators under /sandbox/ (for demos and development)")
	return cmd
}

// serveMode says what runs besides the API.
type serveMode struct {
	sandbox bool // mount the simulators under /sandbox/
	demo    bool // also set up demo profiles, a key and a Hub link, and print them
}

func runServe(cmd *cobra.Command, mode serveMode) error {
	cfg, log, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if _, set := os.LookupEnv("PATCHBAY_LOG_LEVEL"); mode.demo && !set && !cmd.Flags().Changed("log-level") {
		// The demo's terminal is for its instructions: one line per request
		// would bury them. Warnings and errors still show.
		cfg.LogLevel = slog.LevelWarn
		log = cfg.Logger(os.Stderr)
	}
	if _, set := os.LookupEnv("PATCHBAY_WEBHOOK_ALLOW_PRIVATE"); mode.demo && !set && !cmd.Flags().Changed("webhook-allow-private") {
		// The demo's receivers run on this machine.
		cfg.WebhookAllowPrivate = true
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	signals, stopTelemetry, err := telemetry.Setup(ctx, versionString(), os.Getenv)
	if err != nil {
		return fmt.Errorf("OpenTelemetry (the OTEL_* environment): %w", err)
	}
	defer func() {
		// Send what is buffered, but do not hold the exit for long.
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTelemetry(flush); err != nil {
			log.Warn("OpenTelemetry could not send everything before the exit", "err", err)
		}
	}()
	if len(signals) > 0 {
		log.Info("sending OpenTelemetry over OTLP", "signals", signals)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen / PATCHBAY_LISTEN %s: %w\nIs Patchbay already running? Pick another address, e.g. --listen :8081", cfg.Listen, err)
	}
	if cfg.DebugListen != "" {
		dln, err := net.Listen("tcp", cfg.DebugListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--debug-listen / PATCHBAY_DEBUG_LISTEN %s: %w", cfg.DebugListen, err)
		}
		go serveDebug(ctx, dln, log)
	}
	publicURL := cfg.ResolvePublicURL(ln.Addr().String())
	if err := cfg.RecordStartedURL(publicURL); err != nil {
		log.Warn("could not note the public URL for the CLI; commands will assume --listen's", "err", err)
	}
	services, applied, err := openApp(ctx, cfg, log, publicURL)
	if err != nil {
		ln.Close()
		return err
	}
	defer services.Close()
	if len(applied) > 0 {
		log.Info("applied database migrations", "versions", applied)
	}
	out := cmd.OutOrStdout()
	if err := bootstrap(ctx, cfg, services.Keys, out, publicURL, mode.demo); err != nil {
		ln.Close()
		return err
	}
	if !mode.demo {
		link, err := services.Admins.SetupLink(ctx, publicURL)
		if err != nil {
			ln.Close()
			return err
		}
		if link != "" {
			fmt.Fprintf(out, "The console has no admins yet. Create the first one (this link works once, for 24 hours):\n    %s\nor run: patchbay admins create --email you@example.com\n", link)
		}
	}
	opts := api.Options{KeyRateLimit: cfg.KeyRateLimit, Version: versionString()}
	if mode.sandbox {
		watch := clock.Start()
		// The simulators keep their tokens in the data directory: the accounts
		// linked through them outlive a restart of the demo.
		sb, err := sandbox.New(sandbox.Options{Seed: 1, Members: 50, RedirectURIs: []string{publicURL + "/connect/oauth2/{key}/callback"},
			StateDir: cfg.DataDir})
		if err != nil {
			ln.Close()
			return err
		}
		opts.Sandbox = sb
		printSandbox(out, sb, publicURL+"/sandbox", 50, watch.Elapsed(), "send an admin API key (curl -u KEY:)")
	}
	// The listening line comes last: scripts wait for it.
	fmt.Fprintf(out, "Patchbay (version %s) is listening on %s (public URL %s)\n", versionString(), ln.Addr(), publicURL)
	srv := services.Server(opts)
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		services.RunMaintenance(ctx)
	}()
	served := make(chan error, 1)
	go func() { served <- api.Serve(ctx, ln, srv, log) }()
	if mode.demo {
		if err := setUpDemo(ctx, cfg, services, out, publicURL, "http://"+ln.Addr().String()); err != nil {
			stop()
			<-served
			return err
		}
	}
	servErr := <-served
	stop()
	<-maintained // webhook deliveries under way finish before the store closes
	drainCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := services.Flush(drainCtx); err != nil {
		log.Warn("stopped before every request log was written", "err", err)
	}
	if servErr != nil {
		return fmt.Errorf("serve: %w", servErr)
	}
	log.Info("stopped")
	return nil
}

// bootstrap gives a new embedded database (or any database, for the demo) a
// default project and, outside the demo, prints its first API key, so that
// `patchbay serve` is usable with no setup at all. The demo prints a key of
// its own (demoKey).
func bootstrap(ctx context.Context, cfg config.Config, keys *apikeys.Service, out io.Writer, publicURL string, demo bool) error {
	if !cfg.Embedded() && !demo {
		projects, err := keys.Projects(ctx)
		if err == nil && len(projects) == 0 {
			fmt.Fprintln(out, "This database has no projects yet. Create one (and its first API key) with:\n    patchbay projects create --name NAME")
		}
		return err
	}
	p, created, err := keys.EnsureDefaultProject(ctx)
	if err != nil || !created || demo {
		return err
	}
	return issueKey(ctx, keys, out, p, "default", store.RoleAdmin, publicURL)
}

// issueKey creates an API key and prints it, the only time it is ever shown, with
// a command that uses it against baseURL.
func issueKey(ctx context.Context, keys *apikeys.Service, out io.Writer, p store.Project, name string, role store.KeyRole, baseURL string) error {
	key, _, err := keys.Issue(ctx, p.ID, name, role)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "API key (%s) for project %q (%s), shown only this once; store it now:\n\n    %s\n\n", role, p.Name, p.ID, key)
	fmt.Fprintf(out, "Use it as the Basic auth user name:\n\n    curl -u %s: %s/accounts\n\n", key, baseURL)
	return nil
}
