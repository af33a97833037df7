package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot/community"
)

// Notice is something a person must be told outside the conversation: a
// staff alert or news for a resident.
type Notice struct {
	// Kind names the notification for templates and metrics
	// ("human_request").
	Kind string
	// To is a resident's or staff member's openid, or a role ("role:duty").
	To string
	// About, when set, is the openid of the resident the notice is about
	// whoever receives it (a staff alert naming them), so that erasing the
	// resident erases the notice too. Set it on every notice that carries
	// a resident's name, phone or words.
	About string
	// Text is the message, short and in Chinese.
	Text string
	// GroupText, when set, replaces Text wherever the notice may be seen by
	// more people than its recipient (the staff group robot): the same
	// news with personal data masked.
	GroupText string
	// Fields are the short facts a template message shows (title, number,
	// status, time, note), each kept within WeChat's 20-character rule by
	// the notifier.
	Fields map[string]string
	// URL, when set, is the detail page a template message links to.
	URL string
	// Staff marks notices for community staff: they ignore quiet hours and
	// may fall back to the WeCom group robot.
	Staff bool
	// Urgent notices ignore residents' quiet hours.
	Urgent bool
	// At, when set, is the earliest time to deliver (reminders, deadline
	// escalations); zero means now.
	At time.Time
	// Key makes the notice idempotent: the same key is delivered once.
	Key string
	// Merge, when set, lets notices to the same recipient with the same
	// Merge that are waiting together (a backlog after an outage) go out
	// as one message instead of a burst; each keeps its own Key. Staff
	// notices about one ticket share one ("ticket:<number>:staff").
	Merge string
	// Replaces, when set, groups a recipient's news about one thing (a
	// ticket: "ticket:<number>:resident"): this notice withdraws older
	// ones of the group not yet delivered (held by quiet hours, or stuck
	// in an outage), so that only the latest news goes out. Set it only
	// where the newest notice says all the older ones did.
	Replaces string
	// Asks, when set, names the question this notice puts to its
	// recipient (Ask("ticket.rating", number)): once it is delivered, a
	// bare reply ("1", "3") answers it for AnswerWindow (see Asked).
	Asks string
}

// DutyStaff addresses a notice to the staff on duty (their group robot)
// rather than one person: community.RoleDuty is the role, this the address.
const DutyStaff = "role:duty"

// Notifier delivers notices. Implementations decide the channel.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Lines are the numbers and hours residents are given when they need a
// person: the community office, the property company (物业) and its
// 24-hour line. Empty fields are left out of what residents read.
type Lines struct {
	// CommunityPhone is the community office's number (社区电话).
	CommunityPhone string
	// OfficeHours is when the office works, as residents read it.
	OfficeHours string
	// PropertyName, PropertyPhone and PropertyHotline are the property
	// company, its office number and its 24-hour line (水电急修).
	PropertyName, PropertyPhone, PropertyHotline string
	// Office reports whether t is within office hours and, when it is
	// not, when they next begin; nil means always.
	Office func(t time.Time) (open bool, next time.Time)
}

// Emergency is the line that gives the emergency numbers: 119, 120, 110
// and the property company's 24-hour line when there is one.
func (l Lines) Emergency() string {
	s := "紧急情况请拨打 119（火警）、120（急救）、110（报警）"
	if l.PropertyHotline != "" {
		s += "，或物业 24 小时电话 " + l.PropertyHotline
	}
	return s + "。"
}

// community is "社区电话 X（办公时间 …）", or "" without a number.
func (l Lines) community() string {
	if l.CommunityPhone == "" {
		return ""
	}
	s := "社区电话 " + l.CommunityPhone
	if l.OfficeHours != "" {
		s += "（" + l.OfficeHours + "）"
	}
	return s
}

// open reports whether the office works at t, and when it opens next.
func (l Lines) open(t time.Time) (bool, time.Time) {
	if l.Office == nil {
		return true, t
	}
	return l.Office(t)
}

// Later shows a time soon after now as a resident says it: "今天 14:30",
// "明天 9:00", or "12月1日 9:00" further on.
func Later(now, t time.Time) string {
	n, l := now.In(Shanghai), t.In(Shanghai)
	clock := l.Format("15:04")
	if l.Hour() < 10 {
		clock = l.Format("3:04")
	}
	switch days := dayNumber(l) - dayNumber(n); days {
	case 0:
		return "今天 " + clock
	case 1:
		return "明天 " + clock
	case 2:
		return "后天 " + clock
	}
	return Day(l) + " " + clock
}

func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Recent keeps the last few text messages of each resident, so that the
// staff a 人工 request reaches know what it is about. What it keeps
// expires within a day and goes with an erasure.
type Recent interface {
	// Remember adds text to what is kept of openid's messages, dropping
	// the oldest past the few kept.
	Remember(ctx context.Context, openid, text string) error
	// Recent returns what is kept of openid's messages, oldest first.
	Recent(ctx context.Context, openid string) ([]string, error)
}

// RecentKept is how many messages a Recent keeps per resident.
const RecentKept = 5

// RememberTexts is a Before check that keeps every text message in
// recent and answers none. A failure to keep one is logged, never shown:
// it must not stop the conversation.
func RememberTexts(recent Recent, log func(ctx context.Context, err error)) FollowUp {
	return func(ctx context.Context, m *Message, norm string) (Reply, bool, error) {
		if strings.HasPrefix(norm, "绑定") {
			return Reply{}, false, nil // a staff member's one-time code: a secret
		}
		if err := recent.Remember(ctx, m.OpenID, strings.TrimSpace(m.Text)); err != nil && log != nil {
			log(ctx, err)
		}
		return Reply{}, false, nil
	}
}

// MemoryRecent is a Recent in process memory, for tests and tools.
type MemoryRecent struct {
	mu   sync.Mutex
	msgs map[string][]string
}

// Remember implements Recent.
func (r *MemoryRecent) Remember(_ context.Context, openid, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.msgs == nil {
		r.msgs = map[string][]string{}
	}
	l := append(r.msgs[openid], text)
	if len(l) > RecentKept {
		l = l[len(l)-RecentKept:]
	}
	r.msgs[openid] = l
	return nil
}

// Recent implements Recent.
func (r *MemoryRecent) Recent(_ context.Context, openid string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs[openid]...), nil
}

// Duty reaches the staff on duty: each active duty staff member bound to
// WeChat, in person, and the staff group robot when one is configured.
type Duty struct {
	Notifier Notifier
	// Roster lists the staff on duty (community.Directory.OnDuty); nil
	// means nobody in person.
	Roster func(ctx context.Context) ([]community.Staff, error)
	// Robot reports that the WeCom group robot is configured
	// (TONGXIN_WECOM_ROBOT_KEY): without it a notice to DutyStaff
	// reaches nobody.
	Robot bool
}

// Reach is whom an alert reached.
type Reach struct {
	// Names are the duty staff reached in their own WeChat.
	Names []string
	// Group is true when the staff group robot was sent the alert.
	Group bool
}

// who names whom the alert reached, for the resident.
func (r Reach) who() string {
	if len(r.Names) > 0 {
		return "值班人员 " + strings.Join(r.Names, "、")
	}
	return "社区值班工作人员"
}

// Nobody reports that the alert reached no one.
func (r Reach) Nobody() bool { return len(r.Names) == 0 && !r.Group }

// Alert sends n to each bound duty staff member (To and Key set per
// person; n.Text in full) and, when the robot is configured, to the group
// (n.GroupText, masked). Each goes as a staff notice, which no quiet hours
// hold.
func (d Duty) Alert(ctx context.Context, n Notice) (Reach, error) {
	// A failure on the way is returned with whom the alert did reach: one
	// person's notice failing must not keep it from the others or the group.
	var reach Reach
	var errs []error
	var roster []community.Staff
	if d.Roster != nil {
		var err error
		if roster, err = d.Roster(ctx); err != nil {
			errs = append(errs, fmt.Errorf("bot: duty roster: %w", err))
		}
	}
	n.Staff = true
	for _, st := range roster {
		if !st.Active || st.OpenID == "" {
			continue
		}
		p := n
		p.To, p.Key = st.OpenID, fmt.Sprintf("%s:%d", n.Key, st.ID)
		if err := d.Notifier.Notify(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("bot: alert %s: %w", st.Name, err))
			continue
		}
		reach.Names = append(reach.Names, st.Name)
	}
	if d.Robot {
		g := n
		g.To, g.Key = DutyStaff, n.Key+":group"
		if g.GroupText != "" {
			g.Text = g.GroupText
		}
		if err := d.Notifier.Notify(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("bot: alert the staff group: %w", err))
		} else {
			reach.Group = true
		}
	}
	return reach, errors.Join(errs...)
}

// HumanDesk answers 人工 (ask for a person): it tells the duty staff who
// is asking, at most once per resident every ten minutes, and tells the
// resident honestly what happens next.
//
// Each bound duty staff member gets the whole story in their own WeChat:
// the resident's name, phone, address, 特殊情况 and last few messages.
// The group robot, which everyone in the group reads, gets the same news
// masked (王*, 138****8000, the building). When nobody can be reached (no
// duty staff bound, no robot), the resident is given the numbers to call
// instead of being told someone was notified; outside office hours, when
// to expect a call and the emergency numbers.
type HumanDesk struct {
	Duty      Duty
	Residents Residents
	// Recent, when set, gives the resident's last few messages.
	Recent Recent
	Lines  Lines
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log records what failed on the way (slog.Default when nil): a
	// failure never keeps the resident from a person or the numbers.
	Log *slog.Logger
}

func (h HumanDesk) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// Handle implements Handler.
func (h HumanDesk) Handle(ctx context.Context, m *Message) (Reply, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	t := now().UTC()
	var r Resident
	if h.Residents != nil {
		var err error
		r, err = h.Residents.Resident(ctx, m.OpenID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			// Told as unregistered: the staff can still answer.
			h.log().ErrorContext(ctx, "human request: could not read the profile", "err", err)
			r = Resident{}
		}
	}
	var said []string
	if h.Recent != nil {
		var err error
		if said, err = h.Recent.Recent(ctx, m.OpenID); err != nil {
			h.log().WarnContext(ctx, "human request: could not read the last messages", "err", err)
		}
	}
	known := r.Phone != ""
	full, group := humanTexts(m.OpenID, r, said)
	reach, err := h.Duty.Alert(ctx, Notice{
		Kind: "human_request", About: m.OpenID, Text: full, GroupText: group, Urgent: true,
		Fields: map[string]string{"title": "居民请求人工服务", "name": whoMasked(m.OpenID, r)},
		Key:    fmt.Sprintf("human:%s:%d", m.OpenID, t.Unix()/600),
	})
	if err != nil {
		// Those reached (reach) were told; if nobody was, the resident
		// gets the numbers below.
		h.log().ErrorContext(ctx, "human request: could not alert the duty staff", "reached", len(reach.Names), "err", err)
	}
	var lines []string
	open, next := h.Lines.open(t)
	switch {
	case reach.Nobody():
		lines = append(lines, "抱歉，现在没有能联系上的值班人员，您的请求没有转给任何人。")
		if c := h.Lines.community(); c != "" {
			lines = append(lines, "请拨打"+c+"。")
		}
		lines = append(lines, h.Lines.Emergency())
		return Text(strings.Join(lines, "\n")), nil
	case !open:
		lines = append(lines, "已通知"+reach.who()+"。现在是下班时间，他们会在 "+Later(t, next)+" 后联系您。", h.Lines.Emergency())
	default:
		lines = append(lines, "已通知"+reach.who()+"，会尽快联系您。")
	}
	if !known {
		lines = append(lines, "为方便他们给您回电话，请回复 登记 留下姓名和手机号。")
	}
	return Text(strings.Join(lines, "\n")), nil
}

// humanTexts are the 人工 notice in full (a duty staff member's own
// WeChat) and masked (the group).
func humanTexts(openid string, r Resident, said []string) (full, group string) {
	var b strings.Builder
	if r.Name == "" && r.Phone == "" {
		fmt.Fprintf(&b, "【人工服务】一位未登记的居民（微信号尾号 %s）请求人工服务，请通过公众号客服联系。", tail(openid))
	} else {
		name := r.Name
		if name == "" {
			name = "居民"
		}
		fmt.Fprintf(&b, "【人工服务】%s 请求人工服务，请尽快联系。", name)
		if r.Phone != "" {
			fmt.Fprintf(&b, "\n电话：%s", r.Phone)
		}
		if r.Address != "" {
			fmt.Fprintf(&b, "\n住址：%s", r.Address)
		}
		if r.Note != "" {
			fmt.Fprintf(&b, "\n特殊情况：%s", r.Note)
		}
	}
	if len(said) > 0 {
		b.WriteString("\n最近的消息：")
		for _, s := range said {
			fmt.Fprintf(&b, "\n· %s", cutRunes(s, 60))
		}
	}
	group = whoMasked(openid, r) + " 请求人工服务，请尽快通过公众号客服或电话联系。\n" +
		"详情已发值班人员微信；完整信息也可在管理后台查看：GET /api/v1/residents/" + openid
	return b.String(), group
}

// whoMasked names the resident for the group: 居民王*（138****8000，3号楼）.
func whoMasked(openid string, r Resident) string {
	if r.Name == "" {
		return "一位未登记的居民（微信号尾号 " + tail(openid) + "）"
	}
	who := "居民" + MaskName(r.Name)
	var facts []string
	if r.Phone != "" {
		facts = append(facts, MaskPhone(r.Phone))
	}
	if b := MaskAddress(r.Address); b != "" {
		facts = append(facts, b)
	}
	if len(facts) > 0 {
		who += "（" + strings.Join(facts, "，") + "）"
	}
	return who
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func tail(openid string) string {
	if len(openid) <= 4 {
		return openid
	}
	return openid[len(openid)-4:]
}
