package clinic

import (
	"context"
	"errors"
	"time"

	"github.com/tongxin/tongxin/bot/activity"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// This file is the seam of issue 11: the admin API's shapes, so the
// handlers, the service and the notices share one signature each. The
// stubs below are replaced by their implementations (service.go,
// admin.go); a stub left here is a defect.

// errSeam is what a method not implemented yet returns.
var errSeam = errors.New("clinic: not implemented yet")

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

// Admin methods, as handlers.ClinicAdmin lists them. Stubs until
// admin.go implements them.

func (s *Service) CreateProvider(ctx context.Context, p cl.Provider) (cl.Provider, error) {
	return cl.Provider{}, errSeam
}
func (s *Service) Providers(ctx context.Context) ([]cl.Provider, error) { return nil, errSeam }
func (s *Service) Provider(ctx context.Context, id int64) (cl.Provider, error) {
	return cl.Provider{}, errSeam
}
func (s *Service) UpdateProvider(ctx context.Context, id int64, p ProviderPatch) (cl.Provider, error) {
	return cl.Provider{}, errSeam
}
func (s *Service) CreateSchedule(ctx context.Context, sc cl.Schedule) (Changed, error) {
	return Changed{}, errSeam
}
func (s *Service) Schedules(ctx context.Context) ([]cl.Schedule, error) { return nil, errSeam }
func (s *Service) Schedule(ctx context.Context, id int64) (cl.Schedule, error) {
	return cl.Schedule{}, errSeam
}
func (s *Service) UpdateSchedule(ctx context.Context, id int64, p SchedulePatch) (Changed, error) {
	return Changed{}, errSeam
}
func (s *Service) CreateClosure(ctx context.Context, c cl.Closure) (Closed, error) {
	return Closed{}, errSeam
}
func (s *Service) Closures(ctx context.Context, from, to string) ([]cl.Closure, error) {
	return nil, errSeam
}
func (s *Service) UpdateClosure(ctx context.Context, id int64, p ClosurePatch) (cl.Closure, error) {
	return cl.Closure{}, errSeam
}
func (s *Service) SlotsBetween(ctx context.Context, from, to time.Time, matter cl.Matter) ([]cl.Slot, error) {
	return nil, errSeam
}
func (s *Service) Bookings(ctx context.Context, q BookingQuery) ([]cl.Booking, error) {
	return nil, errSeam
}
func (s *Service) Booking(ctx context.Context, id int64) (cl.Booking, []Entry, error) {
	return cl.Booking{}, nil, errSeam
}
func (s *Service) UpdateBooking(ctx context.Context, id int64, p BookingPatch) (cl.Booking, error) {
	return cl.Booking{}, errSeam
}
func (s *Service) AidApplications(ctx context.Context, status cl.AidStatus) ([]cl.AidApplication, error) {
	return nil, errSeam
}
func (s *Service) AidApplication(ctx context.Context, id int64) (cl.AidApplication, []Entry, error) {
	return cl.AidApplication{}, nil, errSeam
}
func (s *Service) UpdateAid(ctx context.Context, id int64, p AidPatch) (cl.AidApplication, error) {
	return cl.AidApplication{}, errSeam
}
func (s *Service) ExpertRequests(ctx context.Context, status cl.ExpertStatus) ([]cl.ExpertRequest, error) {
	return nil, errSeam
}
func (s *Service) ExpertRequest(ctx context.Context, id int64) (cl.ExpertRequest, error) {
	return cl.ExpertRequest{}, errSeam
}
func (s *Service) UpdateExpert(ctx context.Context, id int64, p ExpertPatch) (cl.ExpertRequest, error) {
	return cl.ExpertRequest{}, errSeam
}
func (s *Service) Sessions(ctx context.Context, from, to time.Time) ([]Session, error) {
	return nil, errSeam
}

// Resident methods (clinic.Service). Stubs until service.go implements
// them.

func (s *Service) Info(ctx context.Context) (cl.Info, error)                 { return cl.Info{}, errSeam }
func (s *Service) Topics(ctx context.Context) []cl.Topic                     { return s.cfg.Topics }
func (s *Service) Slots(ctx context.Context, m cl.Matter) ([]cl.Slot, error) { return nil, errSeam }
func (s *Service) Book(ctx context.Context, d cl.Draft) (cl.Receipt, error) {
	return cl.Receipt{}, errSeam
}
func (s *Service) Mine(ctx context.Context, openid string) (cl.Mine, error) {
	return cl.Mine{}, errSeam
}
func (s *Service) Cancel(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	return cl.Booking{}, errSeam
}
func (s *Service) CanChange(ctx context.Context, openid string, id int64) (cl.Booking, error) {
	return cl.Booking{}, errSeam
}
func (s *Service) Latest(ctx context.Context, openid string) (cl.Booking, error) {
	return cl.Booking{}, errSeam
}
func (s *Service) RequestExpert(ctx context.Context, r cl.ExpertRequest, key string) (cl.ExpertRequest, error) {
	return cl.ExpertRequest{}, errSeam
}
func (s *Service) ApplyAid(ctx context.Context, a cl.AidApplication, key string) (cl.AidApplication, error) {
	return cl.AidApplication{}, errSeam
}
func (s *Service) Languages(ctx context.Context) ([]string, error) { return nil, errSeam }
func (s *Service) Day(ctx context.Context, staffOpenID string, day time.Time) ([]cl.Booking, error) {
	return nil, errSeam
}
func (s *Service) Subscribe(ctx context.Context, openid string, on bool) error { return errSeam }
