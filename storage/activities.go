package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
)

// Seats are counted by the database. activities.seats_taken is changed
// only by TakeSeats and ReleaseSeats, whose conditional UPDATEs check the
// capacity in the same statement that counts the seats (and a CHECK backs
// them); nothing reads the count into Go to decide. On PostgreSQL the
// UPDATE locks the activity's row until the transaction ends; on SQLite
// every transaction begins IMMEDIATE and holds the database's write lock.
// LockActivity takes that row lock first, so that everything else a
// sign-up does to one activity (the waiting list's order, check-in codes)
// takes turns too.

// activityRow is an activities row as scanned.
type activityRow struct {
	ID             int64         `db:"id"`
	Title          string        `db:"title"`
	Description    string        `db:"description"`
	Location       string        `db:"location"`
	StartsAt       time.Time     `db:"starts_at"`
	EndsAt         time.Time     `db:"ends_at"`
	Capacity       int           `db:"capacity"`
	MaxParty       int           `db:"max_party"`
	SignupDeadline *time.Time    `db:"signup_deadline"`
	Questions      string        `db:"questions"`
	OrganizerID    sql.NullInt64 `db:"organizer_id"`
	Status         string        `db:"status"`
	SeatsTaken     int           `db:"seats_taken"`
	CreatedAt      time.Time     `db:"created_at"`
	UpdatedAt      time.Time     `db:"updated_at"`
}

func (r activityRow) activity() (activity.Activity, error) {
	a := activity.Activity{
		ID: r.ID, Title: r.Title, Description: r.Description, Location: r.Location,
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Capacity: r.Capacity, MaxParty: r.MaxParty,
		SignupDeadline: r.SignupDeadline, OrganizerID: r.OrganizerID.Int64, Status: activity.Status(r.Status),
		SeatsTaken: r.SeatsTaken, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Questions: []activity.Question{},
	}
	utc(a.SignupDeadline)
	if r.Questions != "" && r.Questions != "[]" {
		if err := json.Unmarshal([]byte(r.Questions), &a.Questions); err != nil {
			return activity.Activity{}, fmt.Errorf("activity %d questions: %w", r.ID, err)
		}
	}
	return a, nil
}

const activitySelect = `SELECT a.id, a.title, a.description, a.location, a.starts_at, a.ends_at,
	a.capacity, a.max_party, a.signup_deadline, a.questions, a.organizer_id, a.status, a.seats_taken,
	a.created_at, a.updated_at
	FROM activities a`

func (q *queries) selectActivities(ctx context.Context, op, query string, args ...any) ([]activity.Activity, error) {
	return selectRows(ctx, q, op, activityRow.activity, query, args...)
}

// InsertActivity adds a and sets a.ID. SeatsTaken starts at 0.
func (q *queries) InsertActivity(ctx context.Context, a *activity.Activity) error {
	const query = `
		INSERT INTO activities (title, description, location, starts_at, ends_at, capacity, max_party,
			signup_deadline, questions, organizer_id, status, seats_taken, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
		RETURNING id`
	questions := "[]"
	if len(a.Questions) > 0 {
		b, err := json.Marshal(a.Questions)
		if err != nil {
			return fmt.Errorf("storage.InsertActivity: %w", err)
		}
		questions = string(b)
	}
	if err := sqlx.GetContext(ctx, q.ext, &a.ID, q.q(query),
		a.Title, a.Description, a.Location, dbTime(a.StartsAt), dbTime(a.EndsAt), a.Capacity, a.MaxParty,
		dbTimePtr(a.SignupDeadline), questions, nullID(a.OrganizerID), string(a.Status),
		dbTime(a.CreatedAt), dbTime(a.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertActivity: %w", mapError(err))
	}
	a.SeatsTaken = 0
	return nil
}

// Activity returns activity id, or bot.ErrNotFound.
func (q *queries) Activity(ctx context.Context, id int64) (activity.Activity, error) {
	op := fmt.Sprintf("storage.Activity(%d)", id)
	var r activityRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(activitySelect+` WHERE a.id = ?`), id); err != nil {
		return activity.Activity{}, fmt.Errorf("%s: %w", op, mapError(err))
	}
	a, err := r.activity()
	if err != nil {
		return activity.Activity{}, fmt.Errorf("%s: %w", op, err)
	}
	return a, nil
}

// LockActivity returns activity id after locking its row until the
// transaction ends (PostgreSQL; SQLite transactions hold the whole
// database), so that changes to one activity's sign-ups take turns.
// Returns bot.ErrNotFound for an unknown id.
func (q *queries) LockActivity(ctx context.Context, id int64) (activity.Activity, error) {
	res, err := q.ext.ExecContext(ctx, q.q(`UPDATE activities SET id = id WHERE id = ?`), id)
	if err != nil {
		return activity.Activity{}, fmt.Errorf("storage.LockActivity(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return activity.Activity{}, fmt.Errorf("storage.LockActivity(%d): %w", id, bot.ErrNotFound)
	}
	return q.Activity(ctx, id)
}

// UpcomingActivities returns the open activities whose sign-up has not
// closed at now (neither started nor past their deadline), soonest first.
func (q *queries) UpcomingActivities(ctx context.Context, now time.Time) ([]activity.Activity, error) {
	const query = activitySelect + ` WHERE a.status = 'open' AND a.starts_at > ?
		AND (a.signup_deadline IS NULL OR a.signup_deadline > ?) ORDER BY a.starts_at, a.id`
	now = dbTime(now)
	return q.selectActivities(ctx, "storage.UpcomingActivities", query, now, now)
}

// ActivitiesByID returns the activities with the given ids, in start
// order; ids no activity has are left out.
func (q *queries) ActivitiesByID(ctx context.Context, ids []int64) ([]activity.Activity, error) {
	if len(ids) == 0 {
		return []activity.Activity{}, nil
	}
	query, args, err := sqlx.In(activitySelect+` WHERE a.id IN (?) ORDER BY a.starts_at, a.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("storage.ActivitiesByID: %w", err)
	}
	return q.selectActivities(ctx, "storage.ActivitiesByID", query, args...)
}

// TakeSeats takes n seats of activity id if that many are free, in one
// conditional UPDATE, and reports whether it did.
func (q *queries) TakeSeats(ctx context.Context, id int64, n int, now time.Time) (bool, error) {
	const query = `UPDATE activities SET seats_taken = seats_taken + ?, updated_at = ?
		WHERE id = ? AND seats_taken + ? <= capacity`
	return q.affectedOne(ctx, fmt.Sprintf("storage.TakeSeats(%d, %d)", id, n), query, n, dbTime(now), id, n)
}

// ReleaseSeats gives n seats of activity id back. It fails (rather than
// count below zero) when fewer are taken, which would be a bug.
func (q *queries) ReleaseSeats(ctx context.Context, id int64, n int, now time.Time) error {
	const query = `UPDATE activities SET seats_taken = seats_taken - ?, updated_at = ?
		WHERE id = ? AND seats_taken >= ?`
	op := fmt.Sprintf("storage.ReleaseSeats(%d, %d)", id, n)
	ok, err := q.affectedOne(ctx, op, query, n, dbTime(now), id, n)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: fewer seats taken than released", op)
	}
	return nil
}

// SetActivityCapacity sets the capacity of activity id unless it would
// fall below the seats taken; it reports whether it did.
func (q *queries) SetActivityCapacity(ctx context.Context, id int64, capacity int, now time.Time) (bool, error) {
	const query = `UPDATE activities SET capacity = ?, updated_at = ? WHERE id = ? AND seats_taken <= ?`
	return q.affectedOne(ctx, fmt.Sprintf("storage.SetActivityCapacity(%d, %d)", id, capacity), query,
		capacity, dbTime(now), id, capacity)
}

// signupRow is an activity_signups row as scanned, with its place on the
// waiting list.
type signupRow struct {
	ID           int64      `db:"id"`
	ActivityID   int64      `db:"activity_id"`
	OpenID       string     `db:"openid"`
	Name         string     `db:"name"`
	Phone        string     `db:"phone"`
	PartySize    int        `db:"party_size"`
	Status       string     `db:"status"`
	Position     int        `db:"position"`
	CheckinCode  string     `db:"checkin_code"`
	Answers      string     `db:"answers"`
	OfferedUntil *time.Time `db:"offered_until"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

func (r signupRow) signup() (activity.Signup, error) {
	s := activity.Signup{
		ID: r.ID, ActivityID: r.ActivityID, OpenID: r.OpenID, Name: r.Name, Phone: r.Phone,
		PartySize: r.PartySize, Status: activity.SignupStatus(r.Status), Position: r.Position,
		CheckinCode: r.CheckinCode, OfferedUntil: r.OfferedUntil,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Answers: map[string]string{},
	}
	utc(s.OfferedUntil)
	if r.Answers != "" && r.Answers != "{}" {
		if err := json.Unmarshal([]byte(r.Answers), &s.Answers); err != nil {
			return activity.Signup{}, fmt.Errorf("signup %d answers: %w", r.ID, err)
		}
	}
	return s, nil
}

// signupSelect reads sign-ups as signupRow; the waiting list is in
// arrival order (id), so a waitlisted sign-up's position counts the
// waitlisted ones of its activity up to itself.
const signupSelect = `SELECT s.id, s.activity_id, s.openid, s.name, s.phone, s.party_size, s.status,
	CASE WHEN s.status = 'waitlisted' THEN (SELECT COUNT(*) FROM activity_signups w
		WHERE w.activity_id = s.activity_id AND w.status = 'waitlisted' AND w.id <= s.id) ELSE 0 END AS position,
	s.checkin_code, s.answers, s.offered_until, s.created_at, s.updated_at
	FROM activity_signups s`

func (q *queries) getSignup(ctx context.Context, op, query string, args ...any) (activity.Signup, error) {
	return getRow(ctx, q, op, signupRow.signup, query, args...)
}

func (q *queries) selectSignups(ctx context.Context, op, query string, args ...any) ([]activity.Signup, error) {
	return selectRows(ctx, q, op, signupRow.signup, query, args...)
}

// InsertSignup adds s, made from the draft with draftKey ("" for none),
// and sets s.ID. Returns bot.ErrConflict when the draft key was used, the
// resident has an active sign-up for the activity, or the check-in code
// is taken in the activity.
func (q *queries) InsertSignup(ctx context.Context, s *activity.Signup, draftKey string) error {
	const query = `
		INSERT INTO activity_signups (activity_id, openid, name, phone, party_size, status, checkin_code,
			answers, offered_until, draft_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	answers := "{}"
	if len(s.Answers) > 0 {
		b, err := json.Marshal(s.Answers)
		if err != nil {
			return fmt.Errorf("storage.InsertSignup(%d): %w", s.ActivityID, err)
		}
		answers = string(b)
	}
	if err := sqlx.GetContext(ctx, q.ext, &s.ID, q.q(query),
		s.ActivityID, s.OpenID, s.Name, s.Phone, s.PartySize, string(s.Status), s.CheckinCode,
		answers, dbTimePtr(s.OfferedUntil), nullString(draftKey), dbTime(s.CreatedAt), dbTime(s.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertSignup(%d): %w", s.ActivityID, mapError(err))
	}
	return nil
}

// Signup returns sign-up id, or bot.ErrNotFound.
func (q *queries) Signup(ctx context.Context, id int64) (activity.Signup, error) {
	return q.getSignup(ctx, fmt.Sprintf("storage.Signup(%d)", id), signupSelect+` WHERE s.id = ?`, id)
}

// SignupByDraftKey returns the sign-up made from the draft with key, or
// bot.ErrNotFound.
func (q *queries) SignupByDraftKey(ctx context.Context, key string) (activity.Signup, error) {
	return q.getSignup(ctx, "storage.SignupByDraftKey", signupSelect+` WHERE s.draft_key = ?`, key)
}

// ActiveSignup returns the resident's active (not cancelled) sign-up for
// the activity, or bot.ErrNotFound.
func (q *queries) ActiveSignup(ctx context.Context, activityID int64, openid string) (activity.Signup, error) {
	const query = signupSelect + ` WHERE s.activity_id = ? AND s.openid = ? AND s.status <> 'cancelled'`
	return q.getSignup(ctx, fmt.Sprintf("storage.ActiveSignup(%d, %s)", activityID, bot.ShortID(openid)), query, activityID, openid)
}

// SignupByCode returns the sign-up of the activity with the check-in
// code, or bot.ErrNotFound.
func (q *queries) SignupByCode(ctx context.Context, activityID int64, code string) (activity.Signup, error) {
	const query = signupSelect + ` WHERE s.activity_id = ? AND s.checkin_code = ?`
	return q.getSignup(ctx, fmt.Sprintf("storage.SignupByCode(%d)", activityID), query, activityID, code)
}

// CheckinCodeTaken reports whether a sign-up of the activity has code.
func (q *queries) CheckinCodeTaken(ctx context.Context, activityID int64, code string) (bool, error) {
	var n int
	const query = `SELECT COUNT(*) FROM activity_signups WHERE activity_id = ? AND checkin_code = ?`
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), activityID, code); err != nil {
		return false, fmt.Errorf("storage.CheckinCodeTaken(%d): %w", activityID, mapError(err))
	}
	return n > 0, nil
}

// SetSignupStatus moves sign-up id from status from to status to, with
// the offer's end (nil clears it), if it is still in from; it reports
// whether it did, so that of two racing changes only one wins.
func (q *queries) SetSignupStatus(ctx context.Context, id int64, from, to activity.SignupStatus, offeredUntil *time.Time, now time.Time) (bool, error) {
	const query = `UPDATE activity_signups SET status = ?, offered_until = ?, updated_at = ? WHERE id = ? AND status = ?`
	return q.affectedOne(ctx, fmt.Sprintf("storage.SetSignupStatus(%d, %s→%s)", id, from, to), query,
		string(to), dbTimePtr(offeredUntil), dbTime(now), id, string(from))
}

// Waitlist returns the waitlisted sign-ups of the activity in arrival
// order.
func (q *queries) Waitlist(ctx context.Context, activityID int64) ([]activity.Signup, error) {
	const query = signupSelect + ` WHERE s.activity_id = ? AND s.status = 'waitlisted' ORDER BY s.id`
	return q.selectSignups(ctx, fmt.Sprintf("storage.Waitlist(%d)", activityID), query, activityID)
}

// ActivitySignups returns every sign-up of the activity, cancelled ones
// too, in arrival order.
func (q *queries) ActivitySignups(ctx context.Context, activityID int64) ([]activity.Signup, error) {
	const query = signupSelect + ` WHERE s.activity_id = ? ORDER BY s.id`
	return q.selectSignups(ctx, fmt.Sprintf("storage.ActivitySignups(%d)", activityID), query, activityID)
}

// ResidentSignups returns the resident's active sign-ups for activities
// that have not ended at now, in arrival order.
func (q *queries) ResidentSignups(ctx context.Context, openid string, now time.Time) ([]activity.Signup, error) {
	const query = signupSelect + ` JOIN activities a ON a.id = s.activity_id
		WHERE s.openid = ? AND s.status <> 'cancelled' AND a.ends_at > ? ORDER BY s.id`
	return q.selectSignups(ctx, fmt.Sprintf("storage.ResidentSignups(%s)", bot.ShortID(openid)), query, openid, dbTime(now))
}

// ExpiredOffers returns up to limit offered sign-ups whose hold ended at
// or before now, oldest first.
func (q *queries) ExpiredOffers(ctx context.Context, now time.Time, limit int) ([]activity.Signup, error) {
	const query = signupSelect + ` WHERE s.status = 'offered' AND s.offered_until <= ? ORDER BY s.offered_until, s.id LIMIT ?`
	return q.selectSignups(ctx, "storage.ExpiredOffers", query, dbTime(now), limit)
}

// AddActivityEntry appends e to the timeline of activity id.
func (q *queries) AddActivityEntry(ctx context.Context, id int64, e activity.Entry) error {
	const query = `INSERT INTO activity_events (activity_id, signup_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := q.ext.ExecContext(ctx, q.q(query), id, nullID(e.SignupID), dbTime(e.At), e.Actor, e.Action, e.Note); err != nil {
		return fmt.Errorf("storage.AddActivityEntry(%d, %s): %w", id, e.Action, mapError(err))
	}
	return nil
}

// ActivityTimeline returns the timeline of activity id, oldest first.
func (q *queries) ActivityTimeline(ctx context.Context, id int64) ([]activity.Entry, error) {
	var rows []struct {
		At       time.Time     `db:"at"`
		SignupID sql.NullInt64 `db:"signup_id"`
		Actor    string        `db:"actor"`
		Action   string        `db:"action"`
		Note     string        `db:"note"`
	}
	const query = `SELECT at, signup_id, actor, action, note FROM activity_events WHERE activity_id = ? ORDER BY id`
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), id); err != nil {
		return nil, fmt.Errorf("storage.ActivityTimeline(%d): %w", id, mapError(err))
	}
	out := make([]activity.Entry, 0, len(rows))
	for _, r := range rows {
		out = append(out, activity.Entry{At: r.At.UTC(), SignupID: r.SignupID.Int64, Actor: r.Actor, Action: r.Action, Note: r.Note})
	}
	return out, nil
}

// For the conversations (bot/flows/signup).

// ActivitiesChanged returns when any activity was last created or
// changed, or bot.ErrNotFound when there is none: residents who find
// nothing open are told how fresh the list is.
func (q *queries) ActivitiesChanged(ctx context.Context) (time.Time, error) {
	var at []time.Time
	const query = `SELECT updated_at FROM activities ORDER BY updated_at DESC LIMIT 1`
	if err := sqlx.SelectContext(ctx, q.ext, &at, q.q(query)); err != nil {
		return time.Time{}, fmt.Errorf("storage.ActivitiesChanged: %w", mapError(err))
	}
	if len(at) == 0 {
		return time.Time{}, fmt.Errorf("storage.ActivitiesChanged: %w", bot.ErrNotFound)
	}
	return at[0].UTC(), nil
}

// ActivitiesDuring returns the open activities that overlap [from, to),
// in start order: those a staff member at the door checks people in for.
func (q *queries) ActivitiesDuring(ctx context.Context, from, to time.Time) ([]activity.Activity, error) {
	const query = activitySelect + ` WHERE a.status = 'open' AND a.starts_at < ? AND a.ends_at > ? ORDER BY a.starts_at, a.id`
	return q.selectActivities(ctx, "storage.ActivitiesDuring", query, dbTime(to), dbTime(from))
}

// LatestSignup returns the resident's most recent sign-up, whatever its
// status, or bot.ErrNotFound: its name and phone are offered next time.
func (q *queries) LatestSignup(ctx context.Context, openid string) (activity.Signup, error) {
	const query = signupSelect + ` WHERE s.openid = ? ORDER BY s.id DESC LIMIT 1`
	return q.getSignup(ctx, fmt.Sprintf("storage.LatestSignup(%s)", bot.ShortID(openid)), query, openid)
}
