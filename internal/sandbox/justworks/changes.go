package justworks

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Change adds, edits and removes members of a company, as people are hired,
// change and leave between two reads (the sandbox's POST /_sim/changes).
// An edit gives a member another name (and so work email) and job title; a
// removed member is no longer listed or found. Every change stamps
// updated_at with now, so updated_at_gte sees it. It returns the ids
// touched, as the API shows them.
func (d *Dataset) Change(companyID string, add, update, remove int, now time.Time) (added, updated, removed []string) {
	c := d.company(companyID)
	if c == nil {
		return nil, nil, nil
	}
	c.changes.Lock()
	defer c.changes.Unlock()
	ms := slices.Clone(c.roster())
	at := stamp(now.Unix())
	today := day(now.Unix() / 86400)
	r := rand.New(rand.NewPCG(uint64(now.UnixNano()), uint64(len(ms))))
	rename := func(m *member) {
		m.given, m.family = uint16(r.IntN(len(givenNames))), uint16(r.IntN(len(familyNames)))
		m.preferred, m.middle = -1, -1
		m.title = uint8(r.IntN(len(departments[m.dept].titles)))
		m.updated = at
	}
	// Edits and removals take distinct current members; those added now are
	// not among them.
	pick := func(n int) []int {
		var live []int
		for i := range ms {
			if !ms[i].removed {
				live = append(live, i)
			}
		}
		r.Shuffle(len(live), func(a, b int) { live[a], live[b] = live[b], live[a] })
		return live[:min(n, len(live))]
	}
	chosen := pick(update + remove)
	for k, i := range chosen {
		if k < update {
			rename(&ms[i])
			updated = append(updated, c.memberID(i))
			continue
		}
		ms[i].removed, ms[i].updated = true, at
		removed = append(removed, c.memberID(i))
	}
	for range add {
		m := ms[r.IntN(len(ms))] // a template: pay, place and kind as another member's
		m.removed, m.manager, m.round, m.missing = false, -1, uint16(len(ms)), 0
		m.created, m.start, m.end = at, today, 0
		rename(&m)
		ms = append(ms, m)
		added = append(added, c.memberID(len(ms)-1))
	}
	c.live.Store(&ms)
	return added, updated, removed
}
