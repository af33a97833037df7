package clinic

import (
	"context"
	"time"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
)

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

// Slot queries of the admin API.

func (s *Service) SlotsBetween(ctx context.Context, from, to time.Time, matter cl.Matter) ([]cl.Slot, error) {
	return nil, errSeam
}
func (s *Service) Sessions(ctx context.Context, from, to time.Time) ([]Session, error) {
	return nil, errSeam
}

// orphaned lists, in tx, the booked (status booked, not yet started)
// bookings whose slot no longer exists in the schedules and closures as
// they are now in tx: after a schedule edit (scheduleID) or a closure
// (scheduleID 0: every schedule). Admin changes call it and then tellGone.
func (s *Service) orphaned(ctx context.Context, tx *storage.Tx, scheduleID int64) ([]cl.Booking, error) {
	return nil, errSeam
}

// nextFree lists, in tx, up to n free bookable slots for matter from now,
// soonest first (what a resident whose slot went is offered).
func (s *Service) nextFree(ctx context.Context, tx *storage.Tx, matter cl.Matter, n int) ([]cl.Slot, error) {
	return nil, errSeam
}
