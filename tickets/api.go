package tickets

// This file fixes the admin-facing API of the ticket service so that the
// admin handlers can be written against it while the service is built.
// Every method here is implemented in the package's other files.

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
)

// Filter selects tickets for GET /api/v1/tickets.
type Filter struct {
	Status ticket.Status
	// Open keeps the tickets still needing work, whatever their status.
	Open     bool
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
	// Get returns a ticket with its timeline for the operator.
	Get(ctx context.Context, number string) (ticket.Ticket, []ticket.Entry, error)
	// Find returns the tickets with the given numbers, without timelines,
	// in number order; numbers no ticket has are left out.
	Find(ctx context.Context, numbers []string) ([]ticket.Ticket, error)
	List(ctx context.Context, f Filter) ([]ticket.Ticket, int, error) // tickets and the total matching
	Patch(ctx context.Context, number string, p Patch) (ticket.Ticket, error)
	Stats(ctx context.Context, from, to time.Time) (Stats, error)

	// The staff console's: the same, for one viewer, by community's
	// access policy (viewers.go).

	// ListFor is List of what v may read: everything for those who see
	// all, else the tickets assigned to them and those of their grids.
	ListFor(ctx context.Context, v community.Viewer, f Filter) ([]ticket.Ticket, int, error)
	// GetFor is Get for v: bot.ErrNotFound unless v may read it.
	GetFor(ctx context.Context, v community.Viewer, number string) (ticket.Ticket, []ticket.Entry, error)
	// ActFor performs a as v (By is v's): bot.ErrNotFound when v may not
	// read the ticket, the rules' refusal when they may not act.
	ActFor(ctx context.Context, v community.Viewer, a ticket.Action) (ticket.Ticket, error)
	// FileFor files d as staff member v filing for a resident who phoned
	// or walked in.
	FileFor(ctx context.Context, v community.Viewer, d ticket.Draft) (ticket.Receipt, error)
	// StatsFor is Stats of what v may see: all for those who see all,
	// their grids for a grid worker, refused to anyone else.
	StatsFor(ctx context.Context, v community.Viewer, from, to time.Time) (Stats, error)
}
