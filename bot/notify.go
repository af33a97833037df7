package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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

// HumanHandler answers 人工: it tells the duty staff who is asking (at most
// once per resident every ten minutes) and tells the resident what happens
// next.
//
// The duty staff are a group (their WeCom robot), so the notice names the
// resident masked (王*, 138****8000, the building) and says where the full
// record is: GET /api/v1/residents/{openid} with the admin token.
func HumanHandler(n Notifier, residents Residents, now func() time.Time) Handler {
	return HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) {
		// Without a registered phone, staff can only answer through the
		// account's customer-service console: give them the openid's tail
		// to find the conversation, and ask the resident for a number.
		who := "一位未登记的居民（微信号尾号 " + tail(m.OpenID) + "）"
		text := who + " 请求人工服务，请尽快通过公众号客服或电话联系。"
		known := false
		if residents != nil {
			r, err := residents.Resident(ctx, m.OpenID)
			switch {
			case err == nil && r.Name != "":
				known = r.Phone != ""
				who = "居民" + MaskName(r.Name)
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
				text = who + " 请求人工服务，请尽快通过公众号客服或电话联系。\n" +
					"完整信息（电话、住址）请在管理后台查看：GET /api/v1/residents/" + m.OpenID
			case err != nil && !errors.Is(err, ErrNotFound):
				return Reply{}, fmt.Errorf("bot: human request: %w", err)
			}
		}
		t := now().UTC()
		err := n.Notify(ctx, Notice{
			Kind: "human_request",
			To:   DutyStaff,
			// The recipient is a group: Text is what it reads, and
			// GroupText says so for any channel that tells them apart.
			Text:      text,
			GroupText: text,
			Staff:     true,
			Urgent:    true,
			Fields:    map[string]string{"title": "居民请求人工服务", "name": who},
			About:     m.OpenID,
			Key:       fmt.Sprintf("human:%s:%d", m.OpenID, t.Unix()/600),
		})
		if err != nil {
			return Reply{}, fmt.Errorf("bot: human request: %w", err)
		}
		if !known {
			return Text("已通知社区值班工作人员。\n为方便他们给您回电话，请回复 登记 留下姓名和手机号。"), nil
		}
		return Text("已通知社区值班工作人员，他们会尽快联系您。\n工作时间一般在 30 分钟内回复。"), nil
	})
}

func tail(openid string) string {
	if len(openid) <= 4 {
		return openid
	}
	return openid[len(openid)-4:]
}
