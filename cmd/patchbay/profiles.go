package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/store"
)

// profileFlags are the profile fields settable from the command line.
type profileFlags struct {
	connector, name, clientID, clientSecret, environment, proxy string
	secretStdin                                                 bool
	actions, extraScopes, syncModels                            []string
	isDefault, enabled, sync                                    bool
	syncInterval                                                time.Duration
}

func (f *profileFlags) register(fs *pflag.FlagSet, create bool) {
	// On create, an unset flag takes its default; on update it changes
	// nothing, so the help names no default there.
	def := func(text string) string {
		if create {
			return " (" + text + ")"
		}
		return ""
	}
	if create {
		fs.StringVar(&f.connector, "connector", "", "connector key: justworks or employmenthero (required)")
	}
	fs.StringVar(&f.name, "name", "", "profile name"+def("default: the connector's name"))
	fs.StringVar(&f.clientID, "client-id", "", "OAuth client ID the provider issued")
	fs.StringVar(&f.clientSecret, "client-secret", "", "OAuth client secret (prefer --client-secret-stdin: command lines end up in shell history)")
	fs.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from standard input")
	fs.StringVar(&f.environment, "environment", "", "production, or sandbox for the built-in simulators"+def("default production"))
	fs.StringSliceVar(&f.actions, "actions", nil, "enabled action ids, comma-separated"+def("default: all"))
	fs.StringSliceVar(&f.extraScopes, "extra-scopes", nil, "scopes to request on top of the actions' scopes, e.g. member.dob:read")
	fs.BoolVar(&f.isDefault, "default", false, "make this the connector's default profile")
	fs.BoolVar(&f.enabled, "enabled", true, "enable the profile (--enabled=false makes its accounts inactive)")
	fs.StringVar(&f.proxy, "proxy", "", "what /unified/proxy may do: off, read (GET) or read_write; it reaches the provider's whole API, beyond the enabled actions"+def("default off"))
	fs.BoolVar(&f.sync, "sync", false, "keep a records cache and change feed of the profile's accounts (docs/sync.md)"+def("default off"))
	fs.StringSliceVar(&f.syncModels, "sync-models", nil, "models to sync, comma-separated: "+strings.Join(connectors.SyncModelIDs(), ", ")+def("default: every one the connector can"))
	fs.DurationVar(&f.syncInterval, "sync-interval", 0, "how often each account is read, at least 1m"+def("default 1h"))
	if !create {
		fs.Lookup("enabled").DefValue = "" // --enabled alone enables; left out, the profile stays as it is
		fs.Lookup("sync").DefValue = ""
	}
}

// input turns the flags that were given into a profiles.Input.
func (f *profileFlags) input(fs *pflag.FlagSet, stdin io.Reader) (profiles.Input, error) {
	var in profiles.Input
	str := func(flag string, v *string) *string {
		if fs.Changed(flag) {
			return v
		}
		return nil
	}
	in.ConnectorKey = str("connector", &f.connector)
	in.Name = str("name", &f.name)
	in.ClientID = str("client-id", &f.clientID)
	in.ClientSecret = str("client-secret", &f.clientSecret)
	in.Environment = str("environment", &f.environment)
	in.Proxy = str("proxy", &f.proxy)
	if f.secretStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return in, fmt.Errorf("read the client secret from standard input: %w", err)
		}
		secret := strings.TrimSpace(line)
		in.ClientSecret = &secret
	}
	if fs.Changed("actions") {
		in.EnabledActions = &f.actions
	}
	if fs.Changed("extra-scopes") {
		in.ExtraScopes = &f.extraScopes
	}
	if fs.Changed("default") {
		in.Default = &f.isDefault
	}
	if fs.Changed("enabled") {
		in.Enabled = &f.enabled
	}
	if fs.Changed("sync") || fs.Changed("sync-models") || fs.Changed("sync-interval") {
		in.Sync = &profiles.SyncInput{}
		if fs.Changed("sync") {
			in.Sync.Enabled = &f.sync
		}
		if fs.Changed("sync-models") {
			in.Sync.Models = &f.syncModels
		}
		if fs.Changed("sync-interval") {
			seconds := int64(f.syncInterval / time.Second)
			in.Sync.IntervalSeconds = &seconds
		}
	}
	return in, nil
}

// profileFailure turns validation errors into usage errors with every field listed.
func profileFailure(err error) error {
	p, ok := errors.AsType[*problem.Error](err)
	switch {
	case !ok:
		return err
	case p.Kind == problem.Invalid:
		return usageError{fmt.Errorf("invalid profile:\n  %s", strings.ReplaceAll(p.Message, "; ", "\n  "))}
	case p.Kind == problem.NotFound:
		return fmt.Errorf("%w (see 'patchbay profiles list')", err)
	case p.Kind == problem.Stale:
		return fmt.Errorf("%w; run 'patchbay profiles show' to see the profile as it is now", err)
	}
	return err
}

func printProfile(w io.Writer, version int64, v profiles.View) {
	state := "enabled"
	if !v.Active {
		state = "disabled (its accounts are inactive)"
	}
	fmt.Fprintf(w, "%s  %s (%s, %s)\n", v.ID, v.Name, v.ConnectorKey, v.Environment)
	fmt.Fprintf(w, "  version:          %d (give it to 'profiles update --if-version' to refuse a change made meanwhile)\n", version)
	fmt.Fprintf(w, "  state:            %s%s\n", state, map[bool]string{true: ", default", false: ""}[v.Default])
	fmt.Fprintf(w, "  client id:        %s (secret set: %v)\n", v.ClientID, v.ClientSecretSet)
	fmt.Fprintf(w, "  redirect URI:     %s\n", v.RedirectURI)
	fmt.Fprintf(w, "  scopes:           %s\n", strings.Join(v.Scopes, " "))
	if !v.ScopesInAuthorizeRequest {
		fmt.Fprintln(w, "                    (register exactly these scopes on the provider's app; they are not sent when authorizing)")
	}
	fmt.Fprintf(w, "  enabled actions:  %d\n", len(v.EnabledActions))
	fmt.Fprintf(w, "  proxy:            %s\n", v.Proxy)
	if v.Sync.Enabled {
		fmt.Fprintf(w, "  sync:             %s, every %s\n", strings.Join(v.Sync.Models, ", "), time.Duration(v.Sync.IntervalSeconds)*time.Second)
	} else {
		fmt.Fprintf(w, "  sync:             off\n")
	}
}

func newProfilesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Manage connector profiles (OAuth app credentials and enabled actions)",
		Long: `A connector profile holds the OAuth app you registered with a provider (client
ID and secret) and the actions it enables. Patchbay shows the redirect URI to
register and the exact scopes to request. The client secret is stored sealed and
never shown again.`,
	}
	var project string
	cmd.PersistentFlags().StringVar(&project, "project", "", "project ID (default: the only project)")

	var cf profileFlags
	create := &cobra.Command{
		Use:     "create --connector KEY --client-id ID --client-secret-stdin",
		Short:   "Create a connector profile",
		Example: "  echo \"$SECRET\" | patchbay profiles create --connector justworks --client-id abc --client-secret-stdin --default",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := cf.input(cmd.Flags(), cmd.InOrStdin())
			if err != nil {
				return err
			}
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				prof, err := a.Profiles.Create(cmd.Context(), p.ID, in)
				if err != nil {
					return profileFailure(err)
				}
				printProfile(cmd.OutOrStdout(), prof.Version, a.Profiles.Describe(prof))
				return nil
			})
		},
	}
	cf.register(create.Flags(), true)

	var uf profileFlags
	var ifVersion int64
	update := &cobra.Command{
		Use:   "update PROFILE_ID [flags]",
		Short: "Change a connector profile; only the flags you give change",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := uf.input(cmd.Flags(), cmd.InOrStdin())
			if err != nil {
				return err
			}
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				prof, err := a.Profiles.Update(cmd.Context(), p.ID, args[0], ifVersion, in)
				if err != nil {
					return profileFailure(err)
				}
				printProfile(cmd.OutOrStdout(), prof.Version, a.Profiles.Describe(prof))
				return nil
			})
		},
	}
	uf.register(update.Flags(), false)
	update.Flags().Int64Var(&ifVersion, "if-version", store.AnyVersion, "change the profile only if it is still at this version (as 'profiles show' printed it)")
	update.Flags().Lookup("if-version").DefValue = "0" // shown as no default: left out, any version will do

	list := &cobra.Command{
		Use:   "list",
		Short: "List connector profiles",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				all, err := a.Profiles.List(cmd.Context(), p.ID, store.ProfileFilter{})
				if err != nil {
					return err
				}
				var rows [][]string
				for _, prof := range all {
					rows = append(rows, []string{prof.ID, prof.ConnectorKey, prof.Name, string(prof.Environment),
						fmt.Sprint(prof.Default), fmt.Sprint(prof.Enabled), fmt.Sprint(len(prof.EnabledActions))})
				}
				return printList(cmd, []string{"ID", "CONNECTOR", "NAME", "ENVIRONMENT", "DEFAULT", "ENABLED", "ACTIONS"}, rows)
			})
		},
	}
	show := &cobra.Command{
		Use:   "show PROFILE_ID",
		Short: "Show a connector profile with its redirect URI and scopes",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				prof, err := a.Profiles.Get(cmd.Context(), p.ID, args[0])
				if err != nil {
					return profileFailure(err)
				}
				printProfile(cmd.OutOrStdout(), prof.Version, a.Profiles.Describe(prof))
				return nil
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete PROFILE_ID",
		Short: "Delete a connector profile that no linked account uses",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				if err := a.Profiles.Delete(cmd.Context(), p.ID, args[0], store.AnyVersion); err != nil {
					return profileFailure(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s.\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(create, reads(listJSON(list)), reads(show), update, del)
	return cmd
}
