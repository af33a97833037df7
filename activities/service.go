// Package activities runs event sign-ups (活动报名): it creates activities,
// signs residents up with their party, keeps the waiting list in arrival
// order, offers freed seats to it, and checks people in. It implements
// activity.Service for conversations.
//
// Seats are the database's to count (storage.TakeSeats, a conditional
// UPDATE); each public method owns one transaction, which first locks the
// activity's row (storage.LockActivity), so that changes to one activity
// take turns and its waiting list is served in order.
//
// What an offer holds: its seats. Promoting a waitlisted sign-up takes its
// party's seats at once; the offer then holds them for the resident until
// they accept (the seats stay), decline or let it lapse (the seats go to
// the next who fits). Hence, for every activity at every commit:
//
//	seats_taken = Σ party_size of its confirmed, offered and attended sign-ups ≤ capacity
//
// and the waiting list has nobody who fits the seats left while the
// activity still promotes (it has not started and is not cancelled).
package activities

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
)

var _ activity.Service = (*Service)(nil)

// Actors on an activity's timeline.
const (
	actorResident = "居民"
	actorSystem   = "系统"
	actorStaff    = "工作人员"
)

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// Now is the clock (time.Now).
	Now func() time.Time
	// Hold is how long an offer of freed seats waits for an answer
	// (activity.DefaultHold). An offer never outlasts sign-up: when less
	// than Hold remains before it closes, the promotion is confirmed at
	// once instead.
	Hold time.Duration
	// Jobs is the runner reminders are queued on (AddWorkers registers
	// their worker); nil plans none.
	Jobs *jobs.Runner
	// Reminders are how long before the start confirmed residents are
	// reminded (DefaultReminders when nil; an empty, non-nil slice: none).
	Reminders []time.Duration
	// Quiet are the outbox's quiet hours: a reminder they would hold until
	// the activity starts is not sent.
	Quiet notify.QuietHours
	// Lookback is how long after sign-up closes its summary may still go to
	// the organiser, should no instance have run then (1 day).
	Lookback time.Duration
}

// Service implements activity.Service on a Store.
type Service struct {
	store  *storage.Store
	outbox *notify.Outbox
	cfg    Config
}

// New returns the service. Residents' news of offers, promotions and
// lapses goes through outbox, in the transaction of the change (nil: none
// is sent).
func New(store *storage.Store, outbox *notify.Outbox, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Hold <= 0 {
		cfg.Hold = activity.DefaultHold
	}
	if cfg.Reminders == nil {
		cfg.Reminders = DefaultReminders
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 24 * time.Hour
	}
	return &Service{store: store, outbox: outbox, cfg: cfg}
}

// now is the clock as stored: UTC, to the microsecond.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// errNoActivity is what an unknown activity id gets.
var errNoActivity = &bot.UserError{Code: bot.CodeNotFound, Message: "没有找到这个活动", Err: bot.ErrNotFound}

// errNoSignup is what an unknown sign-up, or another resident's, gets.
var errNoSignup = &bot.UserError{Code: bot.CodeNotFound, Message: "没有找到这条报名", Err: bot.ErrNotFound}

// lock locks activity id in tx, mapping an unknown id to errNoActivity.
func lock(ctx context.Context, tx *storage.Tx, id int64) (activity.Activity, error) {
	a, err := tx.LockActivity(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return activity.Activity{}, errNoActivity
	}
	return a, err
}

// Create adds an activity, open for sign-up. MaxParty defaults to 1.
func (s *Service) Create(ctx context.Context, a activity.Activity) (activity.Activity, error) {
	if a.MaxParty == 0 {
		a.MaxParty = 1
	}
	if err := validate(&a); err != nil {
		return activity.Activity{}, err
	}
	now := s.now()
	a.Status, a.CreatedAt, a.UpdatedAt, a.SeatsTaken = activity.ActivityOpen, now, now, 0
	if err := s.store.InsertActivity(ctx, &a); err != nil {
		return activity.Activity{}, fmt.Errorf("activities.Create: %w", err)
	}
	return s.store.Activity(ctx, a.ID)
}

// Activity returns activity id.
func (s *Service) Activity(ctx context.Context, id int64) (activity.Activity, error) {
	a, err := s.store.Activity(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return activity.Activity{}, errNoActivity
	}
	return a, err
}

// Upcoming lists the activities open for sign-up now, soonest first.
func (s *Service) Upcoming(ctx context.Context) ([]activity.Activity, error) {
	return s.store.UpcomingActivities(ctx, s.now())
}

// Signups lists every sign-up of the activity, cancelled ones too, in
// arrival order (for staff: names and phones included).
func (s *Service) Signups(ctx context.Context, activityID int64) ([]activity.Signup, error) {
	return s.store.ActivitySignups(ctx, activityID)
}

// Timeline returns the activity's timeline, oldest first.
func (s *Service) Timeline(ctx context.Context, activityID int64) ([]activity.Entry, error) {
	return s.store.ActivityTimeline(ctx, activityID)
}

// Mine lists the resident's active sign-ups for activities that have not
// ended, soonest first.
func (s *Service) Mine(ctx context.Context, openid string) ([]activity.Booking, error) {
	signups, err := s.store.ResidentSignups(ctx, openid, s.now())
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(signups))
	for _, su := range signups {
		ids = append(ids, su.ActivityID)
	}
	acts, err := s.store.ActivitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]activity.Booking, 0, len(signups))
	for _, a := range acts {
		for _, su := range signups {
			if su.ActivityID == a.ID {
				out = append(out, activity.Booking{Activity: a, Signup: su})
			}
		}
	}
	return out, nil
}

// closedError says why a can take no sign-up at now, or nil.
func closedError(a activity.Activity, now time.Time) error {
	switch {
	case a.Status == activity.ActivityCancelled:
		return bot.Refuse("「%s」已取消", a.Title)
	case !now.Before(a.StartsAt):
		return bot.Refuse("「%s」已开始，报名已结束", a.Title)
	case !now.Before(a.Closes()):
		return bot.Refuse("「%s」报名已截止", a.Title)
	}
	return nil
}

// answers checks d's answers against a's questions and returns those
// kept: trimmed, for known questions only.
func answers(a activity.Activity, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, q := range a.Questions {
		v := strings.TrimSpace(given[q.Key])
		if v == "" {
			if !q.Optional {
				return nil, bot.FieldError(q.Key, "请回答："+q.Label)
			}
			continue
		}
		if len(q.Choices) > 0 && !slices.Contains(q.Choices, v) {
			return nil, bot.FieldError(q.Key, q.Label+"请从选项中选择")
		}
		out[q.Key] = v
	}
	return out, nil
}

// SignUp signs d up in one transaction: confirmed when the party's seats
// are free; told how many are left (Receipt.Fewer, nothing recorded) when
// some but too few are; waitlisted otherwise (or with d.Waitlist). A
// resident's second sign-up for an activity returns the first.
func (s *Service) SignUp(ctx context.Context, d activity.Draft) (activity.Receipt, error) {
	d.Name, d.Phone = strings.TrimSpace(d.Name), strings.TrimSpace(d.Phone)
	if d.OpenID == "" {
		return activity.Receipt{}, bot.FieldError("openid", "缺少报名人")
	}
	if d.PartySize < 1 {
		return activity.Receipt{}, bot.FieldError("party_size", "人数至少为 1")
	}
	var rec activity.Receipt
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		rec = activity.Receipt{}
		now := s.now()
		a, err := lock(ctx, tx, d.ActivityID)
		if err != nil {
			return err
		}
		if d.Key != "" {
			su, err := tx.SignupByDraftKey(ctx, d.Key)
			if err == nil {
				rec = activity.Receipt{Signup: su, Repeat: true, SeatsLeft: a.SeatsLeft()}
				return nil
			}
			if !errors.Is(err, bot.ErrNotFound) {
				return err
			}
		}
		if su, err := tx.ActiveSignup(ctx, a.ID, d.OpenID); err == nil {
			rec = activity.Receipt{Signup: su, Existing: true, SeatsLeft: a.SeatsLeft()}
			return nil
		} else if !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		if err := closedError(a, now); err != nil {
			return err
		}
		if d.PartySize > a.MaxParty {
			return bot.FieldError("party_size", fmt.Sprintf("每次报名最多 %d 人", a.MaxParty))
		}
		kept, err := answers(a, d.Answers)
		if err != nil {
			return err
		}
		code, err := newCode(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		su := activity.Signup{
			ActivityID: a.ID, OpenID: d.OpenID, Name: d.Name, Phone: d.Phone, PartySize: d.PartySize,
			Status: activity.Confirmed, CheckinCode: code, Answers: kept, CreatedAt: now, UpdatedAt: now,
		}
		took, err := tx.TakeSeats(ctx, a.ID, d.PartySize, now)
		if err != nil {
			return err
		}
		action := activity.ActionSignedUp
		if !took {
			// a was read under the lock: its seats are current.
			if left := a.SeatsLeft(); left > 0 && !d.Waitlist {
				rec.Fewer = left
				rec.SeatsLeft = left
				return nil
			}
			su.Status, action = activity.Waitlisted, activity.ActionWaitlisted
		}
		if err := tx.InsertSignup(ctx, &su, d.Key); err != nil {
			return err
		}
		if err := tx.AddActivityEntry(ctx, a.ID, activity.Entry{At: now, SignupID: su.ID, Actor: actorResident, Action: action,
			Note: fmt.Sprintf("%d 人", su.PartySize)}); err != nil {
			return err
		}
		if rec.Signup, err = tx.Signup(ctx, su.ID); err != nil {
			return err
		}
		if a, err = tx.Activity(ctx, a.ID); err != nil {
			return err
		}
		rec.SeatsLeft = a.SeatsLeft()
		if su.Status != activity.Confirmed {
			return nil
		}
		if err := s.planReminders(ctx, tx, a, []activity.Signup{rec.Signup}); err != nil {
			return err
		}
		return s.filled(ctx, tx, a)
	})
	if err != nil {
		return activity.Receipt{}, fmt.Errorf("activities.SignUp(%d): %w", d.ActivityID, err)
	}
	return rec, nil
}

// newCode returns a six-digit check-in code no sign-up of the activity
// has. The activity is locked, so nobody takes it before the insert.
func newCode(ctx context.Context, tx *storage.Tx, activityID int64) (string, error) {
	for range 50 {
		code := fmt.Sprintf("%06d", rand.IntN(1_000_000))
		taken, err := tx.CheckinCodeTaken(ctx, activityID, code)
		if err != nil {
			return "", err
		}
		if !taken {
			return code, nil
		}
	}
	return "", fmt.Errorf("no free check-in code for activity %d", activityID)
}

// promote gives the seats left of activity id to its waiting list in
// arrival order: the first sign-up whose party fits is offered them for
// the hold window, or confirmed at once when less than that remains
// before sign-up closes; again while seats are left and someone fits.
// Nothing is promoted once the activity started or was cancelled.
func (s *Service) promote(ctx context.Context, tx *storage.Tx, id int64, now time.Time) error {
	for {
		a, err := tx.Activity(ctx, id)
		if err != nil {
			return err
		}
		left := a.SeatsLeft()
		if a.Status != activity.ActivityOpen || !now.Before(a.StartsAt) {
			return nil
		}
		if left == 0 {
			return s.filled(ctx, tx, a)
		}
		waiting, err := tx.Waitlist(ctx, id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(waiting, func(su activity.Signup) bool { return su.PartySize <= left })
		if i < 0 {
			return nil
		}
		su := waiting[i]
		took, err := tx.TakeSeats(ctx, id, su.PartySize, now)
		if err != nil {
			return err
		}
		if !took {
			return fmt.Errorf("activity %d: %d seats left but not taken", id, left)
		}
		to, until, action, note := activity.Offered, new(time.Time), activity.ActionOffered, ""
		*until = now.Add(s.cfg.Hold)
		if a.Closes().Sub(now) < s.cfg.Hold {
			to, until, action = activity.Confirmed, nil, activity.ActionPromoted
		} else {
			note = "保留至 " + until.In(bot.Shanghai).Format("01-02 15:04")
		}
		ok, err := tx.SetSignupStatus(ctx, su.ID, activity.Waitlisted, to, until, now)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("activity %d: sign-up %d left the waiting list under the lock", id, su.ID)
		}
		if err := tx.AddActivityEntry(ctx, id, activity.Entry{At: now, SignupID: su.ID, Actor: actorSystem, Action: action, Note: note}); err != nil {
			return err
		}
		if to == activity.Offered {
			err = s.tell(ctx, tx, su, kindOffer, offerText(a, su, *until), bot.Ask(activity.QuestionOffer, fmt.Sprint(su.ID)))
		} else {
			err = s.tell(ctx, tx, su, kindPromoted, promotedText(a, su), "")
			if err == nil {
				su.Status = activity.Confirmed
				err = s.planReminders(ctx, tx, a, []activity.Signup{su})
			}
		}
		if err != nil {
			return err
		}
	}
}

// release cancels su (in status from), gives its seats back when it held
// any, records action, and promotes the waiting list.
func (s *Service) release(ctx context.Context, tx *storage.Tx, su activity.Signup, action, actor string, now time.Time) error {
	ok, err := tx.SetSignupStatus(ctx, su.ID, su.Status, activity.Cancelled, nil, now)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sign-up %d changed under the lock", su.ID)
	}
	if su.Status.HoldsSeats() {
		if err := tx.ReleaseSeats(ctx, su.ActivityID, su.PartySize, now); err != nil {
			return err
		}
	}
	if err := tx.AddActivityEntry(ctx, su.ActivityID, activity.Entry{At: now, SignupID: su.ID, Actor: actor, Action: action}); err != nil {
		return err
	}
	// Reminders still held by quiet hours would remind of nothing.
	if _, err := tx.DropStaleReminders(ctx, su.OpenID, su.ID, "", "withdrawn: "+action); err != nil {
		return err
	}
	return s.promote(ctx, tx, su.ActivityID, now)
}

// mine runs fn in a transaction on the resident's sign-up id, read after
// its activity was locked; another resident's sign-up is not found.
func (s *Service) mine(ctx context.Context, openid string, id int64, fn func(tx *storage.Tx, a activity.Activity, su activity.Signup, now time.Time) error) (activity.Signup, error) {
	var out activity.Signup
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		su, err := tx.Signup(ctx, id)
		if errors.Is(err, bot.ErrNotFound) || (err == nil && su.OpenID != openid) {
			return errNoSignup
		}
		if err != nil {
			return err
		}
		a, err := lock(ctx, tx, su.ActivityID)
		if err != nil {
			return err
		}
		if su, err = tx.Signup(ctx, id); err != nil {
			return err
		}
		if err := fn(tx, a, su, now); err != nil {
			return err
		}
		out, err = tx.Signup(ctx, id)
		return err
	})
	return out, err
}

// Cancel cancels the resident's sign-up before the activity starts; its
// seats go to the waiting list.
func (s *Service) Cancel(ctx context.Context, openid string, id int64) (activity.Signup, error) {
	su, err := s.mine(ctx, openid, id, func(tx *storage.Tx, a activity.Activity, su activity.Signup, now time.Time) error {
		switch {
		case su.Status == activity.Cancelled:
			return bot.Refuse("这条报名已取消")
		case su.Status == activity.Attended:
			return bot.Refuse("已签到，不能取消")
		case !now.Before(a.StartsAt):
			return bot.Refuse("「%s」已开始，不能取消", a.Title)
		}
		return s.release(ctx, tx, su, activity.ActionCancelled, actorResident, now)
	})
	if err != nil {
		return activity.Signup{}, fmt.Errorf("activities.Cancel(%d): %w", id, err)
	}
	return su, nil
}

// Accept takes the seats offered to the resident, before the offer lapses.
func (s *Service) Accept(ctx context.Context, openid string, id int64) (activity.Signup, error) {
	su, err := s.mine(ctx, openid, id, func(tx *storage.Tx, a activity.Activity, su activity.Signup, now time.Time) error {
		switch {
		case su.Status == activity.Confirmed:
			return nil // accepted before: a retry
		case su.Status != activity.Offered:
			return bot.Refuse("这条报名没有待确认的名额")
		case su.OfferedUntil != nil && !now.Before(*su.OfferedUntil):
			return bot.Refuse("名额保留已过期")
		}
		if _, err := tx.SetSignupStatus(ctx, su.ID, activity.Offered, activity.Confirmed, nil, now); err != nil {
			return err
		}
		if err := s.withdrawOffer(ctx, tx, su, "accepted"); err != nil {
			return err
		}
		su.Status = activity.Confirmed
		if err := s.planReminders(ctx, tx, a, []activity.Signup{su}); err != nil {
			return err
		}
		return tx.AddActivityEntry(ctx, a.ID, activity.Entry{At: now, SignupID: su.ID, Actor: actorResident, Action: activity.ActionAccepted})
	})
	if err != nil {
		return activity.Signup{}, fmt.Errorf("activities.Accept(%d): %w", id, err)
	}
	return su, nil
}

// Decline gives an offer up: the sign-up is cancelled and its seats pass
// to the next who fits.
func (s *Service) Decline(ctx context.Context, openid string, id int64) (activity.Signup, error) {
	su, err := s.mine(ctx, openid, id, func(tx *storage.Tx, a activity.Activity, su activity.Signup, now time.Time) error {
		if su.Status != activity.Offered {
			return bot.Refuse("这条报名没有待确认的名额")
		}
		if err := s.withdrawOffer(ctx, tx, su, "declined"); err != nil {
			return err
		}
		return s.release(ctx, tx, su, activity.ActionDeclined, actorResident, now)
	})
	if err != nil {
		return activity.Signup{}, fmt.Errorf("activities.Decline(%d): %w", id, err)
	}
	return su, nil
}

// lapseBatch is how many expired offers Lapse reads at a time.
const lapseBatch = 100

// Lapse cancels the offers whose hold ended, each in its own transaction,
// passing their seats on; it returns how many lapsed. An offer answered
// meanwhile is left alone. Run it periodically (and it is safe to run on
// several instances at once).
func (s *Service) Lapse(ctx context.Context) (int, error) {
	n := 0
	for {
		expired, err := s.store.ExpiredOffers(ctx, s.now(), lapseBatch)
		if err != nil {
			return n, fmt.Errorf("activities.Lapse: %w", err)
		}
		lapsed := 0
		for _, e := range expired {
			err := s.store.Transact(ctx, func(tx *storage.Tx) error {
				now := s.now()
				if _, err := tx.LockActivity(ctx, e.ActivityID); err != nil {
					return err
				}
				su, err := tx.Signup(ctx, e.ID)
				if err != nil {
					return err
				}
				if su.Status != activity.Offered || su.OfferedUntil == nil || now.Before(*su.OfferedUntil) {
					return nil
				}
				lapsed++
				a, err := tx.Activity(ctx, su.ActivityID)
				if err != nil {
					return err
				}
				// The lapse replaces the offer in the resident's news:
				// an offer still held by quiet hours is never sent.
				if err := s.tell(ctx, tx, su, kindLapsed, lapsedText(a), ""); err != nil {
					return err
				}
				return s.release(ctx, tx, su, activity.ActionLapsed, actorSystem, now)
			})
			if err != nil {
				return n + lapsed, fmt.Errorf("activities.Lapse(%d): %w", e.ID, err)
			}
		}
		n += lapsed
		if len(expired) < lapseBatch {
			return n, nil
		}
	}
}

// Settle serves the waiting lists that could have been served and were
// not: seats freed outside the service (an erasure) wait for it. It runs
// with Lapse, each activity in its own transaction, and reports how many
// activities it served.
func (s *Service) Settle(ctx context.Context) (int, error) {
	ids, err := s.store.UnsettledActivities(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("activities.Settle: %w", err)
	}
	for i, id := range ids {
		err := s.store.Transact(ctx, func(tx *storage.Tx) error {
			if _, err := tx.LockActivity(ctx, id); err != nil {
				return err
			}
			return s.promote(ctx, tx, id, s.now())
		})
		if err != nil {
			return i, fmt.Errorf("activities.Settle(%d): %w", id, err)
		}
	}
	return len(ids), nil
}

// SetCapacity sets the activity's capacity; never below the seats held.
// Seats it adds go to the waiting list.
func (s *Service) SetCapacity(ctx context.Context, id int64, capacity int) (activity.Activity, error) {
	switch {
	case capacity < 0:
		return activity.Activity{}, bot.FieldError("capacity", "名额不能为负数")
	case capacity > MaxCapacity:
		return activity.Activity{}, bot.FieldError("capacity", fmt.Sprintf("名额最多 %d", MaxCapacity))
	}
	var out activity.Activity
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		a, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		ok, err := tx.SetActivityCapacity(ctx, id, capacity, now)
		if err != nil {
			return err
		}
		if !ok {
			return &bot.UserError{Code: bot.CodeConflict, Field: "capacity",
				Message: fmt.Sprintf("已占用 %d 个名额，名额不能少于 %d", a.SeatsTaken, a.SeatsTaken)}
		}
		if err := tx.AddActivityEntry(ctx, id, activity.Entry{At: now, Actor: actorStaff, Action: activity.ActionCapacity,
			Note: fmt.Sprintf("%d → %d", a.Capacity, capacity)}); err != nil {
			return err
		}
		if err := s.promote(ctx, tx, id, now); err != nil {
			return err
		}
		out, err = tx.Activity(ctx, id)
		return err
	})
	if err != nil {
		return activity.Activity{}, fmt.Errorf("activities.SetCapacity(%d): %w", id, err)
	}
	return out, nil
}

// checkin marks su of a attended: unknown → not found; attended, or a
// cancelled → conflict; not confirmed → conflict saying why.
func checkin(ctx context.Context, tx *storage.Tx, a activity.Activity, su activity.Signup, actor string, now time.Time) error {
	if a.Status == activity.ActivityCancelled {
		return bot.Refuse("「%s」已取消，无需签到", a.Title)
	}
	switch su.Status {
	case activity.Confirmed:
	case activity.Attended:
		return bot.Refuse("已签到过了")
	case activity.Offered:
		return bot.Refuse("名额待确认，请先回复「接受」")
	case activity.Waitlisted:
		return bot.Refuse("仍在候补（第 %d 位），未能签到", su.Position)
	default:
		return bot.Refuse("报名已取消，未能签到")
	}
	if _, err := tx.SetSignupStatus(ctx, su.ID, activity.Confirmed, activity.Attended, nil, now); err != nil {
		return err
	}
	return tx.AddActivityEntry(ctx, su.ActivityID, activity.Entry{At: now, SignupID: su.ID, Actor: actor, Action: activity.ActionCheckedIn})
}

// Checkin marks the sign-up of the activity with the check-in code
// attended (staff at the door). Unknown code: not_found; attended before:
// conflict.
func (s *Service) Checkin(ctx context.Context, activityID int64, code string) (activity.Signup, error) {
	return s.checkinBy(ctx, "Checkin", activityID, actorStaff, func(tx *storage.Tx, _ activity.Activity) (activity.Signup, error) {
		su, err := tx.SignupByCode(ctx, activityID, strings.TrimSpace(code))
		if errors.Is(err, bot.ErrNotFound) {
			return su, &bot.UserError{Code: bot.CodeNotFound, Field: "code", Message: "签到码无效", Err: bot.ErrNotFound}
		}
		return su, err
	})
}

// CheckinResident marks the resident's confirmed sign-up for the activity
// attended (they scanned the venue's QR).
func (s *Service) CheckinResident(ctx context.Context, activityID int64, openid string) (activity.Signup, error) {
	return s.checkinBy(ctx, "CheckinResident", activityID, actorResident, func(tx *storage.Tx, a activity.Activity) (activity.Signup, error) {
		su, err := tx.ActiveSignup(ctx, activityID, openid)
		if errors.Is(err, bot.ErrNotFound) {
			return su, &bot.UserError{Code: bot.CodeNotFound, Message: fmt.Sprintf("您没有报名「%s」", a.Title), Err: bot.ErrNotFound}
		}
		return su, err
	})
}

// checkinBy checks in, in one transaction under the activity's lock, the
// sign-up find picks, for actor; op names the method in errors.
func (s *Service) checkinBy(ctx context.Context, op string, activityID int64, actor string, find func(tx *storage.Tx, a activity.Activity) (activity.Signup, error)) (activity.Signup, error) {
	var out activity.Signup
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		now := s.now()
		a, err := lock(ctx, tx, activityID)
		if err != nil {
			return err
		}
		su, err := find(tx, a)
		if err != nil {
			return err
		}
		if err := checkin(ctx, tx, a, su, actor, now); err != nil {
			return err
		}
		out, err = tx.Signup(ctx, su.ID)
		return err
	})
	if err != nil {
		return activity.Signup{}, fmt.Errorf("activities.%s(%d): %w", op, activityID, err)
	}
	return out, nil
}
