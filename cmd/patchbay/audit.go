package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/audit"
	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/store"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit trail and check that it is intact",
	}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every project's audit chain and name the first entry that was changed or removed",
		Long: `Walk each project's audit chain from its oldest kept entry to its newest and check
that every entry matches its hash, follows the one before it, and that none after
it was removed. Exits 1 naming the first broken entry.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(_ config.Config, a *app.App) error {
				out := cmd.OutOrStdout()
				report, err := a.Audit.Verify(cmd.Context(), func(r audit.Report) {
					if r.Entries > 0 && r.Entries%10000 == 0 {
						fmt.Fprintf(out, "checked %d entries…\n", r.Entries)
					}
				})
				var broken audit.Break
				if errors.As(err, &broken) {
					return fmt.Errorf("the audit trail was tampered with: %w\n(%d entries before it check out)", broken, report.Entries)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "The audit trail is intact: %d entries in %d chains check out.\n", report.Entries, report.Chains)
				return nil
			})
		},
	}
	var project, actor, action, target, since, until string
	var limit int
	list := &cobra.Command{
		Use:   "list [--actor A] [--action A] [--target ID] [--since T] [--until T]",
		Short: "List a project's audit entries, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				q := url.Values{"actor": {actor}, "action": {action}, "target_id": {target}, "start_date": {since}, "end_date": {until},
					"page_size": {fmt.Sprint(limit)}}
				f, err := audit.ParseFilter(p.ID, q)
				if err != nil {
					return usageError{err}
				}
				entries, err := a.Audit.List(cmd.Context(), f)
				if err != nil {
					return err
				}
				rows := make([][]string, len(entries))
				views := make([]audit.View, len(entries))
				for i, e := range entries {
					views[i] = audit.ViewOf(e)
					rows[i] = []string{e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.TargetID, string(e.Changes)}
				}
				if wantsJSON(cmd) {
					return printJSON(cmd, views)
				}
				return printList(cmd, []string{"TIME (UTC)", "ACTOR", "ACTION", "TARGET", "CHANGES"}, rows)
			})
		},
	}
	list.Flags().StringVar(&project, "project", "", "the project (default: the only one)")
	list.Flags().StringVar(&actor, "actor", "", "only this actor, e.g. admin:ann@example.com or api_key:key_…")
	list.Flags().StringVar(&action, "action", "", "only this action, or a prefix ending in '.' such as connector_profile.")
	list.Flags().StringVar(&target, "target", "", "only changes to this id")
	list.Flags().StringVar(&since, "since", "", "only entries at or after this RFC 3339 time")
	list.Flags().StringVar(&until, "until", "", "only entries before this RFC 3339 time")
	list.Flags().IntVar(&limit, "limit", 50, "how many entries, 1 to 100")
	cmd.AddCommand(reads(verify), reads(listJSON(list)))
	return cmd
}
