package clinic

import (
	"context"

	cl "github.com/tongxin/tongxin/bot/clinic"
)

// Admin methods, as handlers.ClinicAdmin lists them. Stubs until
// implemented (owner: i11-api).

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
