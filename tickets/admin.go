package tickets

import (
	"context"
	"fmt"
	"github.com/tongxin/tongxin/bot"
	"strings"

	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// List returns the tickets f selects, newest first, and how many match in
// all. Limit is 50 by default and at most 500.
func (s *Service) List(ctx context.Context, f Filter) ([]ticket.Ticket, int, error) {
	return s.list(ctx, f, nil)
}

// list is List within scope (nil: everything).
func (s *Service) list(ctx context.Context, f Filter, scope *storage.TicketScope) ([]ticket.Ticket, int, error) {
	switch f.Status {
	case "", ticket.Submitted, ticket.Accepted, ticket.Resolved, ticket.Closed, ticket.Returned, ticket.Reopened:
	default:
		return nil, 0, bot.FieldError("status", "未知状态 "+string(f.Status))
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, bot.FieldError("to", "结束时间应晚于开始时间")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	ts, total, err := s.store.ListTickets(ctx, storage.TicketFilter{
		Status: f.Status, Open: f.Open, Category: f.Category, GridID: f.GridID, Overdue: f.Overdue, Now: s.now(),
		From: f.From, To: f.To, Scope: scope, Limit: f.Limit, Offset: f.Offset,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("tickets.List: %w", err)
	}
	return s.namedAll(ts), total, nil
}

// Find returns the tickets with the given numbers, without timelines, in
// number order; numbers no ticket has are left out.
func (s *Service) Find(ctx context.Context, numbers []string) ([]ticket.Ticket, error) {
	ts, err := s.store.TicketsByNumber(ctx, numbers)
	if err != nil {
		return nil, fmt.Errorf("tickets.Find: %w", err)
	}
	return s.namedAll(ts), nil
}

// Patch changes a ticket from the admin API with the rules of the WeChat
// commands (By 0): a new assignee_id is a transfer; status accepted,
// resolved or returned is that action (with note as resolution or
// reason); a note alone goes on the timeline. Both a transfer and a status
// change apply together or not at all.
func (s *Service) Patch(ctx context.Context, number string, p Patch) (ticket.Ticket, error) {
	var acts []ticket.Action
	if p.AssigneeID != 0 {
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActTransfer, ToID: p.AssigneeID, Note: p.Note})
	}
	switch p.Status {
	case "":
	case ticket.Accepted:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActAccept, Note: p.Note})
	case ticket.Resolved:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActResolve, Note: p.Note})
	case ticket.Returned:
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActReturn, Note: p.Note})
	default:
		return ticket.Ticket{}, bot.FieldError("status", "状态只能改为 accepted、resolved 或 returned")
	}
	if len(acts) == 0 {
		if strings.TrimSpace(p.Note) == "" {
			return ticket.Ticket{}, bot.FieldError("status", "请给出 status、assignee_id 或 note")
		}
		acts = append(acts, ticket.Action{Number: number, Kind: ticket.ActNote, Note: p.Note})
	}
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		for _, a := range acts {
			var err error
			if out, err = s.act(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Patch(%s): %w", number, err)
	}
	return out, nil
}
