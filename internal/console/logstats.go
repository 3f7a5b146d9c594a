package console

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// logSummary is the strip above the request log: the calls of the last day
// (or week), a chart of calls and failures over time, and the calls per
// provider and of the busiest accounts.
type logSummary struct {
	Range             string
	Calls, Failed     int
	Chart             template.HTML // server-rendered SVG
	Providers, Others []logCount
}

// logCount is one provider's or account's calls in the range, and per step
// of the chart.
type logCount struct {
	Key, Label    string
	Calls, Failed int
	Bars          []logCount
}

// Spark is the count's small chart: its calls and failures over the range.
func (c logCount) Spark() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" role="img" aria-label="%s's calls and failures" preserveAspectRatio="none">`,
		sparkWidth, sparkHeight, template.HTMLEscapeString(c.Key))
	drawBars(&b, c.Bars, sparkWidth, sparkHeight)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from numbers and escaped labels only
}

const sparkWidth, sparkHeight = 140, 24

// Rate is the share of failed calls, as shown.
func (c logCount) Rate() string { return rate(c.Calls, c.Failed) }

// Rate is the share of failed calls in the range.
func (s logSummary) Rate() string { return rate(s.Calls, s.Failed) }

func rate(calls, failed int) string {
	if calls == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(failed)/float64(calls))
}

// busiestAccounts is how many accounts the summary lists.
const busiestAccounts = 5

// logSummary counts the project's calls over the last 24 hours (in hours) or
// 7 days (in 6-hour steps).
func (c *Console) logSummary(q *req, span string) (logSummary, error) {
	hours, step := 24, 1
	if span == "7d" {
		hours, step = 7*24, 6
	}
	now := c.o.Clock.Now().UTC()
	last := now.Unix() / 3600
	first := last - int64(hours) + 1
	since := time.Unix(first*3600, 0)
	perProvider, err := c.o.Logs.Stats(q.ctx, q.project.ID, since, false)
	if err != nil {
		return logSummary{}, err
	}
	perAccount, err := c.o.Logs.Stats(q.ctx, q.project.ID, since, true)
	if err != nil {
		return logSummary{}, err
	}
	s := logSummary{Range: span}
	bars := make([]logCount, hours/step)
	providers := map[string]*logCount{}
	for _, b := range perProvider {
		i := int(b.Hour-first) / step
		if i < 0 || i >= len(bars) {
			continue
		}
		bars[i].Calls += b.Calls
		bars[i].Failed += b.Failed
		s.Calls += b.Calls
		s.Failed += b.Failed
		tally(providers, b.Provider, c.providerLabel(b.Provider), b, i, len(bars))
	}
	s.Providers = busiest(providers)
	accounts := map[string]*logCount{}
	for _, b := range perAccount {
		i := int(b.Hour-first) / step
		if b.Account != "" && i >= 0 && i < len(bars) { // calls made while linking, before there was an account, are left out
			tally(accounts, b.Account, c.providerLabel(b.Provider), b, i, len(bars))
		}
	}
	s.Others = busiest(accounts)
	s.Others = s.Others[:min(len(s.Others), busiestAccounts)]
	for i := range bars {
		from := time.Unix((first+int64(i*step))*3600, 0).UTC()
		bars[i].Label = from.Format("Jan 2 15:04") + " UTC"
	}
	s.Chart = barChart(bars, step)
	return s, nil
}

// tally adds a bucket's calls to the count of key, in bar i of bars.
func tally(counts map[string]*logCount, key, label string, b store.LogBucket, i, bars int) {
	n := counts[key]
	if n == nil {
		n = &logCount{Key: key, Label: label, Bars: make([]logCount, bars)}
		counts[key] = n
	}
	n.Calls += b.Calls
	n.Failed += b.Failed
	n.Bars[i].Calls += b.Calls
	n.Bars[i].Failed += b.Failed
}

// busiest lists the counts, the most calls first.
func busiest(counts map[string]*logCount) []logCount {
	out := make([]logCount, 0, len(counts))
	for _, n := range counts {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b logCount) int { return cmp.Or(b.Calls-a.Calls, strings.Compare(a.Key, b.Key)) })
	return out
}

func (c *Console) providerLabel(key string) string {
	if conn, ok := c.o.Registry.Get(key); ok {
		return conn.Name
	}
	return cmp.Or(key, "—")
}

// barChart draws calls per bar, failures in red at their foot, as an SVG the
// page shows as it is; each bar's title says its time and counts.
func barChart(bars []logCount, step int) template.HTML {
	const width, height = 720, 120
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Calls and failures per %d hour(s)" preserveAspectRatio="none">`, width, height+16, step)
	most := drawBars(&b, bars, width, height)
	fmt.Fprintf(&b, `<text x="0" y="%d" class="axis">%s</text><text x="%d" y="%d" class="axis" text-anchor="end">now</text>`,
		height+13, template.HTMLEscapeString(bars[0].Label), width, height+13)
	fmt.Fprintf(&b, `<text x="%d" y="10" class="axis" text-anchor="end">%d</text></svg>`, width, most)
	return template.HTML(b.String()) // built here from numbers and escaped labels only
}

// drawBars draws one bar of calls per entry, its failures in red at its
// foot, scaled to the busiest, which it returns.
func drawBars(b *strings.Builder, bars []logCount, width, height int) int {
	const gap = 2
	most := 1
	for _, bar := range bars {
		most = max(most, bar.Calls)
	}
	w := max(float64(width)/float64(len(bars))-gap, 1)
	for i, bar := range bars {
		x := float64(i) * (float64(width) / float64(len(bars)))
		h := float64(bar.Calls) / float64(most) * float64(height)
		fh := float64(bar.Failed) / float64(most) * float64(height)
		b.WriteString(`<g>`)
		if bar.Label != "" {
			fmt.Fprintf(b, `<title>%s: %d calls, %d failed</title>`, template.HTMLEscapeString(bar.Label), bar.Calls, bar.Failed)
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="calls"/>`, x, float64(height)-h, w, h)
		if bar.Failed > 0 {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="failed"/>`, x, float64(height)-fh, w, fh)
		}
		b.WriteString(`</g>`)
	}
	return most
}
