package clinic

import (
	"slices"
	"sort"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/workcal"
)

// Slot generation is pure: schedules, closures and the working calendar
// in, sessions and slots out, nothing read or stored. The service adds
// the seats taken (clinic_slots) afterwards.
//
// Which days a schedule runs on (in Asia/Shanghai):
//
//   - An inactive schedule runs on no day.
//   - A one-Date schedule runs on its date, whatever the calendar says
//     (a 巡诊 on a Saturday, a 义诊 on a holiday).
//   - A weekday schedule (Weekdays, 1 = Monday … 7 = Sunday) runs between
//     ValidFrom and ValidTo (inclusive; "" open) on the days whose weekday
//     it lists, unless the day is a public holiday (国庆节 closes the
//     clinic, also on a holiday's Saturday).
//   - A 调休 working Saturday or Sunday (the calendar's "work" days) is a
//     normal working day for residents, but the State Council notice does
//     not say which weekday's work it makes up. The rule: on a 调休 day
//     the clinic opens as on an ordinary working day, so the schedules that
//     run on every day Monday to Friday run on it too; a schedule of only
//     some weekdays (a lawyer's Wednesday) does not. A schedule listing the
//     weekend day itself runs anyway.
//   - A closure (停诊) of the whole clinic closes every session that day; a
//     closure of one provider closes a session when every provider of the
//     session is closed that day (a session without providers closes only
//     with the whole clinic).
//
// What a session yields:
//
//   - Daily with SlotMinutes 0: one walk-in block (WalkIn), not bookable.
//   - Daily, Appointment and Patrol with SlotMinutes > 0: slots cut from
//     Start in steps of SlotMinutes, Capacity residents each; a last slot
//     that would run past End is dropped. Appointment and Patrol with
//     SlotMinutes 0: the whole session is one slot.
//   - Expert: nothing bookable (residents request a panel instead).
//   - FreeClinic: one slot for the whole session with its ActivityID; its
//     seats are the activity's (Left is the schedule's capacity here).

// sitting is one session of a schedule on one day.
type sitting struct {
	Schedule   cl.Schedule
	Start, End time.Time
}

// sittings returns the sessions of the active schedules starting in
// [from, to), soonest first (then by schedule id).
func sittings(schedules []cl.Schedule, closures []cl.Closure, cal *workcal.Calendar, from, to time.Time) []sitting {
	if !from.Before(to) {
		return nil
	}
	closed := map[string]map[int64]bool{} // date → provider id (0: all) → closed
	for _, c := range closures {
		if closed[c.Date] == nil {
			closed[c.Date] = map[int64]bool{}
		}
		closed[c.Date][c.ProviderID] = true
	}
	var out []sitting
	first := dayStart(from)
	for day := first; day.Before(to); day = day.AddDate(0, 0, 1) {
		date := day.Format(cl.DateLayout)
		for _, sc := range schedules {
			if !runsOn(sc, day, date, cal) || isClosed(sc, closed[date]) {
				continue
			}
			start, ok1 := clock(day, sc.Start)
			end, ok2 := clock(day, sc.End)
			if !ok1 || !ok2 || !start.Before(end) {
				continue
			}
			if start.Before(from) || !start.Before(to) {
				continue
			}
			out = append(out, sitting{Schedule: sc, Start: start.UTC(), End: end.UTC()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Schedule.ID < out[j].Schedule.ID
	})
	return out
}

// generate returns the slots of the sessions starting in [from, to) with
// every seat free (Left = Capacity), soonest first. A slot is listed when
// its own start is in [from, to).
func generate(schedules []cl.Schedule, closures []cl.Closure, cal *workcal.Calendar, from, to time.Time) []cl.Slot {
	// A session starting before from may hold slots starting after it.
	var out []cl.Slot
	for _, st := range sittings(schedules, closures, cal, dayStart(from), to) {
		for _, sl := range slotsOf(st) {
			if !sl.Start.Before(from) && sl.Start.Before(to) {
				out = append(out, sl)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ScheduleID < out[j].ScheduleID
	})
	return out
}

// slotsOf cuts one session into its slots (see the rules above).
func slotsOf(st sitting) []cl.Slot {
	sc := st.Schedule
	base := cl.Slot{
		ScheduleID: sc.ID, Mode: sc.Mode, Location: sc.Location, Building: sc.Building,
		Matters: sc.Matters, ProviderIDs: sc.ProviderIDs, Capacity: sc.Capacity, Left: sc.Capacity,
	}
	whole := func() cl.Slot { s := base; s.Start, s.End = st.Start, st.End; return s }
	switch sc.Mode {
	case cl.Expert:
		return nil
	case cl.FreeClinic:
		s := whole()
		s.ActivityID = sc.ActivityID
		return []cl.Slot{s}
	case cl.Daily:
		if sc.SlotMinutes == 0 {
			s := whole()
			s.WalkIn, s.Capacity, s.Left = true, 0, 0
			return []cl.Slot{s}
		}
	}
	if sc.SlotMinutes <= 0 {
		return []cl.Slot{whole()}
	}
	step := time.Duration(sc.SlotMinutes) * time.Minute
	var out []cl.Slot
	for at := st.Start; !at.Add(step).After(st.End); at = at.Add(step) {
		s := base
		s.Start, s.End = at, at.Add(step)
		out = append(out, s)
	}
	return out
}

// runsOn reports whether sc has a session on day (midnight in Shanghai,
// dated date), closures aside.
func runsOn(sc cl.Schedule, day time.Time, date string, cal *workcal.Calendar) bool {
	if !sc.Active {
		return false
	}
	if sc.Date != "" {
		return sc.Date == date
	}
	if (sc.ValidFrom != "" && date < sc.ValidFrom) || (sc.ValidTo != "" && date > sc.ValidTo) {
		return false
	}
	if _, holiday := cal.Holiday(day); holiday {
		return false
	}
	wd := isoWeekday(day)
	if slices.Contains(sc.Weekdays, wd) {
		return true
	}
	// A 调休 working weekend day: open as on an ordinary working day.
	if wd >= 6 && cal.IsWorkday(day) {
		for d := 1; d <= 5; d++ {
			if !slices.Contains(sc.Weekdays, d) {
				return false
			}
		}
		return true
	}
	return false
}

// isClosed reports whether the closures of one day (provider id → closed,
// 0: the whole clinic) close sc's session.
func isClosed(sc cl.Schedule, closed map[int64]bool) bool {
	if closed == nil {
		return false
	}
	if closed[0] {
		return true
	}
	if len(sc.ProviderIDs) == 0 {
		return false
	}
	for _, id := range sc.ProviderIDs {
		if !closed[id] {
			return false
		}
	}
	return true
}

// isoWeekday is 1 = Monday … 7 = Sunday.
func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// dayStart is midnight in Shanghai of t's day there.
func dayStart(t time.Time) time.Time {
	t = t.In(bot.Shanghai)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, bot.Shanghai)
}

// clock is "HH:MM" on day (midnight in Shanghai).
func clock(day time.Time, hhmm string) (time.Time, bool) {
	c, err := time.Parse("15:04", hhmm)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), c.Hour(), c.Minute(), 0, 0, bot.Shanghai), true
}
