package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// staffRow is a staff row as scanned; roles are a comma list and openid is
// NULL until the staff member binds their WeChat.
type staffRow struct {
	ID     int64          `db:"id"`
	Name   string         `db:"name"`
	Phone  string         `db:"phone"`
	OpenID sql.NullString `db:"openid"`
	Roles  string         `db:"roles"`
}

func (r staffRow) staff() ticket.Staff {
	s := ticket.Staff{ID: r.ID, Name: r.Name, Phone: r.Phone, OpenID: r.OpenID.String, Roles: []string{}}
	for _, role := range strings.Split(r.Roles, ",") {
		if role != "" {
			s.Roles = append(s.Roles, role)
		}
	}
	return s
}

const staffColumns = `id, name, phone, openid, roles`

// nullString stores "" as NULL, for unique columns that many rows leave
// empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// InsertStaff adds a staff member holding the one-time bindCode, valid
// until expires, and returns their id. Returns bot.ErrConflict if the
// openid or the code is taken.
func (q *queries) InsertStaff(ctx context.Context, s ticket.Staff, bindCode string, at, expires time.Time) (int64, error) {
	const query = `
		INSERT INTO staff (name, phone, openid, roles, bind_code, bind_expires, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	var id int64
	if err := sqlx.GetContext(ctx, q.ext, &id, q.q(query),
		s.Name, s.Phone, nullString(s.OpenID), strings.Join(s.Roles, ","), nullString(bindCode), dbTime(expires), dbTime(at)); err != nil {
		return 0, fmt.Errorf("storage.InsertStaff: %w", mapError(err))
	}
	return id, nil
}

// Staff returns the staff member id, or bot.ErrNotFound.
func (q *queries) Staff(ctx context.Context, id int64) (ticket.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE id = ?`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), id); err != nil {
		return ticket.Staff{}, fmt.Errorf("storage.Staff(%d): %w", id, mapError(err))
	}
	return r.staff(), nil
}

// StaffByOpenID returns the staff member bound to openid, or
// bot.ErrNotFound.
func (q *queries) StaffByOpenID(ctx context.Context, openid string) (ticket.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE openid = ?`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), openid); err != nil {
		return ticket.Staff{}, fmt.Errorf("storage.StaffByOpenID(%s): %w", bot.ShortID(openid), mapError(err))
	}
	return r.staff(), nil
}

// StaffByName returns the staff members called name, lowest id first
// (none is not an error).
func (q *queries) StaffByName(ctx context.Context, name string) ([]ticket.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE name = ? ORDER BY id`
	return q.selectStaff(ctx, "storage.StaffByName", query, name)
}

// ListStaff returns every staff member by id.
func (q *queries) ListStaff(ctx context.Context) ([]ticket.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff ORDER BY id`
	return q.selectStaff(ctx, "storage.ListStaff", query)
}

func (q *queries) selectStaff(ctx context.Context, op, query string, args ...any) ([]ticket.Staff, error) {
	var rows []staffRow
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, mapError(err))
	}
	out := make([]ticket.Staff, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.staff())
	}
	return out, nil
}

// StaffWithRole returns the staff member with role and the lowest id other
// than except (0 excludes nobody), or bot.ErrNotFound.
func (q *queries) StaffWithRole(ctx context.Context, role string, except int64) (ticket.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff
		WHERE ',' || roles || ',' LIKE ? ESCAPE '\' AND id <> ?
		ORDER BY id LIMIT 1`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), "%,"+likeEscape(role)+",%", except); err != nil {
		return ticket.Staff{}, fmt.Errorf("storage.StaffWithRole(%s): %w", role, mapError(err))
	}
	return r.staff(), nil
}

// BindStaff binds openid to the staff member holding the one-time code,
// unexpired at now, and uses the code up. Returns bot.ErrNotFound for an
// unknown, used or expired code and bot.ErrConflict when openid is bound to
// another staff member.
func (q *queries) BindStaff(ctx context.Context, code, openid string, now time.Time) (ticket.Staff, error) {
	const query = `UPDATE staff SET openid = ?, bind_code = NULL, bind_expires = NULL
		WHERE bind_code = ? AND bind_expires > ?
		RETURNING ` + staffColumns
	var r staffRow
	if code == "" || openid == "" {
		return ticket.Staff{}, fmt.Errorf("storage.BindStaff: empty code or openid: %w", bot.ErrNotFound)
	}
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), openid, code, dbTime(now)); err != nil {
		return ticket.Staff{}, fmt.Errorf("storage.BindStaff(%s): %w", bot.ShortID(openid), mapError(err))
	}
	return r.staff(), nil
}

// SetBindCode gives staff member id a new one-time code valid until
// expires, replacing any unused one. Returns bot.ErrNotFound for an unknown
// id and bot.ErrConflict if the code is taken.
func (q *queries) SetBindCode(ctx context.Context, id int64, code string, expires time.Time) error {
	const query = `UPDATE staff SET bind_code = ?, bind_expires = ? WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), code, dbTime(expires), id)
	if err != nil {
		return fmt.Errorf("storage.SetBindCode(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.SetBindCode(%d): %w", id, bot.ErrNotFound)
	}
	return nil
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\': the
// underscore of grid_worker would otherwise match any character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
