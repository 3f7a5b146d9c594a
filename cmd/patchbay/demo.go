package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/config"
	"github.com/patchbayhq/patchbay/internal/profiles"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/store"
)

func newDemoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run Patchbay with built-in Justworks and Employment Hero simulators, ready to link an account",
		Long: `Run Patchbay on the embedded database with both provider simulators mounted
under /sandbox/, sandbox connector profiles for both providers, and a fresh API
key. It prints a Hub link for a demo customer: open it, pick a provider, sign in
on the simulator with the printed user (password "sandbox") and approve. Then
list the linked account with the printed curl command.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd, serveMode{sandbox: true, demo: true})
		},
	}
	config.AddFlags(cmd.Flags(), "listen", "public-url")
	return cmd
}

// setUpDemo makes sure the default project has sandbox profiles for every
// connector, issues a key, opens a Hub link for a demo customer through the API
// (the same path an integrator's backend takes), and prints how to use them.
func setUpDemo(ctx context.Context, cfg config.Config, a *app.App, out io.Writer, publicURL, localURL string) error {
	projects, err := a.Keys.Projects(ctx)
	if err != nil || len(projects) == 0 {
		return fmt.Errorf("demo: no project to set up (%v)", err)
	}
	p, reg := projects[0], a.Registry
	existing, err := a.Profiles.List(ctx, p.ID, store.ProfileFilter{})
	if err != nil {
		return err
	}
	for _, c := range reg.All() {
		demo := sandbox.DemoApp(c.Key)
		found := false
		for _, prof := range existing {
			found = found || (prof.Environment == store.Sandbox && prof.ClientID == demo.ClientID)
		}
		if found {
			continue
		}
		// The demo shows every capability against the simulators, the
		// passthrough proxy included; a real profile starts with it off.
		// Sync too, every five minutes, so the change feed shows the
		// simulators' changes soon.
		env, isDefault, name, proxy := string(store.Sandbox), true, c.Name+" (sandbox)", string(store.ProxyReadWrite)
		syncOn, every := true, int64(300)
		if _, err := a.Profiles.Create(ctx, p.ID, profiles.Input{ConnectorKey: &c.Key, Name: &name, ClientID: &demo.ClientID,
			ClientSecret: &demo.ClientSecret, Environment: &env, Default: &isDefault, Proxy: &proxy,
			Sync: &profiles.SyncInput{Enabled: &syncOn, IntervalSeconds: &every}}); err != nil {
			return fmt.Errorf("demo profile for %s: %w", c.Key, err)
		}
	}
	key, err := demoKey(ctx, cfg, a.Keys, p)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"origin_owner_id": "demo-customer", "origin_owner_name": "Demo Customer",
		"origin_username": "you@demo-customer.test", "expires_in": 86400})
	req, err := http.NewRequestWithContext(ctx, "POST", localURL+"/connect_sessions", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: create a connect session: %w", err)
	}
	defer resp.Body.Close()
	var session struct {
		AuthLinkURL string `json:"auth_link_url"`
		Message     string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&session)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("demo: create a connect session: %d %s", resp.StatusCode, session.Message)
	}
	adminEmail, adminPassword, err := demoAdmin(ctx, cfg, a.Admins)
	if err != nil {
		return err
	}
	var guides []string
	for _, c := range reg.All() {
		guides = append(guides, publicURL+"/guides/"+c.Key)
	}
	fmt.Fprintf(out, `
Patchbay demo is ready.

  1. Link an account: open the Hub link for "Demo Customer" (valid 24 hours):
       %s
     Pick a provider and sign in on its simulator as admin@acme.test (Justworks)
     or owner@acme.test (Employment Hero), password "sandbox", then approve.

  2. List linked accounts with the demo API key:
       curl -u %s: %s/accounts

  3. Run an action on a linked account (use its id from step 2):
       curl -u %s: -H 'content-type: application/json' -H 'x-account-id: ACCOUNT_ID' \
         -d '{"action":"justworks_list_members","query":{"limit":5}}' %s/actions/rpc
     or, from another terminal in this folder, with the command line:
       go run ./cmd/patchbay accounts list
       go run ./cmd/patchbay actions run justworks_list_members --account ACCOUNT_ID --query limit=5
     or read the same people in one model, whichever provider the account is on:
       curl -u %s: -H 'x-account-id: ACCOUNT_ID' '%s/unified/hris/employees?page_size=5'

  4. Give an AI agent the account's actions as MCP tools (Streamable HTTP):
       URL %s/mcp   headers: Authorization: Bearer %s   x-account-id: ACCOUNT_ID
     See what the agent gets:
       go run ./cmd/patchbay mcp tools --account ACCOUNT_ID
     AI apps such as ChatGPT, Claude or Cursor need only the URL %s/mcp:
     they sign in with OAuth, and you choose their accounts and actions on the
     console's consent page.

  5. Hear about linked, changed and broken accounts: register a webhook (any
     URL that takes POSTs; the demo may deliver to this machine):
       curl -u %s: -H 'content-type: application/json' \
         -d '{"url":"http://localhost:9000/hooks"}' %s/webhooks
     or: go run ./cmd/patchbay webhooks create --url http://localhost:9000/hooks --webhook-allow-private

  6. Follow what changes in the people of a linked account: the demo syncs every
     five minutes (and right after linking). Make the simulator's people change,
     run the sync now, and read the change feed:
       curl -u %s: -H 'content-type: application/json' -d '{"add":2,"update":3,"delete":1}' %s/sandbox/justworks/_sim/changes
       curl -u %s: -X POST %s/accounts/ACCOUNT_ID/sync
       curl -u %s: '%s/sync/changes?model=hris.employees'

  Console: %s/console   sign in as %s, password %s

  Setup guides: %s

`, session.AuthLinkURL, key, publicURL, key, publicURL, key, publicURL, publicURL, key, publicURL, key, publicURL,
		key, publicURL, key, publicURL, key, publicURL, publicURL, adminEmail, adminPassword, strings.Join(guides, "  "))
	return nil
}

// demoKey is the demo's API key: the one an earlier run in this data
// directory kept in demo.key while it still works, else a new one, kept there
// (mode 0600) so that every run prints the same key.
func demoKey(ctx context.Context, cfg config.Config, keys *apikeys.Service, p store.Project) (string, error) {
	file := filepath.Join(cfg.DataDir, "demo.key")
	if raw, err := os.ReadFile(file); err == nil {
		key := strings.TrimSpace(string(raw))
		if k, err := keys.Authenticate(ctx, key); err == nil && k.ProjectID == p.ID {
			return key, nil
		}
	}
	key, _, err := keys.Issue(ctx, p.ID, "demo", store.RoleAdmin)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep the demo key: %w", err)
	}
	return key, nil
}
