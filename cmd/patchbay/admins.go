package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/admins"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/config"
)

func newAdminsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admins",
		Short: "Add and list the people who sign in to the web console",
		Long: `Admins sign in to the web console at /console with their email and password.
Passwords are stored as argon2id hashes. An admin sees the projects they are
given (all projects when none are named).`,
	}
	var email string
	var projects []string
	var passwordStdin bool
	create := &cobra.Command{
		Use:     "create --email EMAIL [--projects ID,…] [--password-stdin]",
		Short:   "Add an admin; prints a generated password once unless --password-stdin",
		Args:    noArgs,
		Example: "  patchbay admins create --email ops@example.com\n  printf '%s' \"$PASSWORD\" | patchbay admins create --email ops@example.com --password-stdin",
		RunE: func(cmd *cobra.Command, args []string) error {
			password, generated, err := adminPassword(cmd.InOrStdin(), passwordStdin)
			if err != nil {
				return err
			}
			return withServices(cmd, func(cfg config.Config, services *app.App) error {
				a, err := services.Admins.Create(cmd.Context(), email, password, projects)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Added admin %s (%s).\n", a.Email, a.ID)
				if generated {
					fmt.Fprintf(w, "Password (shown once): %s\n", password)
				}
				fmt.Fprintf(w, "Sign in at %s/console\n", cfg.RunningURL())
				return nil
			})
		},
	}
	create.Flags().StringVar(&email, "email", "", "the admin's email address (required)")
	create.Flags().StringSliceVar(&projects, "projects", nil, "project IDs the admin sees, comma separated (default: every project)")
	create.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input instead of generating one")
	create.MarkFlagRequired("email")
	list := &cobra.Command{
		Use:   "list",
		Short: "List admins and their projects",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(_ config.Config, services *app.App) error {
				list, err := services.Admins.List(cmd.Context())
				if err != nil {
					return err
				}
				var rows [][]string
				for _, a := range list {
					ps, err := services.Admins.Projects(cmd.Context(), a.ID)
					if err != nil {
						return err
					}
					var names []string
					for _, p := range ps {
						names = append(names, p.ID)
					}
					rows = append(rows, []string{a.ID, a.Email, strings.Join(names, ", "), a.CreatedAt.Format(time.DateTime)})
				}
				if err := printList(cmd, []string{"ID", "EMAIL", "PROJECTS", "CREATED (UTC)"}, rows); err != nil || wantsJSON(cmd) {
					return err
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "No admins yet. Add one with: patchbay admins create --email you@example.com")
				}
				return nil
			})
		},
	}
	var inviteEmail string
	var inviteProjects []string
	invite := &cobra.Command{
		Use:     "invite --email EMAIL --projects ID,…",
		Short:   "Make a one-time link (24 hours) for someone to join as an admin of these projects",
		Args:    noArgs,
		Example: "  patchbay admins invite --email dana@example.com --projects prj_…",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(cfg config.Config, a *app.App) error {
				link, err := a.Admins.Invite(cmd.Context(), admins.Operator, inviteEmail, inviteProjects, cfg.RunningURL())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Send this link to %s; it works once, for 24 hours:\n    %s\n", strings.ToLower(inviteEmail), link)
				return nil
			})
		},
	}
	invite.Flags().StringVar(&inviteEmail, "email", "", "the person's email address (required)")
	invite.Flags().StringSliceVar(&inviteProjects, "projects", nil, "project IDs they will see, comma separated (required)")
	invite.MarkFlagRequired("email")
	invite.MarkFlagRequired("projects")
	var grant []string
	setProjects := &cobra.Command{
		Use:   "projects ADMIN_ID --set ID,…",
		Short: "Set the projects an admin sees",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(_ config.Config, a *app.App) error {
				if err := a.Admins.SetProjects(cmd.Context(), admins.Operator, args[0], grant); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Admin %s now sees %s.\n", args[0], strings.Join(grant, ", "))
				return nil
			})
		},
	}
	setProjects.Flags().StringSliceVar(&grant, "set", nil, "every project ID the admin sees, comma separated (required)")
	setProjects.MarkFlagRequired("set")
	remove := &cobra.Command{
		Use:   "remove ADMIN_ID",
		Short: "Remove an admin and end their sessions",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServices(cmd, func(_ config.Config, a *app.App) error {
				if err := a.Admins.Remove(cmd.Context(), admins.Operator, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed admin %s.\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(create, reads(listJSON(list)), invite, setProjects, remove)
	return cmd
}

// adminPassword reads the password from stdin, or generates one.
func adminPassword(stdin io.Reader, fromStdin bool) (password string, generated bool, err error) {
	if !fromStdin {
		return generatePassword(), true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// generatePassword returns 20 random characters that are easy to copy.
func generatePassword() string {
	return strings.ToLower(rand.Text())[:20]
}

// demoAdmin makes sure the demo has an admin, and returns its email and
// password: kept in the data directory (mode 0600) so every run of the demo
// prints the same sign-in.
func demoAdmin(ctx context.Context, cfg config.Config, admins *admins.Service) (email, password string, err error) {
	email = "demo@patchbay.local"
	file := filepath.Join(cfg.DataDir, "demo-admin.password")
	if raw, err := os.ReadFile(file); err == nil {
		if admins.Exists(ctx, email) {
			return email, strings.TrimSpace(string(raw)), nil
		}
	}
	password = generatePassword()
	if _, err := admins.Create(ctx, email, password, nil); err != nil {
		return "", "", fmt.Errorf("demo admin: %w", err)
	}
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("demo admin: %w", err)
	}
	return email, password, nil
}
