package employmenthero

import (
	"fmt"
	"iter"
	"time"
)

// Rosters and time. Whether a person works on a day is a hash of (person, day),
// not a stored fact, so a date window costs work in proportion to the window
// and never memory. Timesheet entries are the past rostered shifts as worked.

// The roster covers four weeks either side of DataDate; timesheets the four weeks before it.
var (
	rosterFrom    = asOf - 28
	rosterTo      = asOf + 27
	timesheetFrom = asOf - 28
	timesheetTo   = asOf - 1
)

func (o *organisation) dayHash(k kind, idx int, on day) uint64 {
	return hash(o.d.seed, uint64(k), uint64(o.n), uint64(idx), uint64(on))
}

// worksOn reports whether employee i works a rostered shift on the day: a
// rostered person on one of their weekdays, unless off sick or swapped (8%).
func (o *organisation) worksOn(i int, on day) bool {
	e := &o.staff()[i]
	return e.is(flagRostered) && e.workdays&(1<<on.weekday()) != 0 && e.employed(on) &&
		o.dayHash(kindRosteredShift, i, on)%100 >= 8
}

// shift is a rostered shift; times are minutes after the day's midnight and may
// run past the next one.
type shift struct {
	emp        int // -1 for an open shift nobody is assigned to
	slot       int // which of the day's open shifts
	on         day
	start, end int
	costCentre int
	bits       uint64 // the shift's random bits: times from the low ones, status and notes from the high
}

func (s shift) open() bool { return s.emp < 0 }

func (o *organisation) shiftOf(i int, on day) shift {
	e := &o.staff()[i]
	h := o.dayHash(kindTimesheetEntry, i, on)
	start := int(e.shiftStart)*60 + int(h%4)*15
	length := 510 // 8 hours and a 30-minute break
	if e.employment != employmentFullTime {
		length = 240 + int(h>>8%9)*30
	}
	return shift{emp: i, on: on, start: start, end: start + length, costCentre: int(e.costCentre), bits: h}
}

// openShifts are the day's unassigned shifts: up to two.
func (o *organisation) openShifts(on day) []shift {
	var shifts []shift
	for slot := range int(o.dayHash(kindOpenShift, 0, on) % 3) {
		h := o.dayHash(kindOpenShift, 1+slot, on)
		start := (7 + int(h%10)) * 60
		shifts = append(shifts, shift{
			emp: -1, slot: slot, on: on, start: start, end: start + 240 + int(h>>8%9)*30,
			costCentre: int(h >> 16 % uint64(len(o.spec.costCentres))), bits: h,
		})
	}
	return shifts
}

// shifts yields the rostered shifts of the days from..to, day by day, each
// day's open shifts first.
func (o *organisation) shifts(from, to day) iter.Seq[shift] {
	return func(yield func(shift) bool) {
		for on := max(from, rosterFrom); on <= min(to, rosterTo); on++ {
			for _, s := range o.openShifts(on) {
				if !yield(s) {
					return
				}
			}
			for i := range o.staff() {
				if o.worksOn(i, on) && !yield(o.shiftOf(i, on)) {
					return
				}
			}
		}
	}
}

func (o *organisation) shiftTimes(s shift) (start, end time.Time) {
	return s.on.at(o.loc, s.start), s.on.at(o.loc, s.end)
}

// status is a decision: past shifts are published, a few future ones are
// still drafts.
func (s shift) status() string {
	if s.on >= asOf && s.bits>>32%100 < 15 {
		return "draft"
	}
	return "published"
}

type rosteredShiftJSON struct {
	ID          string  `json:"id"`
	MemberID    *string `json:"member_id"`
	LocationID  string  `json:"location_id"`
	StartTime   string  `json:"start_time"`
	EndTime     string  `json:"end_time"`
	Status      string  `json:"status"`
	Notes       *string `json:"notes"`
	IsOpenShift bool    `json:"is_open_shift"`
}

func (o *organisation) shiftView(s shift) rosteredShiftJSON {
	id := ref{kind: kindRosteredShift, org: o.n, idx: s.emp, sub: int(s.on)}
	if s.open() {
		id = ref{kind: kindOpenShift, org: o.n, idx: s.slot, sub: int(s.on)}
	}
	notes := []string{"Opening shift", "Close and lock up", "Stocktake", "Training a new starter"}
	h := s.bits >> 48
	start, end := o.shiftTimes(s)
	return rosteredShiftJSON{
		ID:          o.d.id(id),
		MemberID:    opt(!s.open(), o.employeeID(max(s.emp, 0))),
		LocationID:  o.costCentre(s.costCentre).ID,
		StartTime:   start.Format(dateTimeLayout),
		EndTime:     end.Format(dateTimeLayout),
		Status:      s.status(),
		Notes:       opt(h%10 == 0, notes[h/10%uint64(len(notes))]),
		IsOpenShift: s.open(),
	}
}

// timesheets yields the timesheet entries of the days from..to, day by day: of
// employee only, or of everyone when only is negative (the "-" wildcard).
func (o *organisation) timesheets(only int, from, to day) iter.Seq[shift] {
	return func(yield func(shift) bool) {
		for on := max(from, timesheetFrom); on <= min(to, timesheetTo); on++ {
			if only >= 0 {
				if o.worksOn(only, on) && !yield(o.shiftOf(only, on)) {
					return
				}
				continue
			}
			for i := range o.staff() {
				if o.worksOn(i, on) && !yield(o.shiftOf(i, on)) {
					return
				}
			}
		}
	}
}

type timesheetEntryJSON struct {
	ID           string      `json:"id"`
	EmployeeID   string      `json:"employee_id"`
	Date         string      `json:"date"`
	StartTime    *string     `json:"start_time"`
	EndTime      *string     `json:"end_time"`
	Status       string      `json:"status"`
	Units        float64     `json:"units"`
	UnitType     string      `json:"unit_type"`
	BreakUnits   float64     `json:"break_units"`
	Breaks       []breakJSON `json:"breaks"`
	Reason       *string     `json:"reason"`
	Comment      *string     `json:"comment"`
	Time         *int64      `json:"time"`
	CostCentre   named       `json:"cost_centre"`
	WorkSiteID   string      `json:"work_site_id"`
	WorkSiteName string      `json:"work_site_name"`
	PositionID   *string     `json:"position_id"`
	PositionName *string     `json:"position_name"`
}

type breakJSON struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// timesheetView renders the shift as worked: a few minutes off the roster, a
// 30-minute break on shifts over five hours, and for one entry in ten only a
// duration (time, in milliseconds) instead of start and end times.
func (o *organisation) timesheetView(s shift) timesheetEntryJSON {
	r := o.rng(kindTimesheetEntry, s.emp, int(s.on))
	start, end := s.start-5+r.IntN(16), s.end-10+r.IntN(26)
	breakMinutes := 0
	if end-start > 300 {
		breakMinutes = 30
	}
	worked := end - start - breakMinutes
	v := timesheetEntryJSON{
		ID:         o.d.id(ref{kind: kindTimesheetEntry, org: o.n, idx: s.emp, sub: int(s.on)}),
		EmployeeID: o.employeeID(s.emp),
		Date:       midnightUTC(s.on),
		Status:     "approved",
		Units:      money(float64(worked) / 60),
		UnitType:   "hours",
		BreakUnits: money(float64(breakMinutes) / 60),
		Breaks:     []breakJSON{},
		Comment:    opt(chance(r, 10), timesheetComments[r.IntN(len(timesheetComments))]),
		CostCentre: o.costCentre(s.costCentre),
	}
	switch {
	case s.on >= asOf-14 && chance(r, 60):
		v.Status = "pending"
	case s.on < asOf-14 && chance(r, 8):
		v.Status, v.Reason = "rejected", opt(true, "Hours do not match the roster")
	}
	if chance(r, 10) {
		v.Time = opt(true, int64(worked)*60_000)
	} else {
		v.StartTime = opt(true, s.on.at(o.loc, start).Format(dateTimeLayout))
		v.EndTime = opt(true, s.on.at(o.loc, end).Format(dateTimeLayout))
		if breakMinutes > 0 {
			middle := (start + end) / 2
			v.Breaks = append(v.Breaks, breakJSON{
				StartTime: s.on.at(o.loc, middle-15).Format(dateTimeLayout),
				EndTime:   s.on.at(o.loc, middle+15).Format(dateTimeLayout),
			})
		}
	}
	site := r.IntN(len(o.spec.sites))
	v.WorkSiteID, v.WorkSiteName = o.workSiteID(site), o.spec.sites[site].name
	position := o.position(site, r.IntN(len(o.spec.sites[site].positions)))
	if chance(r, 80) {
		v.PositionID, v.PositionName = &position.ID, &position.Name
	}
	return v
}

// unavailability is a time a member said they cannot work. from and to are
// minutes after midnight, used when not all day.
type unavailability struct {
	emp, seq   int
	start, end day
	allDay     bool
	from, to   int
	reason     int // index into unavailabilityReasons; -1 when none given
}

// unavailabilities derives up to two of employee i's, oldest first, within two
// months either side of DataDate.
func (o *organisation) unavailabilities(i int) []unavailability {
	e := &o.staff()[i]
	if e.is(flagContractor) || !e.employed(asOf) {
		return nil
	}
	r := o.rng(kindUnavailability, i, 0)
	count := []int{0, 0, 0, 1, 1, 2}[r.IntN(6)]
	if count == 0 {
		return nil
	}
	from, slot := asOf-60, day(120/count)
	list := make([]unavailability, 0, count)
	for k := range count {
		u := unavailability{emp: i, seq: k, allDay: chance(r, 60), reason: -1}
		u.start = from + slot*day(k) + day(r.IntN(int(slot)-3))
		u.end = u.start + day(r.IntN(3))
		u.from = (9 + r.IntN(7)) * 60
		u.to = u.from + (2+r.IntN(3))*60
		if chance(r, 80) {
			u.reason = r.IntN(len(unavailabilityReasons))
		}
		list = append(list, u)
	}
	return list
}

type unavailabilityJSON struct {
	ID            string  `json:"id"`
	MemberID      string  `json:"member_id"`
	Description   *string `json:"description"`
	AllDay        bool    `json:"all_day"`
	StartDate     string  `json:"start_date"`
	EndDate       string  `json:"end_date"`
	StartTimeADay *string `json:"start_time_a_day"`
	EndTimeADay   *string `json:"end_time_a_day"`
}

func clock(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

func (o *organisation) unavailabilityView(u unavailability) unavailabilityJSON {
	v := unavailabilityJSON{
		ID:            o.d.id(ref{kind: kindUnavailability, org: o.n, idx: u.emp, sub: u.seq}),
		MemberID:      o.employeeID(u.emp),
		AllDay:        u.allDay,
		StartDate:     u.start.String(),
		EndDate:       u.end.String(),
		StartTimeADay: opt(!u.allDay, clock(u.from)),
		EndTimeADay:   opt(!u.allDay, clock(u.to)),
	}
	if u.reason >= 0 {
		v.Description = opt(true, unavailabilityReasons[u.reason])
	}
	return v
}
