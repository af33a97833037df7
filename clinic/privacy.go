package clinic

import (
	"context"
	"time"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// PrivacyHook is the clinic's part in erasure and retention. Erasing a
// resident cancels their bookings not yet started (nobody could tell them
// of a change or remind them; the seats go back to the slots), blanks the
// name, phone, description and language of every booking they made, the
// answers and description of their 法律援助 applications and the
// description of their 专家会诊 requests, with the notes of those
// timelines, and forgets their 巡诊 subscription. Retention blanks the
// same of bookings ended, and of applications and requests settled,
// longer ago than the records policy. What is kept counts: matter, mode,
// status, slot, dates. The notices that named the resident are the
// notify hook's (bot.Notice.About).
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "clinic",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			bs, err := tx.ResidentClinicBookings(ctx, openid, "", time.Time{})
			if err != nil {
				return err
			}
			cancelled := 0
			for _, b := range bs {
				ok, err := cancelErased(ctx, tx, b, run.At)
				if err != nil {
					return err
				}
				if ok {
					cancelled++
				}
			}
			run.Count("clinic_cancelled", cancelled)
			ids := make([]int64, len(bs))
			for i, b := range bs {
				ids[i] = b.ID
			}
			if err := anonymiseBookings(ctx, tx, ids, run); err != nil {
				return err
			}
			n, err := tx.AnonymiseClinicAid(ctx, openid, run.At)
			if err != nil {
				return err
			}
			run.Count("clinic_aid", n)
			if n, err = tx.AnonymiseClinicExpert(ctx, openid, run.At); err != nil {
				return err
			}
			run.Count("clinic_expert", n)
			subs, err := tx.ClinicSubscribed(ctx, []string{openid})
			if err != nil {
				return err
			}
			if err := tx.SetClinicSubscription(ctx, openid, false, run.At); err != nil {
				return err
			}
			n = len(subs)
			run.Count("clinic_subscriptions", n)
			return nil
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			ids, err := tx.ExpiredClinicBookings(ctx, run.RecordsBefore, limit)
			if err != nil {
				return 0, err
			}
			if err := anonymiseBookings(ctx, tx, ids, run); err != nil {
				return 0, err
			}
			n, err := tx.ExpireClinicRequests(ctx, run.RecordsBefore, limit-len(ids))
			if err != nil {
				return 0, err
			}
			run.Count("clinic_requests", n)
			return len(ids) + n, nil
		},
	}
}

// anonymiseBookings blanks the personal fields of the bookings ids.
func anonymiseBookings(ctx context.Context, tx *storage.Tx, ids []int64, run *privacy.Run) error {
	notes := 0
	for _, id := range ids {
		n, err := tx.AnonymiseClinicBooking(ctx, id, run.At)
		if err != nil {
			return err
		}
		notes += n
	}
	run.Count("clinic_bookings", len(ids))
	run.Count("clinic_notes", notes)
	return nil
}

// cancelErased cancels, in tx, booking b of a resident being erased if it
// is booked and has not started at now, freeing its seat, and reports
// whether it did. Nobody is told: there is nobody left to tell, and the
// providers see the seat free in 今日预约.
func cancelErased(ctx context.Context, tx *storage.Tx, b cl.Booking, now time.Time) (bool, error) {
	if b.Status != cl.Booked || !now.Before(b.Start) {
		return false, nil
	}
	ok, err := tx.SetClinicBookingStatus(ctx, b.ID, cl.Booked, cl.Cancelled, now)
	if err != nil || !ok {
		return false, err
	}
	if err := tx.ReleaseClinicSeat(ctx, b.ScheduleID, b.Start); err != nil {
		return false, err
	}
	if _, err := tx.AddClinicEvent(ctx, b.ID, 0, 0, now, actorErasure, "已取消", "居民信息已删除"); err != nil {
		return false, err
	}
	return true, nil
}

// actorErasure is who the timeline says cancelled an erased resident's
// booking.
const actorErasure = "系统"
