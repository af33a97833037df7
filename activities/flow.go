package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// What the conversations (bot/flows/signup) need beyond the rest of the
// service: how fresh the list is, the resident's last sign-up, and staff
// checking people in by code from WeChat.

// Changed returns when an activity was last created or changed; zero
// when there is none.
func (s *Service) Changed(ctx context.Context) (time.Time, error) {
	at, err := s.store.ActivitiesChanged(ctx)
	if errors.Is(err, bot.ErrNotFound) {
		return time.Time{}, nil
	}
	return at, err
}

// Latest returns the resident's most recent sign-up, or bot.ErrNotFound.
func (s *Service) Latest(ctx context.Context, openid string) (activity.Signup, error) {
	if openid == "" {
		return activity.Signup{}, fmt.Errorf("activities.Latest: %w", bot.ErrNotFound)
	}
	return s.store.LatestSignup(ctx, openid)
}

// errNotStaff refuses 签到 <code> to anyone but active staff.
var errNotStaff = &bot.UserError{Code: bot.CodeForbidden, Message: "仅限社区工作人员使用"}

// mayCheckIn reports whether openid may check residents in at the door:
// any active staff member (volunteers at the door included), as the
// access policy sees them: community.Member keeps no staff record for
// someone deactivated. Checking in shows the name and party size only.
func mayCheckIn(ctx context.Context, tx *storage.Tx, openid string) (bool, error) {
	if openid == "" {
		return false, nil
	}
	st, err := tx.StaffByOpenID(ctx, openid)
	if errors.Is(err, bot.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return community.Member(st).Staff != nil, nil
}

// today is the Shanghai day holding now, as [start, end) in UTC.
func today(now time.Time) (time.Time, time.Time) {
	l := now.In(bot.Shanghai)
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, bot.Shanghai)
	return start.UTC(), start.AddDate(0, 0, 1).UTC()
}

// CheckinCode marks attended the sign-up with code among today's
// activities (or of activityID), for staff at the door.
func (s *Service) CheckinCode(ctx context.Context, staffOpenID, code string, activityID int64) (activity.Booking, error) {
	code = strings.TrimSpace(code)
	var out activity.Booking
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		ok, err := mayCheckIn(ctx, tx, staffOpenID)
		if err != nil {
			return err
		}
		if !ok {
			return errNotStaff
		}
		if len(code) != activity.CheckinCodeLen || strings.Trim(code, "0123456789") != "" {
			return bot.FieldError("code", fmt.Sprintf("请在 签到 后加上居民的 %d 位签到码。", activity.CheckinCodeLen))
		}
		from, to := today(now)
		acts, err := tx.ActivitiesDuring(ctx, from, to)
		if err != nil {
			return err
		}
		type hit struct {
			a  activity.Activity
			su activity.Signup
		}
		var hits []hit
		for _, a := range acts {
			if activityID != 0 && a.ID != activityID {
				continue
			}
			su, err := tx.SignupByCode(ctx, a.ID, code)
			if errors.Is(err, bot.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			hits = append(hits, hit{a, su})
		}
		switch len(hits) {
		case 0:
			return &bot.UserError{Code: bot.CodeNotFound, Field: "code",
				Message: fmt.Sprintf("签到码 %s 不是今天活动的报名", code), Err: bot.ErrNotFound}
		case 1:
		default:
			var b strings.Builder
			fmt.Fprintf(&b, "今天有 %d 个活动都有签到码 %s，请加上活动编号：", len(hits), code)
			for _, h := range hits {
				fmt.Fprintf(&b, "\n签到 %s %d —「%s」%s", code, h.a.ID, h.a.Title, h.a.StartsAt.In(bot.Shanghai).Format("15:04"))
			}
			return &bot.UserError{Code: bot.CodeConflict, Field: "code", Message: b.String()}
		}
		h := hits[0]
		if _, err := lock(ctx, tx, h.a.ID); err != nil {
			return err
		}
		su, err := tx.Signup(ctx, h.su.ID)
		if err != nil {
			return err
		}
		if err := checkin(ctx, tx, su, actorStaff, now); err != nil {
			return err
		}
		out.Activity = h.a
		out.Signup, err = tx.Signup(ctx, su.ID)
		return err
	})
	if err != nil {
		return activity.Booking{}, fmt.Errorf("activities.CheckinCode: %w", err)
	}
	return out, nil
}
