package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/secrets"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// usageError is a mistake in how the command was called; main exits 2 for it.
type usageError struct{ error }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "patchbay",
		Short: "Self-hosted integration hub for HR and payroll systems",
		Long: `Patchbay links your customers' Justworks and Employment Hero accounts to your
product, keeps their OAuth tokens fresh and safe, and lets your product read and
write their HR data through one API.

Try it with "patchbay demo": Patchbay with built-in Justworks and Employment Hero
simulators, ready to link an account. Run it with "patchbay serve": with no
configuration it keeps everything in ./data/ and prints an API key on first start.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q\nRun 'patchbay --help' for the list of commands.", args[0])}
			}
			return cmd.Help()
		},
	}
	root.SetVersionTemplate("patchbay {{.Version}}\n") // as "patchbay version" prints it
	config.AddFlags(root.PersistentFlags(), "data-dir", "database-url", "encryption-keys", "log-level", "log-format")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
	})
	root.AddCommand(newServeCmd(), newMigrateCmd(), newProjectsCmd(), newKeysCmd(), newSecretsCmd(),
		newProfilesCmd(), newAccountsCmd(), newWebhooksCmd(), newAdminsCmd(), newAuditCmd(), newActionsCmd(), newMCPCmd(), newConnectorsCmd(), newScopesCmd(), newSandboxCmd(), newDemoCmd(), newVersionCmd())
	for _, c := range root.Commands() {
		refuseUnknownSubcommands(c)
	}
	return root
}

// refuseUnknownSubcommands makes a command that only groups others (and its
// groups below) answer an unknown subcommand with a usage error and a
// suggestion, where cobra would print the help and exit 0.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.SuggestionsMinimumDistance = 2
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{fmt.Errorf("%s\nRun '%s --help' for its commands.", msg, cmd.CommandPath())}
	}
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q\nRun '%s --help' for usage.", cmd.CommandPath(), args, cmd.CommandPath())}
	}
	return nil
}

// exactArgs requires n positional arguments, with a usage error otherwise.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s needs %d argument(s), got %d\nUsage: %s", cmd.CommandPath(), n, len(args), cmd.UseLine())}
		}
		return nil
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the Patchbay version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "patchbay", versionString())
		},
	}
}

// loadConfig reads the configuration, turning bad values into usage errors.
func loadConfig(cmd *cobra.Command) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(cmd.Flags())
	if err != nil {
		return config.Config{}, nil, usageError{err}
	}
	return cfg, cfg.Logger(os.Stderr), nil
}

func openKeyring(cfg config.Config, log *slog.Logger) (*secrets.Keyring, error) {
	if cfg.EncryptionKeys != "" {
		keys, err := secrets.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return nil, fmt.Errorf("PATCHBAY_ENCRYPTION_KEYS: %w", err)
		}
		return keys, nil
	}
	keys, created, err := secrets.LoadOrCreateKeyFile(cfg.KeyFile())
	if err != nil {
		return nil, fmt.Errorf("%w (fix the file, or set PATCHBAY_ENCRYPTION_KEYS / PATCHBAY_DATA_DIR)", err)
	}
	if created {
		log.Warn("generated an encryption key; back it up with the database", "key_file", cfg.KeyFile())
	}
	if !cfg.Embedded() {
		log.Warn("secrets are sealed with a key file on this machine; every node sharing the database needs the same keys: set PATCHBAY_ENCRYPTION_KEYS on all of them",
			"key_file", cfg.KeyFile())
	}
	return keys, nil
}

// listJSON gives a list command --json.
func listJSON(c *cobra.Command) *cobra.Command {
	c.Flags().Bool("json", false, "print the list as JSON: an array of objects, the columns as fields")
	return c
}

// wantsJSON reports whether the command was asked for JSON.
func wantsJSON(cmd *cobra.Command) bool {
	asJSON, _ := cmd.Flags().GetBool("json")
	return asJSON
}

// printList prints rows under a header, as a table, or with --json as an
// array of objects keyed by the columns ("OWNER ID" → "owner_id"; a
// parenthesised note is dropped).
func printList(cmd *cobra.Command, header []string, rows [][]string) error {
	if !wantsJSON(cmd) {
		printTable(cmd.OutOrStdout(), header, rows)
		return nil
	}
	keys := make([]string, len(header))
	for i, h := range header {
		h, _, _ = strings.Cut(h, "(")
		keys[i] = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
	}
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		out[i] = map[string]string{}
		for j, v := range r {
			out[i][keys[j]] = v
		}
	}
	return printJSON(cmd, out)
}

// printTable writes rows under a header, in aligned columns.
func printTable(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range append([][]string{header}, rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

var errNoProject = errors.New("no project yet: create one with 'patchbay projects create --name NAME'")
