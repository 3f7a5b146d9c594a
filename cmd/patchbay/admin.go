package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/tokens"
)

// readsOnly marks a command (in its Annotations) that only reads: it refuses
// to run where there is no database rather than create one.
const readsOnly = "reads-only"

// reads marks c as a command that only reads.
func reads(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[readsOnly] = "true"
	return c
}

// withServices runs fn with Patchbay's services over the configured
// database, closing them afterwards; request log entries the services queued
// are written before it returns.
func withServices(cmd *cobra.Command, fn func(cfg config.Config, a *app.App) error) error {
	cfg, _, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if cmd.Annotations[readsOnly] != "" && !cfg.HasData() {
		// Reading must not create a database (and a key) where there is none.
		return fmt.Errorf("no Patchbay data in %s: run where `patchbay demo` or `patchbay serve` runs, or pass --data-dir (or --database-url)", cfg.DataDir)
	}
	if !cfg.LogLevelChosen {
		// A command prints its result; what the services log on the way
		// (an account deleted, a key created) is for --log-level info.
		cfg.LogLevel = slog.LevelWarn
	}
	log := cfg.Logger(os.Stderr)
	a, _, err := openApp(cmd.Context(), cfg, log, cfg.RunningURL())
	if err != nil {
		return err
	}
	defer a.Close()
	err = fn(cfg, a)
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 10*time.Second)
	defer cancel()
	if ferr := a.Flush(flushCtx); ferr != nil {
		log.Warn("stopped before every request log was written", "err", ferr)
	}
	return err
}

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Long: `Apply the database migrations this version of Patchbay needs. "serve" does this
on start too; run it ahead of a rolling upgrade. Safe to run on several nodes at once.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, log, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			a, applied, err := openApp(cmd.Context(), cfg, log, cfg.RunningURL())
			if err != nil {
				return err
			}
			defer a.Close()
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "The database schema is up to date.")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Applied migrations %v.\n", applied)
			return nil
		},
	}
}

func newProjectsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "projects",
		Short: "Create and list projects",
		Long:  "A project isolates everything Patchbay stores: API keys, connector profiles, linked accounts and logs.",
	}
	var name string
	create := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a project and print its first API key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			name = strings.TrimSpace(name)
			if name == "" {
				return usageError{errors.New("--name is required, e.g. patchbay projects create --name Production")}
			}
			return withServices(cmd, func(cfg config.Config, a *app.App) error {
				p, err := a.Keys.CreateProject(cmd.Context(), name)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Created project %q (%s).\n", p.Name, p.ID)
				return issueKey(cmd.Context(), a.Keys, cmd.OutOrStdout(), p, "default", store.RoleAdmin, cfg.RunningURL())
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "project name")
	list := &cobra.Command{
		Use:   "list",
		Short: "List projects",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(cfg config.Config, a *app.App) error {
				projects, err := a.Keys.Projects(cmd.Context())
				if err != nil {
					return err
				}
				rows := make([][]string, len(projects))
				for i, p := range projects {
					rows[i] = []string{p.ID, p.Name, p.CreatedAt.Format(time.DateTime)}
				}
				return printList(cmd, []string{"ID", "NAME", "CREATED (UTC)"}, rows)
			})
		},
	}
	var newName string
	rename := &cobra.Command{
		Use:   "rename PROJECT_ID --name NAME",
		Short: "Give a project a new name",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(_ config.Config, a *app.App) error {
				p, err := a.Keys.RenameProject(cmd.Context(), args[0], newName)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Renamed %s to %q.\n", p.ID, p.Name)
				return nil
			})
		},
	}
	rename.Flags().StringVar(&newName, "name", "", "the new name (required)")
	rename.MarkFlagRequired("name")
	cmd.AddCommand(create, reads(listJSON(list)), rename)
	return cmd
}

// resolveProject returns the project named by --project, or the only project when
// there is exactly one.
func resolveProject(ctx context.Context, keys *apikeys.Service, flag string) (store.Project, error) {
	if flag != "" {
		p, err := keys.Project(ctx, flag)
		if problemKind(err) == problem.NotFound {
			return store.Project{}, fmt.Errorf("no project %s (see 'patchbay projects list')", flag)
		}
		return p, err
	}
	projects, err := keys.Projects(ctx)
	if err != nil {
		return store.Project{}, err
	}
	switch len(projects) {
	case 0:
		return store.Project{}, errNoProject
	case 1:
		return projects[0], nil
	}
	return store.Project{}, usageError{errors.New("there are several projects: pass --project ID (see 'patchbay projects list')")}
}

// withApp runs fn with Patchbay's services (withServices), for the project
// named by *project (or the only one).
func withApp(cmd *cobra.Command, project *string, fn func(a *app.App, p store.Project) error) error {
	return withServices(cmd, func(_ config.Config, a *app.App) error {
		p, err := resolveProject(cmd.Context(), a.Keys, *project)
		if err != nil {
			return err
		}
		return fn(a, p)
	})
}

// openApp loads the encryption keys, opens (and migrates) the database and
// wires the services as serve and every command use them: with the token
// journal and the request-log spill directory in the data directory.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, publicURL string) (*app.App, []int, error) {
	keys, err := openKeyring(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	registry, err := connectors.Embedded()
	if err != nil {
		return nil, nil, err
	}
	journal, err := tokens.NewFileJournal(cfg.TokenJournalDir(), keys)
	if err != nil {
		return nil, nil, fmt.Errorf("PATCHBAY_DATA_DIR: %w", err)
	}
	return app.Open(ctx, app.Options{DatabaseURL: cfg.DatabaseURL, EncryptionKeys: keys, Registry: registry, PublicURL: publicURL,
		SandboxURL: cfg.SandboxURL, LogRetention: cfg.LogRetention, AuditRetention: cfg.AuditRetention, SyncRetention: cfg.SyncRetention, SyncWorkers: cfg.SyncWorkers, Logger: log, Journal: journal, LogSpillDir: cfg.LogSpillDir(),
		Version: versionString(), WebhookAllowPrivate: cfg.WebhookAllowPrivate})
}

// problemKind is the kind of a service's problem, 0 for other errors.
func problemKind(err error) problem.Kind {
	if p, ok := errors.AsType[*problem.Error](err); ok {
		return p.Kind
	}
	return 0
}

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys",
		Long: `API keys authenticate calls to the Patchbay API for one project. A key is shown
once, when it is created; Patchbay keeps only its hash. Send it as the Basic auth
user name with an empty password (curl -u KEY: …) or as "Authorization: Bearer KEY".`,
	}
	var project, name, role string
	cmd.PersistentFlags().StringVar(&project, "project", "", "project ID (default: the only project)")
	create := &cobra.Command{
		Use:   "create [--name NAME] [--role admin|runtime]",
		Short: "Create an API key and print it once",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := store.KeyRole(role)
			if r != store.RoleAdmin && r != store.RoleRuntime {
				return usageError{fmt.Errorf("--role: admin or runtime, got %q", role)}
			}
			return withServices(cmd, func(cfg config.Config, a *app.App) error {
				p, err := resolveProject(cmd.Context(), a.Keys, project)
				if err != nil {
					return err
				}
				return issueKey(cmd.Context(), a.Keys, cmd.OutOrStdout(), p, name, r, cfg.RunningURL())
			})
		},
	}
	create.Flags().StringVar(&name, "name", "default", "a name to tell the key apart")
	create.Flags().StringVar(&role, "role", "admin", "admin (everything) or runtime (accounts, sessions, actions, logs; no keys, profiles or project)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List a project's API keys (prefixes only)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				keys, err := a.Keys.List(cmd.Context(), p.ID, store.Window{})
				if err != nil {
					return err
				}
				rows := make([][]string, len(keys))
				for i, k := range keys {
					revoked := "-"
					if k.Revoked() {
						revoked = k.RevokedAt.Format(time.DateTime)
					}
					rows[i] = []string{k.ID, k.Prefix + "…", k.Name, string(k.Role), k.CreatedAt.Format(time.DateTime), revoked}
				}
				return printList(cmd, []string{"ID", "PREFIX", "NAME", "ROLE", "CREATED (UTC)", "REVOKED (UTC)"}, rows)
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key; it stops working at once on every node",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				k, err := a.Keys.Revoke(cmd.Context(), p.ID, args[0])
				if err != nil {
					return listHint(err, "keys")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s (%s…).\n", k.ID, k.Prefix)
				return nil
			})
		},
	}
	cmd.AddCommand(create, reads(listJSON(list)), revoke)
	return cmd
}

func newSecretsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Manage the encryption of stored secrets",
	}
	var batch int
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every stored secret under the primary encryption key",
		Long: `Re-seal every stored secret (client secrets, tokens) under the primary key, the
first one in PATCHBAY_ENCRYPTION_KEYS. To rotate keys:

  1. put a new key first and keep the old one:  PATCHBAY_ENCRYPTION_KEYS=k2:NEW,k1:OLD
     (generate one with: head -c 32 /dev/urandom | base64)
  2. restart the nodes with it, then run:        patchbay secrets rotate
  3. remove the old key:                         PATCHBAY_ENCRYPTION_KEYS=k2:NEW

Work is committed in batches; if it is interrupted, run it again.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if batch <= 0 {
				return usageError{fmt.Errorf("--batch-size must be positive, got %d", batch)}
			}
			return withServices(cmd, func(cfg config.Config, a *app.App) error {
				out := cmd.OutOrStdout()
				n, err := a.RotateSecrets(cmd.Context(), batch, func(done int) {
					fmt.Fprintf(out, "re-sealed %d secrets…\n", done)
				})
				if err != nil {
					return fmt.Errorf("%w\n%d secrets were re-sealed before the error; fix it and run 'patchbay secrets rotate' again", err, n)
				}
				keys, err := openKeyring(cfg, cfg.Logger(os.Stderr))
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "Done: %d secrets re-sealed; every secret is now sealed under key %q.\n", n, keys.Primary())
				if ids := keys.IDs(); len(ids) > 1 {
					fmt.Fprintf(out, "You can now remove keys %v from PATCHBAY_ENCRYPTION_KEYS.\n", ids[1:])
				}
				return nil
			})
		},
	}
	rotate.Flags().IntVar(&batch, "batch-size", 500, "secrets re-sealed per transaction")
	cmd.AddCommand(rotate)
	return cmd
}
