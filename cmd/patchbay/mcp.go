package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/mcp"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

func newMCPCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "See what AI agents get from the MCP server at /mcp",
	}
	var project, account, toolMode, paramStyle, filter string
	var asJSON bool
	tools := &cobra.Command{
		Use:     "tools --account ID [--tool-mode individual|search_execute] [--param-style nested|flat_prefixed|flat_smart] [--tools GLOBS] [--json]",
		Short:   "List the tools an agent sees for a linked account",
		Example: "  patchbay mcp tools --account acc_…\n  patchbay mcp tools --account acc_… --tool-mode search_execute --json\n  patchbay mcp tools --account acc_… --tools 'justworks_*,!*_deductions'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if account == "" {
				return usageError{errors.New("--account is required (see 'patchbay accounts list')")}
			}
			opts, err := mcp.ParseOptions(url.Values{"tool-mode": {toolMode}, "param-style": {paramStyle}, "tools": {filter}})
			if err != nil {
				return usageError{fmt.Errorf("--%w", err)}
			}
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				list, err := a.MCP.Tools(cmd.Context(), actions.Caller{ProjectID: p.ID, Source: store.SourceCLI}, account, opts)
				if p, ok := errors.AsType[*problem.Error](err); ok {
					return fmt.Errorf("%s (HTTP %d)", p.Message, problem.HTTPStatus(p))
				}
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd, map[string]any{"tools": list})
				}
				var rows [][]string
				for _, t := range list {
					kind := "write"
					if t.Annotations != nil && t.Annotations.ReadOnlyHint {
						kind = "read"
					}
					rows = append(rows, []string{t.Name, kind, strings.Join(mcp.InputNames(t), " ")})
				}
				if len(rows) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "No tools: the account's profile enables no action its grant covers (see 'patchbay profiles list').")
					return nil
				}
				printTable(cmd.OutOrStdout(), []string{"TOOL", "KIND", "INPUTS (* required)"}, rows)
				return nil
			})
		},
	}
	tools.Flags().StringVar(&project, "project", "", "project ID (default: the only project)")
	tools.Flags().StringVar(&account, "account", "", "linked account ID")
	tools.Flags().StringVar(&toolMode, "tool-mode", "individual", "individual (one tool per action) or search_execute (two tools)")
	tools.Flags().StringVar(&paramStyle, "param-style", "nested", "nested, flat_prefixed or flat_smart")
	tools.Flags().StringVar(&filter, "tools", "", "glob patterns over action ids, comma-separated; a leading ! excludes (as /mcp?tools=)")
	tools.Flags().BoolVar(&asJSON, "json", false, "print the tools as tools/list returns them")
	cmd.AddCommand(reads(tools))
	return cmd
}
