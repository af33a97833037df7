package tickets

// This file fixes the admin-facing API of the ticket service so that the
// admin handlers can be written against it while the service is built.
// Every method here is implemented in the package's other files.

import (
	"context"
	"time"

	"github.com/tongxin/tongxin/bot/ticket"
)

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
	// Get returns a ticket with its timeline for the operator.
	Get(ctx context.Context, number string) (ticket.Ticket, []ticket.Entry, error)
	// Find returns the tickets with the given numbers, without timelines,
	// in number order; numbers no ticket has are left out.
	Find(ctx context.Context, numbers []string) ([]ticket.Ticket, error)
	List(ctx context.Context, f Filter) ([]ticket.Ticket, int, error) // tickets and the total matching
	Patch(ctx context.Context, number string, p Patch) (ticket.Ticket, error)
	Stats(ctx context.Context, from, to time.Time) (Stats, error)
}
