package storage

// This file keeps the legal clinic (issue 11): providers, schedules,
// closures, the seats of booked slots, bookings, 法律援助 applications,
// 专家会诊 requests, the bookings' timeline and the 巡诊 subscriptions.
//
// Privacy: a booking's or request's description and an aid application's
// answers are confidential. The staff list functions (ClinicBookingsOn,
// ClinicAidByStatus, ClinicExpertByStatus) do not select them; only the
// single-record reads and the functions documented "with descriptions"
// do.
//
// Seats are counted by the database: clinic_slots.taken is changed only
// by TakeClinicSeat and ReleaseClinicSeat, whose conditional statements
// check the capacity in the statement that counts.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// joinInts stores ids or weekdays as a comma list.
func joinInts[T int | int64](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatInt(int64(x), 10)
	}
	return strings.Join(s, ",")
}

// splitInts reads a comma list of integers.
func splitInts[T int | int64](s string) ([]T, error) {
	out := []T{}
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, T(n))
	}
	return out, nil
}

// joinStrings stores strings (matters, languages) as a comma list; a
// comma inside an item would split it, so callers keep items comma-free.
func joinStrings[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

func splitStrings[T ~string](s string) []T {
	out := []T{}
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, T(f))
		}
	}
	return out
}

// Providers.

type clinicProviderRow struct {
	ID        int64         `db:"id"`
	Name      string        `db:"name"`
	Kind      string        `db:"kind"`
	Phone     string        `db:"phone"`
	StaffID   sql.NullInt64 `db:"staff_id"`
	Languages string        `db:"languages"`
	Active    bool          `db:"active"`
	CreatedAt time.Time     `db:"created_at"`
	UpdatedAt time.Time     `db:"updated_at"`
}

func (r clinicProviderRow) provider() (cl.Provider, error) {
	return cl.Provider{
		ID: r.ID, Name: r.Name, Kind: cl.Kind(r.Kind), Phone: r.Phone, StaffID: r.StaffID.Int64,
		Languages: splitStrings[string](r.Languages), Active: r.Active,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

const clinicProviderSelect = `SELECT id, name, kind, phone, staff_id, languages, active, created_at, updated_at
	FROM clinic_providers`

// InsertClinicProvider adds p and sets p.ID.
func (q *queries) InsertClinicProvider(ctx context.Context, p *cl.Provider) error {
	const query = `INSERT INTO clinic_providers (name, kind, phone, staff_id, languages, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &p.ID, q.q(query), p.Name, string(p.Kind), p.Phone, nullID(p.StaffID),
		joinStrings(p.Languages), p.Active, dbTime(p.CreatedAt), dbTime(p.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicProvider: %w", mapError(err))
	}
	return nil
}

// ClinicProvider returns provider id, or bot.ErrNotFound.
func (q *queries) ClinicProvider(ctx context.Context, id int64) (cl.Provider, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicProvider(%d)", id), clinicProviderRow.provider,
		clinicProviderSelect+` WHERE id = ?`, id)
}

// ClinicProviders returns every provider, active or not, by id.
func (q *queries) ClinicProviders(ctx context.Context) ([]cl.Provider, error) {
	return selectRows(ctx, q, "storage.ClinicProviders", clinicProviderRow.provider, clinicProviderSelect+` ORDER BY id`)
}

// ClinicProvidersByStaff returns the providers linked to staff member
// staffID, by id.
func (q *queries) ClinicProvidersByStaff(ctx context.Context, staffID int64) ([]cl.Provider, error) {
	return selectRows(ctx, q, fmt.Sprintf("storage.ClinicProvidersByStaff(%d)", staffID), clinicProviderRow.provider,
		clinicProviderSelect+` WHERE staff_id = ? ORDER BY id`, staffID)
}

// UpdateClinicProvider writes p's fields (all but CreatedAt) to provider
// p.ID, or returns bot.ErrNotFound.
func (q *queries) UpdateClinicProvider(ctx context.Context, p cl.Provider) error {
	const query = `UPDATE clinic_providers SET name = ?, kind = ?, phone = ?, staff_id = ?, languages = ?, active = ?,
		updated_at = ? WHERE id = ?`
	op := fmt.Sprintf("storage.UpdateClinicProvider(%d)", p.ID)
	return q.updateOne(ctx, op, query, p.Name, string(p.Kind), p.Phone, nullID(p.StaffID),
		joinStrings(p.Languages), p.Active, dbTime(p.UpdatedAt), p.ID)
}

// Schedules.

type clinicScheduleRow struct {
	ID          int64         `db:"id"`
	Mode        string        `db:"mode"`
	ProviderIDs string        `db:"provider_ids"`
	Weekdays    string        `db:"weekdays"`
	Date        string        `db:"date"`
	Start       string        `db:"start_time"`
	End         string        `db:"end_time"`
	SlotMinutes int           `db:"slot_minutes"`
	Capacity    int           `db:"capacity"`
	Location    string        `db:"location"`
	Building    string        `db:"building"`
	Matters     string        `db:"matters"`
	ValidFrom   string        `db:"valid_from"`
	ValidTo     string        `db:"valid_to"`
	ActivityID  sql.NullInt64 `db:"activity_id"`
	Active      bool          `db:"active"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

func (r clinicScheduleRow) schedule() (cl.Schedule, error) {
	pids, err := splitInts[int64](r.ProviderIDs)
	if err != nil {
		return cl.Schedule{}, fmt.Errorf("schedule %d providers: %w", r.ID, err)
	}
	days, err := splitInts[int](r.Weekdays)
	if err != nil {
		return cl.Schedule{}, fmt.Errorf("schedule %d weekdays: %w", r.ID, err)
	}
	return cl.Schedule{
		ID: r.ID, Mode: cl.Mode(r.Mode), ProviderIDs: pids, Weekdays: days, Date: r.Date,
		Start: r.Start, End: r.End, SlotMinutes: r.SlotMinutes, Capacity: r.Capacity,
		Location: r.Location, Building: r.Building, Matters: splitStrings[cl.Matter](r.Matters),
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, ActivityID: r.ActivityID.Int64, Active: r.Active,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

const clinicScheduleSelect = `SELECT id, mode, provider_ids, weekdays, date, start_time, end_time, slot_minutes,
	capacity, location, building, matters, valid_from, valid_to, activity_id, active, created_at, updated_at
	FROM clinic_schedules`

// InsertClinicSchedule adds sc and sets sc.ID.
func (q *queries) InsertClinicSchedule(ctx context.Context, sc *cl.Schedule) error {
	const query = `INSERT INTO clinic_schedules (mode, provider_ids, weekdays, date, start_time, end_time,
		slot_minutes, capacity, location, building, matters, valid_from, valid_to, activity_id, active,
		created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &sc.ID, q.q(query), string(sc.Mode), joinInts(sc.ProviderIDs),
		joinInts(sc.Weekdays), sc.Date, sc.Start, sc.End, sc.SlotMinutes, sc.Capacity, sc.Location, sc.Building,
		joinStrings(sc.Matters), sc.ValidFrom, sc.ValidTo, nullID(sc.ActivityID), sc.Active,
		dbTime(sc.CreatedAt), dbTime(sc.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicSchedule: %w", mapError(err))
	}
	return nil
}

// ClinicSchedule returns schedule id, or bot.ErrNotFound.
func (q *queries) ClinicSchedule(ctx context.Context, id int64) (cl.Schedule, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicSchedule(%d)", id), clinicScheduleRow.schedule,
		clinicScheduleSelect+` WHERE id = ?`, id)
}

// ClinicSchedules returns every schedule, active or not, by id.
func (q *queries) ClinicSchedules(ctx context.Context) ([]cl.Schedule, error) {
	return selectRows(ctx, q, "storage.ClinicSchedules", clinicScheduleRow.schedule, clinicScheduleSelect+` ORDER BY id`)
}

// ActiveClinicSchedules returns the active schedules, by id.
func (q *queries) ActiveClinicSchedules(ctx context.Context) ([]cl.Schedule, error) {
	return selectRows(ctx, q, "storage.ActiveClinicSchedules", clinicScheduleRow.schedule,
		clinicScheduleSelect+` WHERE active ORDER BY id`)
}

// UpdateClinicSchedule writes sc's fields (all but CreatedAt) to schedule
// sc.ID, or returns bot.ErrNotFound.
func (q *queries) UpdateClinicSchedule(ctx context.Context, sc cl.Schedule) error {
	const query = `UPDATE clinic_schedules SET mode = ?, provider_ids = ?, weekdays = ?, date = ?, start_time = ?,
		end_time = ?, slot_minutes = ?, capacity = ?, location = ?, building = ?, matters = ?, valid_from = ?,
		valid_to = ?, activity_id = ?, active = ?, updated_at = ? WHERE id = ?`
	op := fmt.Sprintf("storage.UpdateClinicSchedule(%d)", sc.ID)
	return q.updateOne(ctx, op, query, string(sc.Mode), joinInts(sc.ProviderIDs), joinInts(sc.Weekdays),
		sc.Date, sc.Start, sc.End, sc.SlotMinutes, sc.Capacity, sc.Location, sc.Building, joinStrings(sc.Matters),
		sc.ValidFrom, sc.ValidTo, nullID(sc.ActivityID), sc.Active, dbTime(sc.UpdatedAt), sc.ID)
}

// Closures.

type clinicClosureRow struct {
	ID         int64         `db:"id"`
	Date       string        `db:"date"`
	ProviderID sql.NullInt64 `db:"provider_id"`
	Reason     string        `db:"reason"`
	CreatedAt  time.Time     `db:"created_at"`
}

func (r clinicClosureRow) closure() (cl.Closure, error) {
	return cl.Closure{ID: r.ID, Date: r.Date, ProviderID: r.ProviderID.Int64, Reason: r.Reason, CreatedAt: r.CreatedAt.UTC()}, nil
}

const clinicClosureSelect = `SELECT id, date, provider_id, reason, created_at FROM clinic_closures`

// InsertClinicClosure adds c and sets c.ID.
func (q *queries) InsertClinicClosure(ctx context.Context, c *cl.Closure) error {
	const query = `INSERT INTO clinic_closures (date, provider_id, reason, created_at) VALUES (?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &c.ID, q.q(query), c.Date, nullID(c.ProviderID), c.Reason,
		dbTime(c.CreatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicClosure: %w", mapError(err))
	}
	return nil
}

// ClinicClosure returns closure id, or bot.ErrNotFound.
func (q *queries) ClinicClosure(ctx context.Context, id int64) (cl.Closure, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicClosure(%d)", id), clinicClosureRow.closure,
		clinicClosureSelect+` WHERE id = ?`, id)
}

// ClinicClosures returns the closures dated from from to to, both
// inclusive ("YYYY-MM-DD"; "" leaves that end open), by date and id.
func (q *queries) ClinicClosures(ctx context.Context, from, to string) ([]cl.Closure, error) {
	query := clinicClosureSelect + ` WHERE 1 = 1`
	var args []any
	if from != "" {
		query += ` AND date >= ?`
		args = append(args, from)
	}
	if to != "" {
		query += ` AND date <= ?`
		args = append(args, to)
	}
	return selectRows(ctx, q, "storage.ClinicClosures", clinicClosureRow.closure, query+` ORDER BY date, id`, args...)
}

// SetClinicClosureReason changes closure id's reason, or returns
// bot.ErrNotFound.
func (q *queries) SetClinicClosureReason(ctx context.Context, id int64, reason string) error {
	op := fmt.Sprintf("storage.SetClinicClosureReason(%d)", id)
	return q.updateOne(ctx, op, `UPDATE clinic_closures SET reason = ? WHERE id = ?`, reason, id)
}

// Seats.

// TakeClinicSeat takes one seat of the slot (schedule, start) of capacity
// seats in one conditional upsert, and reports whether it did: the slot's
// row is made on its first booking, and capacity is the schedule's
// capacity now (an edited capacity applies from the next booking on).
func (q *queries) TakeClinicSeat(ctx context.Context, scheduleID int64, start time.Time, capacity int) (bool, error) {
	if capacity <= 0 {
		return false, nil
	}
	const query = `INSERT INTO clinic_slots (schedule_id, starts_at, capacity, taken) VALUES (?, ?, ?, 1)
		ON CONFLICT (schedule_id, starts_at) DO UPDATE SET taken = clinic_slots.taken + 1, capacity = excluded.capacity
		WHERE clinic_slots.taken < excluded.capacity`
	return q.affectedOne(ctx, fmt.Sprintf("storage.TakeClinicSeat(%d)", scheduleID), query,
		scheduleID, dbTime(start), capacity)
}

// ReleaseClinicSeat gives one seat of the slot back. It fails (rather
// than count below zero) when none is taken, which would be a bug.
func (q *queries) ReleaseClinicSeat(ctx context.Context, scheduleID int64, start time.Time) error {
	op := fmt.Sprintf("storage.ReleaseClinicSeat(%d)", scheduleID)
	ok, err := q.affectedOne(ctx, op, `UPDATE clinic_slots SET taken = taken - 1
		WHERE schedule_id = ? AND starts_at = ? AND taken > 0`, scheduleID, dbTime(start))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: no seat taken", op)
	}
	return nil
}

// ClinicSeat is the count of one booked slot.
type ClinicSeat struct {
	ScheduleID int64     `db:"schedule_id"`
	Start      time.Time `db:"starts_at"`
	Capacity   int       `db:"capacity"`
	Taken      int       `db:"taken"`
}

// ClinicSeats returns the counts of the booked slots starting in
// [from, to), keyed by slot.
func (q *queries) ClinicSeats(ctx context.Context, from, to time.Time) (map[cl.SlotRef]int, error) {
	var rows []ClinicSeat
	const query = `SELECT schedule_id, starts_at, capacity, taken FROM clinic_slots WHERE starts_at >= ? AND starts_at < ?`
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), dbTime(from), dbTime(to)); err != nil {
		return nil, fmt.Errorf("storage.ClinicSeats: %w", mapError(err))
	}
	out := make(map[cl.SlotRef]int, len(rows))
	for _, r := range rows {
		out[cl.SlotRef{ScheduleID: r.ScheduleID, Start: r.Start.UTC()}] = r.Taken
	}
	return out, nil
}

// Bookings.

type clinicBookingRow struct {
	ID          int64         `db:"id"`
	Code        string        `db:"code"`
	ScheduleID  int64         `db:"schedule_id"`
	StartsAt    time.Time     `db:"starts_at"`
	EndsAt      time.Time     `db:"ends_at"`
	Mode        string        `db:"mode"`
	Location    string        `db:"location"`
	Matter      string        `db:"matter"`
	OpenID      string        `db:"openid"`
	Name        string        `db:"name"`
	Phone       string        `db:"phone"`
	Description string        `db:"description"`
	Language    string        `db:"language"`
	NeedRep     bool          `db:"need_rep"`
	TicketID    sql.NullInt64 `db:"ticket_id"`
	AidID       sql.NullInt64 `db:"aid_id"`
	Status      string        `db:"status"`
	Note        string        `db:"note"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

func (r clinicBookingRow) booking() (cl.Booking, error) {
	return cl.Booking{
		ID: r.ID, Code: r.Code, ScheduleID: r.ScheduleID, Start: r.StartsAt.UTC(), End: r.EndsAt.UTC(),
		Mode: cl.Mode(r.Mode), Location: r.Location, Matter: cl.Matter(r.Matter), OpenID: r.OpenID,
		Name: r.Name, Phone: r.Phone, Description: r.Description, Language: r.Language, NeedRep: r.NeedRep,
		TicketID: r.TicketID.Int64, AidID: r.AidID.Int64, Status: cl.Status(r.Status), Note: r.Note,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

const clinicBookingColumns = `b.id, b.code, b.schedule_id, b.starts_at, b.ends_at, b.mode, b.location, b.matter,
	b.openid, b.name, b.phone, b.language, b.need_rep, b.ticket_id, b.aid_id, b.status, b.note,
	b.created_at, b.updated_at`

// clinicBookingSelect reads bookings with their descriptions;
// clinicBookingListSelect leaves the description out (blank).
const (
	clinicBookingSelect     = `SELECT ` + clinicBookingColumns + `, b.description FROM clinic_bookings b`
	clinicBookingListSelect = `SELECT ` + clinicBookingColumns + `, '' AS description FROM clinic_bookings b`
)

func (q *queries) getClinicBooking(ctx context.Context, op, query string, args ...any) (cl.Booking, error) {
	return getRow(ctx, q, op, clinicBookingRow.booking, query, args...)
}

func (q *queries) selectClinicBookings(ctx context.Context, op, query string, args ...any) ([]cl.Booking, error) {
	return selectRows(ctx, q, op, clinicBookingRow.booking, query, args...)
}

// InsertClinicBooking adds b, made from the draft with draftKey ("" for
// none), and sets b.ID. Returns bot.ErrConflict when the draft key or the
// code is taken, or the resident has an active booking on the day.
func (q *queries) InsertClinicBooking(ctx context.Context, b *cl.Booking, draftKey string) error {
	const query = `INSERT INTO clinic_bookings (code, schedule_id, starts_at, ends_at, day, mode, location, matter,
		openid, name, phone, description, language, need_rep, ticket_id, aid_id, status, note, draft_key,
		created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &b.ID, q.q(query), b.Code, b.ScheduleID, dbTime(b.Start), dbTime(b.End),
		b.Day(), string(b.Mode), b.Location, string(b.Matter), b.OpenID, b.Name, b.Phone, b.Description,
		b.Language, b.NeedRep, nullID(b.TicketID), nullID(b.AidID), string(b.Status), b.Note,
		nullString(draftKey), dbTime(b.CreatedAt), dbTime(b.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicBooking(%d): %w", b.ScheduleID, mapError(err))
	}
	return nil
}

// ClinicBooking returns booking id with its description, or
// bot.ErrNotFound.
func (q *queries) ClinicBooking(ctx context.Context, id int64) (cl.Booking, error) {
	return q.getClinicBooking(ctx, fmt.Sprintf("storage.ClinicBooking(%d)", id), clinicBookingSelect+` WHERE b.id = ?`, id)
}

// ClinicBookingByDraftKey returns the booking made from the draft with
// key, or bot.ErrNotFound.
func (q *queries) ClinicBookingByDraftKey(ctx context.Context, key string) (cl.Booking, error) {
	return q.getClinicBooking(ctx, "storage.ClinicBookingByDraftKey", clinicBookingSelect+` WHERE b.draft_key = ?`, key)
}

// ClinicBookingCodeTaken reports whether a booking has code.
func (q *queries) ClinicBookingCodeTaken(ctx context.Context, code string) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(`SELECT COUNT(*) FROM clinic_bookings WHERE code = ?`), code); err != nil {
		return false, fmt.Errorf("storage.ClinicBookingCodeTaken: %w", mapError(err))
	}
	return n > 0, nil
}

// ClinicBookingsOn returns the bookings of day ("YYYY-MM-DD"; "" every
// day) in status ("" any), by start and id, WITHOUT descriptions: the
// staff list.
func (q *queries) ClinicBookingsOn(ctx context.Context, day string, status cl.Status) ([]cl.Booking, error) {
	query, args := clinicBookingListSelect+` WHERE 1 = 1`, []any{}
	if day != "" {
		query += ` AND b.day = ?`
		args = append(args, day)
	}
	if status != "" {
		query += ` AND b.status = ?`
		args = append(args, string(status))
	}
	return q.selectClinicBookings(ctx, "storage.ClinicBookingsOn", query+` ORDER BY b.starts_at, b.id`, args...)
}

// ClinicDayBookings returns the bookings of day not cancelled, by start
// and id, WITH descriptions: what clinic staff and the session's
// providers read (今日预约).
func (q *queries) ClinicDayBookings(ctx context.Context, day string) ([]cl.Booking, error) {
	const query = clinicBookingSelect + ` WHERE b.day = ? AND b.status <> 'cancelled' ORDER BY b.starts_at, b.id`
	return q.selectClinicBookings(ctx, "storage.ClinicDayBookings", query, day)
}

// ResidentClinicBookings returns the resident's bookings in status ("":
// any) starting at or after since, soonest first, with descriptions (the
// resident's own).
func (q *queries) ResidentClinicBookings(ctx context.Context, openid string, status cl.Status, since time.Time) ([]cl.Booking, error) {
	query, args := clinicBookingSelect+` WHERE b.openid = ? AND b.starts_at >= ?`, []any{openid, dbTime(since)}
	if status != "" {
		query += ` AND b.status = ?`
		args = append(args, string(status))
	}
	return q.selectClinicBookings(ctx, fmt.Sprintf("storage.ResidentClinicBookings(%s)", bot.ShortID(openid)),
		query+` ORDER BY b.starts_at, b.id`, args...)
}

// ActiveClinicBookingOn returns the resident's booked booking on day, or
// bot.ErrNotFound.
func (q *queries) ActiveClinicBookingOn(ctx context.Context, openid, day string) (cl.Booking, error) {
	const query = clinicBookingSelect + ` WHERE b.openid = ? AND b.day = ? AND b.status = 'booked'`
	return q.getClinicBooking(ctx, fmt.Sprintf("storage.ActiveClinicBookingOn(%s, %s)", bot.ShortID(openid), day), query, openid, day)
}

// LatestClinicBooking returns the resident's most recent booking, any
// status, or bot.ErrNotFound.
func (q *queries) LatestClinicBooking(ctx context.Context, openid string) (cl.Booking, error) {
	const query = clinicBookingSelect + ` WHERE b.openid = ? ORDER BY b.id DESC LIMIT 1`
	return q.getClinicBooking(ctx, fmt.Sprintf("storage.LatestClinicBooking(%s)", bot.ShortID(openid)), query, openid)
}

// BookedClinicBookings returns the booked bookings starting at or after
// from (of schedule scheduleID, or of every schedule when 0), by start,
// with descriptions (for the resident's own notice).
func (q *queries) BookedClinicBookings(ctx context.Context, scheduleID int64, from time.Time) ([]cl.Booking, error) {
	query, args := clinicBookingSelect+` WHERE b.status = 'booked' AND b.starts_at >= ?`, []any{dbTime(from)}
	if scheduleID != 0 {
		query += ` AND b.schedule_id = ?`
		args = append(args, scheduleID)
	}
	return q.selectClinicBookings(ctx, "storage.BookedClinicBookings", query+` ORDER BY b.starts_at, b.id`, args...)
}

// SetClinicBookingStatus moves booking id from status from to status to
// if it is still in from, and reports whether it did.
func (q *queries) SetClinicBookingStatus(ctx context.Context, id int64, from, to cl.Status, now time.Time) (bool, error) {
	const query = `UPDATE clinic_bookings SET status = ?, updated_at = ? WHERE id = ? AND status = ?`
	return q.affectedOne(ctx, fmt.Sprintf("storage.SetClinicBookingStatus(%d, %s→%s)", id, from, to), query,
		string(to), dbTime(now), id, string(from))
}

// SetClinicBookingNote sets booking id's staff note, or returns
// bot.ErrNotFound.
func (q *queries) SetClinicBookingNote(ctx context.Context, id int64, note string, now time.Time) error {
	op := fmt.Sprintf("storage.SetClinicBookingNote(%d)", id)
	return q.updateOne(ctx, op, `UPDATE clinic_bookings SET note = ?, updated_at = ? WHERE id = ?`, note, dbTime(now), id)
}

// SetClinicBookingLocation sets the place of booking id (its schedule
// moved), or returns bot.ErrNotFound.
func (q *queries) SetClinicBookingLocation(ctx context.Context, id int64, location string, now time.Time) error {
	op := fmt.Sprintf("storage.SetClinicBookingLocation(%d)", id)
	return q.updateOne(ctx, op, `UPDATE clinic_bookings SET location = ?, updated_at = ? WHERE id = ?`, location, dbTime(now), id)
}

// SetClinicBookingAid links booking id to aid application aidID.
func (q *queries) SetClinicBookingAid(ctx context.Context, id, aidID int64) error {
	op := fmt.Sprintf("storage.SetClinicBookingAid(%d)", id)
	return q.updateOne(ctx, op, `UPDATE clinic_bookings SET aid_id = ? WHERE id = ?`, aidID, id)
}

// Aid applications.

type clinicAidRow struct {
	ID          int64         `db:"id"`
	OpenID      string        `db:"openid"`
	Name        string        `db:"name"`
	Phone       string        `db:"phone"`
	Answers     string        `db:"answers"`
	Description string        `db:"description"`
	BookingID   sql.NullInt64 `db:"booking_id"`
	Status      string        `db:"status"`
	Note        string        `db:"note"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

func (r clinicAidRow) aid() (cl.AidApplication, error) {
	a := cl.AidApplication{
		ID: r.ID, OpenID: r.OpenID, Name: r.Name, Phone: r.Phone, Description: r.Description,
		BookingID: r.BookingID.Int64, Status: cl.AidStatus(r.Status), Note: r.Note,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Answers != "" && r.Answers != "{}" {
		a.Answers = &cl.AidAnswers{}
		if err := json.Unmarshal([]byte(r.Answers), a.Answers); err != nil {
			return cl.AidApplication{}, fmt.Errorf("aid %d answers: %w", r.ID, err)
		}
	}
	return a, nil
}

const clinicAidColumns = `id, openid, name, phone, booking_id, status, note, created_at, updated_at`

const (
	clinicAidSelect     = `SELECT ` + clinicAidColumns + `, answers, description FROM clinic_aid`
	clinicAidListSelect = `SELECT ` + clinicAidColumns + `, '' AS answers, '' AS description FROM clinic_aid`
)

// InsertClinicAid adds a, filed from the draft with draftKey ("" none),
// and sets a.ID. Returns bot.ErrConflict when the draft key was used.
func (q *queries) InsertClinicAid(ctx context.Context, a *cl.AidApplication, draftKey string) error {
	answers := "{}"
	if a.Answers != nil {
		b, err := json.Marshal(a.Answers)
		if err != nil {
			return fmt.Errorf("storage.InsertClinicAid: %w", err)
		}
		answers = string(b)
	}
	const query = `INSERT INTO clinic_aid (openid, name, phone, answers, description, booking_id, status, note,
		draft_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &a.ID, q.q(query), a.OpenID, a.Name, a.Phone, answers, a.Description,
		nullID(a.BookingID), string(a.Status), a.Note, nullString(draftKey), dbTime(a.CreatedAt),
		dbTime(a.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicAid: %w", mapError(err))
	}
	return nil
}

// ClinicAid returns aid application id with its answers, or
// bot.ErrNotFound.
func (q *queries) ClinicAid(ctx context.Context, id int64) (cl.AidApplication, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicAid(%d)", id), clinicAidRow.aid, clinicAidSelect+` WHERE id = ?`, id)
}

// ClinicAidByDraftKey returns the application filed from the draft with
// key, or bot.ErrNotFound.
func (q *queries) ClinicAidByDraftKey(ctx context.Context, key string) (cl.AidApplication, error) {
	return getRow(ctx, q, "storage.ClinicAidByDraftKey", clinicAidRow.aid, clinicAidSelect+` WHERE draft_key = ?`, key)
}

// ClinicAidByStatus returns the applications in status ("" any), oldest
// first, WITHOUT answers or descriptions: the staff list.
func (q *queries) ClinicAidByStatus(ctx context.Context, status cl.AidStatus) ([]cl.AidApplication, error) {
	query, args := clinicAidListSelect, []any{}
	if status != "" {
		query += ` WHERE status = ?`
		args = append(args, string(status))
	}
	return selectRows(ctx, q, "storage.ClinicAidByStatus", clinicAidRow.aid, query+` ORDER BY id`, args...)
}

// ResidentClinicAid returns the resident's applications, newest first,
// with answers (their own).
func (q *queries) ResidentClinicAid(ctx context.Context, openid string) ([]cl.AidApplication, error) {
	return selectRows(ctx, q, fmt.Sprintf("storage.ResidentClinicAid(%s)", bot.ShortID(openid)), clinicAidRow.aid,
		clinicAidSelect+` WHERE openid = ? ORDER BY id DESC`, openid)
}

// SetClinicAidStatus moves application id from status from to to, with
// note, if it is still in from, and reports whether it did.
func (q *queries) SetClinicAidStatus(ctx context.Context, id int64, from, to cl.AidStatus, note string, now time.Time) (bool, error) {
	const query = `UPDATE clinic_aid SET status = ?, note = ?, updated_at = ? WHERE id = ? AND status = ?`
	return q.affectedOne(ctx, fmt.Sprintf("storage.SetClinicAidStatus(%d, %s→%s)", id, from, to), query,
		string(to), note, dbTime(now), id, string(from))
}

// SetClinicAidBooking links application id to booking bookingID.
func (q *queries) SetClinicAidBooking(ctx context.Context, id, bookingID int64) error {
	op := fmt.Sprintf("storage.SetClinicAidBooking(%d)", id)
	return q.updateOne(ctx, op, `UPDATE clinic_aid SET booking_id = ? WHERE id = ?`, nullID(bookingID), id)
}

// Expert requests.

type clinicExpertRow struct {
	ID          int64      `db:"id"`
	OpenID      string     `db:"openid"`
	Name        string     `db:"name"`
	Phone       string     `db:"phone"`
	Matter      string     `db:"matter"`
	Description string     `db:"description"`
	Status      string     `db:"status"`
	At          *time.Time `db:"at"`
	Location    string     `db:"location"`
	ProviderIDs string     `db:"provider_ids"`
	Note        string     `db:"note"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
}

func (r clinicExpertRow) expert() (cl.ExpertRequest, error) {
	pids, err := splitInts[int64](r.ProviderIDs)
	if err != nil {
		return cl.ExpertRequest{}, fmt.Errorf("expert %d providers: %w", r.ID, err)
	}
	e := cl.ExpertRequest{
		ID: r.ID, OpenID: r.OpenID, Name: r.Name, Phone: r.Phone, Matter: cl.Matter(r.Matter),
		Description: r.Description, Status: cl.ExpertStatus(r.Status), At: r.At, Location: r.Location,
		ProviderIDs: pids, Note: r.Note, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	utc(e.At)
	return e, nil
}

const clinicExpertColumns = `id, openid, name, phone, matter, status, at, location, provider_ids, note, created_at, updated_at`

const (
	clinicExpertSelect     = `SELECT ` + clinicExpertColumns + `, description FROM clinic_expert`
	clinicExpertListSelect = `SELECT ` + clinicExpertColumns + `, '' AS description FROM clinic_expert`
)

// InsertClinicExpert adds r, filed from the draft with draftKey ("" none),
// and sets r.ID. Returns bot.ErrConflict when the draft key was used.
func (q *queries) InsertClinicExpert(ctx context.Context, r *cl.ExpertRequest, draftKey string) error {
	const query = `INSERT INTO clinic_expert (openid, name, phone, matter, description, status, at, location,
		provider_ids, note, draft_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	if err := sqlx.GetContext(ctx, q.ext, &r.ID, q.q(query), r.OpenID, r.Name, r.Phone, string(r.Matter),
		r.Description, string(r.Status), dbTimePtr(r.At), r.Location, joinInts(r.ProviderIDs), r.Note,
		nullString(draftKey), dbTime(r.CreatedAt), dbTime(r.UpdatedAt)); err != nil {
		return fmt.Errorf("storage.InsertClinicExpert: %w", mapError(err))
	}
	return nil
}

// ClinicExpert returns expert request id with its description, or
// bot.ErrNotFound.
func (q *queries) ClinicExpert(ctx context.Context, id int64) (cl.ExpertRequest, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicExpert(%d)", id), clinicExpertRow.expert,
		clinicExpertSelect+` WHERE id = ?`, id)
}

// ClinicExpertByDraftKey returns the request filed from the draft with
// key, or bot.ErrNotFound.
func (q *queries) ClinicExpertByDraftKey(ctx context.Context, key string) (cl.ExpertRequest, error) {
	return getRow(ctx, q, "storage.ClinicExpertByDraftKey", clinicExpertRow.expert,
		clinicExpertSelect+` WHERE draft_key = ?`, key)
}

// ClinicExpertByStatus returns the requests in status ("" any), oldest
// first, WITHOUT descriptions: the staff list.
func (q *queries) ClinicExpertByStatus(ctx context.Context, status cl.ExpertStatus) ([]cl.ExpertRequest, error) {
	query, args := clinicExpertListSelect, []any{}
	if status != "" {
		query += ` WHERE status = ?`
		args = append(args, string(status))
	}
	return selectRows(ctx, q, "storage.ClinicExpertByStatus", clinicExpertRow.expert, query+` ORDER BY id`, args...)
}

// ResidentClinicExpert returns the resident's requests, newest first.
func (q *queries) ResidentClinicExpert(ctx context.Context, openid string) ([]cl.ExpertRequest, error) {
	return selectRows(ctx, q, fmt.Sprintf("storage.ResidentClinicExpert(%s)", bot.ShortID(openid)), clinicExpertRow.expert,
		clinicExpertSelect+` WHERE openid = ? ORDER BY id DESC`, openid)
}

// UpdateClinicExpert writes r's status, time, place, panel and note to
// request r.ID if it is still in status from, and reports whether it did.
func (q *queries) UpdateClinicExpert(ctx context.Context, r cl.ExpertRequest, from cl.ExpertStatus) (bool, error) {
	const query = `UPDATE clinic_expert SET status = ?, at = ?, location = ?, provider_ids = ?, note = ?, updated_at = ?
		WHERE id = ? AND status = ?`
	return q.affectedOne(ctx, fmt.Sprintf("storage.UpdateClinicExpert(%d)", r.ID), query, string(r.Status),
		dbTimePtr(r.At), r.Location, joinInts(r.ProviderIDs), r.Note, dbTime(r.UpdatedAt), r.ID, string(from))
}

// Timeline.

// ClinicEvent is one line of the timeline of a booking, an aid
// application or an expert request (one of the three ids is set).
type ClinicEvent struct {
	ID        int64         `db:"id"`
	BookingID sql.NullInt64 `db:"booking_id"`
	AidID     sql.NullInt64 `db:"aid_id"`
	ExpertID  sql.NullInt64 `db:"expert_id"`
	At        time.Time     `db:"at"`
	Actor     string        `db:"actor"`
	Action    string        `db:"action"`
	Note      string        `db:"note"`
}

// AddClinicEvent appends e to the timeline of its booking, application or
// request, and returns its id.
func (q *queries) AddClinicEvent(ctx context.Context, bookingID, aidID, expertID int64, at time.Time, actor, action, note string) (int64, error) {
	const query = `INSERT INTO clinic_events (booking_id, aid_id, expert_id, at, actor, action, note)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`
	var id int64
	if err := sqlx.GetContext(ctx, q.ext, &id, q.q(query), nullID(bookingID), nullID(aidID), nullID(expertID),
		dbTime(at), actor, action, note); err != nil {
		return 0, fmt.Errorf("storage.AddClinicEvent(%s): %w", action, mapError(err))
	}
	return id, nil
}

// ClinicEvents returns the timeline of booking bookingID, aid application
// aidID or expert request expertID (the one not 0), oldest first.
func (q *queries) ClinicEvents(ctx context.Context, bookingID, aidID, expertID int64) ([]ClinicEvent, error) {
	var col string
	var id int64
	switch {
	case bookingID != 0:
		col, id = "booking_id", bookingID
	case aidID != 0:
		col, id = "aid_id", aidID
	default:
		col, id = "expert_id", expertID
	}
	out := []ClinicEvent{}
	query := `SELECT id, booking_id, aid_id, expert_id, at, actor, action, note FROM clinic_events WHERE ` + col + ` = ? ORDER BY id`
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), id); err != nil {
		return nil, fmt.Errorf("storage.ClinicEvents(%s %d): %w", col, id, mapError(err))
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// Subscriptions.

// SetClinicSubscription opts the resident in (on) or out of the 巡诊
// announcements; either is idempotent.
func (q *queries) SetClinicSubscription(ctx context.Context, openid string, on bool, now time.Time) error {
	op := fmt.Sprintf("storage.SetClinicSubscription(%s)", bot.ShortID(openid))
	var err error
	if on {
		_, err = q.execAffected(ctx, op, `INSERT INTO clinic_subscriptions (openid, created_at) VALUES (?, ?)
			ON CONFLICT (openid) DO NOTHING`, openid, dbTime(now))
	} else {
		_, err = q.execAffected(ctx, op, `DELETE FROM clinic_subscriptions WHERE openid = ?`, openid)
	}
	return err
}

// ClinicSubscribed returns those of openids who subscribed, sorted.
func (q *queries) ClinicSubscribed(ctx context.Context, openids []string) ([]string, error) {
	out := []string{}
	if len(openids) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT openid FROM clinic_subscriptions WHERE openid IN (?) ORDER BY openid`, openids)
	if err != nil {
		return nil, fmt.Errorf("storage.ClinicSubscribed: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("storage.ClinicSubscribed: %w", mapError(err))
	}
	return out, nil
}

// --- notices, reminders and privacy (i11-notify) ---

// ClinicContact is one provider as a notice names them, with the openid
// of the staff member they are linked to when that one can be told
// (active, WeChat bound; "" otherwise).
type ClinicContact struct {
	ProviderID int64  `db:"provider_id"`
	Name       string `db:"name"`
	Kind       string `db:"kind"`
	Active     bool   `db:"active"`
	StaffID    int64  `db:"staff_id"`
	OpenID     string `db:"openid"`
}

// ClinicContacts returns the providers ids (unknown ones left out) by
// id, each with the openid of their staff member when that one is active
// and bound their WeChat.
func (q *queries) ClinicContacts(ctx context.Context, ids []int64) ([]ClinicContact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := sqlx.In(`SELECT p.id AS provider_id, p.name, p.kind, p.active, COALESCE(s.id, 0) AS staff_id,
			CASE WHEN s.active THEN COALESCE(s.openid, '') ELSE '' END AS openid
		FROM clinic_providers p LEFT JOIN staff s ON s.id = p.staff_id
		WHERE p.id IN (?) ORDER BY p.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("storage.ClinicContacts: %w", err)
	}
	var rows []ClinicContact
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("storage.ClinicContacts: %w", mapError(err))
	}
	return rows, nil
}

// ClinicSubscribersIn returns the openids of the residents who follow
// the account, opted in to 巡诊 announcements (clinic_subscriptions) and
// whose registered address is in building number ("3号楼…"), by openid.
func (q *queries) ClinicSubscribersIn(ctx context.Context, building int) ([]string, error) {
	var out []string
	const query = `SELECT r.openid FROM residents r JOIN clinic_subscriptions c ON c.openid = r.openid
		WHERE r.subscribed AND r.address LIKE ? ORDER BY r.openid`
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), strconv.Itoa(building)+"号楼%"); err != nil {
		return nil, fmt.Errorf("storage.ClinicSubscribersIn(%d): %w", building, mapError(err))
	}
	return out, nil
}

// AnonymiseClinicBooking blanks booking id's openid, name, phone,
// description, language and note, and its timeline's notes; it keeps the
// matter, mode, status, slot and times. It returns how many notes it
// blanked.
func (q *queries) AnonymiseClinicBooking(ctx context.Context, id int64, now time.Time) (int, error) {
	op := fmt.Sprintf("storage.AnonymiseClinicBooking(%d)", id)
	if _, err := q.execAffected(ctx, op, `UPDATE clinic_bookings SET openid = '', name = '', phone = '', description = '',
		language = '', note = '', draft_key = NULL, updated_at = ? WHERE id = ?`, dbTime(now), id); err != nil {
		return 0, err
	}
	n, err := q.execAffected(ctx, op, `UPDATE clinic_events SET note = '' WHERE booking_id = ? AND note <> ''`, id)
	return int(n), err
}

// AnonymiseClinicAid blanks the resident's 法律援助 applications (openid,
// name, phone, answers, description, note, and their timeline's notes),
// keeping status and times, and returns how many applications.
func (q *queries) AnonymiseClinicAid(ctx context.Context, openid string, now time.Time) (int, error) {
	op := fmt.Sprintf("storage.AnonymiseClinicAid(%s)", bot.ShortID(openid))
	if _, err := q.execAffected(ctx, op, `UPDATE clinic_events SET note = '' WHERE note <> ''
		AND aid_id IN (SELECT id FROM clinic_aid WHERE openid = ?)`, openid); err != nil {
		return 0, err
	}
	n, err := q.execAffected(ctx, op, `UPDATE clinic_aid SET openid = '', name = '', phone = '', answers = '{}',
		description = '', note = '', draft_key = NULL, updated_at = ? WHERE openid = ?`, dbTime(now), openid)
	return int(n), err
}

// AnonymiseClinicExpert blanks the resident's 专家会诊 requests (openid,
// name, phone, description, note, and their timeline's notes), keeping
// matter, status, time and panel, and returns how many requests.
func (q *queries) AnonymiseClinicExpert(ctx context.Context, openid string, now time.Time) (int, error) {
	op := fmt.Sprintf("storage.AnonymiseClinicExpert(%s)", bot.ShortID(openid))
	if _, err := q.execAffected(ctx, op, `UPDATE clinic_events SET note = '' WHERE note <> ''
		AND expert_id IN (SELECT id FROM clinic_expert WHERE openid = ?)`, openid); err != nil {
		return 0, err
	}
	n, err := q.execAffected(ctx, op, `UPDATE clinic_expert SET openid = '', name = '', phone = '', description = '',
		note = '', draft_key = NULL, updated_at = ? WHERE openid = ?`, dbTime(now), openid)
	return int(n), err
}

// ExpiredClinicBookings returns up to limit ids of bookings that ended
// before cutoff and still hold personal data.
func (q *queries) ExpiredClinicBookings(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	var ids []int64
	const query = `SELECT id FROM clinic_bookings WHERE ends_at < ?
		AND (openid <> '' OR name <> '' OR phone <> '' OR description <> '') ORDER BY id LIMIT ?`
	if err := sqlx.SelectContext(ctx, q.ext, &ids, q.q(query), dbTime(cutoff), limit); err != nil {
		return nil, fmt.Errorf("storage.ExpiredClinicBookings: %w", mapError(err))
	}
	return ids, nil
}

// ExpireClinicRequests blanks up to limit 法律援助 applications and 专家会诊
// requests settled (approved, declined, scheduled) and last changed before
// cutoff that still hold personal data, and returns how many.
func (q *queries) ExpireClinicRequests(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	cutoff = dbTime(cutoff)
	total := 0
	for _, t := range []struct{ table, settled, fields, events string }{
		{"clinic_aid", "'approved', 'declined'", "answers = '{}', ", "aid_id"},
		{"clinic_expert", "'scheduled', 'declined'", "", "expert_id"},
	} {
		var ids []int64
		sel := fmt.Sprintf(`SELECT id FROM %s WHERE status IN (%s) AND updated_at < ?
			AND (openid <> '' OR name <> '' OR phone <> '' OR description <> '') ORDER BY id LIMIT ?`, t.table, t.settled)
		if err := sqlx.SelectContext(ctx, q.ext, &ids, q.q(sel), cutoff, limit-total); err != nil {
			return total, fmt.Errorf("storage.ExpireClinicRequests: %w", mapError(err))
		}
		for _, id := range ids {
			op := fmt.Sprintf("storage.ExpireClinicRequests(%s %d)", t.table, id)
			upd := fmt.Sprintf(`UPDATE %s SET openid = '', name = '', phone = '', %sdescription = '', note = '', draft_key = NULL WHERE id = ?`, t.table, t.fields)
			if _, err := q.execAffected(ctx, op, upd, id); err != nil {
				return total, err
			}
			if _, err := q.execAffected(ctx, op, fmt.Sprintf(`UPDATE clinic_events SET note = '' WHERE %s = ? AND note <> ''`, t.events), id); err != nil {
				return total, err
			}
		}
		total += len(ids)
		if total >= limit {
			break
		}
	}
	return total, nil
}

// ClinicInterpreters returns the active providers who speak language
// (one of their languages; "" none) or, with rep, are minority
// representatives, by id: who gets a copy of a booking that asked for
// them.
func (q *queries) ClinicInterpreters(ctx context.Context, language string, rep bool) ([]int64, error) {
	if language == "" && !rep {
		return nil, nil
	}
	var ids []int64
	const query = `SELECT id FROM clinic_providers WHERE active
		AND ((? <> '' AND ',' || languages || ',' LIKE ? ESCAPE '\') OR (? AND kind = 'minority_rep')) ORDER BY id`
	if err := sqlx.SelectContext(ctx, q.ext, &ids, q.q(query), language, "%,"+likeEscape(language)+",%", rep); err != nil {
		return nil, fmt.Errorf("storage.ClinicInterpreters: %w", mapError(err))
	}
	return ids, nil
}
