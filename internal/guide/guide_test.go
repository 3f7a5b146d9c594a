package guide_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/browsertest"
	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	registry, err := connectors.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	srv.Config.Handler = mustApp(app.New(app.Options{
		Store:     backendtest.SQLite.Open(t, backendtest.TestKeys(t)),
		Registry:  registry,
		PublicURL: srv.URL,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})).Server(api.Options{})
	return srv
}

// until waits, at most ten seconds, for a JavaScript condition to hold.
func until(condition string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](condition, chromedp.WithPollingTimeout(10*time.Second))
}

// ready waits until the page shows the scopes of its current selection.
var ready = until(`document.querySelector('main').dataset.state === 'ready'`)

type pageState struct {
	Checked   []string
	Separator string
	Scopes    string
	Enables   string
	GuideURL  string
}

func readState(ctx context.Context, t *testing.T) pageState {
	t.Helper()
	if err := chromedp.Do(ctx, ready); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](`({
		Checked: Array.from(document.querySelectorAll('.action input:checked')).map(b => b.value),
		Separator: document.getElementById('separator').value,
		Scopes: document.getElementById('scopes-output').textContent,
		Enables: document.getElementById('enables-labels').textContent,
		GuideURL: document.getElementById('guide-url').value,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// TestScopeSelectorInChromium does what an admin does: search, tick two actions,
// switch the separator, read the scopes, and open the guide URL it produced.
func TestScopeSelectorInChromium(t *testing.T) {
	srv := newServer(t)
	ctx := browsertest.New(t)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/guides/justworks"),
		ready,
		chromedp.SendKeys(chromedp.CSS("#search"), "deduction"),
	)
	if err != nil {
		t.Fatal(err)
	}
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.action:not([hidden])').length`))
	if err != nil {
		t.Fatal(err)
	}
	// Five Justworks actions and the four unified deduction operations.
	if visible != 9 {
		t.Fatalf("searching 'deduction' shows %d actions, want 9", visible)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`label[data-action="justworks_list_deductions"] input`)),
		chromedp.Click(chromedp.CSS(`label[data-action="justworks_create_deductions"] input`)),
		chromedp.SendKeys(chromedp.CSS("#separator"), "comma"),
		until(`document.getElementById('scopes-output').textContent === 'deductions:write,deductions:read'`),
	)
	if err != nil {
		t.Fatalf("selecting two actions and the comma separator: %v", err)
	}
	first := readState(ctx, t)
	wantChecked := []string{"justworks_list_deductions", "justworks_create_deductions"}
	if !slices.Equal(first.Checked, wantChecked) || first.Separator != "comma" {
		t.Fatalf("state after selecting: %+v", first)
	}
	if !strings.Contains(first.Enables, "Cancel Deductions") || strings.Contains(first.Enables, "Get Company") {
		t.Fatalf("'enables actions' badge: %q", first.Enables)
	}
	if !strings.HasPrefix(first.GuideURL, srv.URL+"/guides/justworks?") {
		t.Fatalf("guide URL %q", first.GuideURL)
	}

	// A second tab opens the copied URL and finds the same selection.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(first.GuideURL)); err != nil {
		t.Fatal(err)
	}
	second := readState(tab, t)
	if !slices.Equal(second.Checked, first.Checked) || second.Separator != first.Separator ||
		second.Scopes != first.Scopes || second.GuideURL != first.GuideURL {
		t.Fatalf("the guide URL restored %+v, want %+v", second, first)
	}
}

func TestSelectAllClearAndFieldScopes(t *testing.T) {
	srv := newServer(t)
	ctx := browsertest.New(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/guides/justworks"),
		ready,
		chromedp.Click(chromedp.CSS("#select-all")),
		// The unified employments operations add member.employment:read and member.pay:read.
		until(`document.getElementById('scopes-output').textContent.split(' ').length === 12`),
		chromedp.Click(chromedp.CSS("#minimal")),
		chromedp.Click(chromedp.CSS(`input.extra[value="member.dob:read"]`)),
		until(`document.getElementById('scopes-output').textContent.includes('member.dob:read')`),
	)
	if err != nil {
		t.Fatal(err)
	}
	got := readState(ctx, t).Scopes
	want := "company.detail:read company.bank_account:read member.detail:read member.dob:read member.employment:read member.pay:read payroll:read paystub:read deductions:write time_off:read"
	if got != want {
		t.Fatalf("all actions, minimal, with member.dob:read:\n got %q\nwant %q", got, want)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#clear")), until(`document.getElementById('scopes-output').textContent === ''`)); err != nil {
		t.Fatalf("clear: %v", err)
	}
	if s := readState(ctx, t); len(s.Checked) != 0 || s.Enables != "none" {
		t.Fatalf("after clear: %+v", s)
	}
}

// mustApp is app.New's App; wiring fails only on a bad configuration.
func mustApp(a *app.App, err error) *app.App {
	if err != nil {
		panic(err)
	}
	return a
}
