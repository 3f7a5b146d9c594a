package employmenthero

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Change adds, edits and removes employees of an organisation, as people are
// hired, change and leave between two reads (the sandbox's POST
// /_sim/changes). An edit gives an employee another name (and so email) and
// job title; a removed employee is no longer listed or found. The sign-in
// accounts' own records are left alone. It returns the ids touched, as the
// API shows them.
func (d *Dataset) Change(orgID string, add, update, remove int, now time.Time) (added, updated, removed []string) {
	o, ok := d.org(orgID)
	if !ok {
		return nil, nil, nil
	}
	o.changes.Lock()
	defer o.changes.Unlock()
	staff := slices.Clone(o.staff())
	r := rand.New(rand.NewPCG(uint64(now.UnixNano()), uint64(len(staff))))
	rename := func(e *employee) {
		e.first, e.last, e.middle = uint16(r.IntN(len(firstNames(e.gender)))), uint16(r.IntN(len(lastNames))), noMiddle
		e.flags &^= flagKnownByMiddle
		e.dup = uint16(len(staff)) // keeps the email its own
		if e.is(flagContractor) {
			e.job = uint8(r.IntN(len(contractorTitles)))
		} else {
			e.job = uint8(r.IntN(len(jobTitles)))
		}
	}
	var live []int
	for i := range staff {
		if _, login := o.loginOf(i); !login && !staff[i].is(flagRemoved) {
			live = append(live, i)
		}
	}
	r.Shuffle(len(live), func(a, b int) { live[a], live[b] = live[b], live[a] })
	for k, i := range live[:min(update+remove, len(live))] {
		if k < update {
			rename(&staff[i])
			updated = append(updated, o.employeeID(i))
			continue
		}
		staff[i].flags |= flagRemoved
		removed = append(removed, o.employeeID(i))
	}
	for range min(add, add*len(live)) { // nobody to model a new hire on: none
		e := staff[live[r.IntN(len(live))]] // a template: country, team and pay as another employee's
		e.flags &^= flagRemoved
		e.manager, e.manager2, e.status, e.start, e.end = -1, -1, statusActive, dayOf(now), 0
		rename(&e)
		staff = append(staff, e)
		added = append(added, o.employeeID(len(staff)-1))
	}
	o.live.Store(&staff)
	return added, updated, removed
}
