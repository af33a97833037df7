package booking

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/flows"
)

// feature holds what the commands share.
type feature struct {
	*flowKit
	questions bot.Questions
	// change starts 改约 with a parameter (a closure's bare digit).
	change bot.SceneHandler
}

// mine is 我的预约: bookings, aid applications and expert requests.
func (f *feature) mine(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	my, err := f.svc.Mine(ctx, m.OpenID)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(my.Bookings)+len(my.Aid)+len(my.Expert) == 0 {
		return bot.Text("您目前没有法律诊所的预约。\n回复 法律咨询 预约。"), nil
	}
	var b strings.Builder
	if len(my.Bookings) > 0 {
		b.WriteString("您的预约：")
		// Not numbered: nothing here answers a number (the menu's would).
		for _, bk := range my.Bookings {
			fmt.Fprintf(&b, "\n· %s", bookingLine(bk))
		}
	}
	if len(my.Aid) > 0 {
		b.WriteString("\n法律援助申请：")
		for _, a := range my.Aid {
			fmt.Fprintf(&b, "\n· %s 提交，%s", bot.Day(a.CreatedAt), a.Status.Label())
		}
	}
	if len(my.Expert) > 0 {
		b.WriteString("\n专家会诊申请：")
		for _, r := range my.Expert {
			fmt.Fprintf(&b, "\n· %s，%s", r.Matter.Label(), r.Status.Label())
			if r.Status == cl.ExpertScheduled && r.At != nil {
				fmt.Fprintf(&b, " %s %s", when(*r.At), r.Location)
			}
		}
	}
	if len(my.Bookings) > 0 {
		b.WriteString("\n回复 取消预约 或 改约 办理。")
	}
	return bot.Text(strings.TrimPrefix(b.String(), "\n")), nil
}

// booked are the resident's active bookings.
func booked(ctx context.Context, svc cl.Service, openid string) ([]cl.Booking, error) {
	my, err := svc.Mine(ctx, openid)
	if err != nil {
		return nil, err
	}
	return my.Bookings, nil
}

// which is the booking the flow is about, as chosen.
func which(ctx context.Context, svc cl.Service, st *bot.State) (cl.Booking, error) {
	id, _ := strconv.ParseInt(st.Value("which"), 10, 64)
	return svc.CanChange(ctx, st.OpenID, id)
}

// whichStep chooses one of the resident's bookings that may still
// change; one past the cut-off is refused with the service's words.
func (k *flowKit) whichStep(verb string) *bot.Step {
	return listStep("which", "预约", func(ctx context.Context, st *bot.State) (string, []option, error) {
		bs, err := booked(ctx, k.svc, st.OpenID)
		if err != nil {
			return "", nil, err
		}
		os := make([]option, len(bs))
		for i, b := range bs {
			os[i] = option{Value: strconv.FormatInt(b.ID, 10), Label: bookingLine(b)}
		}
		return "您要" + verb + "哪一个预约？", os, nil
	}, func(ctx context.Context, st *bot.State, o option) (bot.Answer, error) {
		id, _ := strconv.ParseInt(o.Value, 10, 64)
		b, err := k.svc.CanChange(ctx, st.OpenID, id)
		if err != nil {
			var ue *bot.UserError
			if errors.As(err, &ue) {
				return bot.Answer{}, bot.Keep(ue.Message + "\n可回复其他序号，或回复 0 结束。")
			}
			return bot.Answer{}, err
		}
		return bot.Answer{Value: o.Value, Display: when(b.Start)}, nil
	})
}

// startWhich preselects the booking when there is just one, and says so
// when there is none; one past the cut-off stops with the service's words.
func (k *flowKit) startWhich(ctx context.Context, st *bot.State, verb string) error {
	bs, err := booked(ctx, k.svc, st.OpenID)
	if err != nil {
		return err
	}
	switch len(bs) {
	case 0:
		return &bot.UserError{Code: bot.CodeNotFound, Message: "您目前没有可以" + verb + "的预约。回复 我的预约 查看。", Err: bot.ErrNotFound}
	case 1:
		if _, err := k.svc.CanChange(ctx, st.OpenID, bs[0].ID); err != nil {
			return err
		}
		st.Set("which", bot.Answer{Value: strconv.FormatInt(bs[0].ID, 10), Display: when(bs[0].Start)})
	}
	return nil
}

// keepWords leave things as they are at a "1 确认 0 保留" question,
// beside the shared no words (bot.IsNo).
var keepWords = map[string]bool{"不了": true, "算了": true, "保留": true, "不改": true, "不取消": true}

// sureStep is the last question: 1 确认 0 keeps things as they are.
func sureStep(prompt func(ctx context.Context, st *bot.State) (string, error), yes, no string) *bot.Step {
	return &bot.Step{
		Key: "sure", Label: "确认", Prompt: "确认", Submits: true, PromptFunc: prompt,
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			n, num := bot.ParseNumber(in.Norm)
			switch {
			case num && n == 1, bot.IsYes(in.Norm):
				return bot.Answer{Value: "yes"}, nil
			case num && n == 0, bot.IsNo(in.Norm), keepWords[in.Norm]:
				return bot.Answer{}, bot.ErrCancel
			}
			return bot.Answer{}, bot.Invalid(fmt.Sprintf("请回复 1 %s，或 0 %s。", yes, no))
		},
	}
}

// newCancel is 取消预约: which booking (when several), then 1 确认取消
// 0 保留; refused after the cut-off with the clinic's phone.
func (k *flowKit) newCancel() *bot.Flow {
	return &bot.Flow{
		Name:      CancelFlow,
		Title:     "取消预约",
		Submitted: "预约已取消",
		Abandoned: "好的，预约保留，没有取消。",
		Start:     func(ctx context.Context, st *bot.State) error { return k.startWhich(ctx, st, "取消") },
		Steps: []*bot.Step{
			k.whichStep("取消"),
			sureStep(func(ctx context.Context, st *bot.State) (string, error) {
				b, err := which(ctx, k.svc, st)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("要取消这个预约吗？\n%s\n回复 1 确认取消\n回复 0 保留", bookingLine(b)), nil
			}, "确认取消", "保留"),
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			id, _ := strconv.ParseInt(st.Value("which"), 10, 64)
			b, err := k.svc.Cancel(ctx, st.OpenID, id)
			if err != nil {
				return bot.Reply{}, err
			}
			return bot.Text(fmt.Sprintf("已取消 %s 的预约。\n需要时回复 法律咨询 重新预约。", when(b.Start))), nil
		},
	}
}

// newChange is 改约: which booking, a new slot of its matter, 1 确认;
// the service moves it in one step (Draft.Replaces) or changes nothing.
// Its parameter "<booking id>:<n>" (a closure's bare digit) preselects
// the booking and the n-th free slot.
func (k *flowKit) newChange() *bot.Flow {
	moving := func(ctx context.Context, st *bot.State) (cl.Booking, error) { return which(ctx, k.svc, st) }
	slot := &bot.Step{
		Key: "slot", Label: "新时间", Prompt: "新时间",
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			b, err := moving(ctx, st)
			if err != nil {
				return "", err
			}
			text, _, err := k.changePrompt(ctx, st, b)
			return text, err
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			return k.pickSlot(ctx, st, in, "slot", false)
		},
	}
	return &bot.Flow{
		Name:      ChangeFlow,
		Title:     "改约",
		Submitted: "已改约",
		RefLabel:  "预约码",
		Abandoned: "好的，没有改约，原预约保留。",
		Start: func(ctx context.Context, st *bot.State) error {
			id, n, ok := changeParam(st.Param)
			if !ok {
				return k.startWhich(ctx, st, "改约")
			}
			b, err := k.svc.CanChange(ctx, st.OpenID, id)
			if err != nil {
				return err
			}
			st.Set("which", bot.Answer{Value: strconv.FormatInt(id, 10), Display: when(b.Start)})
			_, os, err := k.changePrompt(ctx, st, b)
			if err != nil {
				return err
			}
			if n >= 1 && n <= len(os) {
				st.Set("slot", bot.Answer{Value: os[n-1].Value, Display: os[n-1].Label})
			}
			return nil
		},
		Steps: []*bot.Step{
			k.whichStep("改约"),
			slot,
			sureStep(func(ctx context.Context, st *bot.State) (string, error) {
				b, err := moving(ctx, st)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("把 %s 的预约\n改到 %s 吗？\n回复 1 确认改约\n回复 0 不改", when(b.Start), st.Answers["slot"].Shown()), nil
			}, "确认改约", "不改"),
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			b, err := moving(ctx, st)
			if err != nil {
				return bot.Reply{}, err
			}
			ref, ok := parseRef(st.Value("slot"))
			if !ok {
				return bot.Reply{}, bot.Reask("slot", "")
			}
			rc, err := k.svc.Book(ctx, cl.Draft{
				Slot: ref, Matter: b.Matter, OpenID: st.OpenID, Name: b.Name, Phone: b.Phone, Description: b.Description,
				Language: b.Language, NeedRep: b.NeedRep, TicketID: b.TicketID, Key: st.DraftKey(), Replaces: b.ID,
			})
			if err = slotRefused(err); errors.As(err, new(*bot.ReaskError)) {
				// The new slot's confirmation is asked again.
				delete(st.Answers, "sure")
				return bot.Reply{}, err
			}
			if err != nil {
				return bot.Reply{}, err
			}
			if rc.Taken {
				if err := st.SetData(dataNext, rc.Next); err != nil {
					return bot.Reply{}, err
				}
				// The new slot's confirmation is asked again.
				delete(st.Answers, "sure")
				return bot.Reply{}, bot.Reask("slot", "该时段刚被约满，请另选一个。原预约仍保留。")
			}
			st.SetRef(rc.Booking.Code)
			return bot.Text(receipt("改约成功！原 "+when(b.Start)+" 的预约已取消。", rc.Booking, k.fixed(ctx, rc.Booking))), nil
		},
	}
}

// changePrompt lists the free slots a booking may move to, without its
// own and without free-clinic sessions (booked through the sign-up).
func (k *flowKit) changePrompt(ctx context.Context, st *bot.State, b cl.Booking) (string, []option, error) {
	var ss []cl.Slot
	if err := st.Data(dataNext, &ss); err == nil && len(ss) > 0 {
		if err := st.SetData(dataNext, []cl.Slot{}); err != nil {
			return "", nil, err
		}
	} else {
		var err error
		if ss, err = k.svc.Slots(ctx, b.Matter); err != nil {
			return "", nil, err
		}
	}
	var free []cl.Slot
	for _, s := range ss {
		if s.WalkIn || s.ActivityID != 0 || (s.ScheduleID == b.ScheduleID && s.Start.Equal(b.Start)) {
			continue
		}
		free = append(free, s)
	}
	body, os := slotLines(free)
	if err := st.SetData("list:slot", os); err != nil {
		return "", nil, err
	}
	if len(os) == 0 {
		return fmt.Sprintf("近期没有其他可约的时段，原预约 %s 仍保留。\n请回复 0 结束。", when(b.Start)), os, nil
	}
	return fmt.Sprintf("现在的预约：%s\n可以改到：\n%s\n请回复序号，0 取消。", when(b.Start), body), os, nil
}

// changeParam reads "<booking id>:<n>".
func changeParam(p string) (id int64, n int, ok bool) {
	a, b, found := strings.Cut(p, ":")
	if !found {
		return 0, 0, false
	}
	id, err1 := strconv.ParseInt(a, 10, 64)
	n, err2 := strconv.Atoi(b)
	return id, n, err1 == nil && err2 == nil && id > 0
}

// newTopics is 法律知识: the numbered topics; a number reads one, the
// list stays for the next number, 0 ends.
func (k *flowKit) newTopics() *bot.Flow {
	s := listStep("topic", "题目", func(ctx context.Context, st *bot.State) (string, []option, error) {
		ts := k.svc.Topics(ctx)
		if len(ts) == 0 {
			return "", nil, &bot.UserError{Code: bot.CodeNotFound, Message: "法律知识正在整理中。有法律问题请回复 法律咨询 预约，或拨打 " + cl.Hotline + "。"}
		}
		os := make([]option, len(ts))
		for i, t := range ts {
			os[i] = option{Value: strconv.Itoa(i), Label: t.Title}
		}
		return "法律知识，请选择题目：", os, nil
	}, func(ctx context.Context, st *bot.State, o option) (bot.Answer, error) {
		i, _ := strconv.Atoi(o.Value)
		ts := k.svc.Topics(ctx)
		if i >= len(ts) {
			return bot.Answer{}, bot.Invalid("题目已更新，请重新选择。")
		}
		return bot.Answer{}, bot.Keep(fmt.Sprintf("【%s】\n%s\n\n回复其他序号继续看，回复 0 结束。", ts[i].Title, ts[i].Text))
	})
	return &bot.Flow{
		Name:      TopicsFlow,
		Title:     "法律知识",
		Abandoned: "好的。有法律问题可回复 法律咨询 预约，或拨打 " + cl.Hotline + "。",
		Steps:     []*bot.Step{s},
		// The topic step never completes: it reads a topic and stays.
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) { return bot.Text("好的。"), nil },
	}
}

// maxDayDescription is how much of each description 今日预约 shows.
const maxDayDescription = 80

// today is 今日预约: the bookings of the provider's sessions today (every
// session's for clinic staff), with descriptions, in this 1:1 reply.
func (f *feature) today(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	now := f.now()
	bs, err := f.svc.Day(ctx, m.OpenID, now)
	if bot.ErrorCode(err) == bot.CodeForbidden {
		return bot.Text("今日预约仅供法律诊所工作人员和坐诊人员查看。\n您要预约请回复 法律咨询，查看自己的预约请回复 我的预约。"), nil
	}
	if err != nil {
		return bot.Reply{}, err
	}
	if len(bs) == 0 {
		return bot.Text(fmt.Sprintf("今天（%s）没有预约。", day(now))), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "今日预约（%s）共 %d 个：", day(now), len(bs))
	const tail = "\n（内容保密，请勿转发）"
	for i, bk := range bs {
		var e strings.Builder
		fmt.Fprintf(&e, "\n%d. %s %s %s %s\n   %s", i+1, clock(bk.Start), bk.Matter.Label(), bk.Name, bk.Phone, bk.Location)
		if n := need(bk.Language, bk.NeedRep); n != "" {
			fmt.Fprintf(&e, "\n   需要：%s", n)
		}
		if bk.Description != "" {
			fmt.Fprintf(&e, "\n   情况：%s", short(bk.Description, maxDayDescription))
		}
		// One WeChat text: the rest are counted, not cut off mid-line
		// by WeChat.
		more := fmt.Sprintf("\n另有 %d 个预约未列出（一条消息放不下），请在管理后台查看。", len(bs)-i)
		if b.Len()+e.Len()+len(more)+len(tail) > maxTodayBytes {
			b.WriteString(more)
			break
		}
		b.WriteString(e.String())
	}
	b.WriteString(tail)
	return bot.Text(b.String()), nil
}

// maxTodayBytes bounds 今日预约's reply: a WeChat text carries 2048
// bytes.
const maxTodayBytes = 2000

// subscribe is 订阅巡诊 / 退订巡诊.
func (f *feature) subscribe(on bool) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		if err := f.svc.Subscribe(ctx, m.OpenID, on); err != nil {
			return bot.Reply{}, err
		}
		if on {
			return bot.Text("已订阅定期巡诊通知：法律诊所到您楼栋巡诊时会提前告诉您。\n回复 退订巡诊 可退订。"), nil
		}
		return bot.Text("已退订定期巡诊通知。\n回复 订阅巡诊 可重新订阅。"), nil
	})
}

// maxRebook is the highest bare digit that answers a closure's push
// ("回复 1/2/3 改到 …", cl.QuestionClosed), only within bot.AnswerWindow
// of its delivery: the push offers three slots, and a higher digit is a
// menu choice, not a slot the resident saw.
const maxRebook = 3

// rebook answers a closure's (or vanished slot's) question with a bare
// digit while it is the last question that reached the resident,
// recently, and the booking still stands: 改约 opens at that booking and
// slot, to confirm. Anything else passes on (a menu choice); 改约 always
// works.
func (f *feature) rebook(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
	n, err := strconv.Atoi(norm)
	if err != nil || n < 1 || n > maxRebook {
		return bot.Reply{}, false, nil
	}
	ref, ok, err := bot.Asked(ctx, f.questions, m.OpenID, cl.QuestionClosed, f.now())
	if err != nil || !ok {
		return bot.Reply{}, false, err
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return bot.Reply{}, false, nil
	}
	bs, err := booked(ctx, f.svc, m.OpenID)
	if err != nil {
		return bot.Reply{}, true, err
	}
	for _, b := range bs {
		if b.ID == id {
			reply, err := f.change(ctx, m, fmt.Sprintf("%d:%d", id, n))
			return reply, true, err
		}
	}
	// Moved or cancelled already: the digit is someone else's.
	return bot.Reply{}, false, nil
}

// Register adds the legal clinic to r: the flow (the LEGAL menu action,
// which the menu lays out with its keywords 法律, 律师 and 法律咨询;
// 咨询律师 and 预约; 调解 and 法律援助 preselecting their matter; the QR
// scenes "clinic" and "clinic:<schedule id>"), 法律知识, 我的预约,
// 取消预约, 改约 with the bare-digit answer to a closure's push, 今日预约
// for staff, 订阅巡诊 and 退订巡诊. Without a clinic service (a tool, a
// test of other features) LEGAL says the clinic is not open yet.
func Register(r *bot.Router, d flows.Deps) error {
	if d.Clinic == nil {
		return r.Action(bot.MenuEntry{Key: "LEGAL", Label: "法律咨询", Handler: bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
			return bot.Text("法律诊所预约服务即将开通，敬请期待。\n急事请拨打公共法律服务热线 " + cl.Hotline + "。"), nil
		})})
	}
	k := &flowKit{svc: d.Clinic, tickets: d.Tickets, residents: d.Residents, now: d.Clock(), startScene: r.SceneFlow}
	for _, fl := range []*bot.Flow{k.newFlow(), k.newCancel(), k.newChange(), k.newTopics()} {
		if err := r.Flow(fl); err != nil {
			return err
		}
	}
	f := &feature{flowKit: k, questions: d.Questions, change: r.SceneFlow(ChangeFlow)}
	scene := r.SceneFlow(Name)
	with := func(param string) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) { return scene(ctx, m, param) })
	}
	start := r.StartFlow(Name)
	if err := r.Keywords(
		// 法律, 律师 and 法律咨询 are the LEGAL menu item's keywords
		// (cmd's defaultMenu; operators may change them).
		bot.Keyword{Word: "咨询律师", Handler: start},
		bot.Keyword{Word: "预约", Handler: start},
		bot.Keyword{Word: "调解", Handler: with(string(cl.Mediation))},
		bot.Keyword{Word: "法律援助", Handler: with(string(cl.Aid))},
		bot.Keyword{Word: "法律知识", Handler: r.StartFlow(TopicsFlow)},
		bot.Keyword{Word: "我的预约", Handler: bot.HandlerFunc(f.mine)},
		bot.Keyword{Word: "取消预约", Handler: r.StartFlow(CancelFlow)},
		bot.Keyword{Word: "改约", Handler: r.StartFlow(ChangeFlow)},
		bot.Keyword{Word: "今日预约", Handler: bot.HandlerFunc(f.today)},
		bot.Keyword{Word: "订阅巡诊", Handler: f.subscribe(true)},
		bot.Keyword{Word: "退订巡诊", Handler: f.subscribe(false)},
	); err != nil {
		return err
	}
	r.FollowUps(f.rebook)
	if err := registerIntents(r, k); err != nil {
		return err
	}
	if err := r.Scene("clinic", scene); err != nil {
		return err
	}
	return r.Action(bot.MenuEntry{Key: "LEGAL", Label: "法律咨询", Handler: start})
}
