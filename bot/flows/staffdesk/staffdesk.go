// Package staffdesk is what community staff do from WeChat: bind their
// account (绑定), see their open requests (待办/工单) with the resident's
// phone and deadline, work them (受理, 办结, 退回, 转派) by ticket number
// or by their place in the last 待办 list, ask the resident something
// (回复), read the copies of their building (抄送) and their own 帮助.
// Anyone else is refused with a clear message. It talks to requests only
// through ticket.Service.
package staffdesk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/ticket"
)

// msgNotStaff refuses staff commands to residents.
const msgNotStaff = "这个命令仅限社区工作人员使用。\n工作人员请先回复 绑定 加绑定码（向社区管理员索取）。"

// maxIndex is the longest reference read as a place in the last 待办 list
// ("受理 1") rather than a ticket number.
const maxIndex = 3

// separators may stand between a command, its reference and the rest.
const separators = " :,：，、\u3000"

// parse splits "办结 2 已更换灯泡" after verb into the reference (a ticket
// number, or a place in the last 待办 list) and the rest, keeping the
// staff member's wording of the rest. ref is "" when the text names no
// ticket ("办结 已修好").
func parse(verb string, m *bot.Message) (ref, rest string) {
	raw := strings.TrimSpace(m.Text)
	if after, ok := strings.CutPrefix(raw, verb); ok {
		raw = after
	} else {
		raw = strings.TrimPrefix(bot.Normalize(raw), verb)
	}
	raw = strings.TrimLeft(raw, separators)
	// Full-width digits are one rune each, as their half-width forms.
	rs := []rune(raw)
	n := 0
	for n < len(rs) && (rs[n] >= '0' && rs[n] <= '9' || rs[n] >= '０' && rs[n] <= '９') {
		n++
	}
	// Digits joined to a unit ("3楼灯已换", "2号楼") are words of the
	// rest, not a reference: "办结 3楼灯已换好" must not resolve the third
	// request of 待办.
	if n == 0 || n < len(rs) && strings.ContainsRune(units, rs[n]) {
		return "", strings.TrimSpace(raw)
	}
	return bot.Normalize(string(rs[:n])), strings.TrimSpace(strings.TrimLeft(string(rs[n:]), separators))
}

// units are what, written right after digits, makes them a quantity or a
// place rather than a ticket reference.
const units = "号楼层栋单元室户点时天个次米"

// msgInactive refuses staff commands to someone whose account was
// deactivated.
const msgInactive = "您的工作人员账号已停用，不能再办理诉求。如有疑问请联系社区管理员。"

// desk holds the staff commands.
type desk struct {
	svc   ticket.Service
	dir   community.Directory
	lists bot.Lists
	now   func() time.Time
	// fallback is the router's answer to what it does not understand.
	fallback func() bot.Reply
	// residents remembers, for the help text only, who was found not to
	// be staff (see notStaff).
	residents notStaffCache
}

// notStaffTTL is how long help remembers that an openid is no staff
// member. 帮助 is the most common message of all, and asking the
// database each time whether a resident is staff, only to choose which
// help to show, was a database round trip on the hot path. A member bound
// on another instance sees the residents' help there for at most this
// long; what staff may do is still checked on every command.
const notStaffTTL = 30 * time.Second

// notStaffCache is a bounded set of openids known not to be staff, each
// until a time.
type notStaffCache struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// maxNotStaff bounds the cache; past it, it starts afresh.
const maxNotStaff = 50000

func (c *notStaffCache) known(openid string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.until[openid]
	return ok && now.Before(t)
}

func (c *notStaffCache) remember(openid string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.until == nil || len(c.until) >= maxNotStaff {
		c.until = make(map[string]time.Time)
	}
	c.until[openid] = now.Add(notStaffTTL)
}

func (c *notStaffCache) forget(openid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.until, openid)
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
		d.residents.forget(m.OpenID)
		return bot.Text(fmt.Sprintf("绑定成功，%s您好！\n回复 待办 查看交给您的诉求。", s.Name)), nil
	})
}

// todoCmd lists the staff member's open requests, overdue first (待办,
// 工单), numbered: "受理 1" then means the first of them until the next
// 待办, for a day. Each shows its deadline, marked when passed, and the
// resident's phone as the service gives it (to the handler, in full, so
// that WeChat offers to call it). A 楼栋长 or 单元长 also sees the copies
// of their building.
func (d *desk) todoCmd() bot.Handler {
	return d.staff(func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error) {
		ts, err := d.svc.Todo(ctx, s.ID)
		if err != nil {
			return bot.Reply{}, err
		}
		// Emergencies first: "受理 1" should be the fire, not the lamp.
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].Urgent && !ts[j].Urgent })
		numbers := make([]string, len(ts))
		for i, t := range ts {
			numbers[i] = t.Number
		}
		if err := d.lists.Remember(ctx, s.OpenID, numbers); err != nil {
			return bot.Reply{}, err
		}
		copies, err := d.copies(ctx, s)
		if err != nil {
			return bot.Reply{}, err
		}
		if len(ts) == 0 {
			return bot.Text(bot.JoinText("目前没有待办的诉求。", copies)), nil
		}
		now := d.now()
		items := make([]string, len(ts))
		for i, t := range ts {
			var b strings.Builder
			mark := ""
			if t.Urgent {
				mark = "【紧急】"
			}
			fmt.Fprintf(&b, "\n%d. %s%s %s %s", i+1, mark, t.Number, t.CategoryName, cut(t.Place, maxListPlace))
			due, verb := t.Due()
			fmt.Fprintf(&b, "\n%s，%s 前%s", t.Status.Label(), bot.When(due), verb)
			if now.After(due) {
				b.WriteString(" ⚠已超时")
			}
			if t.Phone != "" {
				b.WriteString("\n居民 " + strings.TrimSpace(t.Name+" "+t.Phone))
			}
			items[i] = b.String()
		}
		const how = "\n按序号办理：受理 1；办结 1 结果；退回 1 原因；转派 1 姓名；回复 1 问居民的话。"
		text := fitLines(fmt.Sprintf("您有 %d 件待办：", len(ts)), items, maxReply-len(how), "\n……还有 %d 件未列出，请先办理以上各件。") + how
		if len(text)+len("\n\n")+len(copies) > maxReply {
			copies = "另有抄送给您的诉求，回复 抄送 查看。"
		}
		return bot.Text(bot.JoinText(text, copies)), nil
	})
}

// copies lists the open requests of a 楼栋长's or 单元长's building, ""
// for anyone else or when there are none.
func (d *desk) copies(ctx context.Context, s community.Staff) (string, error) {
	if !s.Has(community.RoleBuildingHead) && !s.Has(community.RoleUnitHead) {
		return "", nil
	}
	ts, err := d.svc.Copies(ctx, s.ID)
	if err != nil || len(ts) == 0 {
		return "", err
	}
	lines := make([]string, len(ts))
	for i, t := range ts {
		lines[i] = fmt.Sprintf("\n%s %s %s %s", t.Number, t.CategoryName, cut(t.Place, maxListPlace), t.Status.Label())
		if t.AssigneeName != "" {
			lines[i] += fmt.Sprintf("（%s）", t.AssigneeName)
		}
	}
	return fitLines(fmt.Sprintf("抄送给您的（%d 件，由处理人办理）：", len(ts)), lines, maxReply, "\n……还有 %d 件未列出。"), nil
}

// maxReply is what one WeChat text reply carries, in bytes: a longer one
// is dropped whole, and staff would see no list at all.
const maxReply = 2048

// maxListPlace is how much of a request's place a list line shows.
const maxListPlace = 30

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// fitLines is head and, in order, as many of lines as fit in budget
// bytes, then more (with the count of the lines left out) when some were:
// the first lines of a list are the ones to act on (emergencies lead).
func fitLines(head string, lines []string, budget int, more string) string {
	var b strings.Builder
	b.WriteString(head)
	reserve := len(fmt.Sprintf(more, len(lines)))
	for i, l := range lines {
		last := i == len(lines)-1
		if b.Len()+len(l)+reserve > budget && !(last && b.Len()+len(l) <= budget) {
			fmt.Fprintf(&b, more, len(lines)-i)
			break
		}
		b.WriteString(l)
	}
	return b.String()
}

// copiesCmd lists a 楼栋长's or 单元长's copies (抄送).
func (d *desk) copiesCmd() bot.Handler {
	return d.staff(func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error) {
		text, err := d.copies(ctx, s)
		if err != nil {
			return bot.Reply{}, err
		}
		switch {
		case text != "":
			return bot.Text(text), nil
		case s.Has(community.RoleBuildingHead) || s.Has(community.RoleUnitHead):
			return bot.Text("您负责的楼栋目前没有进行中的诉求。"), nil
		}
		return bot.Text("抄送只给楼栋长和单元长。您的诉求请回复 待办 查看。"), nil
	})
}

// needs names what an action needs after the ticket, for the staff member
// who left it out.
var needs = map[ticket.ActionKind]string{
	ticket.ActResolve: "办理结果", ticket.ActReturn: "退回原因", ticket.ActTransfer: "转给谁", ticket.ActAsk: "要问居民的话",
}

// fits reports whether an action can apply to t, to find the one ticket
// a command without a number means.
func fits(kind ticket.ActionKind, t ticket.Ticket) bool {
	switch kind {
	case ticket.ActAccept:
		return t.Status == ticket.Submitted || t.Status == ticket.Returned
	case ticket.ActResolve:
		return t.Status == ticket.Accepted || t.Status == ticket.Reopened
	case ticket.ActReturn:
		return t.Status != ticket.Returned
	}
	return true
}

// resolve finds the ticket number ref means for s: a ticket number as
// typed; a place in the list their last 待办 showed; or, with no ref, the
// only ticket of theirs kind applies to. msg says what is missing when it
// cannot tell.
func (d *desk) resolve(ctx context.Context, s community.Staff, kind ticket.ActionKind, ref, usage string) (number, msg string, err error) {
	if len(ref) > maxIndex {
		return ref, "", nil
	}
	if ref == "" {
		ts, err := d.svc.Todo(ctx, s.ID)
		if err != nil {
			return "", "", err
		}
		var match []string
		for _, t := range ts {
			if fits(kind, t) {
				match = append(match, t.Number)
			}
		}
		if len(match) == 1 {
			return match[0], "", nil
		}
		return "", "请带上编号或待办序号，例如：" + usage, nil
	}
	list, err := d.lists.Recall(ctx, s.OpenID)
	if err != nil {
		return "", "", err
	}
	i, _ := strconv.Atoi(ref)
	switch {
	case list == nil:
		return "", "序号要先回复 待办 查看后再用（一天内有效），也可以直接写诉求编号。", nil
	case i < 1 || i > len(list):
		return "", fmt.Sprintf("待办列表里没有第 %s 件，请回复 待办 重新查看。", ref), nil
	}
	// The list may have gone stale: a request transferred to someone
	// else, or done, since it was shown. Duty staff and supervisors may
	// act on any request, so the service would not stop them acting on a
	// colleague's by an old index.
	number = list[i-1]
	ts, err := d.svc.Todo(ctx, s.ID)
	if err != nil {
		return "", "", err
	}
	for _, t := range ts {
		if t.Number == number {
			return number, "", nil
		}
	}
	return "", fmt.Sprintf("待办第 %s 件（编号 %s）已不在您的待办里，可能已转派或办结。请回复 待办 重新查看。", ref, number), nil
}

// residentPrefixes start a 退回 reason meant for the resident too.
var residentPrefixes = []string{"居民：", "居民:", "告诉居民：", "告诉居民:"}

// act returns the handler of one staff action: verb, then the ticket
// (number or 待办 序号; none when only one fits), then (when example is
// set) the note or name the action needs.
func (d *desk) act(kind ticket.ActionKind, verb, example string, done func(t ticket.Ticket) string) bot.Handler {
	return d.staff(func(ctx context.Context, s community.Staff, m *bot.Message) (bot.Reply, error) {
		ref, rest := parse(verb, m)
		shown := ref
		if shown == "" {
			shown = "1"
		}
		usage := strings.TrimSpace(verb + " " + shown + " " + example)
		if example != "" && rest == "" {
			return bot.Text("请写上" + needs[kind] + "，例如：" + usage), nil
		}
		number, msg, err := d.resolve(ctx, s, kind, ref, usage)
		if err != nil || msg != "" {
			return bot.Text(msg), err
		}
		a := ticket.Action{Number: number, Kind: kind, By: s.ID, Note: rest}
		switch kind {
		case ticket.ActTransfer:
			a.To, a.Note = rest, ""
		case ticket.ActReturn:
			for _, p := range residentPrefixes {
				if note, ok := strings.CutPrefix(rest, p); ok && strings.TrimSpace(note) != "" {
					a.Note, a.Tell = strings.TrimSpace(note), true
					break
				}
			}
		}
		t, err := d.svc.Act(ctx, a)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text("没有找到编号 " + number + " 的诉求。"), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		text := done(t)
		switch {
		case kind == ticket.ActAccept && t.Phone != "":
			text += "\n居民 " + strings.TrimSpace(t.Name+" "+t.Phone)
		case a.Tell:
			text += "\n居民会收到您写的原因。"
		}
		return bot.Text(text), nil
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

// askCmd puts a question to the resident through the account (回复 编号
// 话); they answer with 补充, which reaches the handler. Only staff ask: a
// resident typing 回复 is copying a prompt ("回复 1 确认") and gets the
// router's fallback, as before 回复 was a command: not "staff only", and
// not "1" taken as the main menu's first item.
func (d *desk) askCmd() bot.Handler {
	ask := d.act(ticket.ActAsk, "回复", "请问您几点在家？", func(t ticket.Ticket) string {
		return "已把您的话发给编号 " + t.Number + " 的居民，居民用 补充 回复后会通知您。"
	})
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		_, err := d.dir.StaffByOpenID(ctx, m.OpenID)
		if errors.Is(err, bot.ErrNotFound) {
			return d.fallback(), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		return ask.Handle(ctx, m)
	})
}

// help is the staff's 帮助: their commands before the general help; ""
// for residents.
func (d *desk) help(ctx context.Context, m *bot.Message) (string, error) {
	if d.residents.known(m.OpenID, d.now()) {
		return "", nil
	}
	s, err := d.dir.StaffByOpenID(ctx, m.OpenID)
	if errors.Is(err, bot.ErrNotFound) {
		d.residents.remember(m.OpenID, d.now())
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !s.Active {
		return msgInactive, nil
	}
	if !community.MayReceive(s) {
		// A volunteer reads copies; they may not open the requests.
		return "楼栋长、单元长可用：\n抄送 — 您负责楼栋进行中的诉求\n待办 — 同上", nil
	}
	text := "工作人员命令（1 即 待办 里的序号，也可写编号）：\n" +
		"待办 — 交给您的诉求、电话和时限\n" +
		"受理 1\n" +
		"办结 1 办理结果\n" +
		"退回 1 原因（写“居民：原因”会同时告诉居民）\n" +
		"转派 1 姓名\n" +
		"回复 1 要问居民的话\n" +
		"查询 编号 — 详情和进度\n" +
		"登录后台 — 在电脑或手机上打开同心后台"
	if s.Has(community.RoleBuildingHead) || s.Has(community.RoleUnitHead) {
		text += "\n抄送 — 您负责楼栋的诉求"
	}
	return text, nil
}

// Register adds the staff desk to r: 绑定, 待办/工单, 受理, 办结, 退回,
// 转派, 回复, 抄送 and the staff's 帮助.
func Register(r *bot.Router, deps flows.Deps) error {
	lists := deps.Lists
	if lists == nil {
		lists = &bot.MemoryLists{Now: deps.Clock()}
	}
	d := &desk{svc: deps.Tickets, dir: deps.Community, lists: lists, now: deps.Clock(), fallback: func() bot.Reply {
		text := r.Texts.Fallback
		if text == "" {
			text = bot.DefaultFallback
		}
		return bot.Text(text + "\n\n" + r.MainMenu())
	}}
	r.AddHelp(d.help)
	todo := d.todoCmd()
	return r.Keywords(
		bot.Keyword{Word: "绑定", Match: bot.MatchPrefix, Handler: d.bindCmd()},
		bot.Keyword{Word: "待办", Handler: todo},
		bot.Keyword{Word: "工单", Handler: todo},
		bot.Keyword{Word: "受理", Match: bot.MatchPrefix, Handler: d.acceptCmd()},
		bot.Keyword{Word: "办结", Match: bot.MatchPrefix, Handler: d.resolveCmd()},
		bot.Keyword{Word: "退回", Match: bot.MatchPrefix, Handler: d.returnCmd()},
		bot.Keyword{Word: "转派", Match: bot.MatchPrefix, Handler: d.transferCmd()},
		bot.Keyword{Word: "回复", Match: bot.MatchPrefix, Handler: d.askCmd()},
		bot.Keyword{Word: "抄送", Handler: d.copiesCmd()},
	)
}
