// Package emergency is the emergency path: a message naming a fire, a gas
// smell, a burst pipe, someone trapped in a lift or collapsed (着火了,
// 闻到煤气味, 水管爆了, 电梯困人, 有人晕倒了) is answered at once, anywhere
// in a message and in the middle of any form, with short safety steps and
// the numbers to call; it files an urgent request and alerts the duty
// staff at any hour. Drills, talks and sign-ups that name a fire
// (消防演练, 防火知识讲座) are no emergency.
package emergency

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/ticket"
)

// NoticeKind is the kind of the duty staff's alert.
const NoticeKind = "emergency"

// guide is what residents read for a kind: what it is and what to do
// first. %s is the property company's 24-hour line, or 物业.
type guide struct {
	title string
	steps []string
	// category is the request category an urgent ticket of the kind is
	// filed under, when the operator has it.
	category string
}

var guides = map[Kind]guide{
	Fire:     {"疑似火情", []string{"立即离开，用湿毛巾捂住口鼻，弯腰走楼梯，不要乘电梯", "马上拨打 119"}, "repair"},
	Gas:      {"疑似燃气泄漏", []string{"不要开关电灯电器，不要在屋里打电话", "打开门窗，关闭燃气总阀", "离开后在室外拨打 119"}, "repair"},
	Electric: {"漏电危险", []string{"不要用手碰电线或触电的人，先关电闸", "有人受伤拨打 120，起火拨打 119"}, "repair"},
	Medical:  {"有人急病", []string{"马上拨打 120，说清楼号、单元和门牌", "不要随意搬动病人，保持呼吸通畅"}, "medical"},
	Elevator: {"电梯困人", []string{"按电梯里的警铃或对讲求助，不要扒门", "拨打电梯里贴的救援电话，或 110"}, "repair"},
	Water:    {"爆管漏水", []string{"关闭入户水阀（水表旁），远离插座电器", "联系物业%s"}, "repair"},
	help:     {"紧急求助", []string{"先到安全的地方，顾好自己和身边的人", "有人受伤或病危马上拨打 120，遇到危险拨打 110"}, "assistance"},
}

// help is the kind of an emergency understood from the resident's words
// ("我爸突然说不出话了") where the detector's words named none. It is
// not in Kinds: operators' urgent words name a kind the detector knows.
const help Kind = "help"

// Register adds the emergency check, run before any active form.
func Register(r *bot.Router, d flows.Deps) error {
	det, err := NewDetector(d.UrgentWords, d.UrgentIgnore)
	if err != nil {
		return fmt.Errorf("emergency: TONGXIN_URGENT_WORDS: %w", err)
	}
	h := &handler{d: d, det: det, r: r}
	r.Before(h.check)
	return registerIntents(r, h)
}

type handler struct {
	d   flows.Deps
	det *Detector
	r   *bot.Router // its Logger, read when a message comes
}

func (h *handler) logger() *slog.Logger {
	if h.r.Logger != nil {
		return h.r.Logger
	}
	return slog.Default()
}

func (h *handler) check(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
	kinds := h.det.Detect(norm)
	if len(kinds) == 0 {
		return bot.Reply{}, false, nil
	}
	return h.respond(ctx, m, kinds), true, nil
}

// understood answers a message understanding took for an emergency that
// the detector's words missed: the same path (an urgent request, the
// duty staff alerted, the steps and the numbers), as a 紧急求助.
func (h *handler) understood(ctx context.Context, m *bot.Message) bot.Reply {
	kinds := h.det.Detect(bot.Normalize(m.Text))
	if len(kinds) == 0 {
		kinds = []Kind{help}
	}
	return h.respond(ctx, m, kinds)
}

// respond files the urgent request, alerts the duty staff and answers
// with the steps of kinds and the numbers; whatever fails, the resident
// gets the steps and the numbers.
func (h *handler) respond(ctx context.Context, m *bot.Message, kinds []Kind) bot.Reply {
	now := h.d.Clock()().UTC()
	var res bot.Resident
	if h.d.Residents != nil {
		res, _ = h.d.Residents.Resident(ctx, m.OpenID) // unknown: nothing to add
	}
	// Repeats within ten minutes ("着火了!!" twice) file and alert once:
	// the same keys, counted from the first one's ten minutes even when a
	// repeat falls past the mark.
	slot := fmt.Sprintf("%s:%s:%d", m.OpenID, kinds[0], h.since(ctx, m.OpenID, now).Unix()/repeatWindow)
	number, fileErr := h.file(ctx, m, res, kinds[0], slot)
	if fileErr != nil {
		h.logger().ErrorContext(ctx, "emergency: could not file the urgent request", "kind", kinds[0], "err", fileErr)
	}
	reach, alertErr := h.d.Duty.Alert(ctx, h.alert(m, res, kinds, number, slot))
	if alertErr != nil {
		h.logger().ErrorContext(ctx, "emergency: could not alert the duty staff", "kind", kinds[0], "reached", len(reach.Names), "err", alertErr)
	}
	// Whatever failed, the resident gets the steps and the numbers.
	return bot.Text(h.answer(kinds, number, reach, res.Address != ""))
}

// repeatWindow is how long repeats of an emergency count as one, in
// seconds.
const repeatWindow = 600

// since is when the resident's emergency began: the filing time of their
// urgent request of the last ten minutes, or now.
func (h *handler) since(ctx context.Context, openid string, now time.Time) time.Time {
	if h.d.Tickets == nil {
		return now
	}
	mine, err := h.d.Tickets.Mine(ctx, openid, 5)
	if err != nil {
		return now // filed again at worst; the key still holds within the mark
	}
	for _, t := range mine {
		if t.Urgent && now.Sub(t.CreatedAt) < repeatWindow*time.Second {
			return t.CreatedAt
		}
	}
	return now
}

// file files the urgent request; its number, or "" when it could not be.
func (h *handler) file(ctx context.Context, m *bot.Message, res bot.Resident, k Kind, slot string) (string, error) {
	if h.d.Tickets == nil {
		return "", nil
	}
	d := ticket.Draft{
		OpenID: m.OpenID, Name: res.Name, Phone: res.Phone, Category: h.category(k),
		Description: strings.TrimSpace(m.Text), Place: res.Address, Source: "wechat", Urgent: true,
		Key: "urgent:" + slot,
	}
	if n := buildingOf(res.Address); n > 0 && h.d.Community != nil {
		if b, err := h.d.Community.FindBuilding(ctx, n); err == nil {
			d.BuildingID = b.ID
		}
	}
	rc, err := h.d.Tickets.Submit(ctx, d)
	if err != nil {
		return "", err
	}
	return rc.Ticket.Number, nil
}

// category is the kind's category when the operator offers it, else the
// first one offered.
func (h *handler) category(k Kind) string {
	cats := h.d.Tickets.Categories()
	for _, c := range cats {
		if c.Key == guides[k].category {
			return c.Key
		}
	}
	if len(cats) > 0 {
		return cats[0].Key
	}
	return ""
}

// tail is the end of an openid, which staff can match in the 公众号's
// customer-service conversations.
func tail(openid string) string {
	if len(openid) <= 4 {
		return openid
	}
	return openid[len(openid)-4:]
}

var buildingRe = regexp.MustCompile(`^(\d{1,4})号楼`)

// buildingOf is the building number of a registered address, 0 if none.
func buildingOf(address string) int {
	m := buildingRe.FindStringSubmatch(address)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// alert is the duty staff's notice: in full for their own WeChat, masked
// for the group.
func (h *handler) alert(m *bot.Message, res bot.Resident, kinds []Kind, number, slot string) bot.Notice {
	var titles []string
	for _, k := range kinds {
		titles = append(titles, guides[k].title)
	}
	head := "【紧急】" + strings.Join(titles, "、")
	who, masked := "一位未登记的居民（微信号尾号 "+tail(m.OpenID)+"），没有电话，请通过公众号客服联系", "一位未登记的居民"
	if res.Name != "" || res.Phone != "" {
		who = strings.TrimSpace(res.Name + " " + res.Phone)
		masked = "居民" + bot.MaskName(res.Name)
		if res.Phone != "" {
			masked += " " + bot.MaskPhone(res.Phone)
		}
	}
	var full, group strings.Builder
	fmt.Fprintf(&full, "%s\n居民：%s", head, who)
	fmt.Fprintf(&group, "%s\n居民：%s", head, masked)
	if res.Address != "" {
		fmt.Fprintf(&full, "\n住址：%s", res.Address)
		if b := bot.MaskAddress(res.Address); b != "" {
			fmt.Fprintf(&group, "\n地点：%s", b)
		}
	}
	if res.Note != "" {
		fmt.Fprintf(&full, "\n特殊情况：%s", res.Note)
	}
	fmt.Fprintf(&full, "\n原话：%s", m.Text)
	if number != "" {
		contact := "请立即电话联系"
		if res.Phone == "" {
			contact = "请立即联系"
		}
		fmt.Fprintf(&full, "\n紧急诉求编号 %s，%s，回复 受理 %s", number, contact, number)
		fmt.Fprintf(&group, "\n紧急诉求编号 %s，详情已发值班人员微信，请立即处理。", number)
	} else {
		full.WriteString("\n（紧急诉求未能登记，请立即联系居民。）")
		group.WriteString("\n详情已发值班人员微信，请立即处理。")
	}
	return bot.Notice{
		Kind: NoticeKind, About: m.OpenID, Text: full.String(), GroupText: group.String(), Urgent: true,
		Fields: map[string]string{"title": head, "number": number},
		Key:    "emergency:" + slot,
	}
}

// answer is what the resident reads: the steps of each kind, the numbers,
// and who was told.
func (h *handler) answer(kinds []Kind, number string, reach bot.Reach, knownAddress bool) string {
	hotline := "，或拨打社区电话"
	switch {
	case h.d.Lines.PropertyHotline != "":
		hotline = " 24 小时电话 " + h.d.Lines.PropertyHotline
	case h.d.Lines.PropertyPhone != "":
		hotline = " " + h.d.Lines.PropertyPhone
	}
	var b strings.Builder
	for i, k := range kinds {
		if i == 2 {
			break // a phone screen: two kinds at most
		}
		g := guides[k]
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "【紧急】%s，请先保证安全：", g.title)
		for j, s := range g.steps {
			if strings.Contains(s, "%s") {
				s = fmt.Sprintf(s, hotline)
			}
			fmt.Fprintf(&b, "\n%d. %s", j+1, s)
		}
	}
	b.WriteString("\n" + h.d.Lines.Emergency())
	if !knownAddress {
		b.WriteString("\n我们没有您的住址，打电话求助时请说清楼号、单元和门牌。")
	}
	switch {
	case reach.Nobody():
		b.WriteString("\n现在联系不上社区值班人员，请直接拨打上面的电话。")
	case len(reach.Names) > 0:
		fmt.Fprintf(&b, "\n已通知值班人员 %s", strings.Join(reach.Names, "、"))
	default:
		b.WriteString("\n已通知社区值班人员")
	}
	if !reach.Nobody() {
		if number != "" {
			fmt.Fprintf(&b, "（紧急诉求编号 %s）", number)
		}
		b.WriteString("。")
	}
	return b.String()
}
