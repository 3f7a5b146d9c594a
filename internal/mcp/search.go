package mcp

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/patchbayhq/patchbay/internal/connectors"
)

// Match is one ranked answer of {provider}_search_actions.
type Match struct {
	ActionID    string  `json:"action_id"`
	Label       string  `json:"label"`
	Description string  `json:"description"`
	Score       float64 `json:"score"`
}

// index ranks a connector's actions against plain-language queries with BM25
// over each action's name, label, description and parameter names. It runs
// locally: an agent's query never leaves Patchbay.
type index struct {
	docs   []doc
	df     map[string]int // documents per term
	avgLen float64
}

type doc struct {
	action *connectors.Action
	tf     map[string]float64
	len    float64
}

// nameWeight counts a term in the action's name or label this many times over
// one in its description: names say what an action is, descriptions ramble.
const nameWeight = 3

func newIndex(provider string, list []*connectors.Action) *index {
	ix := &index{df: map[string]int{}}
	total := 0.0
	for _, a := range list {
		d := doc{action: a, tf: map[string]float64{}}
		add := func(text string, w float64) {
			for _, t := range terms(text) {
				if t != provider {
					d.tf[t] += w
					d.len += w
				}
			}
		}
		add(strings.ReplaceAll(a.ID, "_", " "), nameWeight)
		add(a.Label, nameWeight)
		add(a.Description, 1)
		for _, loc := range []map[string]any{a.Inputs.Path, a.Inputs.Query, a.Inputs.Body} {
			for name := range propertiesOf(loc) {
				add(strings.ReplaceAll(name, "_", " "), 1)
			}
		}
		for t := range d.tf {
			ix.df[t]++
		}
		total += d.len
		ix.docs = append(ix.docs, d)
	}
	if len(ix.docs) > 0 {
		ix.avgLen = total / float64(len(ix.docs))
	}
	return ix
}

// search returns the best k matches for query, best first; actions that share
// no term with it are left out.
func (ix *index) search(query string, k int) []Match {
	q := expand(terms(query))
	const k1, b = 1.2, 0.75
	n := float64(len(ix.docs))
	var out []Match
	for _, d := range ix.docs {
		score := 0.0
		for t, qw := range q {
			tf := d.tf[t]
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (n-float64(ix.df[t])+0.5)/(float64(ix.df[t])+0.5))
			score += qw * idf * tf * (k1 + 1) / (tf + k1*(1-b+b*d.len/ix.avgLen))
		}
		if score > 0 {
			// Squash to 0..1 so that scores read as similarity.
			out = append(out, Match{ActionID: d.action.ID, Label: d.action.Label, Description: d.action.Description, Score: math.Round(score/(score+5)*1000) / 1000})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(k, len(out))]
}

// terms splits text into lower-case, singular words, without stop words.
func terms(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if stopWords[w] {
			continue
		}
		out = append(out, singular(w))
	}
	return out
}

func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("a an the of for to in on at by with from and or is are be this that it its our my me i we you all any each every one here there do does what which show give find see get me please") {
		stopWords[w] = true
	}
}

// expand weights a query's terms and adds the words HR systems use for the
// same things, at a lower weight; adjacent words also count joined ("pay
// stub" → "paystub").
func expand(ts []string) map[string]float64 {
	q := map[string]float64{}
	for i, t := range ts {
		q[t] = 1
		if i > 0 {
			q[singular(ts[i-1]+t)] = 1
		}
	}
	for _, t := range slices.Collect(maps.Keys(q)) { // a copy: the loop adds to q
		for _, s := range synonyms[t] {
			q[s] = max(q[s], 0.8)
		}
	}
	return q
}

// synonyms maps the words people use to the words the connectors use.
var synonyms = map[string][]string{}

func init() {
	groups := []string{
		"who people staff worker personnel workforce headcount employee member work",
		"paystub payslip paycheck wage earning",
		"leave pto vacation holiday absence time off",
		"deduction withholding garnishment benefit",
		"cancel remove delete stop end",
		"create add new",
		"update change edit modify correct",
		"company organisation organization business employer org",
		"team group department",
		"timesheet hour clock worked",
		"shift roster rostered schedule",
		"bank deposit account",
		"superannuation super pension retirement",
		"emergency kin contact",
		"balance accrual remaining",
		"salary pay compensation rate",
	}
	for _, g := range groups {
		words := strings.Fields(g)
		for _, w := range words {
			for _, o := range words {
				if o != w {
					synonyms[w] = append(synonyms[w], o)
				}
			}
		}
	}
}
