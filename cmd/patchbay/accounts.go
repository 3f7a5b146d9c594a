package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/accounts"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

func newAccountsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List, show and delete linked accounts",
		Long:  "Linked accounts are your customers' connections to their HR systems, created through the Hub. Their tokens are never shown.",
	}
	var project string
	cmd.PersistentFlags().StringVar(&project, "project", "", "project ID (default: the only project)")
	var filter store.AccountFilter
	list := &cobra.Command{
		Use:   "list [--provider KEY] [--status STATUS] [--owner ID] [--json]",
		Short: "List linked accounts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(services *app.App, p store.Project) error {
				var rows [][]string
				for page := (accounts.Page{Number: 1, Size: accounts.MaxPageSize}); ; {
					list, next, err := services.Accounts.List(cmd.Context(), p.ID, filter, page)
					if problemKind(err) == problem.Invalid {
						return usageError{err}
					}
					if err != nil {
						return err
					}
					for _, a := range list {
						rows = append(rows, []string{a.ID, a.Provider, string(a.Status), a.OriginOwnerID, a.OriginOwnerName, a.CreatedAt.Format(time.DateTime)})
					}
					if page.After = next; next == "" {
						break
					}
				}
				return printList(cmd, []string{"ID", "PROVIDER", "STATUS", "OWNER ID", "OWNER NAME", "CREATED (UTC)"}, rows)
			})
		},
	}
	list.Flags().StringSliceVar(&filter.Providers, "provider", nil, "only these providers, e.g. justworks (comma-separated)")
	list.Flags().StringSliceVar(&filter.Statuses, "status", nil, "only these statuses: active, inactive, error or expired (comma-separated)")
	list.Flags().StringSliceVar(&filter.OriginOwnerIDs, "owner", nil, "only the accounts of these end users (origin_owner_id, comma-separated)")
	show := &cobra.Command{
		Use:   "show ACCOUNT_ID",
		Short: "Show a linked account (never its tokens)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(services *app.App, p store.Project) error {
				a, err := services.Accounts.Get(cmd.Context(), p.ID, args[0])
				if err != nil {
					return listHint(err, "accounts")
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "%s  %s account of %s (%s)\n", a.ID, a.Provider, a.OriginOwnerName, a.OriginOwnerID)
				fmt.Fprintf(w, "  status:        %s\n", a.Status)
				for _, r := range a.StatusReasons {
					fmt.Fprintf(w, "                 %s: %s\n", r.Code, r.Description)
				}
				fmt.Fprintf(w, "  profile:       %s\n", a.ProfileID)
				if len(a.SetupInformation) > 0 {
					var parts []string
					for k, v := range a.SetupInformation {
						parts = append(parts, k+"="+v)
					}
					fmt.Fprintf(w, "  setup:         %s\n", strings.Join(parts, ", "))
				}
				fmt.Fprintf(w, "  token expires: %s\n", a.Credentials.Expiry.Format(time.RFC3339))
				return nil
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete ACCOUNT_ID",
		Short: "Disconnect a linked account (revokes its provider token where possible)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				if _, err := a.Accounts.Delete(cmd.Context(), p.ID, args[0], store.AnyVersion); err != nil {
					return listHint(err, "accounts")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s.\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(reads(listJSON(list)), reads(show), del)
	return cmd
}

// listHint points a missing record at the command that lists them, e.g.
// listHint(err, "accounts").
func listHint(err error, what string) error {
	if problem.KindOf(err) == problem.NotFound {
		return fmt.Errorf("%w (see 'patchbay %s list')", err, what)
	}
	return err
}
