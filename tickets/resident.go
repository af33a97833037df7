package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// urgeEvery is how often a resident may urge one ticket.
const urgeEvery = 24 * time.Hour

// SupplementsPerDay is how often a day (Shanghai) a resident may add to
// one ticket: each 补充 messages its handler, and more than a few a day
// flood the staff rather than inform them.
const SupplementsPerDay = 3

// actionSupplement is a resident's 补充 on the timeline.
const actionSupplement = "补充"

// own locks the resident's ticket number. Someone else's ticket is
// bot.ErrNotFound, exactly like a ticket that does not exist, so that
// numbers reveal nothing.
func own(ctx context.Context, tx *storage.Tx, openid, number string) (ticket.Ticket, error) {
	t, err := tx.LockTicket(ctx, number)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if !community.Resident(openid).IsOwner(t.Record()) {
		return ticket.Ticket{}, bot.ErrNotFound
	}
	return t, nil
}

// Urge (催办) presses on the resident's own open ticket once its response
// deadline passed, at most once a day, and tells the handler and their
// supervisor. Too early is a *bot.UserError saying when it becomes
// possible; someone else's ticket is bot.ErrNotFound.
func (s *Service) Urge(ctx context.Context, openid, number string) (ticket.Ticket, error) {
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		t, err := own(ctx, tx, openid, number)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case !t.Status.Open():
			return bot.Refuse("编号 %s 的诉求已办结，无需催办。", number)
		case now.Before(t.ResponseDue):
			return bot.Refuse("编号 %s 的诉求还在受理时限内，%s 前仍未受理可以催办。", number, bot.When(t.ResponseDue))
		case t.UrgedAt != nil && now.Before(t.UrgedAt.Add(urgeEvery)):
			return bot.Refuse("您已催办过编号 %s 的诉求，%s 后可以再次催办。", number, bot.When(t.UrgedAt.Add(urgeEvery)))
		}
		t.UrgedAt, t.UpdatedAt = &now, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		sup, err := s.supervisor(ctx, tx, t)
		if err != nil {
			return err
		}
		handler, err := staffOrNil(ctx, tx, t.AssigneeID)
		if err != nil {
			return err
		}
		// The handler hears it too, unless they are the supervisor or
		// nobody (the duty staff, whom the supervisor's notice reaches).
		toHandler := handler != nil && (sup == nil || sup.ID != handler.ID)
		note := "已通知督办"
		if toHandler {
			note = "已通知处理人和督办"
		}
		eid, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorResident, Action: "催办", Note: note})
		if err != nil {
			return err
		}
		text := fmt.Sprintf("【催办】编号 %s（%s）居民催办：应于 %s 前受理，当前%s，处理人：%s。请督促办理。",
			t.Number, s.brief(t), bot.When(t.ResponseDue), t.Status.Label(), handlerName(t))
		if err := s.toStaff(ctx, tx, sup, t, NoticeUrged, fmt.Sprintf("ticket:%s:urged:%d", t.Number, eid), text, now); err != nil {
			return err
		}
		if toHandler {
			text := fmt.Sprintf("【催办】编号 %s（%s）居民催办了，应于 %s 前受理，当前%s，已报督办。请尽快办理。",
				t.Number, s.brief(t), bot.When(t.ResponseDue), t.Status.Label())
			if t.Status != ticket.Accepted {
				text += "回复 受理 " + t.Number
			}
			if err := s.toStaff(ctx, tx, handler, t, NoticeUrged, fmt.Sprintf("ticket:%s:urged:%d:handler", t.Number, eid), text, now); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Urge(%s): %w", number, err)
	}
	return s.named(out), nil
}

// Supplement adds the resident's text to the timeline of their own ticket
// and tells its handler. A closed ticket is a *bot.UserError; someone
// else's ticket is bot.ErrNotFound.
func (s *Service) Supplement(ctx context.Context, openid, number, text string) (ticket.Ticket, error) {
	text = strings.TrimSpace(text)
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		t, err := own(ctx, tx, openid, number)
		if err != nil {
			return err
		}
		switch {
		case text == "":
			return bot.FieldError("text", "请写上要补充的内容，例如：补充 "+number+" 楼上也漏水了")
		case t.Status == ticket.Closed:
			return bot.Refuse("编号 %s 的诉求已经关闭。如有新问题，请回复 报修 重新提交。", number)
		}
		now := s.now()
		// The ticket is locked (own), so the count holds against
		// supplements racing on other instances.
		n, err := tx.CountTimelineEntries(ctx, t.ID, actorResident, actionSupplement, startOfDay(now))
		if err != nil {
			return err
		}
		if n >= SupplementsPerDay {
			return bot.Refuse("编号 %s 今天已补充 %d 次，处理人都已收到，请明天再补充。\n情况紧急请回复 人工 联系社区工作人员。", number, n)
		}
		t.UpdatedAt = now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		eid, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorResident, Action: actionSupplement, Note: cut(text, 500)})
		if err != nil {
			return err
		}
		handler, err := staffOrNil(ctx, tx, t.AssigneeID)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("【补充】编号 %s（%s）居民补充：%s", t.Number, s.brief(t), cut(text, 200))
		if err := s.toStaff(ctx, tx, handler, t, NoticeSupplement, fmt.Sprintf("ticket:%s:supplement:%d", t.Number, eid), msg, now); err != nil {
			return err
		}
		out = t
		return nil
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Supplement(%s): %w", number, err)
	}
	return s.named(out), nil
}

// ratingNames are the ratings as residents say them.
var ratingNames = map[int]string{
	ticket.RatingSatisfied:    "满意",
	ticket.RatingBasically:    "基本满意",
	ticket.RatingDissatisfied: "不满意",
}

// Rate records the resident's rating of their resolved ticket: 满意 and
// 基本满意 close it; 不满意 reopens it with a new resolution deadline and
// tells the handler and the supervisor.
func (s *Service) Rate(ctx context.Context, openid, number string, rating int) (ticket.Ticket, error) {
	return s.RateWhy(ctx, openid, number, rating, "")
}

// RateWhy is Rate with the resident's reason, kept (up to 200 characters)
// on the timeline entry of the rating, written before the ticket reopens
// (a resident's note, so erasure and retention blank it; not the rating
// note, which the statistics keep),
// and quoted in the notices to the handler and the supervisor. The
// resident's news of the ticket still held (the "请评价" waiting for 07:00)
// is withdrawn: they have answered it.
func (s *Service) RateWhy(ctx context.Context, openid, number string, rating int, reason string) (ticket.Ticket, error) {
	reason = cut(strings.Join(strings.Fields(reason), " "), 200)
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		t, err := own(ctx, tx, openid, number)
		if err != nil {
			return err
		}
		switch {
		case ratingNames[rating] == "":
			return bot.FieldError("rating", "请回复 1 满意 2 基本满意 3 不满意。")
		case t.Status == ticket.Closed:
			return bot.Refuse("编号 %s 的诉求已经评价过了，谢谢！", number)
		case t.Status != ticket.Resolved:
			return bot.Refuse("编号 %s 的诉求还在办理中，办结后再请您评价。", number)
		}
		now := s.now()
		t.Rating, t.UpdatedAt = rating, now
		if _, err := s.outbox.Withdraw(ctx, tx, t.OpenID, residentNews(t), "rated "+ratingNames[rating]); err != nil {
			return err
		}
		if rating != ticket.RatingDissatisfied {
			t.Status, t.ClosedAt = ticket.Closed, &now
			if err := tx.UpdateTicket(ctx, t); err != nil {
				return err
			}
			note := ratingNames[rating]
			if reason != "" {
				note += "，原因：" + reason
			}
			if _, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorResident, Action: "评价", Note: note}); err != nil {
				return err
			}
			out = t
			return nil
		}
		// The reason goes on the timeline first, then the reopening: the
		// handler reads why before they read that it is back.
		why := "不满意"
		if reason != "" {
			why += "，原因：" + reason
		}
		if _, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorResident, Action: "评价", Note: why}); err != nil {
			return err
		}
		t.Status, t.ResolvedAt = ticket.Reopened, nil
		if c, ok := s.cats[t.Category]; ok {
			t.ResolveDue = s.due(now, c.ResolveHours)
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		eid, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "重新办理", Note: "居民不满意，重新打开"})
		if err != nil {
			return err
		}
		handler, err := staffOrNil(ctx, tx, t.AssigneeID)
		if err != nil {
			return err
		}
		sup, err := s.supervisor(ctx, tx, t)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("【不满意】编号 %s（%s）居民对办理结果不满意，已重新打开，请于 %s 前重新办结。处理人：%s。",
			t.Number, s.brief(t), bot.When(t.ResolveDue), handlerName(t))
		if reason != "" {
			text += "\n居民说：" + cut(reason, 100)
		}
		key := fmt.Sprintf("ticket:%s:reopened:%d", t.Number, eid)
		if err := s.toStaff(ctx, tx, handler, t, NoticeReopened, key+":handler", text, now); err != nil {
			return err
		}
		same := (sup == nil && handler == nil) || (sup != nil && handler != nil && sup.ID == handler.ID)
		if !same {
			if err := s.toStaff(ctx, tx, sup, t, NoticeReopened, key+":supervisor", text, now); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Rate(%s): %w", number, err)
	}
	return s.named(out), nil
}
