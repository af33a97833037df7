package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// This file is the staff console's side of the service: what the admin
// API does for the operator, done for one viewer by community's access
// policy, so that a page never decides what a person may see.

// errNoAccess refuses what only staff may do.
var errNoAccess = &bot.UserError{Code: bot.CodeForbidden, Message: "仅限社区工作人员。"}

// current is v as the policy must see them now: the operator and
// residents as they are; a staff member from their current record (a
// console session outlives a change of roles or a departure), with the
// grids they are the worker of.
func (s *Service) current(ctx context.Context, v community.Viewer) (community.Viewer, error) {
	if v.IsOperator() {
		return v, nil
	}
	if v.Staff == nil {
		return community.Resident(v.OpenID), nil
	}
	st, err := s.store.Staff(ctx, v.Staff.ID)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return community.Resident(v.OpenID), nil
	case err != nil:
		return community.Viewer{}, err
	}
	return member(ctx, s.store, st)
}

// ListFor returns the tickets f selects that v may read, newest first,
// and how many match in all: every ticket for those who see all (the
// operator, admins, supervisors and the duty staff who dispatch), else
// those assigned to them and, for a grid worker, those of their grids.
// A resident gets nothing here: their own are Mine.
func (s *Service) ListFor(ctx context.Context, v community.Viewer, f Filter) ([]ticket.Ticket, int, error) {
	v, err := s.current(ctx, v)
	if err != nil {
		return nil, 0, fmt.Errorf("tickets.ListFor: %w", err)
	}
	if v.SeesAll() {
		return s.List(ctx, f)
	}
	if v.Staff == nil {
		return nil, 0, fmt.Errorf("tickets.ListFor: %w", errNoAccess)
	}
	return s.list(ctx, f, &storage.TicketScope{AssigneeID: v.Staff.ID, Grids: v.WorksGrids()})
}

// GetFor returns a ticket with its timeline for v, or bot.ErrNotFound
// when v may not read it, as for a ticket that does not exist. The
// resident's phone is left in only for those who may act on it.
func (s *Service) GetFor(ctx context.Context, v community.Viewer, number string) (ticket.Ticket, []ticket.Entry, error) {
	v, err := s.current(ctx, v)
	if err != nil {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.GetFor(%s): %w", number, err)
	}
	t, entries, err := s.Get(ctx, number)
	if err != nil {
		return ticket.Ticket{}, nil, err
	}
	if !v.MayRead(t.Record()) {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.GetFor(%s): %w", number, bot.ErrNotFound)
	}
	if !v.MayAct(t.Record()) {
		t.Phone = ""
	}
	return t, entries, nil
}

// ActFor performs a as v, with the rules of Act: By is v's own staff id
// (0 only for the operator, as the admin API). A ticket v may not read is
// bot.ErrNotFound, so that numbers cannot be probed by acting on them.
func (s *Service) ActFor(ctx context.Context, v community.Viewer, a ticket.Action) (ticket.Ticket, error) {
	if _, _, err := s.GetFor(ctx, v, a.Number); err != nil {
		return ticket.Ticket{}, err
	}
	switch {
	case v.IsOperator():
		a.By = 0
	case v.Staff != nil:
		a.By = v.Staff.ID
	default:
		return ticket.Ticket{}, fmt.Errorf("tickets.ActFor: %w", errNoAccess)
	}
	return s.Act(ctx, a)
}

// FileFor files d for a resident who phoned or walked in, as v: the
// operator, or staff who may be handed a ticket (a volunteer 楼栋长 does
// not file on others' behalf). The filing is staff's (Source staff,
// FiledBy v), for a resident without WeChat here (no openid), and is not
// counted in a resident's daily limit.
func (s *Service) FileFor(ctx context.Context, v community.Viewer, d ticket.Draft) (ticket.Receipt, error) {
	v, err := s.current(ctx, v)
	if err != nil {
		return ticket.Receipt{}, fmt.Errorf("tickets.FileFor: %w", err)
	}
	switch {
	case v.IsOperator():
		d.FiledBy = 0
	case v.Staff != nil && community.MayReceive(*v.Staff):
		d.FiledBy = v.Staff.ID
	default:
		return ticket.Receipt{}, fmt.Errorf("tickets.FileFor: %w", &bot.UserError{Code: bot.CodeForbidden,
			Message: "只有" + community.HandlerRoleLabels() + "可以代居民登记诉求。"})
	}
	d.OpenID, d.Source, d.Urgent = "", "staff", false
	return s.Submit(ctx, d)
}

// StatsFor returns the Stats v may see: all of them for those who see
// all, their own grids' for a grid worker (Total and ByCategory counted
// over those grids only); anyone else is refused.
func (s *Service) StatsFor(ctx context.Context, v community.Viewer, from, to time.Time) (Stats, error) {
	v, err := s.current(ctx, v)
	if err != nil {
		return Stats{}, fmt.Errorf("tickets.StatsFor: %w", err)
	}
	if v.SeesAll() {
		return s.Stats(ctx, from, to)
	}
	if v.Staff == nil || !v.Staff.Has(community.RoleGridWorker) {
		return Stats{}, fmt.Errorf("tickets.StatsFor: %w", &bot.UserError{Code: bot.CodeForbidden, Message: "统计仅对网格员、督办和管理员开放。"})
	}
	grids := v.WorksGrids()
	return s.stats(ctx, from, to, func(id int64) bool { return slices.Contains(grids, id) })
}
