// Package toolsearch ranks a connector's actions against what an agent asks
// for in plain words: BM25 over each action's name, label, description and
// parameter names, with the words HR systems use for the same things. It runs
// locally and deterministically; a query never leaves Patchbay.
package toolsearch

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
)

// Match is one ranked action.
type Match struct {
	ActionID    string  `json:"action_id"`
	Label       string  `json:"label"`
	Description string  `json:"description"`
	Score       float64 `json:"score"`
}

// Index ranks one connector's actions.
type Index struct {
	docs   []doc
	df     map[string]int // documents per term
	avgLen float64
}

type doc struct {
	action *connectors.Action
	tf     map[string]float64
	len    float64
	name   map[string]bool // the terms of the action's label
}

// nameWeight counts a term in the action's name or label this many times over
// one in its description: names say what an action is, descriptions ramble.
const nameWeight = 3

// New indexes a connector's actions; provider is its key, left out of the
// terms since every action has it.
func New(provider string, list []*connectors.Action) *Index {
	ix := &Index{df: map[string]int{}}
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
		d.name = map[string]bool{}
		for _, t := range terms(a.Label) {
			d.name[t] = true
		}
		add(a.Description, 1)
		for _, loc := range []map[string]any{a.Inputs.Path, a.Inputs.Query, a.Inputs.Body} {
			props, _ := loc["properties"].(map[string]any)
			for name := range props {
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

// Search returns the best k matches for query, best first; actions that
// share no term with it are left out.
func (ix *Index) Search(query string, k int) []Match {
	asked := terms(query)
	q := expand(asked)
	intent := intentOf(query)
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
			if d.name[t] {
				// A word of the action's name counts whole, however long
				// its description: names say what an action is.
				score += qw * idf
			}
		}
		if score > 0 {
			score += nameCover * d.covered(asked)
			score *= intent.weight(d.action.ID)
			// Squash to 0..1 so that scores read as similarity.
			out = append(out, Match{ActionID: d.action.ID, Label: d.action.Label, Description: d.action.Description, Score: math.Round(score/(score+5)*1000) / 1000})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(k, len(out))]
}

// nameCover is what an action gains when its name says everything the query
// says: "details of one employee" is about Get Employee, however many other
// actions mention employees, and however rare the other words of their
// descriptions.
const nameCover = 2

// covered is the share of the query's words that the action's name has,
// itself or as one of its HR synonyms.
func (d doc) covered(asked []string) float64 {
	if len(asked) == 0 {
		return 0
	}
	n := 0
	for _, t := range asked {
		if d.name[t] || slices.ContainsFunc(synonyms[t], func(s string) bool { return d.name[s] }) {
			n++
		}
	}
	return float64(n) / float64(len(asked))
}

// intent is whether a query asks for one record or for a list: "look up an
// employee by id" wants a get, "vacation requests" a list. It settles
// between a connector's list and get of the same thing, which share their
// words.
type intent struct{ one, many bool }

var (
	oneWords  = map[string]bool{"one": true, "single": true, "id": true, "specific": true, "particular": true, "lookup": true, "look": true, "detail": true, "details": true}
	manyWords = map[string]bool{"all": true, "list": true, "every": true, "each": true, "which": true, "who": true, "directory": true, "headcount": true}
)

func intentOf(query string) intent {
	var in intent
	for _, w := range strings.FieldsFunc(strings.ToLower(query), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		switch {
		case oneWords[w]:
			in.one = true
		case manyWords[w], len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !stopWords[w]:
			in.many = true // a plural asks for several
		}
	}
	return in
}

// weight favours the actions of the kind the query asks for.
func (in intent) weight(actionID string) float64 {
	get, list := strings.Contains(actionID, "_get_"), strings.Contains(actionID, "_list_")
	switch {
	case in.one && get, in.many && !in.one && list:
		return 1.25
	case in.one && list && !in.many, in.many && !in.one && get:
		return 0.8
	}
	return 1
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
	// "works" (the verb) and "detail" say nothing of which record: "who works
	// here" is about people, not work locations, "employee details" about
	// the employee, not an action named "… Detail".
	for _, w := range strings.Fields("a an the of for to in on at by with from and or is are be this that it its our my me i we you all any each every one here there do does what which show give find see get me please works working detail details look up") {
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
		"who people staff worker personnel workforce headcount employee member directory",
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
		"balance accrual remaining left",
		"jurisdiction state registered registration",
		"payroll payrun run processed",
		"type kind category",
		"certification licence license qualification credential",
		"history previous past former role job position",
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

// Catalog ranks the actions of every connector of a registry.
type Catalog struct {
	registry *connectors.Registry
	indexes  map[string]*Index // by connector key
}

// NewCatalog indexes every connector's actions.
func NewCatalog(registry *connectors.Registry) *Catalog {
	c := &Catalog{registry: registry, indexes: map[string]*Index{}}
	for _, conn := range registry.All() {
		actions := make([]*connectors.Action, len(conn.Actions))
		for i := range conn.Actions {
			actions[i] = &conn.Actions[i]
		}
		c.indexes[conn.Key] = New(conn.Key, actions)
	}
	return c
}

// Search ranks the actions of the connector named (every connector's when
// it is empty) and returns the best k, best first.
func (c *Catalog) Search(query, connector string, k int) ([]Match, error) {
	query = strings.TrimSpace(query)
	var errs []string
	if query == "" {
		errs = append(errs, `query: required, e.g. "list employees"`)
	}
	if k < 1 || k > 50 {
		errs = append(errs, "top_k: must be between 1 and 50")
	}
	if _, ok := c.indexes[connector]; connector != "" && !ok {
		var keys []string
		for _, conn := range c.registry.All() {
			keys = append(keys, conn.Key)
		}
		errs = append(errs, fmt.Sprintf("connector: unknown %q (use %s)", connector, strings.Join(keys, ", ")))
	}
	if len(errs) > 0 {
		return nil, problem.New(problem.Invalid, "%s", strings.Join(errs, "; "))
	}
	var out []Match
	for key, ix := range c.indexes {
		if connector == "" || key == connector {
			out = append(out, ix.Search(query, k)...)
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ActionID, b.ActionID))
	})
	return out[:min(k, len(out))], nil
}
