package clinic

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/workcal"
)

// day is midnight in Shanghai of date.
func day(date string) time.Time {
	t, err := time.ParseInLocation(cl.DateLayout, date, bot.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// show writes slots as "date hh:mm-hh:mm #schedule [walk-in|activity]".
func show(slots []cl.Slot) string {
	var b strings.Builder
	for _, s := range slots {
		fmt.Fprintf(&b, "%s-%s #%d", s.Start.In(bot.Shanghai).Format("2006-01-02 15:04"), s.End.In(bot.Shanghai).Format("15:04"), s.ScheduleID)
		if s.WalkIn {
			b.WriteString(" walk-in")
		}
		if s.ActivityID != 0 {
			fmt.Fprintf(&b, " activity %d", s.ActivityID)
		}
		if !s.WalkIn && s.ActivityID == 0 {
			fmt.Fprintf(&b, " cap %d", s.Capacity)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestSlotGeneration(t *testing.T) {
	cal := workcal.Builtin()
	weekdays := []int{1, 2, 3, 4, 5}
	appt := func(id int64, days []int, start, end string, minutes, capacity int) cl.Schedule {
		return cl.Schedule{ID: id, Mode: cl.Appointment, ProviderIDs: []int64{7}, Weekdays: days, Start: start, End: end,
			SlotMinutes: minutes, Capacity: capacity, Matters: []cl.Matter{cl.Consult}, Active: true}
	}
	tests := []struct {
		name      string
		schedules []cl.Schedule
		closures  []cl.Closure
		from, to  string // dates; to exclusive
		want      string
	}{
		{
			name:      "cut into slots, the last partial one dropped",
			schedules: []cl.Schedule{appt(1, []int{3}, "09:00", "10:40", 30, 2)},
			from:      "2026-12-01", to: "2026-12-03",
			want: "2026-12-02 09:00-09:30 #1 cap 2\n2026-12-02 09:30-10:00 #1 cap 2\n2026-12-02 10:00-10:30 #1 cap 2\n",
		},
		{
			name:      "National Day closes weekday sessions",
			schedules: []cl.Schedule{appt(1, weekdays, "09:00", "10:00", 60, 1)},
			from:      "2026-09-30", to: "2026-10-09",
			want: "2026-09-30 09:00-10:00 #1 cap 1\n2026-10-08 09:00-10:00 #1 cap 1\n",
		},
		{
			name: "a holiday closes a weekend schedule too",
			schedules: []cl.Schedule{
				{ID: 2, Mode: cl.Patrol, Weekdays: []int{6}, Start: "09:00", End: "10:00", Capacity: 3, Active: true},
			},
			from: "2026-10-03", to: "2026-10-04",
			want: "",
		},
		{
			name: "a 调休 Saturday runs the Monday-to-Friday schedules only",
			schedules: []cl.Schedule{
				appt(1, weekdays, "09:00", "10:00", 60, 1),
				appt(2, []int{3}, "14:00", "15:00", 60, 1),
			},
			from: "2026-10-10", to: "2026-10-11", // 国庆节调休, a Saturday
			want: "2026-10-10 09:00-10:00 #1 cap 1\n",
		},
		{
			name: "a 调休 Sunday too, and a Saturday schedule keeps its Saturdays",
			schedules: []cl.Schedule{
				appt(1, weekdays, "09:00", "10:00", 60, 1),
				{ID: 3, Mode: cl.Patrol, Weekdays: []int{6}, Start: "14:00", End: "15:00", Capacity: 2, Active: true},
			},
			from: "2026-09-19", to: "2026-09-21", // Saturday; Sunday 20 is 国庆节调休
			want: "2026-09-19 14:00-15:00 #3 cap 2\n2026-09-20 09:00-10:00 #1 cap 1\n",
		},
		{
			name:      "an ordinary Saturday runs no weekday schedule",
			schedules: []cl.Schedule{appt(1, weekdays, "09:00", "10:00", 60, 1)},
			from:      "2026-10-17", to: "2026-10-19",
			want: "",
		},
		{
			name:      "a whole-day closure",
			schedules: []cl.Schedule{appt(1, weekdays, "09:00", "10:00", 60, 1)},
			closures:  []cl.Closure{{Date: "2026-12-02"}},
			from:      "2026-12-01", to: "2026-12-04",
			want: "2026-12-01 09:00-10:00 #1 cap 1\n2026-12-03 09:00-10:00 #1 cap 1\n",
		},
		{
			name: "a provider's closure closes only sessions all of whose providers are closed",
			schedules: []cl.Schedule{
				appt(1, []int{3}, "09:00", "10:00", 60, 1), // provider 7
				{ID: 2, Mode: cl.Appointment, ProviderIDs: []int64{7, 8}, Weekdays: []int{3}, Start: "10:00", End: "11:00",
					SlotMinutes: 60, Capacity: 1, Active: true},
				{ID: 3, Mode: cl.Appointment, ProviderIDs: []int64{8}, Weekdays: []int{3}, Start: "11:00", End: "12:00",
					SlotMinutes: 60, Capacity: 1, Active: true},
			},
			closures: []cl.Closure{{Date: "2026-12-02", ProviderID: 7}},
			from:     "2026-12-02", to: "2026-12-03",
			want: "2026-12-02 10:00-11:00 #2 cap 1\n2026-12-02 11:00-12:00 #3 cap 1\n",
		},
		{
			name: "validity is inclusive at both ends",
			schedules: []cl.Schedule{func() cl.Schedule {
				s := appt(1, weekdays, "09:00", "10:00", 60, 1)
				s.ValidFrom, s.ValidTo = "2026-12-02", "2026-12-03"
				return s
			}()},
			from: "2026-11-30", to: "2026-12-06",
			want: "2026-12-02 09:00-10:00 #1 cap 1\n2026-12-03 09:00-10:00 #1 cap 1\n",
		},
		{
			name: "a one-date schedule runs on its date, holiday or not",
			schedules: []cl.Schedule{
				{ID: 4, Mode: cl.Patrol, Date: "2026-10-02", Building: "3", Start: "09:00", End: "11:00", SlotMinutes: 60,
					Capacity: 2, Active: true},
			},
			from: "2026-10-01", to: "2026-10-08",
			want: "2026-10-02 09:00-10:00 #4 cap 2\n2026-10-02 10:00-11:00 #4 cap 2\n",
		},
		{
			name: "inactive schedules run on no day",
			schedules: []cl.Schedule{func() cl.Schedule {
				s := appt(1, weekdays, "09:00", "10:00", 60, 1)
				s.Active = false
				return s
			}()},
			from: "2026-12-01", to: "2026-12-05",
			want: "",
		},
		{
			name: "walk-in hours, expert panels and a free clinic",
			schedules: []cl.Schedule{
				{ID: 1, Mode: cl.Daily, Weekdays: weekdays, Start: "09:00", End: "11:30", Active: true},
				{ID: 2, Mode: cl.Expert, Weekdays: weekdays, Start: "14:00", End: "16:00", SlotMinutes: 60, Capacity: 1, Active: true},
				{ID: 3, Mode: cl.FreeClinic, Date: "2026-12-02", Start: "14:00", End: "17:00", Capacity: 50, ActivityID: 9, Active: true},
			},
			from: "2026-12-02", to: "2026-12-03",
			want: "2026-12-02 09:00-11:30 #1 walk-in\n2026-12-02 14:00-17:00 #3 activity 9\n",
		},
		{
			name: "a daily schedule with slot minutes is bookable",
			schedules: []cl.Schedule{
				{ID: 1, Mode: cl.Daily, Weekdays: []int{3}, Start: "09:00", End: "10:00", SlotMinutes: 30, Capacity: 2, Active: true},
			},
			from: "2026-12-02", to: "2026-12-03",
			want: "2026-12-02 09:00-09:30 #1 cap 2\n2026-12-02 09:30-10:00 #1 cap 2\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := show(generate(tt.schedules, tt.closures, cal, day(tt.from), day(tt.to)))
			if got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
}

// Slots are listed from the moment asked, not from the start of its day.
func TestSlotGenerationFromMidSession(t *testing.T) {
	sc := cl.Schedule{ID: 1, Mode: cl.Appointment, Weekdays: []int{3}, Start: "09:00", End: "11:00", SlotMinutes: 30,
		Capacity: 1, Active: true}
	from := day("2026-12-02").Add(9*time.Hour + 45*time.Minute)
	got := show(generate([]cl.Schedule{sc}, nil, workcal.Builtin(), from, from.Add(24*time.Hour)))
	want := "2026-12-02 10:00-10:30 #1 cap 1\n2026-12-02 10:30-11:00 #1 cap 1\n"
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

// TestWalkInHoursNowAndUnbooked: the intro's walk-in hours are those a
// resident can walk into today: not a schedule that starts next month,
// nor a daily schedule cut into bookable slots (listed as slots).
func TestWalkInHoursNowAndUnbooked(t *testing.T) {
	week := []int{1, 2, 3, 4, 5}
	got := walkInHours([]cl.Schedule{
		{Mode: cl.Daily, Active: true, Weekdays: week, Start: "09:00", End: "11:30"},
		{Mode: cl.Daily, Active: true, Weekdays: week, Start: "19:00", End: "20:00", ValidFrom: "2027-01-01"},
		{Mode: cl.Daily, Active: true, Weekdays: week, Start: "14:00", End: "16:00", SlotMinutes: 30, Capacity: 1},
	}, "2026-12-01")
	if got != "周一至周五 09:00-11:30" {
		t.Errorf("walkInHours = %q, want 周一至周五 09:00-11:30", got)
	}
}
