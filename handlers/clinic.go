package handlers

import (
	"context"
	"net/http"
	"time"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/clinic"
)

// ClinicAdmin is what the admin API and the public calendar need of the
// legal clinic (clinic.Service). Bad input is a *bot.UserError naming the
// field; unknown records are not found. Lists never carry matter
// descriptions or aid answers.
type ClinicAdmin interface {
	CreateProvider(ctx context.Context, p cl.Provider) (cl.Provider, error)
	Providers(ctx context.Context) ([]cl.Provider, error)
	Provider(ctx context.Context, id int64) (cl.Provider, error)
	UpdateProvider(ctx context.Context, id int64, p clinic.ProviderPatch) (cl.Provider, error)
	CreateSchedule(ctx context.Context, sc cl.Schedule) (clinic.Changed, error)
	Schedules(ctx context.Context) ([]cl.Schedule, error)
	Schedule(ctx context.Context, id int64) (cl.Schedule, error)
	UpdateSchedule(ctx context.Context, id int64, p clinic.SchedulePatch) (clinic.Changed, error)
	CreateClosure(ctx context.Context, c cl.Closure) (clinic.Closed, error)
	// Closures lists the closures from..to ("YYYY-MM-DD", "" open).
	Closures(ctx context.Context, from, to string) ([]cl.Closure, error)
	UpdateClosure(ctx context.Context, id int64, p clinic.ClosurePatch) (cl.Closure, error)
	// SlotsBetween lists the slots in [from, to) for matter ("" any).
	SlotsBetween(ctx context.Context, from, to time.Time, matter cl.Matter) ([]cl.Slot, error)
	// Bookings lists bookings without descriptions.
	Bookings(ctx context.Context, q clinic.BookingQuery) ([]cl.Booking, error)
	// Booking returns one booking with its description and timeline.
	Booking(ctx context.Context, id int64) (cl.Booking, []clinic.Entry, error)
	UpdateBooking(ctx context.Context, id int64, p clinic.BookingPatch) (cl.Booking, error)
	AidApplications(ctx context.Context, status cl.AidStatus) ([]cl.AidApplication, error)
	AidApplication(ctx context.Context, id int64) (cl.AidApplication, []clinic.Entry, error)
	UpdateAid(ctx context.Context, id int64, p clinic.AidPatch) (cl.AidApplication, error)
	ExpertRequests(ctx context.Context, status cl.ExpertStatus) ([]cl.ExpertRequest, error)
	ExpertRequest(ctx context.Context, id int64) (cl.ExpertRequest, error)
	UpdateExpert(ctx context.Context, id int64, p clinic.ExpertPatch) (cl.ExpertRequest, error)
	// Sessions lists the public sessions in [from, to) for clinic.ics.
	Sessions(ctx context.Context, from, to time.Time) ([]clinic.Session, error)
}

var _ ClinicAdmin = (*clinic.Service)(nil)

// clinicRoutes adds the clinic endpoints to the admin API mux and the
// public calendar to the top mux.
func (s *Server) clinicRoutes(mux, api *http.ServeMux) {
	if s.Clinic == nil {
		return
	}
}
