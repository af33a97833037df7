package activities

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/activity"

	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// PrivacyHook is the sign-ups' part in erasure and retention. Erasing a
// resident cancels their sign-ups for activities not yet started (nobody
// could tell them of an offer or check them in; Settle hands the seats
// on within a minute) and anonymises every sign-up they made;
// retention anonymises the sign-ups of activities that ended longer ago
// than the records policy. Either way a sign-up loses the openid, name,
// phone and answers, and its timeline entries their notes, and keeps its
// activity, party size, status, check-in code and times: how many came
// stays countable. The notices that named the resident are the notify
// hook's (bot.Notice.About).
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "activity_signups",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			ids, err := tx.SignupIDsOf(ctx, openid)
			if err != nil {
				return err
			}
			if err := cancelUpcoming(ctx, tx, ids, run.At); err != nil {
				return err
			}
			return anonymiseSignups(ctx, tx, ids, run)
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			ids, err := tx.ExpiredSignups(ctx, run.RecordsBefore, limit)
			if err != nil {
				return 0, err
			}
			return len(ids), anonymiseSignups(ctx, tx, ids, run)
		},
	}
}

// anonymiseSignups blanks the personal fields of the sign-ups ids.
func anonymiseSignups(ctx context.Context, tx *storage.Tx, ids []int64, run *privacy.Run) error {
	notes := 0
	for _, id := range ids {
		n, err := tx.AnonymiseSignup(ctx, id, run.At)
		if err != nil {
			return err
		}
		notes += n
	}
	run.Count("activity_signups", len(ids))
	run.Count("activity_notes", notes)
	return nil
}

// cancelUpcoming cancels, in tx, those of the sign-ups ids still active
// for an open activity that has not started, freeing their seats. The
// waiting list is served by the next Settle: the hook runs without the
// service that tells the next resident.
func cancelUpcoming(ctx context.Context, tx *storage.Tx, ids []int64, now time.Time) error {
	for _, id := range ids {
		su, err := tx.Signup(ctx, id)
		if err != nil {
			return err
		}
		if !su.Status.Active() || su.Status == activity.Attended {
			continue
		}
		a, err := tx.LockActivity(ctx, su.ActivityID)
		if err != nil {
			return err
		}
		if a.Status != activity.ActivityOpen || !now.Before(a.StartsAt) {
			continue
		}
		if ok, err := tx.SetSignupStatus(ctx, su.ID, su.Status, activity.Cancelled, nil, now); err != nil || !ok {
			return err
		}
		if su.Status.HoldsSeats() {
			if err := tx.ReleaseSeats(ctx, su.ActivityID, su.PartySize, now); err != nil {
				return err
			}
		}
		e := activity.Entry{At: now, SignupID: su.ID, Actor: actorSystem, Action: activity.ActionCancelled, Note: "居民信息已删除"}
		if err := tx.AddActivityEntry(ctx, su.ActivityID, e); err != nil {
			return err
		}
	}
	return nil
}
