package tickets

import (
	"context"
	"errors"
	"fmt"
	"github.com/tongxin/tongxin/bot"
	"slices"
	"strconv"
	"time"

	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// RatingWindow is how long a resolved ticket waits for its rating before
// it is closed as 默认满意.
const RatingWindow = 72 * time.Hour

// sweepBatch bounds the tickets one pass of Sweep reads at a time (a
// variable so that tests can make it small).
var sweepBatch = 100

// Sweep escalates, once, every ticket not accepted by its response
// deadline (telling the supervisor), and closes as 默认满意 every ticket
// left unrated RatingWindow after it was resolved. Each ticket changes in
// its own transaction through a conditional update, so Sweep is
// idempotent and several instances may sweep at once: each ticket is
// escalated or closed by exactly one of them.
//
// A ticket that fails does not stop the sweep: Sweep carries on with the
// others and returns what it escalated and closed together with the
// failures, joined (nil when there were none). It stops early only when
// ctx is done.
func (s *Service) Sweep(ctx context.Context) (escalated, closed int, err error) {
	now := s.now()
	var errs []error
	fail := func(err error) { errs = append(errs, fmt.Errorf("tickets.Sweep: %w", err)) }
	done := func() error {
		if err := ctx.Err(); err != nil {
			fail(err)
		}
		return errors.Join(errs...)
	}

	var cur storage.SweepCursor
	for range 50 { // a bound: each pass takes what the previous left
		batch, err := s.store.Unanswered(ctx, now, cur, sweepBatch)
		if err != nil {
			fail(err)
			break
		}
		for _, t := range batch {
			if ctx.Err() != nil {
				return escalated, closed, done()
			}
			cur = storage.SweepCursor{At: t.ResponseDue, ID: t.ID}
			ok, err := s.escalate(ctx, t, now)
			if err != nil {
				fail(fmt.Errorf("escalating %s: %w", t.Number, err))
				continue
			}
			if ok {
				escalated++
			}
		}
		if len(batch) < sweepBatch {
			break
		}
	}

	before := now.Add(-RatingWindow)
	cur = storage.SweepCursor{}
	for range 50 {
		batch, err := s.store.Unrated(ctx, before, cur, sweepBatch)
		if err != nil {
			fail(err)
			break
		}
		for _, t := range batch {
			if ctx.Err() != nil {
				return escalated, closed, done()
			}
			if t.ResolvedAt != nil {
				cur = storage.SweepCursor{At: *t.ResolvedAt, ID: t.ID}
			}
			ok, err := s.closeUnrated(ctx, t, before, now)
			if err != nil {
				fail(fmt.Errorf("closing %s: %w", t.Number, err))
				continue
			}
			if ok {
				closed++
			}
		}
		if len(batch) < sweepBatch {
			break
		}
	}
	return escalated, closed, done()
}

// closeUnrated closes t as 默认满意, unless it was rated meanwhile or
// another sweeper got there first.
func (s *Service) closeUnrated(ctx context.Context, t ticket.Ticket, before, now time.Time) (bool, error) {
	var ok bool
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		if ok, err = tx.CloseUnrated(ctx, t.ID, before, now, ticket.RatingSatisfied, "默认满意"); err != nil || !ok {
			return err
		}
		_, err = tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "自动关闭",
			Note: "办结后 3 天未评价，默认满意"})
		return err
	})
	return ok, err
}

// escalate marks t escalated and tells its supervisor, unless another
// sweeper got there first or t was accepted meanwhile.
func (s *Service) escalate(ctx context.Context, t ticket.Ticket, now time.Time) (bool, error) {
	var ok bool
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		if ok, err = tx.MarkEscalated(ctx, t.ID, now); err != nil || !ok {
			return err
		}
		sup, err := s.supervisor(ctx, tx, t)
		if err != nil {
			return err
		}
		to := "社区值班人员"
		if sup != nil {
			to = sup.Title()
		}
		if _, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "超时升级",
			Note: "超过受理时限未受理，已报 " + to + " 督办"}); err != nil {
			return err
		}
		text := fmt.Sprintf("【超时未受理】编号 %s（%s）应于 %s 前受理，至今未受理。处理人：%s，请督办。",
			t.Number, s.brief(t), bot.When(t.ResponseDue), handlerName(t))
		return s.toStaff(ctx, tx, sup, t, NoticeEscalated, "ticket:"+t.Number+":escalated", text, now)
	})
	return ok, err
}

// Stats counts the tickets created in [from, to) and their 三率 (response,
// resolution and satisfaction rates), in all, by grid and by category.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	return s.stats(ctx, from, to, nil)
}

// stats is Stats over the grids keep accepts (all when nil).
func (s *Service) stats(ctx context.Context, from, to time.Time, keep func(gridID int64) bool) (Stats, error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return Stats{}, bot.FieldError("to", "请给出开始和结束时间，结束晚于开始")
	}
	rows, err := s.store.TicketStats(ctx, from, to, s.now())
	if err != nil {
		return Stats{}, fmt.Errorf("tickets.Stats: %w", err)
	}
	grids, err := s.store.ListGrids(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("tickets.Stats: %w", err)
	}
	gridNames := map[int64]string{0: "未划网格"}
	for _, g := range grids {
		gridNames[g.ID] = g.Name
	}
	out := Stats{From: from.UTC(), To: to.UTC(), ByGrid: []StatRow{}, ByCategory: []StatRow{}}
	var total counts
	byGrid, byCat := map[int64]*counts{}, map[string]*counts{}
	var gridOrder []int64
	if keep != nil {
		rows = slices.DeleteFunc(rows, func(r storage.TicketStat) bool { return !keep(r.GridID) })
	}
	for _, r := range rows {
		total.add(r)
		if byGrid[r.GridID] == nil {
			byGrid[r.GridID] = &counts{}
			gridOrder = append(gridOrder, r.GridID)
		}
		byGrid[r.GridID].add(r)
		if byCat[r.Category] == nil {
			byCat[r.Category] = &counts{}
		}
		byCat[r.Category].add(r)
	}
	out.Total = total.row("total", "合计")
	for _, id := range gridOrder {
		out.ByGrid = append(out.ByGrid, byGrid[id].row(strconv.FormatInt(id, 10), gridNames[id]))
	}
	// Categories in menu order, then any no longer configured.
	for _, c := range s.cfg.Categories {
		if n := byCat[c.Key]; n != nil {
			out.ByCategory = append(out.ByCategory, n.row(c.Key, c.Name))
			delete(byCat, c.Key)
		}
	}
	for _, r := range rows {
		if n := byCat[r.Category]; n != nil {
			out.ByCategory = append(out.ByCategory, n.row(r.Category, r.Category))
			delete(byCat, r.Category)
		}
	}
	return out, nil
}

// counts sums storage.TicketStat rows.
type counts storage.TicketStat

func (c *counts) add(r storage.TicketStat) {
	c.Tickets += r.Tickets
	c.Open += r.Open
	c.Overdue += r.Overdue
	c.Responded += r.Responded
	c.Resolved += r.Resolved
	c.Rated += r.Rated
	c.Satisfied += r.Satisfied
}

func (c *counts) row(key, name string) StatRow {
	rate := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	return StatRow{
		Key: key, Name: name, Tickets: c.Tickets, Open: c.Open, Overdue: c.Overdue,
		ResponseRate:     rate(c.Responded, c.Tickets),
		ResolutionRate:   rate(c.Resolved, c.Tickets),
		SatisfactionRate: rate(c.Satisfied, c.Rated),
	}
}
