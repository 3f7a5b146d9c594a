package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

func newActionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "List connector actions and run one on a linked account",
	}
	var connector string
	list := &cobra.Command{
		Use:   "list [--connector KEY]",
		Short: "List the actions with their scopes",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := connectors.Embedded()
			if err != nil {
				return err
			}
			var rows [][]string
			for _, c := range reg.All() {
				if connector != "" && c.Key != connector {
					continue
				}
				for _, a := range c.Actions {
					rows = append(rows, []string{a.ID, a.Method + " " + a.Path, strings.Join(a.Scopes, " ")})
				}
			}
			if len(rows) == 0 {
				return usageError{fmt.Errorf("--connector: unknown connector %q (see 'patchbay connectors list')", connector)}
			}
			return printList(cmd, []string{"ACTION", "REQUEST", "SCOPES"}, rows)
		},
	}
	list.Flags().StringVar(&connector, "connector", "", "only this connector's actions")

	var project, account, bodyArg string
	var query []string
	var allPages bool
	run := &cobra.Command{
		Use:     "run ACTION --account ID [--query k=v]… [--body @file.json] [--all-pages]",
		Short:   "Run one action on a linked account and print its data as JSON",
		Example: "  patchbay actions run justworks_list_members --account acc_… --query limit=100 --all-pages > members.json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if account == "" {
				return usageError{errors.New("--account is required (see 'patchbay accounts list')")}
			}
			req := actions.Request{Action: args[0], Query: map[string]any{}}
			for _, kv := range query {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageError{fmt.Errorf("--query %q: use key=value", kv)}
				}
				if n, err := strconv.Atoi(v); err == nil {
					req.Query[k] = n // numbers go as numbers, as the schemas expect
				} else {
					req.Query[k] = v
				}
			}
			if bodyArg != "" {
				raw := []byte(bodyArg)
				if path, ok := strings.CutPrefix(bodyArg, "@"); ok {
					var err error
					if raw, err = os.ReadFile(path); err != nil {
						return fmt.Errorf("--body: %w", err)
					}
				}
				if err := json.Unmarshal(raw, &req.Body); err != nil {
					return usageError{fmt.Errorf("--body: not JSON: %w", err)}
				}
			}
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				who := actions.Caller{ProjectID: p.ID, Source: store.SourceCLI}
				progress := isTerminal(os.Stderr)
				var records []json.RawMessage
				for page := 1; ; page++ {
					res, err := a.Actions.Run(cmd.Context(), who, account, req, nil)
					if p, ok := errors.AsType[*problem.Error](err); ok {
						return fmt.Errorf("%s (HTTP %d)", p.Message, problem.HTTPStatus(p))
					}
					if err != nil {
						return err
					}
					if !allPages {
						return printJSON(cmd, res.Data)
					}
					raw, _ := res.Data.(json.RawMessage)
					var items []json.RawMessage
					if err := json.Unmarshal(raw, &items); err != nil {
						return fmt.Errorf("--all-pages: %s does not return a list", req.Action)
					}
					records = append(records, items...)
					if progress {
						fmt.Fprintf(os.Stderr, "\rpage %d, %d records…", page, len(records))
					}
					if res.Next == nil {
						break
					}
					req.Next = *res.Next
				}
				if progress {
					fmt.Fprintln(os.Stderr)
				}
				return printJSON(cmd, records)
			})
		},
	}
	run.Flags().StringVar(&project, "project", "", "project ID (default: the only project)")
	run.Flags().StringVar(&account, "account", "", "linked account ID")
	run.Flags().StringArrayVar(&query, "query", nil, "query input as key=value (repeatable)")
	run.Flags().StringVar(&bodyArg, "body", "", "request body as JSON, or @file.json")
	run.Flags().BoolVar(&allPages, "all-pages", false, "follow next to the last page and print every record")
	cmd.AddCommand(listJSON(list), reads(run))
	return cmd
}

func printJSON(cmd *cobra.Command, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	return nil
}

// isTerminal reports whether f is an interactive terminal, where progress helps.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
