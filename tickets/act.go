package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// Act performs a staff action (受理, 办结, 退回, 转派 or a note) with the
// same rules for WeChat and the admin API (By 0), records it on the
// timeline and queues the notices it causes. Who may act is community's
// access policy: the assignee, or staff who dispatch and supervise. A refused
// action is a *bot.UserError (wrapping a *FieldError for missing input);
// an unknown ticket is bot.ErrNotFound.
func (s *Service) Act(ctx context.Context, a ticket.Action) (ticket.Ticket, error) {
	var out ticket.Ticket
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		out, err = s.act(ctx, tx, a)
		return err
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.Act(%s %s): %w", a.Kind, a.Number, err)
	}
	return out, nil
}

// verbs name the actions in refusals.
var verbs = map[ticket.ActionKind]string{
	ticket.ActAccept: "受理", ticket.ActResolve: "办结", ticket.ActReturn: "退回",
	ticket.ActTransfer: "转派", ticket.ActNote: "备注", ticket.ActAsk: "回复居民",
}

func (s *Service) act(ctx context.Context, tx *storage.Tx, a ticket.Action) (ticket.Ticket, error) {
	verb, ok := verbs[a.Kind]
	if !ok {
		return ticket.Ticket{}, bot.FieldError("kind", "不支持的操作。")
	}
	t, err := tx.LockTicket(ctx, a.Number)
	if err != nil {
		return ticket.Ticket{}, err
	}
	actor := actorAdmin
	var by *community.Staff
	if a.By != 0 {
		st, err := tx.Staff(ctx, a.By)
		if errors.Is(err, bot.ErrNotFound) {
			return ticket.Ticket{}, &bot.UserError{Message: "没有找到您的工作人员记录，请联系社区管理员。", Err: err}
		}
		if err != nil {
			return ticket.Ticket{}, err
		}
		v, err := member(ctx, tx, st)
		if err != nil {
			return ticket.Ticket{}, err
		}
		if !v.MayAct(t.Record()) {
			return ticket.Ticket{}, bot.Refuse("编号 %s 的诉求不是派给您的，不能%s。", t.Number, verb)
		}
		by, actor = &st, st.Title()
	}
	note := strings.TrimSpace(a.Note)
	now := s.now()
	refuse := func(why string) (ticket.Ticket, error) {
		return ticket.Ticket{}, bot.Refuse("编号 %s 的诉求%s，不能%s。", t.Number, why, verb)
	}
	if a.Kind != ticket.ActNote && !t.Status.Open() {
		return refuse("已" + map[ticket.Status]string{ticket.Resolved: "办结", ticket.Closed: "关闭"}[t.Status])
	}

	event := ticket.Entry{At: now, Actor: actor, Action: verb, Note: note}
	// After the update and the event, notices are queued by then.
	var then func(eid int64) error
	switch a.Kind {
	case ticket.ActAccept:
		if t.Status == ticket.Accepted {
			return refuse("已在办理中")
		}
		t.Status = ticket.Accepted
		if t.AcceptedAt == nil {
			t.AcceptedAt = &now
		}
		if by != nil && t.AssigneeID != by.ID {
			t.AssigneeID, t.AssigneeName = by.ID, by.Name
		}
		then = func(eid int64) error {
			text := fmt.Sprintf("您的诉求（编号 %s）已受理，处理人：%s。", t.Number, handlerName(t))
			return s.toResident(ctx, tx, t, NoticeAccepted, fmt.Sprintf("ticket:%s:accepted:%d", t.Number, eid), text, now)
		}

	case ticket.ActResolve:
		if t.Status != ticket.Accepted && t.Status != ticket.Reopened {
			return ticket.Ticket{}, bot.Refuse("编号 %s 的诉求还未受理，请先回复 受理 %s。", t.Number, t.Number)
		}
		if note == "" {
			return ticket.Ticket{}, bot.FieldError("note", fmt.Sprintf("请写明办理结果，例如：办结 %s 已更换楼道灯。", t.Number))
		}
		t.Status, t.ResolvedAt, t.Resolution = ticket.Resolved, &now, cut(note, 500)
		then = func(eid int64) error {
			text := fmt.Sprintf("您的诉求（编号 %s）已办结：%s\n%s", t.Number, cut(note, 100), RatingPrompt)
			if err := s.toResident(ctx, tx, t, NoticeResolved, fmt.Sprintf("ticket:%s:resolved:%d", t.Number, eid), text, now); err != nil {
				return err
			}
			return s.resolveLinked(ctx, tx, t, now) // children.go
		}

	case ticket.ActReturn:
		if t.Status == ticket.Returned {
			return refuse("已退回待分派")
		}
		if note == "" {
			return ticket.Ticket{}, bot.FieldError("note", fmt.Sprintf("请写明退回原因，例如：退回 %s 不属于本网格。", t.Number))
		}
		var except int64
		if by != nil {
			except = by.ID
		}
		duty, err := withRole(ctx, tx, community.RoleDuty, except)
		if err != nil {
			return ticket.Ticket{}, err
		}
		// Back to the dispatcher, the ticket is unanswered again: whoever
		// takes it over accepts it anew, and until then it shows as 待受理,
		// escalates when late and does not count as responded.
		t.Status, t.AssigneeID, t.AssigneeName, t.AcceptedAt = ticket.Returned, 0, "", nil
		if duty != nil {
			t.AssigneeID, t.AssigneeName = duty.ID, duty.Name
		}
		then = func(eid int64) error {
			key := fmt.Sprintf("ticket:%s:returned:%d", t.Number, eid)
			text := fmt.Sprintf("【退回】编号 %s（%s）被 %s 退回，原因：%s。请重新分派：回复 转派 %s 姓名",
				t.Number, s.brief(t), actor, cut(note, 100), t.Number)
			if err := s.toStaff(ctx, tx, duty, t, NoticeAssigned, key+":staff", text, now); err != nil {
				return err
			}
			text = fmt.Sprintf("您的诉求（编号 %s）正在重新安排处理人，我们会尽快处理。", t.Number)
			if a.Tell {
				text += "\n工作人员说明：" + cut(note, 200)
				return s.toResidentWords(ctx, tx, t, NoticeReturned, key, text, now)
			}
			return s.toResident(ctx, tx, t, NoticeReturned, key, text, now)
		}
		if a.Tell {
			event.Note = "（已告知居民）" + note
		}

	case ticket.ActTransfer:
		to, err := s.transferee(ctx, tx, t, a)
		if err != nil {
			return ticket.Ticket{}, err
		}
		if to.ID == t.AssigneeID {
			return ticket.Ticket{}, bot.Refuse("编号 %s 的诉求已经由 %s 负责。", t.Number, to.Name)
		}
		t.AssigneeID, t.AssigneeName = to.ID, to.Name
		if t.Status == ticket.Returned {
			t.Status = ticket.Submitted
		}
		event.Note = "转给 " + to.Title()
		if note != "" {
			event.Note += "：" + note
		}
		then = func(eid int64) error {
			key := fmt.Sprintf("ticket:%s:transferred:%d", t.Number, eid)
			text := func(private bool) string {
				text := fmt.Sprintf("【转派】编号 %s（%s）由 %s 转给您：%s\n居民：%s",
					t.Number, s.brief(t), actor, cut(t.Description, 80), residentDesc(t, private))
				if note != "" {
					text += "\n说明：" + cut(note, 100)
				}
				if t.Status != ticket.Accepted {
					text += "\n请回复 受理 " + t.Number
				}
				return text
			}
			if err := s.toStaffPersonal(ctx, tx, &to, t, NoticeAssigned, fmt.Sprintf("%s:%d", key, to.ID), text, now); err != nil {
				return err
			}
			msg := fmt.Sprintf("您的诉求（编号 %s）已转交 %s 办理。", t.Number, to.Name)
			return s.toResident(ctx, tx, t, NoticeTransferred, key, msg, now)
		}

	case ticket.ActAsk:
		if note == "" {
			return ticket.Ticket{}, bot.FieldError("note", fmt.Sprintf("请写上要问居民的话，例如：回复 %s 请问您几点在家？", t.Number))
		}
		if t.OpenID == "" {
			return ticket.Ticket{}, bot.Refuse("编号 %s 是代居民登记的，居民没有微信，请直接打电话 %s。", t.Number, t.Phone)
		}
		event.Action = "询问居民"
		then = func(eid int64) error {
			text := fmt.Sprintf("%s 就诉求 %s 问您：%s\n请回复：补充 %s 您的回答", actor, t.Number, cut(note, 300), t.Number)
			return s.toResidentWords(ctx, tx, t, NoticeAsked, fmt.Sprintf("ticket:%s:asked:%d", t.Number, eid), text, now)
		}

	case ticket.ActNote:
		if note == "" {
			return ticket.Ticket{}, bot.FieldError("note", "请写上备注内容。")
		}
		event.Action = "备注"
	}

	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return ticket.Ticket{}, err
	}
	eid, err := tx.AddTimelineEntry(ctx, t.ID, event)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if then != nil {
		if err := then(eid); err != nil {
			return ticket.Ticket{}, err
		}
		if err := s.residentDue(ctx, tx, &t); err != nil {
			return ticket.Ticket{}, err
		}
	}
	return s.named(t), nil
}

// transferee finds the new assignee of a transfer, by id or by name.
func (s *Service) transferee(ctx context.Context, tx *storage.Tx, t ticket.Ticket, a ticket.Action) (community.Staff, error) {
	if a.ToID != 0 {
		st, err := tx.Staff(ctx, a.ToID)
		if errors.Is(err, bot.ErrNotFound) {
			return community.Staff{}, bot.FieldError("assignee_id", fmt.Sprintf("没有编号为 %d 的工作人员。", a.ToID))
		}
		if err == nil && !community.MayReceive(st) {
			return community.Staff{}, refuseReceiver(st)
		}
		return st, err
	}
	name := strings.TrimSpace(a.To)
	if name == "" {
		return community.Staff{}, bot.FieldError("assignee_id", fmt.Sprintf("请写明转给谁，例如：转派 %s 张三。", t.Number))
	}
	found, err := tx.StaffByName(ctx, name)
	if err != nil {
		return community.Staff{}, err
	}
	switch len(found) {
	case 0:
		return community.Staff{}, bot.FieldError("assignee_id", "没有找到名叫 "+name+" 的工作人员。")
	case 1:
		if !community.MayReceive(found[0]) {
			return community.Staff{}, refuseReceiver(found[0])
		}
		return found[0], nil
	default:
		return community.Staff{}, bot.FieldError("assignee_id", fmt.Sprintf("有 %d 位名叫 %s 的工作人员，请在管理后台按编号转派。", len(found), name))
	}
}

// refuseReceiver says why st may not be handed a ticket (community's
// access policy): they left, or they are a volunteer who is only copied.
func refuseReceiver(st community.Staff) error {
	if !st.Active {
		return bot.FieldError("assignee_id", st.Name+" 已停用，不能接收诉求。")
	}
	return bot.FieldError("assignee_id", fmt.Sprintf("%s 不能接收诉求：只能转给%s。", st.Title(), community.HandlerRoleLabels()))
}

// ReturnAssigned hands the open tickets of st, who was just deactivated,
// back to dispatch in tx (a community.DeactivateHook): each goes to the
// duty staff as 退回 does, with the reason on its timeline, and the
// resident is told a new handler is being found.
func (s *Service) ReturnAssigned(ctx context.Context, tx *storage.Tx, st community.Staff) error {
	ts, err := tx.AssignedTickets(ctx, st.ID, s.now())
	if err != nil {
		return fmt.Errorf("tickets.ReturnAssigned(%d): %w", st.ID, err)
	}
	why := st.Name + " 已停用，重新分派"
	for _, t := range ts {
		if t.Status != ticket.Returned {
			if _, err := s.act(ctx, tx, ticket.Action{Number: t.Number, Kind: ticket.ActReturn, Note: why}); err != nil {
				return fmt.Errorf("tickets.ReturnAssigned(%d): %s: %w", st.ID, t.Number, err)
			}
			continue
		}
		// Already back at dispatch, with st as the dispatcher: another
		// duty staff member (or the duty group) takes it.
		duty, err := withRole(ctx, tx, community.RoleDuty, st.ID)
		if err != nil {
			return err
		}
		t.AssigneeID, t.AssigneeName, t.UpdatedAt = 0, "", s.now()
		if duty != nil {
			t.AssigneeID, t.AssigneeName = duty.ID, duty.Name
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		eid, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: s.now(), Actor: actorSystem, Action: "重新分派", Note: why})
		if err != nil {
			return err
		}
		text := fmt.Sprintf("【退回】编号 %s（%s）待重新分派：%s。请回复 转派 %s 姓名", t.Number, s.brief(t), why, t.Number)
		if err := s.toStaff(ctx, tx, duty, t, NoticeAssigned, fmt.Sprintf("ticket:%s:redispatched:%d", t.Number, eid), text, s.now()); err != nil {
			return err
		}
	}
	return nil
}
