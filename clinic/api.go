package clinic

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// The admin API's shapes: what staff send to change the clinic's records
// and what the service answers (handlers.ClinicAdmin).

// ActivityPlanner is what a 集中义诊 schedule needs of event sign-ups
// (activities.Admin): the session is an activity with a capacity and a
// waiting list.
type ActivityPlanner interface {
	Plan(ctx context.Context, a activity.Activity) (activity.Activity, error)
	CancelActivity(ctx context.Context, id int64, reason string) (activity.Activity, error)
}

// ProviderPatch changes a provider; nil fields stay.
type ProviderPatch struct {
	Name      *string   `json:"name"`
	Kind      *cl.Kind  `json:"kind"`
	Phone     *string   `json:"phone"`
	StaffID   *int64    `json:"staff_id"`
	Languages *[]string `json:"languages"`
	Active    *bool     `json:"active"`
}

// SchedulePatch changes a schedule; nil fields stay. Existing bookings
// stand; residents whose slot no longer exists are told (Changed.Told).
type SchedulePatch struct {
	ProviderIDs *[]int64     `json:"provider_ids"`
	Weekdays    *[]int       `json:"weekdays"`
	Date        *string      `json:"date"`
	Start       *string      `json:"start"`
	End         *string      `json:"end"`
	SlotMinutes *int         `json:"slot_minutes"`
	Capacity    *int         `json:"capacity"`
	Location    *string      `json:"location"`
	Building    *string      `json:"building"`
	Matters     *[]cl.Matter `json:"matters"`
	ValidFrom   *string      `json:"valid_from"`
	ValidTo     *string      `json:"valid_to"`
	Active      *bool        `json:"active"`
}

// ClosurePatch changes a closure's reason.
type ClosurePatch struct {
	Reason *string `json:"reason"`
}

// Changed is a schedule after a change, with how many residents whose
// booking lost its slot were told (their bookings stand).
type Changed struct {
	Schedule cl.Schedule `json:"schedule"`
	Told     int         `json:"told"`
}

// Closed is a closure with how many residents it told.
type Closed struct {
	Closure cl.Closure `json:"closure"`
	Told    int        `json:"told"`
}

// BookingPatch is what staff change of a booking.
type BookingPatch struct {
	Status *cl.Status `json:"status"`
	Note   *string    `json:"note"`
}

// AidPatch moves an aid application along received → reviewing →
// approved | declined; each step is pushed to the resident.
type AidPatch struct {
	Status *cl.AidStatus `json:"status"`
	Note   *string       `json:"note"`
}

// ExpertPatch schedules (At, Location, ProviderIDs) or declines a 专家会诊
// request; the resident and the panel are told.
type ExpertPatch struct {
	Status      *cl.ExpertStatus `json:"status"`
	At          *time.Time       `json:"at"`
	Location    *string          `json:"location"`
	ProviderIDs *[]int64         `json:"provider_ids"`
	Note        *string          `json:"note"`
}

// BookingQuery filters the staff list of bookings; zero fields match all.
type BookingQuery struct {
	// Day is "YYYY-MM-DD".
	Day    string
	Status cl.Status
}

// Entry is one line of a booking's (or application's) timeline.
type Entry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// Session is one session of the public calendar (clinic.ics): a
// schedule's hours on one day, without bookings.
type Session struct {
	ScheduleID int64     `json:"schedule_id"`
	Mode       cl.Mode   `json:"mode"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Location   string    `json:"location"`
	Providers  []string  `json:"providers"`
}
