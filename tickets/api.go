package tickets

// This file fixes the admin-facing API of the ticket service so that the
// admin handlers can be written against it while the service is built.
// Every method here is implemented in the package's other files.

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/ticket"
)

// FieldError is bad input to the admin API, naming the field; handlers
// answer it with 400 {"error":{"code":"invalid","message":"FIELD: ..."}}.
type FieldError struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// StaffInput creates a staff member (POST /api/v1/staff).
type StaffInput struct {
	OpenID string   `json:"openid,omitempty"`
	Name   string   `json:"name"`
	Phone  string   `json:"phone"`
	Roles  []string `json:"roles"`
}

// BuildingInput creates or updates a building (POST /api/v1/buildings).
type BuildingInput struct {
	Number int    `json:"number"`
	Name   string `json:"name,omitempty"` // default "<number>号楼"
	HeadID int64  `json:"head_id,omitempty"`
	// UnitHeads maps unit numbers ("1", "2") to staff ids.
	UnitHeads map[string]int64 `json:"unit_heads,omitempty"`
}

// GridInput creates a grid (POST /api/v1/grids): buildings by number.
type GridInput struct {
	Name         string `json:"name"`
	WorkerID     int64  `json:"worker_id"`
	SupervisorID int64  `json:"supervisor_id,omitempty"`
	Buildings    []int  `json:"buildings"`
}

// Filter selects tickets for GET /api/v1/tickets.
type Filter struct {
	Status   ticket.Status
	Category string
	GridID   int64
	// Overdue keeps open tickets past their response or resolution
	// deadline.
	Overdue bool
	From    time.Time // created at or after, zero = no bound
	To      time.Time // created before, zero = no bound
	Limit   int       // 1..500, default 50
	Offset  int
}

// Stats are the 三率 and counts over a period, by grid and by category.
type Stats struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Total      StatRow   `json:"total"`
	ByGrid     []StatRow `json:"by_grid"`
	ByCategory []StatRow `json:"by_category"`
}

// StatRow is one line of Stats. Rates are fractions 0..1 (0 when there is
// nothing to divide by):
// ResponseRate = accepted within the response deadline / tickets;
// ResolutionRate = resolved or closed / tickets;
// SatisfactionRate = rated 满意 or 基本满意 / rated.
type StatRow struct {
	Key              string  `json:"key"`
	Name             string  `json:"name"`
	Tickets          int     `json:"tickets"`
	Open             int     `json:"open"`
	Overdue          int     `json:"overdue"`
	ResponseRate     float64 `json:"response_rate"`
	ResolutionRate   float64 `json:"resolution_rate"`
	SatisfactionRate float64 `json:"satisfaction_rate"`
}

// Patch is PATCH /api/v1/tickets/{number}: a status change, a reassignment
// or a note, with the same rules as the WeChat commands.
type Patch struct {
	Status     ticket.Status `json:"status,omitempty"`      // accepted, resolved, returned
	AssigneeID int64         `json:"assignee_id,omitempty"` // transfer
	Note       string        `json:"note,omitempty"`
}

// AdminService is what the admin API and Open311 use. *Service implements
// it (and ticket.Service).
type AdminService interface {
	ticket.Service
	CreateStaff(ctx context.Context, in StaffInput) (ticket.Staff, string, error) // returns the one-time bind code
	ListStaff(ctx context.Context) ([]ticket.Staff, error)
	ReissueBindCode(ctx context.Context, id int64) (code string, expires time.Time, err error)
	SaveBuilding(ctx context.Context, in BuildingInput) (ticket.Building, error)
	CreateGrid(ctx context.Context, in GridInput) (ticket.Grid, error)
	ListGrids(ctx context.Context) ([]ticket.Grid, error)
	List(ctx context.Context, f Filter) ([]ticket.Ticket, int, error) // tickets and the total matching
	Patch(ctx context.Context, number string, p Patch) (ticket.Ticket, error)
	Stats(ctx context.Context, from, to time.Time) (Stats, error)
}
