package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/sandbox"
)

// sandboxFlags are the simulator settings shared by `sandbox` and `serve --sandbox`.
type sandboxFlags struct {
	seed                int64
	members             int
	justworksTTL, ehTTL time.Duration
	rotationGrace       time.Duration
	redirectURIs        []string
	noRateLimit         bool
	controlToken        string
}

func (f *sandboxFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int64Var(&f.seed, "seed", 1, "seed of the generated data; the same seed gives the same data")
	fl.IntVar(&f.members, "members", 50, "members/employees in each demo company (up to 100000)")
	fl.DurationVar(&f.justworksTTL, "justworks-access-ttl", 24*time.Hour, "Justworks access-token lifetime")
	fl.DurationVar(&f.ehTTL, "employmenthero-access-ttl", 15*time.Minute, "Employment Hero access-token lifetime")
	fl.DurationVar(&f.rotationGrace, "rotation-grace", 0, "how long a rotated refresh token keeps working (0: not at all)")
	fl.StringSliceVar(&f.redirectURIs, "redirect-uri", nil, "redirect URIs of the demo apps; {key} becomes the provider key (default http://localhost:8080/connect/oauth2/{key}/callback)")
	fl.BoolVar(&f.noRateLimit, "no-rate-limit", false, "turn off Employment Hero's 20/s and 100/min limits")
}

func (f *sandboxFlags) build() (*sandbox.Sandbox, error) {
	if f.members < 1 || f.members > 100000 {
		return nil, usageError{fmt.Errorf("--members must be between 1 and 100000, got %d", f.members)}
	}
	return sandbox.New(sandbox.Options{
		Seed: f.seed, Members: f.members,
		AccessTTL:     map[string]time.Duration{"justworks": f.justworksTTL, "employmenthero": f.ehTTL},
		RotationGrace: f.rotationGrace, RedirectURIs: f.redirectURIs, NoRateLimit: f.noRateLimit, ControlToken: f.controlToken,
	})
}

func newSandboxCmd() *cobra.Command {
	var f sandboxFlags
	var listen string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the Justworks and Employment Hero simulators",
		Long: `Run local simulators of Justworks and Employment Hero: their OAuth 2.0
authorization servers (login and consent pages, PKCE, rotating refresh tokens)
and their APIs over generated data. Use them to develop and test before partner
access arrives. A demo app is registered on each; its credentials are printed.

Test controls live under each simulator's /_sim/: POST /_sim/apps registers an
app, POST /_sim/tokens mints a token, POST /_sim/faults injects failures,
GET /_sim/stats counts token grants, refreshes and API calls. They need the
control token (printed at start, or set with --control-token) as
Authorization: Bearer TOKEN.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			watch := clock.Start()
			sb, err := f.build()
			if err != nil {
				return err
			}
			ready := watch.Elapsed()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			base := "http://localhost:" + portOf(ln.Addr())
			printSandbox(cmd.OutOrStdout(), sb, base, f.members, ready,
				"Authorization: Bearer "+sb.ControlToken()+"  (set it with --control-token)")
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, log, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			return api.Serve(ctx, ln, sb.Handler(), log)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&listen, "listen", ":9090", "address the simulators listen on")
	cmd.Flags().StringVar(&f.controlToken, "control-token", "", "the bearer token the test controls (/_sim/) require (default: a random one, printed)")
	return cmd
}

func portOf(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

// printSandbox tells the user where the simulators are, how to sign in, and
// what opens their test controls.
func printSandbox(w io.Writer, sb *sandbox.Sandbox, base string, members int, took time.Duration, controls string) {
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	fmt.Fprintf(w, "Sandbox ready in %s with %d members per demo company (heap %d MiB).\n\n", took.Round(time.Millisecond), members, mem.HeapAlloc>>20)
	for _, p := range sb.Providers {
		fmt.Fprintf(w, "%s\n  base URL:       %s/%s\n  demo app:       client_id %s  client_secret %s\n  redirect URIs:  %v\n  sign in as:     %s (password: sandbox)\n\n",
			p.Name, base, p.Key, p.DemoApp.ClientID, p.DemoApp.ClientSecret, p.DemoApp.RedirectURIs, p.DemoUser)
	}
	fmt.Fprintf(w, "Test controls (%s/{justworks,employmenthero}/_sim/): %s\n\n", base, controls)
}
