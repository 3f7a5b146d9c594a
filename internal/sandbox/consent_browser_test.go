package sandbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/patchbayhq/patchbay/internal/browsertest"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// landedOn waits for the browser to arrive on a page under prefix and returns its
// URL. It reads location itself because a poll does not survive the navigation.
func landedOn(t *testing.T, ctx context.Context, prefix string) string {
	t.Helper()
	var href string
	testwait.For(t, "the browser on "+prefix, func() bool {
		var err error
		href, err = chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		return err == nil && strings.HasPrefix(href, prefix)
	})
	return href
}

// TestConsentPagesInChromium signs in and approves (then denies) on each
// provider's consent page, as a person would.
func TestConsentPagesInChromium(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 7, Members: 10})
	ctx := browsertest.New(t)
	for _, ps := range providers {
		t.Run(ps.key, func(t *testing.T) {
			p := e.provider(t, ps.key)
			cfg := e.oauthConfig(t, ps)
			var opts []oauth2.AuthCodeOption
			if ps.pkce {
				opts = append(opts, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			}
			for _, decision := range []string{"approve", "deny"} {
				step, cancel := context.WithTimeout(ctx, 15*time.Second)
				defer cancel()
				err := chromedp.Do(step,
					chromedp.Navigate(cfg.AuthCodeURL("st-"+decision, opts...)),
					chromedp.SendKeys(chromedp.CSS("#email"), p.DemoUser),
					chromedp.SendKeys(chromedp.CSS("#password"), "sandbox"),
					chromedp.Click(chromedp.CSS("#sign-in")),
					chromedp.WaitVisible(chromedp.CSS("#"+decision)),
				)
				if err != nil {
					text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
					t.Fatalf("%s: sign in: %v\npage: %s", decision, err, text)
				}
				tenants, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#tenants li').length`))
				if err != nil {
					t.Fatal(err)
				}
				if ps.key == "employmenthero" && tenants != 2 {
					t.Fatalf("the consent page lists %d organisations, want the user's 2", tenants)
				}
				if ps.key == "justworks" {
					// The demo app asks for date of birth and sex: the consent page must offer the checkbox.
					shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('sensitive') !== null`))
					if err != nil {
						t.Fatal(err)
					}
					if !shown {
						t.Fatal("the Justworks consent page has no sensitive-data checkbox")
					}
				}
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#"+decision))); err != nil {
					t.Fatalf("%s: %v", decision, err)
				}
				landed := landedOn(t, ctx, e.callback.URL)
				if !strings.Contains(landed, "state=st-"+decision) {
					t.Fatalf("%s: landed on %s without the state", decision, landed)
				}
				if decision == "approve" && !strings.Contains(landed, "code=") {
					t.Fatalf("approve: landed on %s without a code", landed)
				}
				if decision == "deny" && (!strings.Contains(landed, "error=access_denied") || strings.Contains(landed, "code=")) {
					t.Fatalf("deny: landed on %s", landed)
				}
			}
		})
	}
}
