package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

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

// splitIDs reads a comma list of ids as stored ("3,5").
func splitIDs(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad id %q in list", f)
		}
		out = append(out, id)
	}
	return out, nil
}

// ClinicScheduleProviderIDs returns the providers of schedule id, in the
// order staff listed them, or bot.ErrNotFound.
func (q *queries) ClinicScheduleProviderIDs(ctx context.Context, id int64) ([]int64, error) {
	var raw string
	const query = `SELECT provider_ids FROM clinic_schedules WHERE id = ?`
	if err := sqlx.GetContext(ctx, q.ext, &raw, q.q(query), id); err != nil {
		return nil, fmt.Errorf("storage.ClinicScheduleProviderIDs(%d): %w", id, mapError(err))
	}
	ids, err := splitIDs(raw)
	if err != nil {
		return nil, fmt.Errorf("storage.ClinicScheduleProviderIDs(%d): %w", id, err)
	}
	return ids, nil
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

// clinicBookingRow is a clinic_bookings row as the notices read it.
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

const clinicNoticeBookingSelect = `SELECT id, code, schedule_id, starts_at, ends_at, mode, location, matter, openid,
	name, phone, description, language, need_rep, ticket_id, aid_id, status, note, created_at, updated_at FROM clinic_bookings`

// ClinicNoticeBooking returns booking id as a reminder or an erasure
// reads it, or bot.ErrNotFound.
func (q *queries) ClinicNoticeBooking(ctx context.Context, id int64) (cl.Booking, error) {
	return getRow(ctx, q, fmt.Sprintf("storage.ClinicNoticeBooking(%d)", id), clinicBookingRow.booking,
		clinicNoticeBookingSelect+` WHERE id = ?`, id)
}

// ClinicBookingsOf returns every booking that still names the resident,
// any status, by id.
func (q *queries) ClinicBookingsOf(ctx context.Context, openid string) ([]cl.Booking, error) {
	return selectRows(ctx, q, fmt.Sprintf("storage.ClinicBookingsOf(%s)", bot.ShortID(openid)), clinicBookingRow.booking,
		clinicNoticeBookingSelect+` WHERE openid = ? ORDER BY id`, openid)
}

// CancelErasedBooking cancels booking id if it is still booked and has
// not started at now, freeing its seat, and reports whether it did. The
// timeline says so without naming anyone.
func (q *queries) CancelErasedBooking(ctx context.Context, b cl.Booking, now time.Time) (bool, error) {
	op := fmt.Sprintf("storage.CancelErasedBooking(%d)", b.ID)
	now = dbTime(now)
	ok, err := q.affectedOne(ctx, op, `UPDATE clinic_bookings SET status = 'cancelled', updated_at = ?
		WHERE id = ? AND status = 'booked' AND starts_at > ?`, now, b.ID, now)
	if err != nil || !ok {
		return false, err
	}
	if _, err := q.execAffected(ctx, op, `UPDATE clinic_slots SET taken = taken - 1
		WHERE schedule_id = ? AND starts_at = ? AND taken > 0`, b.ScheduleID, dbTime(b.Start)); err != nil {
		return false, err
	}
	_, err = q.execAffected(ctx, op, `INSERT INTO clinic_events (booking_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)`,
		b.ID, now, "系统", "已取消", "居民信息已删除")
	return err == nil, err
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

// DeleteClinicSubscription forgets the resident's 巡诊 opt-in and
// reports how many rows went (0 or 1).
func (q *queries) DeleteClinicSubscription(ctx context.Context, openid string) (int, error) {
	n, err := q.execAffected(ctx, "storage.DeleteClinicSubscription", `DELETE FROM clinic_subscriptions WHERE openid = ?`, openid)
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
