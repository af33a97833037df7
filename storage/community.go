package storage

// This file keeps the community shared by every domain: staff (with their
// one-time bind codes), buildings with their unit heads, and grids.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
)

// staffRow is a staff row as scanned; roles are a comma list and openid is
// NULL until the staff member binds their WeChat.
type staffRow struct {
	ID     int64          `db:"id"`
	Name   string         `db:"name"`
	Phone  string         `db:"phone"`
	Work   string         `db:"work_phone"`
	OpenID sql.NullString `db:"openid"`
	Roles  string         `db:"roles"`
	Active bool           `db:"active"`
}

func (r staffRow) staff() community.Staff {
	s := community.Staff{ID: r.ID, Name: r.Name, Phone: r.Phone, WorkPhone: r.Work, OpenID: r.OpenID.String, Roles: []community.Role{}, Active: r.Active}
	for _, role := range strings.Split(r.Roles, ",") {
		if role != "" {
			s.Roles = append(s.Roles, community.Role(role))
		}
	}
	return s
}

const staffColumns = `id, name, phone, work_phone, openid, roles, active`

// joinRoles stores roles as a comma list.
func joinRoles(roles []community.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

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

// InsertStaff adds an active staff member holding a one-time bind code
// (codeHash is its hash: codes are never stored), valid until expires,
// and returns their id. Returns bot.ErrConflict if the openid or the code
// is taken.
func (q *queries) InsertStaff(ctx context.Context, s community.Staff, codeHash string, at, expires time.Time) (int64, error) {
	const query = `
		INSERT INTO staff (name, phone, work_phone, openid, roles, bind_code, bind_expires, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	var id int64
	if err := sqlx.GetContext(ctx, q.ext, &id, q.q(query),
		s.Name, s.Phone, s.WorkPhone, nullString(s.OpenID), joinRoles(s.Roles), nullString(codeHash), dbTime(expires), dbTime(at)); err != nil {
		return 0, fmt.Errorf("storage.InsertStaff: %w", mapError(err))
	}
	return id, nil
}

// Staff returns the staff member id, or bot.ErrNotFound.
func (q *queries) Staff(ctx context.Context, id int64) (community.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE id = ?`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), id); err != nil {
		return community.Staff{}, fmt.Errorf("storage.Staff(%d): %w", id, mapError(err))
	}
	return r.staff(), nil
}

// StaffByOpenID returns the staff member bound to openid, or
// bot.ErrNotFound.
func (q *queries) StaffByOpenID(ctx context.Context, openid string) (community.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE openid = ?`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), openid); err != nil {
		return community.Staff{}, fmt.Errorf("storage.StaffByOpenID(%s): %w", bot.ShortID(openid), mapError(err))
	}
	return r.staff(), nil
}

// StaffByName returns the active staff members called name, lowest id
// first (none is not an error).
func (q *queries) StaffByName(ctx context.Context, name string) ([]community.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff WHERE name = ? AND active ORDER BY id`
	return q.selectStaff(ctx, "storage.StaffByName", query, name)
}

// ListStaff returns every staff member by id.
func (q *queries) ListStaff(ctx context.Context) ([]community.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff ORDER BY id`
	return q.selectStaff(ctx, "storage.ListStaff", query)
}

func (q *queries) selectStaff(ctx context.Context, op, query string, args ...any) ([]community.Staff, error) {
	var rows []staffRow
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), args...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, mapError(err))
	}
	out := make([]community.Staff, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.staff())
	}
	return out, nil
}

// StaffWithRole returns the active staff member with role and the lowest
// id other than except (0 excludes nobody), or bot.ErrNotFound.
func (q *queries) StaffWithRole(ctx context.Context, role community.Role, except int64) (community.Staff, error) {
	const query = `SELECT ` + staffColumns + ` FROM staff
		WHERE ',' || roles || ',' LIKE ? ESCAPE '\' AND id <> ? AND active
		ORDER BY id LIMIT 1`
	var r staffRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), "%,"+likeEscape(string(role))+",%", except); err != nil {
		return community.Staff{}, fmt.Errorf("storage.StaffWithRole(%s): %w", role, mapError(err))
	}
	return r.staff(), nil
}

// BindStaff binds openid to the active staff member holding the one-time
// code (by its hash), unexpired at now, and uses the code up. Returns bot.ErrNotFound for an
// unknown, used or expired code and bot.ErrConflict when openid is bound to
// another staff member.
func (q *queries) BindStaff(ctx context.Context, codeHash, openid string, now time.Time) (community.Staff, error) {
	const query = `UPDATE staff SET openid = ?, bind_code = NULL, bind_expires = NULL
		WHERE bind_code = ? AND bind_expires > ? AND active
		RETURNING ` + staffColumns
	var r staffRow
	if codeHash == "" || openid == "" {
		return community.Staff{}, fmt.Errorf("storage.BindStaff: empty code or openid: %w", bot.ErrNotFound)
	}
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), openid, codeHash, dbTime(now)); err != nil {
		return community.Staff{}, fmt.Errorf("storage.BindStaff(%s): %w", bot.ShortID(openid), mapError(err))
	}
	return r.staff(), nil
}

// SetBindCode gives staff member id a new one-time code (by its hash)
// valid until expires, replacing any unused one. Returns bot.ErrNotFound for an unknown
// id and bot.ErrConflict if the code is taken.
func (q *queries) SetBindCode(ctx context.Context, id int64, codeHash string, expires time.Time) error {
	const query = `UPDATE staff SET bind_code = ?, bind_expires = ? WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), codeHash, dbTime(expires), id)
	if err != nil {
		return fmt.Errorf("storage.SetBindCode(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.SetBindCode(%d): %w", id, bot.ErrNotFound)
	}
	return nil
}

// UpdateStaff changes staff member s.ID's name, phones, roles and whether
// they are active. Returns bot.ErrNotFound for an unknown id.
func (q *queries) UpdateStaff(ctx context.Context, s community.Staff) error {
	const query = `UPDATE staff SET name = ?, phone = ?, work_phone = ?, roles = ?, active = ? WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), s.Name, s.Phone, s.WorkPhone, joinRoles(s.Roles), s.Active, s.ID)
	if err != nil {
		return fmt.Errorf("storage.UpdateStaff(%d): %w", s.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.UpdateStaff(%d): %w", s.ID, bot.ErrNotFound)
	}
	return nil
}

// Unbind forgets the WeChat openid bound to staff member id, and any
// unused bind code. Returns bot.ErrNotFound for an unknown id.
func (q *queries) Unbind(ctx context.Context, id int64) error {
	const query = `UPDATE staff SET openid = NULL, bind_code = NULL, bind_expires = NULL WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), id)
	if err != nil {
		return fmt.Errorf("storage.Unbind(%d): %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.Unbind(%d): %w", id, bot.ErrNotFound)
	}
	return nil
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\': the
// underscore of grid_worker would otherwise match any character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// buildingRow is a buildings row as scanned, with its grid's name when
// read through buildingSelect.
type buildingRow struct {
	ID       int64         `db:"id"`
	Number   int           `db:"number"`
	Name     string        `db:"name"`
	GridID   sql.NullInt64 `db:"grid_id"`
	HeadID   sql.NullInt64 `db:"head_id"`
	GridName string        `db:"grid_name"`
}

func (r buildingRow) building() community.Building {
	return community.Building{ID: r.ID, Number: r.Number, Name: r.Name, GridID: r.GridID.Int64, GridName: r.GridName, HeadID: r.HeadID.Int64}
}

const buildingColumns = `id, number, name, grid_id, head_id`

// buildingSelect reads buildings (as b) with the name of their grid.
const buildingSelect = `SELECT b.id, b.number, b.name, b.grid_id, b.head_id, COALESCE(g.name, '') AS grid_name
	FROM buildings b LEFT JOIN grids g ON g.id = b.grid_id`

// SaveBuilding creates the building with b.Number or updates its name and
// 楼栋长, leaving its grid and unit heads alone, and returns it (without
// unit heads).
func (q *queries) SaveBuilding(ctx context.Context, b community.Building) (community.Building, error) {
	const query = `
		INSERT INTO buildings (number, name, head_id) VALUES (?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET name = excluded.name, head_id = excluded.head_id
		RETURNING ` + buildingColumns
	var r buildingRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), b.Number, b.Name, nullID(b.HeadID)); err != nil {
		return community.Building{}, fmt.Errorf("storage.SaveBuilding(%d): %w", b.Number, mapError(err))
	}
	return r.building(), nil
}

// SetUnitHeads replaces the 单元长 of the building's units with heads
// (unit number → staff id).
func (q *queries) SetUnitHeads(ctx context.Context, buildingID int64, heads map[int]int64) error {
	const (
		clear  = `DELETE FROM building_units WHERE building_id = ?`
		insert = `INSERT INTO building_units (building_id, unit, head_id) VALUES (?, ?, ?)`
	)
	if _, err := q.ext.ExecContext(ctx, q.q(clear), buildingID); err != nil {
		return fmt.Errorf("storage.SetUnitHeads(%d): %w", buildingID, mapError(err))
	}
	for unit, head := range heads {
		if _, err := q.ext.ExecContext(ctx, q.q(insert), buildingID, unit, head); err != nil {
			return fmt.Errorf("storage.SetUnitHeads(%d, unit %d): %w", buildingID, unit, mapError(err))
		}
	}
	return nil
}

// Building returns the building id with its unit heads, or
// bot.ErrNotFound.
func (q *queries) Building(ctx context.Context, id int64) (community.Building, error) {
	const query = buildingSelect + ` WHERE b.id = ?`
	return q.getBuilding(ctx, fmt.Sprintf("storage.Building(%d)", id), query, id)
}

// BuildingByNumber returns the building with that number and its unit
// heads, or bot.ErrNotFound.
func (q *queries) BuildingByNumber(ctx context.Context, number int) (community.Building, error) {
	const query = buildingSelect + ` WHERE b.number = ?`
	return q.getBuilding(ctx, fmt.Sprintf("storage.BuildingByNumber(%d)", number), query, number)
}

func (q *queries) getBuilding(ctx context.Context, op, query string, arg any) (community.Building, error) {
	var r buildingRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), arg); err != nil {
		return community.Building{}, fmt.Errorf("%s: %w", op, mapError(err))
	}
	b := r.building()
	heads, err := q.unitHeads(ctx, b.ID)
	if err != nil {
		return community.Building{}, fmt.Errorf("%s: %w", op, err)
	}
	b.UnitHeads = heads[b.ID]
	return b, nil
}

// unitHeads returns the unit heads of building id (0: of every building)
// by building.
func (q *queries) unitHeads(ctx context.Context, id int64) (map[int64]map[int]int64, error) {
	const query = `SELECT building_id, unit, head_id FROM building_units
		WHERE (? = 0 OR building_id = ?) ORDER BY building_id, unit`
	var rows []struct {
		BuildingID int64 `db:"building_id"`
		Unit       int   `db:"unit"`
		HeadID     int64 `db:"head_id"`
	}
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query), id, id); err != nil {
		return nil, fmt.Errorf("unit heads: %w", mapError(err))
	}
	out := map[int64]map[int]int64{}
	for _, r := range rows {
		if out[r.BuildingID] == nil {
			out[r.BuildingID] = map[int]int64{}
		}
		out[r.BuildingID][r.Unit] = r.HeadID
	}
	return out, nil
}

// ListBuildings returns every building with its unit heads, by number.
func (q *queries) ListBuildings(ctx context.Context) ([]community.Building, error) {
	const query = buildingSelect + ` ORDER BY b.number`
	var rows []buildingRow
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query)); err != nil {
		return nil, fmt.Errorf("storage.ListBuildings: %w", mapError(err))
	}
	heads, err := q.unitHeads(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("storage.ListBuildings: %w", err)
	}
	out := make([]community.Building, 0, len(rows))
	for _, r := range rows {
		b := r.building()
		b.UnitHeads = heads[b.ID]
		out = append(out, b)
	}
	return out, nil
}

// SetBuildingGrid puts the building in grid (0: in none).
func (q *queries) SetBuildingGrid(ctx context.Context, buildingID, gridID int64) error {
	const query = `UPDATE buildings SET grid_id = ? WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), nullID(gridID), buildingID)
	if err != nil {
		return fmt.Errorf("storage.SetBuildingGrid(%d, %d): %w", buildingID, gridID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.SetBuildingGrid(%d, %d): %w", buildingID, gridID, mapError(sql.ErrNoRows))
	}
	return nil
}

// MoveBuilding moves the building from grid from to grid to (0: none)
// only if it is still in from, so that of two admins moving the same
// building at once one is refused rather than overwritten: returns
// bot.ErrConflict when the building is no longer in from (or is gone).
func (q *queries) MoveBuilding(ctx context.Context, buildingID, from, to int64) error {
	const query = `UPDATE buildings SET grid_id = ? WHERE id = ? AND COALESCE(grid_id, 0) = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), nullID(to), buildingID, from)
	if err != nil {
		if isForeignKey(err) {
			err = fmt.Errorf("%w: %w", bot.ErrConflict, err)
		}
		return fmt.Errorf("storage.MoveBuilding(%d, %d→%d): %w", buildingID, from, to, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.MoveBuilding(%d, %d→%d): changed meanwhile: %w", buildingID, from, to, bot.ErrConflict)
	}
	return nil
}

// DeleteBuilding deletes building id and its unit heads. Returns
// bot.ErrNotFound for an unknown id and bot.ErrConflict while a ticket
// still refers to it (the foreign key decides, so a ticket filed
// meanwhile is never left pointing nowhere).
func (q *queries) DeleteBuilding(ctx context.Context, id int64) error {
	return q.deleteReferenced(ctx, "storage.DeleteBuilding", `DELETE FROM buildings WHERE id = ?`, id)
}

// DeleteGrid deletes grid id. Returns bot.ErrNotFound for an unknown id
// and bot.ErrConflict while a building or a ticket still refers to it.
func (q *queries) DeleteGrid(ctx context.Context, id int64) error {
	return q.deleteReferenced(ctx, "storage.DeleteGrid", `DELETE FROM grids WHERE id = ?`, id)
}

func (q *queries) deleteReferenced(ctx context.Context, op, query string, id int64) error {
	res, err := q.ext.ExecContext(ctx, q.q(query), id)
	if err != nil {
		if isForeignKey(err) {
			return fmt.Errorf("%s(%d): still referred to: %w: %w", op, id, bot.ErrConflict, err)
		}
		return fmt.Errorf("%s(%d): %w", op, id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s(%d): %w", op, id, bot.ErrNotFound)
	}
	return nil
}

// TicketCounts is how many tickets refer to a building or a grid, and how
// many of those are still open (neither resolved nor closed).
type TicketCounts struct {
	All  int `db:"all_tickets"`
	Open int `db:"open_tickets"`
}

// CountTickets counts the tickets filed in building buildingID and routed
// through grid gridID; 0 for either matches any.
func (q *queries) CountTickets(ctx context.Context, buildingID, gridID int64) (TicketCounts, error) {
	const query = `SELECT COUNT(*) AS all_tickets,
		COALESCE(SUM(CASE WHEN status IN ('resolved', 'closed') THEN 0 ELSE 1 END), 0) AS open_tickets
		FROM tickets WHERE (? = 0 OR building_id = ?) AND (? = 0 OR grid_id = ?)`
	var c TicketCounts
	if err := sqlx.GetContext(ctx, q.ext, &c, q.q(query), buildingID, buildingID, gridID, gridID); err != nil {
		return TicketCounts{}, fmt.Errorf("storage.CountTickets(%d, %d): %w", buildingID, gridID, mapError(err))
	}
	return c, nil
}

// gridRow is a grids row as scanned.
type gridRow struct {
	ID           int64         `db:"id"`
	Name         string        `db:"name"`
	WorkerID     int64         `db:"worker_id"`
	SupervisorID sql.NullInt64 `db:"supervisor_id"`
}

const gridColumns = `id, name, worker_id, supervisor_id`

// InsertGrid adds a grid (without its buildings: see SetBuildingGrid) and
// returns its id. Returns bot.ErrConflict if the name is taken.
func (q *queries) InsertGrid(ctx context.Context, g community.Grid) (int64, error) {
	const query = `INSERT INTO grids (name, worker_id, supervisor_id) VALUES (?, ?, ?) RETURNING id`
	var id int64
	if err := sqlx.GetContext(ctx, q.ext, &id, q.q(query), g.Name, g.WorkerID, nullID(g.SupervisorID)); err != nil {
		return 0, fmt.Errorf("storage.InsertGrid: %w", mapError(err))
	}
	return id, nil
}

// UpdateGrid changes grid g.ID's name, worker and supervisor (its
// buildings: MoveBuilding). Returns bot.ErrNotFound for an unknown id and
// bot.ErrConflict if the name is taken.
func (q *queries) UpdateGrid(ctx context.Context, g community.Grid) error {
	const query = `UPDATE grids SET name = ?, worker_id = ?, supervisor_id = ? WHERE id = ?`
	res, err := q.ext.ExecContext(ctx, q.q(query), g.Name, g.WorkerID, nullID(g.SupervisorID), g.ID)
	if err != nil {
		return fmt.Errorf("storage.UpdateGrid(%d): %w", g.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage.UpdateGrid(%d): %w", g.ID, bot.ErrNotFound)
	}
	return nil
}

// Grid returns grid id with the numbers of its buildings, or bot.ErrNotFound.
func (q *queries) Grid(ctx context.Context, id int64) (community.Grid, error) {
	const query = `SELECT ` + gridColumns + ` FROM grids WHERE id = ?`
	var r gridRow
	if err := sqlx.GetContext(ctx, q.ext, &r, q.q(query), id); err != nil {
		return community.Grid{}, fmt.Errorf("storage.Grid(%d): %w", id, mapError(err))
	}
	grids, err := q.withBuildings(ctx, []gridRow{r})
	if err != nil {
		return community.Grid{}, fmt.Errorf("storage.Grid(%d): %w", id, err)
	}
	return grids[0], nil
}

// ListGrids returns every grid with the numbers of its buildings, by id.
func (q *queries) ListGrids(ctx context.Context) ([]community.Grid, error) {
	const query = `SELECT ` + gridColumns + ` FROM grids ORDER BY id`
	var rows []gridRow
	if err := sqlx.SelectContext(ctx, q.ext, &rows, q.q(query)); err != nil {
		return nil, fmt.Errorf("storage.ListGrids: %w", mapError(err))
	}
	out, err := q.withBuildings(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("storage.ListGrids: %w", err)
	}
	return out, nil
}

// withBuildings adds to each grid the numbers of its buildings, in order.
func (q *queries) withBuildings(ctx context.Context, rows []gridRow) ([]community.Grid, error) {
	const query = `SELECT number, grid_id FROM buildings WHERE grid_id IS NOT NULL ORDER BY number`
	var members []struct {
		Number int   `db:"number"`
		GridID int64 `db:"grid_id"`
	}
	if err := sqlx.SelectContext(ctx, q.ext, &members, q.q(query)); err != nil {
		return nil, fmt.Errorf("grid buildings: %w", mapError(err))
	}
	byGrid := map[int64][]int{}
	for _, m := range members {
		byGrid[m.GridID] = append(byGrid[m.GridID], m.Number)
	}
	out := make([]community.Grid, 0, len(rows))
	for _, r := range rows {
		g := community.Grid{ID: r.ID, Name: r.Name, WorkerID: r.WorkerID, SupervisorID: r.SupervisorID.Int64, Buildings: byGrid[r.ID]}
		if g.Buildings == nil {
			g.Buildings = []int{}
		}
		out = append(out, g)
	}
	return out, nil
}
