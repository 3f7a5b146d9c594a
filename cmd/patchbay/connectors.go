package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// withConnector runs fn with the named connector and this deployment's public URL.
func withConnector(cmd *cobra.Command, key string, fn func(c *connectors.Connector, publicURL string) error) error {
	cfg, _, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	registry, err := connectors.Embedded()
	if err != nil {
		return err
	}
	c, ok := registry.Get(key)
	if !ok {
		var keys []string
		for _, c := range registry.All() {
			keys = append(keys, c.Key)
		}
		return usageError{fmt.Errorf("unknown connector %q (available: %s)", key, strings.Join(keys, ", "))}
	}
	return fn(c, cfg.RunningURL())
}

func newConnectorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connectors",
		Short: "Show the providers Patchbay connects to",
		Long:  "Patchbay ships connector definitions for each provider: OAuth settings, scopes and actions.",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the connectors",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			registry, err := connectors.Embedded()
			if err != nil {
				return err
			}
			var rows [][]string
			for _, c := range registry.All() {
				rows = append(rows, []string{c.Key, c.Name, strings.Join(c.Categories, ","), fmt.Sprint(len(c.Actions)), fmt.Sprint(len(c.Scopes))})
			}
			return printList(cmd, []string{"KEY", "NAME", "CATEGORIES", "ACTIONS", "SCOPES"}, rows)
		},
	}
	show := &cobra.Command{
		Use:   "show KEY",
		Short: "Show a connector: setup notes, OAuth settings, scopes and actions",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withConnector(cmd, args[0], func(c *connectors.Connector, publicURL string) error {
				printConnector(cmd.OutOrStdout(), c, publicURL)
				return nil
			})
		},
	}
	cmd.AddCommand(listJSON(list), show)
	return cmd
}

func printConnector(w io.Writer, c *connectors.Connector, publicURL string) {
	fmt.Fprintf(w, "%s (%s)\n%s\n\n", c.Name, c.Key, c.Description)
	for _, n := range c.Notices {
		fmt.Fprintf(w, "! %s: %s\n", n.Title, n.Body)
	}
	fmt.Fprintf(w, "\nRedirect URI to register:  %s\n", c.RedirectURI(publicURL))
	fmt.Fprintf(w, "Setup guide:               %s/guides/%s\n", publicURL, c.Key)
	a := c.Auth
	fmt.Fprintf(w, "OAuth 2.0:                 PKCE %s, client auth %s, access tokens last %s, refresh tokens rotate: %v\n",
		a.PKCE, a.ClientAuth, a.AccessTokenLifetime.Duration, a.RefreshTokenRotates)
	if !a.ScopesInAuthorizeRequest {
		fmt.Fprintln(w, "Scopes are fixed when the app is registered; they are not sent when authorizing.")
	}
	fmt.Fprintln(w, "\nRegistration:")
	for i, s := range c.Steps(publicURL) {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintln(w)
	var rows [][]string
	for _, s := range c.Scopes {
		rows = append(rows, []string{s.ID, strings.Join(s.Includes, ","), strings.Join(s.UnlocksFields, ",")})
	}
	printTable(w, []string{"SCOPE", "INCLUDES", "UNLOCKS FIELDS"}, rows)
	fmt.Fprintln(w)
	rows = nil
	for _, act := range c.Actions {
		rows = append(rows, []string{act.ID, act.Method + " " + act.Path, strings.Join(act.Scopes, " ")})
	}
	printTable(w, []string{"ACTION", "REQUEST", "SCOPES"}, rows)
}

func newScopesCmd() *cobra.Command {
	var sel connectors.Selection
	cmd := &cobra.Command{
		Use:   "scopes KEY [--actions a,b] [--separator comma] [--minimal]",
		Short: "Print the OAuth scopes to request for a set of actions",
		Long: `Print the exact OAuth scopes a connector's app must request for the actions you
enable (--actions all: every action), in the provider's order. As in the API and the setup
guide, the scopes are those of the actions named, and no more.
--minimal drops scopes that another listed scope already includes.`,
		Example: "  patchbay scopes justworks --actions justworks_list_members,justworks_list_payrolls --separator comma",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withConnector(cmd, args[0], func(c *connectors.Connector, publicURL string) error {
				if len(sel.Actions) == 0 && len(sel.ExtraScopes) == 0 {
					return usageError{fmt.Errorf("name the actions you will enable: --actions a,b, or --actions all for every one (see 'patchbay connectors show %s')", c.Key)}
				}
				res, err := c.Calculate(sel)
				if err != nil {
					return usageError{err}
				}
				fmt.Fprintln(cmd.OutOrStdout(), res.Text)
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&sel.Actions, "actions", nil, "action ids, comma-separated, or all")
	cmd.Flags().StringSliceVar(&sel.ExtraScopes, "extra-scopes", nil, "extra scopes to add, e.g. field-level ones")
	cmd.Flags().StringVar(&sel.Separator, "separator", "space", "space, comma, semicolon, pipe or newline")
	cmd.Flags().BoolVar(&sel.Minimal, "minimal", false, "drop scopes another listed scope includes")
	return cmd
}
