// Package staffdesk is what community staff do from WeChat: bind their
// account (绑定), see their open requests (待办/工单) and work them (受理,
// 办结, 退回, 转派). Anyone else is refused with a clear message. It talks
// to requests only through ticket.Service.
package staffdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
)

// msgNotStaff refuses staff commands to residents.
const msgNotStaff = "这个命令仅限社区工作人员使用。\n工作人员请先回复 绑定 加绑定码（向社区管理员索取）。"

// parse splits "办结 2611260001 已更换灯泡" into the number and the rest,
// keeping the staff member's wording of the rest.
func parse(m *bot.Message) (number, rest string) {
	number, rest, _ = input.NumberArgs(m.Text)
	return number, rest
}

// msgInactive refuses staff commands to someone whose account was
// deactivated.
const msgInactive = "您的工作人员账号已停用，不能再办理诉求。如有疑问请联系社区管理员。"

// desk holds the staff commands.
type desk struct {
	svc ticket.Service
	dir community.Directory
	now func() time.Time
}

// staff wraps a staff-only handler.
func (d *desk) staff(h func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error)) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		s, err := d.dir.StaffByOpenID(ctx, m.OpenID)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text(msgNotStaff), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		if !s.Active {
			return bot.Text(msgInactive), nil
		}
		return h(ctx, s, m)
	})
}

// bindCmd links the sender's openid to a staff record (绑定 <code>).
func (d *desk) bindCmd() bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		code := strings.Trim(strings.TrimPrefix(bot.Normalize(m.Text), "绑定"), " :,")
		if code == "" {
			return bot.Text("请回复 绑定 加绑定码，例如：绑定 K7M2Q9XHPR"), nil
		}
		s, err := d.dir.Bind(ctx, m.OpenID, code)
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text(fmt.Sprintf("绑定成功，%s您好！\n回复 待办 查看交给您的诉求。", s.Name)), nil
	})
}

// todoCmd lists the staff member's open requests, overdue first (待办, 工单).
func (d *desk) todoCmd() bot.Handler {
	return d.staff(func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error) {
		ts, err := d.svc.Todo(ctx, s.ID)
		if err != nil {
			return bot.Reply{}, err
		}
		if len(ts) == 0 {
			return bot.Text("目前没有待办的诉求。"), nil
		}
		now := d.now()
		var b strings.Builder
		fmt.Fprintf(&b, "您有 %d 件待办：", len(ts))
		for _, t := range ts {
			late := ""
			switch {
			case t.Status == ticket.Submitted && now.After(t.ResponseDue):
				late = " 【超时未受理】"
			case now.After(t.ResolveDue):
				late = " 【超时未办结】"
			}
			fmt.Fprintf(&b, "\n%s %s %s %s%s", t.Number, t.CategoryName, t.Place, t.Status.Label(), late)
		}
		b.WriteString("\n回复 受理 编号；办结 编号 说明；退回 编号 原因；转派 编号 姓名。")
		return bot.Text(b.String()), nil
	})
}

// act returns the handler of one staff action: verb, then the number,
// then (when example is set) the note or name the action needs.
func (d *desk) act(kind ticket.ActionKind, verb, example string, done func(t ticket.Ticket) string) bot.Handler {
	return d.staff(func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error) {
		number, rest := parse(m)
		if number == "" || (example != "" && rest == "") {
			// Show the format with the number they typed, if any.
			n := number
			if n == "" {
				n = "2611260001"
			}
			return bot.Text(strings.TrimSpace("请按格式回复：" + verb + " " + n + " " + example)), nil
		}
		a := ticket.Action{Number: number, Kind: kind, By: s.ID, Note: rest}
		if kind == ticket.ActTransfer {
			a.To, a.Note = rest, ""
		}
		t, err := d.svc.Act(ctx, a)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text("没有找到编号 " + number + " 的诉求。"), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text(done(t)), nil
	})
}

// told says when the resident learns of the action that returned t
// (bot.WhenTold): "已通知居民", or "将于 07:00 通知居民" while quiet hours
// hold the notice.
func (d *desk) told(t ticket.Ticket, tell string) string {
	if t.NoticeDue == nil {
		return "居民未用微信，请电话告知"
	}
	return bot.WhenTold(tell, *t.NoticeDue, d.now())
}

// acceptCmd takes a request on (受理 编号).
func (d *desk) acceptCmd() bot.Handler {
	return d.act(ticket.ActAccept, "受理", "", func(t ticket.Ticket) string {
		return fmt.Sprintf("已受理 %s，%s。请在 %s 前办结。", t.Number, d.told(t, "通知居民"), bot.When(t.ResolveDue))
	})
}

// resolveCmd marks a request done (办结 编号 说明).
func (d *desk) resolveCmd() bot.Handler {
	return d.act(ticket.ActResolve, "办结", "已更换楼道灯", func(t ticket.Ticket) string {
		return "已办结 " + t.Number + "，" + d.told(t, "请居民评价") + "。"
	})
}

// returnCmd sends a request back to the dispatcher (退回 编号 原因).
func (d *desk) returnCmd() bot.Handler {
	return d.act(ticket.ActReturn, "退回", "不属于本网格", func(t ticket.Ticket) string {
		return "已退回 " + t.Number + "，将重新分派。"
	})
}

// transferCmd hands a request to a colleague (转派 编号 姓名).
func (d *desk) transferCmd() bot.Handler {
	return d.act(ticket.ActTransfer, "转派", "张三", func(t ticket.Ticket) string {
		told := d.told(t, "通知居民")
		if told == "已通知居民" {
			return "已转派 " + t.Number + " 给 " + t.AssigneeName + "，已通知对方和居民。"
		}
		return "已转派 " + t.Number + " 给 " + t.AssigneeName + "，已通知对方，" + told + "。"
	})
}

// Register adds the staff desk to r: 绑定, 待办/工单, 受理, 办结, 退回 and
// 转派.
func Register(r *bot.Router, deps flows.Deps) error {
	d := &desk{svc: deps.Tickets, dir: deps.Community, now: deps.Clock()}
	todo := d.todoCmd()
	return r.Keywords(
		bot.Keyword{Word: "绑定", Match: bot.MatchPrefix, Handler: d.bindCmd()},
		bot.Keyword{Word: "待办", Handler: todo},
		bot.Keyword{Word: "工单", Handler: todo},
		bot.Keyword{Word: "受理", Match: bot.MatchPrefix, Handler: d.acceptCmd()},
		bot.Keyword{Word: "办结", Match: bot.MatchPrefix, Handler: d.resolveCmd()},
		bot.Keyword{Word: "退回", Match: bot.MatchPrefix, Handler: d.returnCmd()},
		bot.Keyword{Word: "转派", Match: bot.MatchPrefix, Handler: d.transferCmd()},
	)
}
