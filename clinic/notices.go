package clinic

import (
	"context"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/storage"
)

// Seam of issue 11: what a change of a booking sets off, called by the
// service in the change's transaction. Stubs until implemented.

// onBooked queues, in tx, the pushes to the session's providers linked to
// staff (no description in anything but a 1:1 message) and plans the
// resident's reminders.
func (s *Service) onBooked(ctx context.Context, tx *storage.Tx, b cl.Booking) error { return nil }

// onCancelled drops the reminders of a booking cancelled or moved, in tx.
func (s *Service) onCancelled(ctx context.Context, tx *storage.Tx, b cl.Booking) error { return nil }

// tellGone tells the resident of b, whose slot was closed (停诊) or
// vanished in a schedule change, why, with the next free slots (their
// booking stands until they choose).
func (s *Service) tellGone(ctx context.Context, tx *storage.Tx, b cl.Booking, why string, next []cl.Slot) error {
	return nil
}

// tellAid tells the applicant where their aid application stands.
func (s *Service) tellAid(ctx context.Context, tx *storage.Tx, a cl.AidApplication) error { return nil }

// tellExpert tells the resident (and, once scheduled, the panel) of an
// expert request's outcome.
func (s *Service) tellExpert(ctx context.Context, tx *storage.Tx, r cl.ExpertRequest) error {
	return nil
}

// announcePatrol queues, in tx, the announcement of a new 定期巡诊
// schedule's sessions to the residents of its building who subscribed
// (clinic_subscriptions), called by CreateSchedule.
func (s *Service) announcePatrol(ctx context.Context, tx *storage.Tx, sc cl.Schedule) error {
	return nil
}
