package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/webhooks"
)

func newWebhooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Manage webhook endpoints and their deliveries",
		Long: `Webhooks tell your application when a customer links, re-links or disconnects an
account, or when an account stops working. Every delivery is signed (Standard
Webhooks headers webhook-id, webhook-timestamp and webhook-signature, plus
x-stackone-signature) with the endpoint's secret, shown once when it is created.
Deliveries are retried for three days; the same event always has the same
webhook-id, so receivers can drop repeats.

Events: ` + strings.Join(store.EventTypes, ", "),
	}
	// The same rule as serve's: a private address needs the same setting there.
	config.AddFlags(cmd.PersistentFlags(), "webhook-allow-private")
	cmd.PersistentFlags().Lookup("webhook-allow-private").NoOptDefVal = "true" // --webhook-allow-private alone allows
	var project string
	cmd.PersistentFlags().StringVar(&project, "project", "", "project ID (default: the only project)")

	var in struct {
		url, description string
		events           []string
		enabled          bool
	}
	input := func(cmd *cobra.Command) webhooks.Input {
		var out webhooks.Input
		flags := cmd.Flags()
		if flags.Changed("url") {
			out.URL = &in.url
		}
		if flags.Changed("events") {
			out.Events = &in.events
		}
		if flags.Changed("description") {
			out.Description = &in.description
		}
		if flags.Changed("enabled") {
			out.Enabled = &in.enabled
		}
		return out
	}
	addFields := func(c *cobra.Command) {
		c.Flags().StringVar(&in.url, "url", "", "where deliveries are POSTed (https://…)")
		c.Flags().StringSliceVar(&in.events, "events", nil, "event types to send, comma separated (default: all)")
		c.Flags().StringVar(&in.description, "description", "", "a note for people")
	}

	create := &cobra.Command{
		Use:   "create --url URL [--events TYPE,…] [--description TEXT]",
		Short: "Add an endpoint and print its signing secret once",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				e, secret, err := a.Webhooks.Create(cmd.Context(), p.ID, input(cmd))
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				printWebhook(w, e)
				fmt.Fprintf(w, "\nSigning secret (shown once; keep it with your receiver):\n    %s\n", secret)
				fmt.Fprintf(w, "\nSend a test event with:\n    patchbay webhooks test %s\n", e.ID)
				return nil
			})
		},
	}
	addFields(create)

	list := &cobra.Command{
		Use:   "list",
		Short: "List the project's endpoints",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				list, err := a.Webhooks.List(cmd.Context(), p.ID)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, e := range list {
					rows = append(rows, []string{e.ID, e.URL, eventsText(e.Events), enabledText(e)})
				}
				if err := printList(cmd, []string{"ID", "URL", "EVENTS", "STATUS"}, rows); err != nil || wantsJSON(cmd) {
					return err
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "No webhooks yet. Add one with: patchbay webhooks create --url https://…")
				}
				return nil
			})
		},
	}

	update := &cobra.Command{
		Use:   "update WEBHOOK_ID [--url URL] [--events TYPE,…] [--description TEXT] [--enabled=true|false]",
		Short: "Change an endpoint; --enabled=true turns a disabled one back on",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				e, err := a.Webhooks.Update(cmd.Context(), p.ID, args[0], store.AnyVersion, input(cmd))
				if err != nil {
					return listHint(err, "webhooks")
				}
				printWebhook(cmd.OutOrStdout(), e)
				return nil
			})
		},
	}
	addFields(update)
	update.Flags().BoolVar(&in.enabled, "enabled", true, "send deliveries to this endpoint")

	del := &cobra.Command{
		Use:   "delete WEBHOOK_ID",
		Short: "Remove an endpoint and its delivery log",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				if err := a.Webhooks.Delete(cmd.Context(), p.ID, args[0], store.AnyVersion); err != nil {
					return listHint(err, "webhooks")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s.\n", args[0])
				return nil
			})
		},
	}

	var overlap time.Duration
	rotate := &cobra.Command{
		Use:   "rotate-secret WEBHOOK_ID [--overlap 24h]",
		Short: "Add a new signing secret; the old one keeps signing for the overlap",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				e, secret, err := a.Webhooks.RotateSecret(cmd.Context(), p.ID, args[0], overlap)
				if err != nil {
					return listHint(err, "webhooks")
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "New signing secret for %s (shown once):\n    %s\n", e.ID, secret)
				if len(e.Secrets) > 1 {
					fmt.Fprintf(w, "Deliveries carry signatures under both secrets until %s; switch your receiver before then.\n",
						e.Secrets[1].ExpiresAt.Format(time.RFC3339))
				}
				return nil
			})
		},
	}
	rotate.Flags().DurationVar(&overlap, "overlap", webhooks.DefaultOverlap, "how long the previous secret keeps signing")

	test := &cobra.Command{
		Use:   "test WEBHOOK_ID",
		Short: "Send a webhook.test event to an endpoint",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				ev, err := a.Webhooks.Test(cmd.Context(), p.ID, args[0])
				if err != nil {
					return listHint(err, "webhooks")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Queued %s (%s). A running 'patchbay serve' sends it; see 'patchbay webhooks deliveries %s'.\n",
					ev.ID, ev.Type, args[0])
				return nil
			})
		},
	}

	var pageSize int
	deliveries := &cobra.Command{
		Use:   "deliveries WEBHOOK_ID",
		Short: "Show an endpoint's delivery log, newest first",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				list, _, err := a.Webhooks.Deliveries(cmd.Context(), p.ID, args[0], webhooks.Page{Size: pageSize})
				if err != nil {
					return listHint(err, "webhooks")
				}
				var rows [][]string
				for _, d := range list {
					outcome := strconv.Itoa(d.LastStatusCode)
					if d.LastError != "" && d.LastStatusCode == 0 {
						outcome = d.LastError
					}
					next := ""
					if d.Status == store.DeliveryPending && !d.NextAttemptAt.IsZero() {
						next = d.NextAttemptAt.UTC().Format(time.DateTime)
					}
					rows = append(rows, []string{d.ID, d.EventType, d.AccountID, string(d.Status), strconv.Itoa(d.Attempts), outcome,
						strconv.FormatInt(d.LastDurationMS, 10) + " ms", next})
				}
				return printList(cmd, []string{"DELIVERY", "EVENT", "ACCOUNT", "STATUS", "ATTEMPTS", "LAST", "TOOK", "NEXT TRY (UTC)"}, rows)
			})
		},
	}
	deliveries.Flags().IntVar(&pageSize, "limit", 25, "how many deliveries to show")

	redeliver := &cobra.Command{
		Use:   "redeliver WEBHOOK_ID DELIVERY_ID",
		Short: "Send a delivery's event again, with the same webhook-id",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, &project, func(a *app.App, p store.Project) error {
				d, err := a.Webhooks.Redeliver(cmd.Context(), p.ID, args[0], args[1])
				if err != nil {
					return listHint(err, "webhooks")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Queued %s: event %s again.\n", d.ID, d.EventID)
				return nil
			})
		},
	}
	cmd.AddCommand(create, reads(listJSON(list)), update, del, rotate, test, reads(listJSON(deliveries)), redeliver)
	return cmd
}

func printWebhook(w io.Writer, e store.WebhookEndpoint) {
	fmt.Fprintf(w, "%s  %s\n", e.ID, e.URL)
	fmt.Fprintf(w, "  events:  %s\n", eventsText(e.Events))
	fmt.Fprintf(w, "  status:  %s\n", enabledText(e))
	if e.Description != "" {
		fmt.Fprintf(w, "  note:    %s\n", e.Description)
	}
}

func eventsText(events []string) string {
	if len(events) == 0 {
		return "all"
	}
	return strings.Join(events, ", ")
}

func enabledText(e store.WebhookEndpoint) string {
	switch {
	case e.Enabled && !e.FailingSince.IsZero():
		return "enabled, failing since " + e.FailingSince.UTC().Format(time.DateTime)
	case e.Enabled:
		return "enabled"
	case e.DisabledReason != "":
		return "disabled: " + e.DisabledReason
	}
	return "disabled"
}
