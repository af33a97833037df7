package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// ticketRow is a tickets row as scanned, with the assignee's name joined.
type ticketRow struct {
	ID           int64         `db:"id"`
	Number       string        `db:"number"`
	OpenID       string        `db:"openid"`
	Name         string        `db:"name"`
	Phone        string        `db:"phone"`
	Category     string        `db:"category"`
	Description  string        `db:"description"`
	Photos       string        `db:"photos"`
	BuildingID   sql.NullInt64 `db:"building_id"`
	Unit         int           `db:"unit"`
	Place        string        `db:"place"`
	Lat          float64       `db:"lat"`
	Lng          float64       `db:"lng"`
	Status       string        `db:"status"`
	AssigneeID   sql.NullInt64 `db:"assignee_id"`
	AssigneeName string        `db:"assignee_name"`
	GridID       sql.NullInt64 `db:"grid_id"`
	ParentID     sql.NullInt64 `db:"parent_id"`
	Source       string        `db:"source"`
	Urgent       bool          `db:"urgent"`
	ResponseDue  time.Time     `db:"response_due"`
	ResolveDue   time.Time     `db:"resolve_due"`
	AcceptedAt   *time.Time    `db:"accepted_at"`
	ResolvedAt   *time.Time    `db:"resolved_at"`
	ClosedAt     *time.Time    `db:"closed_at"`
	EscalatedAt  *time.Time    `db:"escalated_at"`
	UrgedAt      *time.Time    `db:"urged_at"`
	Resolution   string        `db:"resolution"`
	Rating       int           `db:"rating"`
	RatingNote   string        `db:"rating_note"`
	CreatedAt    time.Time     `db:"created_at"`
	UpdatedAt    time.Time     `db:"updated_at"`
}

func (r ticketRow) ticket() (ticket.Ticket, error) {
	t := ticket.Ticket{
		ID: r.ID, Number: r.Number, OpenID: r.OpenID, Name: r.Name, Phone: r.Phone,
		Category: r.Category, Description: r.Description,
		BuildingID: r.BuildingID.Int64, Unit: r.Unit, Place: r.Place, Lat: r.Lat, Lng: r.Lng,
		Status: ticket.Status(r.Status), AssigneeID: r.AssigneeID.Int64, AssigneeName: r.AssigneeName,
		GridID: r.GridID.Int64, ParentID: r.ParentID.Int64, Source: r.Source, Urgent: r.Urgent,
		ResponseDue: r.ResponseDue.UTC(), ResolveDue: r.ResolveDue.UTC(),
		AcceptedAt: r.AcceptedAt, ResolvedAt: r.ResolvedAt, ClosedAt: r.ClosedAt,
		EscalatedAt: r.EscalatedAt, UrgedAt: r.UrgedAt,
		Resolution: r.Resolution, Rating: r.Rating, RatingNote: r.RatingNote,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for _, p := range []*time.Time{t.AcceptedAt, t.ResolvedAt, t.ClosedAt, t.EscalatedAt, t.UrgedAt} {
		utc(p)
	}
	if r.Photos != "" && r.Photos != "[]" {
		if err := json.Unmarshal([]byte(r.Photos), &t.Photos); err != nil {
			return ticket.Ticket{}, fmt.Errorf("ticket %d photos: %w", r.ID, err)
		}
	}
	return t, nil
}

// ticketSelect reads tickets as ticketRow; callers add WHERE and ORDER BY
// on the alias t.
const ticketSelect = `SELECT t.id, t.number, t.openid, t.name, t.phone, t.category, t.description, t.photos,
	t.building_id, t.unit, t.place, t.lat, t.lng, t.status, t.assignee_id,
	COALESCE(s.name, '') AS assignee_name, t.grid_id, t.parent_id, t.source, t.urgent,
	t.response_due, t.resolve_due, t.accepted_at, t.resolved_at, t.closed_at, t.escalated_at, t.urged_at,
	t.resolution, t.rating, t.rating_note, t.created_at, t.updated_at
	FROM tickets t LEFT JOIN staff s ON s.id = t.assignee_id`

// openStatuses lists, for SQL, the statuses of tickets that still need
// work (ticket.Status.Open).
const openStatuses = `('submitted', 'accepted', 'returned', 'reopened')`

// overdueCond is true for an open ticket past its resolution deadline, or
// not accepted by its response deadline, at the time bound to the two
// placeholders.
const overdueCond = `(t.status IN ` + openStatuses + ` AND (t.resolve_due < ? OR (t.accepted_at IS NULL AND t.response_due < ?)))`

func (q *queries) getTicket(ctx context.Context, op, query string, args ...any) (ticket.Ticket, error) {
	return getRow(ctx, q, op, ticketRow.ticket, query, args...)
}

func (q *queries) selectTickets(ctx context.Context, op, query string, args ...any) ([]ticket.Ticket, error) {
	return selectRows(ctx, q, op, ticketRow.ticket, query, args...)
}

// NextTicketNumber counts a ticket for day (a Shanghai date as YYMMDD) and
// returns its place in the day: 1 for the first. The counter row stays
// locked until the transaction ends, so concurrent filings queue there and
// never share a number.
func (q *queries) NextTicketNumber(ctx context.Context, day string) (int, error) {
	const query = `
		INSERT INTO ticket_counters (day, n) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET n = ticket_counters.n + 1
		RETURNING n`
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), day); err != nil {
		return 0, fmt.Errorf("storage.NextTicketNumber(%s): %w", day, mapError(err))
	}
	return n, nil
}

// InsertTicket adds t, filed from the draft with draftKey ("" for none),
// and sets t.ID. Times are stored as given (in UTC); AssigneeName and
// CategoryName are not stored. Returns bot.ErrConflict when a ticket with
// draftKey exists (TicketByDraftKey finds it).
func (q *queries) InsertTicket(ctx context.Context, t *ticket.Ticket, draftKey string) error {
	const query = `
		INSERT INTO tickets (number, openid, name, phone, category, description, photos,
			building_id, unit, place, lat, lng, status, assignee_id, grid_id, parent_id, source,
			response_due, resolve_due, accepted_at, resolved_at, closed_at, escalated_at, urged_at,
			resolution, rating, rating_note, created_at, updated_at, draft_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	photos, err := photosJSON(t.Photos)
	if err != nil {
		return fmt.Errorf("storage.InsertTicket(%s): %w", t.Number, err)
	}
	if err := sqlx.GetContext(ctx, q.ext, &t.ID, q.q(query),
		t.Number, t.OpenID, t.Name, t.Phone, t.Category, t.Description, photos,
		nullID(t.BuildingID), t.Unit, t.Place, t.Lat, t.Lng, string(t.Status),
		nullID(t.AssigneeID), nullID(t.GridID), nullID(t.ParentID), t.Source,
		dbTime(t.ResponseDue), dbTime(t.ResolveDue), dbTimePtr(t.AcceptedAt), dbTimePtr(t.ResolvedAt),
		dbTimePtr(t.ClosedAt), dbTimePtr(t.EscalatedAt), dbTimePtr(t.UrgedAt),
		t.Resolution, t.Rating, t.RatingNote, dbTime(t.CreatedAt), dbTime(t.UpdatedAt), nullString(draftKey)); err != nil {
		return fmt.Errorf("storage.InsertTicket(%s): %w", t.Number, mapError(err))
	}
	// Set apart, so that the tests of earlier migrations, which insert
	// ordinary tickets into an older schema, still can.
	if t.Urgent {
		if _, err := q.ext.ExecContext(ctx, q.q(`UPDATE tickets SET urgent = ? WHERE id = ?`), true, t.ID); err != nil {
			return fmt.Errorf("storage.InsertTicket(%s): %w", t.Number, mapError(err))
		}
	}
	return nil
}

// TicketByDraftKey returns the ticket filed from the draft with key, or
// bot.ErrNotFound.
func (q *queries) TicketByDraftKey(ctx context.Context, key string) (ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.draft_key = ?`
	return q.getTicket(ctx, "storage.TicketByDraftKey", query, key)
}

// UpdateTicket writes what the lifecycle changes (status, assignee,
// deadlines and stamps, resolution, rating, parent) of ticket t.ID. Lock
// the ticket first (LockTicket) so that no change in between is lost.
func (q *queries) UpdateTicket(ctx context.Context, t ticket.Ticket) error {
	const query = `
		UPDATE tickets SET status = ?, assignee_id = ?, grid_id = ?, parent_id = ?,
			response_due = ?, resolve_due = ?,
			accepted_at = ?, resolved_at = ?, closed_at = ?, escalated_at = ?, urged_at = ?,
			resolution = ?, rating = ?, rating_note = ?, updated_at = ?
		WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query),
		string(t.Status), nullID(t.AssigneeID), nullID(t.GridID), nullID(t.ParentID),
		dbTime(t.ResponseDue), dbTime(t.ResolveDue),
		dbTimePtr(t.AcceptedAt), dbTimePtr(t.ResolvedAt), dbTimePtr(t.ClosedAt), dbTimePtr(t.EscalatedAt), dbTimePtr(t.UrgedAt),
		t.Resolution, t.Rating, t.RatingNote, dbTime(t.UpdatedAt), t.ID)
	if err != nil {
		return fmt.Errorf("storage.UpdateTicket(%s): %w", t.Number, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.UpdateTicket(%s): %w", t.Number, bot.ErrNotFound)
	}
	return nil
}

// LockTicket returns the ticket with number after locking its row until
// the transaction ends (PostgreSQL; SQLite transactions hold the whole
// database), so that read-check-write sequences on one ticket take turns.
// Returns bot.ErrNotFound for an unknown number.
func (q *queries) LockTicket(ctx context.Context, number string) (ticket.Ticket, error) {
	const lock = `UPDATE tickets SET number = number WHERE number = ?`
	res, err := q.ext.ExecContext(ctx, q.q(lock), number)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("storage.LockTicket(%s): %w", number, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ticket.Ticket{}, fmt.Errorf("storage.LockTicket(%s): %w", number, bot.ErrNotFound)
	}
	return q.Ticket(ctx, number)
}

// Ticket returns the ticket with number, or bot.ErrNotFound.
func (q *queries) Ticket(ctx context.Context, number string) (ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.number = ?`
	return q.getTicket(ctx, fmt.Sprintf("storage.Ticket(%s)", number), query, number)
}

// TicketsByNumber returns the tickets with the given numbers, without
// their timelines, in number order; numbers no ticket has are left out.
// One query whatever the count, for lists anyone may ask for (Open311).
func (q *queries) TicketsByNumber(ctx context.Context, numbers []string) ([]ticket.Ticket, error) {
	if len(numbers) == 0 {
		return []ticket.Ticket{}, nil
	}
	query, args, err := sqlx.In(ticketSelect+` WHERE t.number IN (?) ORDER BY t.number`, numbers)
	if err != nil {
		return nil, fmt.Errorf("storage.TicketsByNumber: %w", err)
	}
	return q.selectTickets(ctx, fmt.Sprintf("storage.TicketsByNumber(%d numbers)", len(numbers)), query, args...)
}

// TicketByID returns ticket id, or bot.ErrNotFound.
func (q *queries) TicketByID(ctx context.Context, id int64) (ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.id = ?`
	return q.getTicket(ctx, fmt.Sprintf("storage.TicketByID(%d)", id), query, id)
}

// AddTimelineEntry appends e to the timeline of ticket id and returns the
// event's id.
func (q *queries) AddTimelineEntry(ctx context.Context, id int64, e ticket.Entry) (int64, error) {
	const query = `INSERT INTO ticket_events (ticket_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?) RETURNING id`
	var eid int64
	if err := sqlx.GetContext(ctx, q.ext, &eid, q.q(query), id, dbTime(e.At), e.Actor, e.Action, e.Note); err != nil {
		return 0, fmt.Errorf("storage.AddTimelineEntry(%d, %s): %w", id, e.Action, mapError(err))
	}
	return eid, nil
}

// CountTimelineEntries counts the entries of ticket id by actor with
// action at or after since.
func (q *queries) CountTimelineEntries(ctx context.Context, id int64, actor, action string, since time.Time) (int, error) {
	const query = `SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND actor = ? AND action = ? AND at >= ?`
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), id, actor, action, dbTime(since)); err != nil {
		return 0, fmt.Errorf("storage.CountTimelineEntries(%d, %s): %w", id, action, mapError(err))
	}
	return n, nil
}

// Timeline returns the timeline of ticket id, oldest first.
func (q *queries) Timeline(ctx context.Context, id int64) ([]ticket.Entry, error) {
	const query = `SELECT at, actor, action, note FROM ticket_events WHERE ticket_id = ? ORDER BY id`
	out := []ticket.Entry{}
	rows, err := q.ext.QueryxContext(ctx, q.q(query), id)
	if err != nil {
		return nil, fmt.Errorf("storage.Timeline(%d): %w", id, mapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e ticket.Entry
		if err := rows.Scan(&e.At, &e.Actor, &e.Action, &e.Note); err != nil {
			return nil, fmt.Errorf("storage.Timeline(%d): %w", id, mapError(err))
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage.Timeline(%d): %w", id, mapError(err))
	}
	return out, nil
}

// ResidentTickets returns the tickets filed by openid, newest first, at
// most limit.
func (q *queries) ResidentTickets(ctx context.Context, openid string, limit int) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.openid = ? ORDER BY t.created_at DESC, t.id DESC LIMIT ?`
	return q.selectTickets(ctx, fmt.Sprintf("storage.ResidentTickets(%s)", bot.ShortID(openid)), query, openid, limit)
}

// CountTicketsFiled counts the tickets openid filed through source at or
// after since.
func (q *queries) CountTicketsFiled(ctx context.Context, openid, source string, since time.Time) (int, error) {
	const query = `SELECT COUNT(*) FROM tickets WHERE openid = ? AND source = ? AND created_at >= ?`
	var n int
	if err := sqlx.GetContext(ctx, q.ext, &n, q.q(query), openid, source, dbTime(since)); err != nil {
		return 0, fmt.Errorf("storage.CountTicketsFiled(%s): %w", bot.ShortID(openid), mapError(err))
	}
	return n, nil
}

// LatestResolved returns the resident's most recently resolved ticket
// awaiting a rating (status resolved): the one whose rating request they
// received last. Returns bot.ErrNotFound when there is none.
func (q *queries) LatestResolved(ctx context.Context, openid string) (ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.openid = ? AND t.status = 'resolved'
		ORDER BY t.resolved_at DESC, t.id DESC LIMIT 1`
	return q.getTicket(ctx, fmt.Sprintf("storage.LatestResolved(%s)", bot.ShortID(openid)), query, openid)
}

// AssignedTickets returns the open tickets assigned to staffID: those
// overdue at now first, then the oldest.
func (q *queries) AssignedTickets(ctx context.Context, staffID int64, now time.Time) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.assignee_id = ? AND t.status IN ` + openStatuses + `
		ORDER BY CASE WHEN ` + overdueCond + ` THEN 0 ELSE 1 END, t.created_at, t.id`
	now = dbTime(now)
	return q.selectTickets(ctx, fmt.Sprintf("storage.AssignedTickets(%d)", staffID), query, staffID, now, now)
}

// OpenTicketsInBuildings returns the open tickets of the buildings ids,
// newest first, at most limit: what a 楼栋长 or 单元长 was copied on.
func (q *queries) OpenTicketsInBuildings(ctx context.Context, ids []int64, limit int) ([]ticket.Ticket, error) {
	if len(ids) == 0 {
		return []ticket.Ticket{}, nil
	}
	query, args, err := sqlx.In(ticketSelect+` WHERE t.building_id IN (?) AND t.status IN `+openStatuses+`
		ORDER BY t.created_at DESC, t.id DESC LIMIT ?`, ids, limit)
	if err != nil {
		return nil, fmt.Errorf("storage.OpenTicketsInBuildings: %w", err)
	}
	return q.selectTickets(ctx, fmt.Sprintf("storage.OpenTicketsInBuildings(%d buildings)", len(ids)), query, args...)
}

// SameIssue returns the open tickets of the building and category created
// at or after since, oldest first, whoever filed them (callers count
// households and leave out the filer's own).
func (q *queries) SameIssue(ctx context.Context, buildingID int64, category string, since time.Time) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.building_id = ? AND t.category = ? AND t.created_at >= ?
		AND t.status IN ` + openStatuses + ` ORDER BY t.created_at, t.id`
	return q.selectTickets(ctx, fmt.Sprintf("storage.SameIssue(%d, %s)", buildingID, category), query, buildingID, category, dbTime(since))
}

// SamePlaceIssue returns the open tickets of the category in no building
// whose place is exactly place (a public place: "公共区域：东门广场"),
// created at or after since, oldest first.
func (q *queries) SamePlaceIssue(ctx context.Context, place, category string, since time.Time) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.building_id IS NULL AND t.place = ? AND t.category = ? AND t.created_at >= ?
		AND t.status IN ` + openStatuses + ` ORDER BY t.created_at, t.id`
	return q.selectTickets(ctx, fmt.Sprintf("storage.SamePlaceIssue(%s)", category), query, place, category, dbTime(since))
}

// OpenChildren returns the open tickets linked to parentID (ParentID),
// oldest first.
func (q *queries) OpenChildren(ctx context.Context, parentID int64) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.parent_id = ? AND t.status IN ` + openStatuses + ` ORDER BY t.created_at, t.id`
	return q.selectTickets(ctx, fmt.Sprintf("storage.OpenChildren(%d)", parentID), query, parentID)
}

// TicketFilter selects tickets for ListTickets; zero fields do not filter.
type TicketFilter struct {
	Status ticket.Status
	// Open keeps the tickets still needing work (any open status).
	Open     bool
	Category string
	GridID   int64
	// Overdue keeps open tickets past a deadline at Now.
	Overdue bool
	Now     time.Time
	// From and To bound created_at to [From, To).
	From, To time.Time
	// Scope, when set, keeps only the tickets a staff member who does
	// not see everything may: those assigned to them or in their grids.
	Scope         *TicketScope
	Limit, Offset int
}

// TicketScope is the part of the tickets one staff member sees.
type TicketScope struct {
	AssigneeID int64
	Grids      []int64
}

// cond returns the condition and its arguments.
func (sc *TicketScope) cond() (string, []any) {
	if sc == nil {
		return "", nil
	}
	cond := ` AND (t.assignee_id = ?`
	args := []any{sc.AssigneeID}
	if len(sc.Grids) > 0 {
		cond += ` OR t.grid_id IN (?` + strings.Repeat(`, ?`, len(sc.Grids)-1) + `)`
		for _, g := range sc.Grids {
			args = append(args, g)
		}
	}
	return cond + `)`, args
}

// ListTickets returns the tickets f selects, newest first, and how many
// there are in all.
func (q *queries) ListTickets(ctx context.Context, f TicketFilter) ([]ticket.Ticket, int, error) {
	where := ` WHERE (? = '' OR t.status = ?) AND (? = 0 OR t.status IN ` + openStatuses + `)
		AND (? = '' OR t.category = ?) AND (? = 0 OR t.grid_id = ?)
		AND (? = 0 OR ` + overdueCond + `) AND t.created_at >= ? AND t.created_at < ?`
	scope, scopeArgs := f.Scope.cond()
	where += scope
	count := `SELECT COUNT(*) FROM tickets t` + where
	query := ticketSelect + where + ` ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?`
	from, to := dbTime(f.From), dbTime(f.To)
	if f.From.IsZero() {
		from = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.To.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	overdue, open := 0, 0
	if f.Overdue {
		overdue = 1
	}
	if f.Open {
		open = 1
	}
	now := dbTime(f.Now)
	args := []any{string(f.Status), string(f.Status), open, f.Category, f.Category, f.GridID, f.GridID, overdue, now, now, from, to}
	args = append(args, scopeArgs...)
	var total int
	if err := sqlx.GetContext(ctx, q.ext, &total, q.q(count), args...); err != nil {
		return nil, 0, fmt.Errorf("storage.ListTickets: %w", mapError(err))
	}
	out, err := q.selectTickets(ctx, "storage.ListTickets", query, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// SweepCursor is where a sweep stands in the order Unanswered or Unrated
// return tickets: the deadline (or resolution time) and id of the last
// ticket seen. The zero SweepCursor starts at the beginning.
type SweepCursor struct {
	At time.Time
	ID int64
}

// after returns the cursor's bounds for a keyset condition.
func (c SweepCursor) after() (time.Time, int64) {
	if c.ID == 0 && c.At.IsZero() {
		return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0
	}
	return dbTime(c.At), c.ID
}

// Unanswered returns up to limit open tickets never accepted whose
// response deadline passed by now and that were not escalated yet, oldest
// deadline first, starting after the cursor (so that tickets a sweep
// failed to escalate do not hide the others).
func (q *queries) Unanswered(ctx context.Context, now time.Time, after SweepCursor, limit int) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.status IN ` + openStatuses + ` AND t.accepted_at IS NULL
		AND t.escalated_at IS NULL AND t.response_due <= ?
		AND (t.response_due > ? OR (t.response_due = ? AND t.id > ?))
		ORDER BY t.response_due, t.id LIMIT ?`
	at, id := after.after()
	return q.selectTickets(ctx, "storage.Unanswered", query, dbTime(now), at, at, id, limit)
}

// MarkEscalated records that ticket id escalated at now, if it is still
// open, unaccepted and not escalated; it reports whether it did, so that
// of several sweepers only one escalates.
func (q *queries) MarkEscalated(ctx context.Context, id int64, now time.Time) (bool, error) {
	const query = `UPDATE tickets SET escalated_at = ?, updated_at = ?
		WHERE id = ? AND escalated_at IS NULL AND accepted_at IS NULL AND status IN ` + openStatuses
	now = dbTime(now)
	n, err := q.execAffected(ctx, fmt.Sprintf("storage.MarkEscalated(%d)", id), query, now, now, id)
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// Unrated returns up to limit resolved tickets resolved at or before
// before, oldest first, starting after the cursor.
func (q *queries) Unrated(ctx context.Context, before time.Time, after SweepCursor, limit int) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.status = 'resolved' AND t.resolved_at <= ?
		AND (t.resolved_at > ? OR (t.resolved_at = ? AND t.id > ?))
		ORDER BY t.resolved_at, t.id LIMIT ?`
	at, id := after.after()
	return q.selectTickets(ctx, "storage.Unrated", query, dbTime(before), at, at, id, limit)
}

// CloseUnrated closes ticket id with rating and note if it is still
// resolved since before or earlier; it reports whether it did, so that of
// several sweepers only one closes it.
func (q *queries) CloseUnrated(ctx context.Context, id int64, before, now time.Time, rating int, note string) (bool, error) {
	const query = `UPDATE tickets SET status = 'closed', closed_at = ?, rating = ?, rating_note = ?, updated_at = ?
		WHERE id = ? AND status = 'resolved' AND resolved_at <= ?`
	now = dbTime(now)
	n, err := q.execAffected(ctx, fmt.Sprintf("storage.CloseUnrated(%d)", id), query, now, rating, note, now, id, dbTime(before))
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// TicketStat counts the tickets of one grid (0: none) and category.
type TicketStat struct {
	GridID   int64  `db:"grid_id"`
	Category string `db:"category"`
	Tickets  int    `db:"tickets"`
	Open     int    `db:"open"`
	Overdue  int    `db:"overdue"`
	// Responded were accepted by their response deadline.
	Responded int `db:"responded"`
	// Resolved are resolved or closed.
	Resolved int `db:"resolved"`
	Rated    int `db:"rated"`
	// Satisfied were rated 满意 or 基本满意.
	Satisfied int `db:"satisfied"`
}

// TicketStats counts the tickets created in [from, to) by grid and
// category; overdue is judged at now.
func (q *queries) TicketStats(ctx context.Context, from, to, now time.Time) ([]TicketStat, error) {
	const query = `
		SELECT COALESCE(t.grid_id, 0) AS grid_id, t.category, COUNT(*) AS tickets,
			SUM(CASE WHEN t.status IN ` + openStatuses + ` THEN 1 ELSE 0 END) AS open,
			SUM(CASE WHEN ` + overdueCond + ` THEN 1 ELSE 0 END) AS overdue,
			SUM(CASE WHEN t.accepted_at IS NOT NULL AND t.accepted_at <= t.response_due THEN 1 ELSE 0 END) AS responded,
			SUM(CASE WHEN t.status IN ('resolved', 'closed') THEN 1 ELSE 0 END) AS resolved,
			SUM(CASE WHEN t.rating > 0 THEN 1 ELSE 0 END) AS rated,
			SUM(CASE WHEN t.rating IN (1, 2) THEN 1 ELSE 0 END) AS satisfied
		FROM tickets t
		WHERE t.created_at >= ? AND t.created_at < ?
		GROUP BY COALESCE(t.grid_id, 0), t.category
		ORDER BY 1, 2`
	now = dbTime(now)
	out := []TicketStat{}
	if err := sqlx.SelectContext(ctx, q.ext, &out, q.q(query), now, now, dbTime(from), dbTime(to)); err != nil {
		return nil, fmt.Errorf("storage.TicketStats: %w", mapError(err))
	}
	return out, nil
}

func photosJSON(photos []string) (string, error) {
	if len(photos) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(photos)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func dbTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dbTime(*t)
}

// ExpiredTickets returns up to limit tickets closed before before whose
// personal fields are still there, oldest first.
func (q *queries) ExpiredTickets(ctx context.Context, before time.Time, limit int) ([]ticket.Ticket, error) {
	const query = ticketSelect + ` WHERE t.status = 'closed' AND t.closed_at < ? AND t.anonymised_at IS NULL
		ORDER BY t.closed_at, t.id LIMIT ?`
	return q.selectTickets(ctx, "storage.ExpiredTickets", query, dbTime(before), limit)
}

// AnonymiseTicket blanks what ticket id says about a person: the openid,
// name and phone of the resident, the description, photos, coordinates,
// the unit, and the place beyond what is given (the building, say), plus
// the notes on its timeline by actor (the resident's own words). What the
// statistics count stays: category, status, grid, building, assignee,
// deadlines and times, the rating and its note. It marks the ticket anonymised at at, and
// returns how many timeline notes it blanked.
func (q *queries) AnonymiseTicket(ctx context.Context, id int64, place, actor string, at time.Time) (int, error) {
	const (
		update = `UPDATE tickets SET openid = '', name = '', phone = '', description = '', photos = '[]',
			lat = 0, lng = 0, unit = 0, place = ?, anonymised_at = ?
			WHERE id = ?`
		notes = `UPDATE ticket_events SET note = '' WHERE ticket_id = ? AND actor = ? AND note <> ''`
	)
	res, err := q.ext.ExecContext(ctx, q.q(update), place, dbTime(at), id)
	if err != nil {
		return 0, fmt.Errorf("storage.AnonymiseTicket(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("storage.AnonymiseTicket(%d): %w", id, bot.ErrNotFound)
	}
	res, err = q.ext.ExecContext(ctx, q.q(notes), id, actor)
	if err != nil {
		return 0, fmt.Errorf("storage.AnonymiseTicket(%d): notes: %w", id, mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage.AnonymiseTicket(%d): notes: %w", id, err)
	}
	return int(n), nil
}
