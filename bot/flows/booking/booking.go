// Package booking is the legal clinic's conversation (法律诊所): the
// intro (place, walk-in hours, phone, the 12348 hotline), booking a slot
// for 法律咨询, 矛盾调解 or 法律援助 (with the aid eligibility questions
// and the application), requesting a 专家会诊, 法律知识 topics, and the
// resident's commands 我的预约, 取消预约 and 改约; the answer to a closure's
// push (a bare digit shortly after it arrived), 订阅巡诊 / 退订巡诊, and
// providers' and clinic staff's 今日预约. It talks to the clinic only
// through clinic.Service, which decides who may see what.
//
// Privacy: a matter's description and the aid answers go to the service
// and back to the resident who gave them, and to staff in 今日预约 (a
// 1:1 reply); nothing here logs them.
package booking

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
)

// Flow names in sessions and metrics.
const (
	Name       = "clinic"
	CancelFlow = "clinic_cancel"
	ChangeFlow = "clinic_change"
	TopicsFlow = "clinic_law"
)

// title is the booking flow's, as residents read it (and as the router
// names it when another flow replaces it).
const title = "法律诊所预约"

// signupFlow is the event sign-up's flow (bot/flows/signup.Name), which
// a 集中义诊 session is booked through; flows do not import each other.
const signupFlow = "signup"

// Session data keys.
const (
	dataSchedule = "schedule" // the schedule a QR code preselected
	dataNext     = "next"     // the next free slots offered when one was taken
	dataTold     = "told"     // the intro was shown
	// dataUnderstood is set when understanding started the flow at a
	// matter ("离婚财产怎么分"): the slot list shows the intro, as a QR
	// code's matter does, and says the words were kept.
	dataUnderstood = "understood"
)

// Answer values of the slot step besides a SlotRef.
const (
	slotExpert = "expert" // 申请专家会诊
	slotNone   = "none"   // 法律援助 without a slot
)

// maxDescription is how long a description may be.
const maxDescription = 500

// aidKinds are the kinds of case the justice office asks about.
var aidKinds = []string{"讨薪/劳动争议", "婚姻家庭", "工伤/交通事故赔偿", "房屋/邻里", "其他"}

// flowKit is what the clinic's flows share.
type flowKit struct {
	svc       cl.Service
	tickets   ticket.Service
	residents bot.Residents
	now       func() time.Time
	// startScene starts a flow by name with a parameter, for a step that
	// hands the resident over (法律知识, a 集中义诊 session).
	startScene func(flow string) bot.SceneHandler
}

// handoff starts flow from inside a step of the clinic's flow (the
// resident chose 法律知识, or a 集中义诊 session that the event sign-up
// books): the conversation then belongs to that flow, and its first
// question is what the resident reads. Keep shows it without a strike.
func (k *flowKit) handoff(ctx context.Context, st *bot.State, flow, param string) (bot.Answer, error) {
	reply, err := k.startScene(flow)(ctx, st.Msg, param)
	if err != nil {
		return bot.Answer{}, err
	}
	return bot.Answer{}, bot.Keep(reply.Text)
}

// matter is the matter chosen.
func matter(st *bot.State) cl.Matter { return cl.Matter(st.Value("matter")) }

// intro is the clinic's card: place, walk-in hours, phone, 12348.
func intro(i cl.Info) string {
	var b strings.Builder
	b.WriteString("社区法律诊所（免费）")
	if i.Place != "" {
		b.WriteString("\n地点：" + i.Place)
	}
	if i.WalkIn != "" {
		b.WriteString("\n坐诊：" + i.WalkIn + "，不用预约")
	}
	if i.Phone != "" {
		b.WriteString("\n电话：" + i.Phone)
	}
	hotline := i.Hotline
	if hotline == "" {
		hotline = cl.Hotline
	}
	b.WriteString("\n公共法律服务热线：" + hotline)
	return b.String()
}

// matterStep asks what it is about, after the intro.
func (k *flowKit) matterStep() *bot.Step {
	return listStep("matter", "事项",
		func(ctx context.Context, st *bot.State) (string, []option, error) {
			i, err := k.svc.Info(ctx)
			if err != nil {
				return "", nil, err
			}
			os := []option{
				{string(cl.Consult), cl.Consult.Label()}, {string(cl.Mediation), cl.Mediation.Label()},
				{string(cl.Aid), cl.Aid.Label()}, {"law", "法律知识"},
			}
			// The intro once; a question asked again is short.
			var told bool
			if st.Data(dataTold, &told) == nil && told {
				return "请问您要办理：", os, nil
			}
			if err := st.SetData(dataTold, true); err != nil {
				return "", nil, err
			}
			return intro(i) + "\n\n请问您要办理：", os, nil
		},
		func(ctx context.Context, st *bot.State, o option) (bot.Answer, error) {
			if o.Value == "law" {
				return k.handoff(ctx, st, TopicsFlow, "")
			}
			if old := st.Value("matter"); old != "" && old != o.Value {
				// Changed at the summary: the slot and the matter's own
				// answers were for the other one.
				for _, k := range []string{"slot", "ticket", "aidkind", "hardship", "incourt"} {
					delete(st.Answers, k)
				}
			}
			return bot.Answer{Value: o.Value, Display: o.Label}, nil
		})
}

// aidSteps are the justice office's eligibility questions.
func aidSteps() []*bot.Step {
	isAid := func(st *bot.State) bool { return matter(st) == cl.Aid }
	kinds := make([]option, len(aidKinds))
	for i, k := range aidKinds {
		kinds[i] = option{Value: k, Label: k}
	}
	kind := listStep("aidkind", "案件类型", func(ctx context.Context, st *bot.State) (string, []option, error) {
		return "申请法律援助，先问您三个问题。\n是什么类型的事？", kinds, nil
	}, nil)
	kind.When = isAid
	return []*bot.Step{
		kind,
		yesNo("hardship", "经济困难", "家庭经济是否困难（如低保、特困）？", isAid),
		yesNo("incourt", "已起诉", "这件事是否已经起诉到法院？", isAid),
	}
}

// slotPrompt lists the free slots of the matter (or, after a slot was
// taken at confirm, the next ones the service offered), the walk-in
// hours beside them, and the expert (and for aid, no-slot) options.
func (k *flowKit) slotPrompt(ctx context.Context, st *bot.State, m cl.Matter, offerNone bool) (string, []option, error) {
	var ss []cl.Slot
	if err := st.Data(dataNext, &ss); err == nil && len(ss) > 0 {
		if err := st.SetData(dataNext, []cl.Slot{}); err != nil {
			return "", nil, err
		}
	} else {
		var err error
		if ss, err = k.svc.Slots(ctx, m); err != nil {
			return "", nil, err
		}
	}
	i, err := k.svc.Info(ctx)
	if err != nil {
		return "", nil, err
	}
	var note string
	var sid int64
	if st.Data(dataSchedule, &sid) == nil && sid != 0 {
		var mine []cl.Slot
		for _, s := range ss {
			if s.ScheduleID == sid && !s.WalkIn {
				mine = append(mine, s)
			}
		}
		if len(mine) > 0 {
			ss = mine
		} else {
			note = "二维码上的这场已约满或不办理此事项，以下是其他时段。"
		}
	}
	body, os := slotLines(ss)
	var head strings.Builder
	var told bool
	var understood bool
	_ = st.Data(dataUnderstood, &understood)
	if (cl.Matter(st.Param).Valid() || understood) && (st.Data(dataTold, &told) != nil || !told) {
		// Started at the matter (调解, 法律援助, or understood from the
		// resident's words): the intro was not shown.
		head.WriteString(intro(i) + "\n\n")
		if _, ok := st.Answers["description"]; ok && understood {
			head.WriteString("您说的情况已记下，内容保密，仅法律诊所工作人员可见。\n")
		}
		if err := st.SetData(dataTold, true); err != nil {
			return "", nil, err
		}
	}
	if note != "" {
		head.WriteString(note + "\n")
	}
	if len(os) == 0 {
		fmt.Fprintf(&head, "近期%s已约满。", m.Label())
		if w := walkIns(ss, 3); w != "" {
			head.WriteString("\n可直接到场（不用预约）：\n" + w)
		} else if i.WalkIn != "" {
			head.WriteString("\n可直接到场：" + i.WalkIn)
		}
		fmt.Fprintf(&head, "\n也可拨打 %s 公共法律服务热线。", i.Hotline)
	} else {
		fmt.Fprintf(&head, "%s 可预约的时段：\n%s", m.Label(), body)
		if i.WalkIn != "" {
			head.WriteString("\n不用预约：" + i.WalkIn)
		}
	}
	if offerNone {
		head.WriteString("\n" + optNoSlot + ". 不约时间，只提交援助申请")
	}
	head.WriteString("\n" + optExpert + ". 申请专家会诊")
	if len(os) > 0 {
		head.WriteString("\n请回复序号，0 取消。")
	} else {
		head.WriteString("\n请回复数字，0 取消。")
	}
	if err := st.SetData("list:slot", os); err != nil {
		return "", nil, err
	}
	return head.String(), os, nil
}

// pickSlot reads the answer to a slot list: a numbered slot (a free
// clinic's hands over to its sign-up), 9 expert, 8 no slot (aid), 0.
func (k *flowKit) pickSlot(ctx context.Context, st *bot.State, in bot.Input, step string, extras bool) (bot.Answer, error) {
	if extras {
		switch {
		case in.Norm == optExpert || in.Norm == "专家" || in.Norm == "专家会诊":
			return bot.Answer{Value: slotExpert, Display: "申请专家会诊"}, nil
		case in.Norm == optNoSlot && matter(st) == cl.Aid:
			return bot.Answer{Value: slotNone, Display: "不约时间，只提交申请"}, nil
		}
	}
	o, err := choose(st, step, in)
	var inv *bot.InvalidError
	if errors.As(err, &inv) {
		n := len(listed(st, step))
		switch {
		case !extras && n > 0:
			return bot.Answer{}, bot.Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字，回复 0 取消。", n))
		case !extras:
			return bot.Answer{}, bot.Invalid("请回复 0 取消。")
		case n == 0:
			return bot.Answer{}, bot.Invalid("请回复上面列出的数字，回复 0 取消。")
		}
		return bot.Answer{}, bot.Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字，或 %s 申请专家会诊，0 取消。", n, optExpert))
	}
	if err != nil {
		return bot.Answer{}, err
	}
	if id, ok := strings.CutPrefix(o.Value, "event:"); ok {
		return k.handoff(ctx, st, signupFlow, id)
	}
	return bot.Answer{Value: o.Value, Display: o.Label}, nil
}

// slotStep asks for a slot of the chosen matter.
func (k *flowKit) slotStep() *bot.Step {
	return &bot.Step{
		Key: "slot", Label: "时间",
		Prompt: "时间",
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			text, _, err := k.slotPrompt(ctx, st, matter(st), matter(st) == cl.Aid)
			return text, err
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			return k.pickSlot(ctx, st, in, "slot", true)
		},
	}
}

// fixed is the service's refusal to let the resident cancel or move b
// online (booked inside the cut-off), or nil; a failure to ask is nil
// too: the receipt then offers them, and 取消预约 explains.
func (k *flowKit) fixed(ctx context.Context, b cl.Booking) error {
	_, err := k.svc.CanChange(ctx, b.OpenID, b.ID)
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return err
	}
	return nil
}

// slotRefused turns the service's refusal of the chosen slot (too soon,
// another booking that day, a matter it does not take: a UserError on
// field slot or matter) into the slot list asked again with its words;
// the summary's "1 重试" would only be refused again. Other errors pass.
func slotRefused(err error) error {
	var ue *bot.UserError
	if errors.As(err, &ue) && (ue.Field == "slot" || ue.Field == "matter") {
		return bot.Reask("slot", ue.Message)
	}
	return err
}

// slotChosen reports whether a slot (not expert, not none) was chosen.
func slotChosen(st *bot.State) bool {
	_, ok := parseRef(st.Value("slot"))
	return ok
}

// ticketStep asks a mediation for the number of its 矛盾纠纷 request.
func (k *flowKit) ticketStep() *bot.Step {
	return &bot.Step{
		Key: "ticket", Label: "纠纷编号",
		Prompt: "这件事在社区登记过矛盾纠纷吗？\n有的话请回复编号（如 2611260001），没有请回复 0。",
		When:   func(st *bot.State) bool { return matter(st) == cl.Mediation },
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			switch in.Norm {
			case "0", "零", "没有", "无", "跳过", "不知道":
				return bot.Answer{Display: "无"}, nil
			}
			number, _, ok := input.NumberArgs(in.Text)
			if !ok {
				return bot.Answer{}, bot.Invalid("编号是 10 位数字（如 2611260001），没有请回复 0。")
			}
			if k.tickets == nil {
				return bot.Answer{}, bot.Invalid("暂时无法查询编号，请回复 0 跳过，到场时告诉工作人员。")
			}
			t, _, err := k.tickets.View(ctx, st.OpenID, number)
			if errors.Is(err, bot.ErrNotFound) {
				return bot.Answer{}, bot.Invalid("没有找到您登记的编号 " + number + "，请核对；没有请回复 0。")
			}
			if err != nil {
				return bot.Answer{}, err
			}
			return bot.Answer{Value: strconv.FormatInt(t.ID, 10), Display: t.Number}, nil
		},
	}
}

// descriptionStep asks what happened, in words or by voice.
func descriptionStep() *bot.Step {
	return &bot.Step{
		Key: "description", Label: "情况",
		Prompt: "请简单说说是什么事（打字或发语音都可以）。\n内容保密，仅法律诊所工作人员可见。",
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			if cancelWords[in.Norm] {
				return bot.Answer{}, bot.ErrCancel
			}
			return describe(in.Text)
		},
	}
}

// describe reads what happened: typed, spoken, or the words that started
// the flow.
func describe(text string) (bot.Answer, error) {
	a, err := input.Bounded(text, 2, maxDescription, "请多说几个字，比如：老板拖欠三个月工资。",
		fmt.Sprintf("请不要超过 %d 字，简单说明即可，详细情况到场再谈。", maxDescription))
	a.Display = short(a.Value, 30)
	return a, err
}

// understoodMatters are the clinic's intents that preset the matter.
var understoodMatters = map[string]cl.Matter{"clinic:consult": cl.Consult, "clinic:mediation": cl.Mediation, "clinic:aid": cl.Aid}

// keepSaid keeps what a resident said first when understanding started
// the flow ("房东不退押金"): the matter of the intent, and the words as
// the description, through the typed description's check (words it
// refuses are asked for at the description step). The words are the
// resident's personal matter: kept in the session for the service, never
// logged.
func keepSaid(st *bot.State, u *bot.Understood) error {
	m, ok := understoodMatters[u.Intent]
	if !ok {
		return nil
	}
	st.Set("matter", bot.Answer{Value: string(m), Display: m.Label()})
	if err := st.SetData(dataUnderstood, true); err != nil {
		return err
	}
	if a, err := describe(u.Said); err == nil {
		st.Set("description", a)
	}
	return nil
}

// needStep asks whether an interpreter or a minority representative is
// needed (0 不需要).
func (k *flowKit) needStep() *bot.Step {
	s := listStep("need", "翻译/陪同", func(ctx context.Context, st *bot.State) (string, []option, error) {
		langs, err := k.svc.Languages(ctx)
		if err != nil {
			return "", nil, err
		}
		var os []option
		for _, l := range langs {
			os = append(os, option{Value: "lang:" + l, Label: l + "翻译"})
		}
		os = append(os, option{Value: "rep", Label: "少数民族代表陪同"})
		return "需要翻译或少数民族代表陪同吗？\n0 不需要", os, nil
	}, nil)
	prompt := s.PromptFunc
	s.PromptFunc = func(ctx context.Context, st *bot.State) (string, error) {
		p, err := prompt(ctx, st)
		return strings.TrimSuffix(p, "\n请回复数字，0 取消。") + "\n请回复数字。", err
	}
	parse := s.Parse
	s.Parse = func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
		switch in.Norm {
		case "0", "零", "不需要", "不用", "没有", "无":
			return bot.Answer{Value: "", Display: "不需要"}, nil
		}
		a, err := parse(ctx, st, in)
		var inv *bot.InvalidError
		if errors.As(err, &inv) {
			return a, bot.Invalid(fmt.Sprintf("请回复 0 不需要，或 1 到 %d 之间的数字。", len(listed(st, "need"))))
		}
		return a, err
	}
	s.When = slotChosen
	return s
}

// cancelling lets 0 end a step that reads text (a name, a phone).
func cancelling(s *bot.Step) *bot.Step {
	parse := s.Parse
	s.Parse = func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
		if cancelWords[in.Norm] {
			return bot.Answer{}, bot.ErrCancel
		}
		return parse(ctx, st, in)
	}
	return s
}

// remembered offers the name or phone of the resident's latest booking.
func remembered(svc cl.Service, field func(cl.Booking) string) input.Remembered {
	return func(ctx context.Context, openid string) (string, error) {
		b, err := svc.Latest(ctx, openid)
		if errors.Is(err, bot.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return field(b), nil
	}
}

// aidAnswers are the eligibility answers given.
func aidAnswers(st *bot.State) *cl.AidAnswers {
	if matter(st) != cl.Aid {
		return nil
	}
	return &cl.AidAnswers{CaseKind: st.Value("aidkind"), Hardship: st.Value("hardship") == "yes", InCourt: st.Value("incourt") == "yes"}
}

// language and rep read the need step.
func language(st *bot.State) string {
	if v, ok := strings.CutPrefix(st.Value("need"), "lang:"); ok {
		return v
	}
	return ""
}
func rep(st *bot.State) bool { return st.Value("need") == "rep" }

// newFlow is the booking conversation.
func (k *flowKit) newFlow() *bot.Flow {
	steps := []*bot.Step{k.matterStep()}
	steps = append(steps, aidSteps()...)
	steps = append(steps,
		k.slotStep(),
		k.ticketStep(),
		descriptionStep(),
		k.needStep(),
		cancelling(input.NameStep("name", "姓名", "请问您的姓名？",
			input.FirstOf(input.FromProfile(k.residents, input.ProfileName), remembered(k.svc, func(b cl.Booking) string { return b.Name })))),
		cancelling(input.PhoneStep("phone", "电话", "请留下手机号（11 位），有变动时联系您。",
			input.FirstOf(input.FromProfile(k.residents, input.ProfilePhone), remembered(k.svc, func(b cl.Booking) string { return b.Phone })))),
	)
	return &bot.Flow{
		Name:      Name,
		Title:     title,
		Help:      "选事项和时间，简单说明情况，留下姓名电话，最后确认。内容保密。",
		Submitted: "已提交",
		RefLabel:  "预约码",
		Steps:     steps,
		Start: func(ctx context.Context, st *bot.State) error {
			if u := st.Understood(); u != nil {
				return keepSaid(st, u)
			}
			switch p := st.Param; {
			case cl.Matter(p).Valid():
				st.Set("matter", bot.Answer{Value: p, Display: cl.Matter(p).Label()})
			case p != "":
				if id, err := strconv.ParseInt(p, 10, 64); err == nil && id > 0 {
					return st.SetData(dataSchedule, id)
				}
			}
			return nil
		},
		Summary: k.summary,
		Submit:  k.submit,
	}
}

// summary is what the resident confirms.
func (k *flowKit) summary(st *bot.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "事项：%s", matter(st).Label())
	if a := aidAnswers(st); a != nil {
		fmt.Fprintf(&b, "\n案件类型：%s\n经济困难：%s\n已起诉：%s", a.CaseKind, st.Answers["hardship"].Shown(), st.Answers["incourt"].Shown())
	}
	switch v := st.Value("slot"); v {
	case slotExpert, slotNone:
		fmt.Fprintf(&b, "\n方式：%s", st.Answers["slot"].Shown())
	default:
		fmt.Fprintf(&b, "\n时间：%s", st.Answers["slot"].Shown())
	}
	if t := st.Answers["ticket"]; t.Value != "" {
		fmt.Fprintf(&b, "\n纠纷编号：%s", t.Shown())
	}
	fmt.Fprintf(&b, "\n情况：%s（保密）", st.Answers["description"].Shown())
	if n := need(language(st), rep(st)); n != "" {
		fmt.Fprintf(&b, "\n需要：%s", n)
	}
	fmt.Fprintf(&b, "\n姓名：%s\n电话：%s", st.Value("name"), bot.MaskPhone(st.Value("phone")))
	return b.String()
}

// submit books the slot, or files the expert request or the aid
// application; a slot taken in the meantime asks again with the next
// free ones, nothing else lost.
func (k *flowKit) submit(ctx context.Context, st *bot.State) (bot.Reply, error) {
	m := matter(st)
	desc := st.Value("description")
	switch st.Value("slot") {
	case slotExpert:
		_, err := k.svc.RequestExpert(ctx, cl.ExpertRequest{OpenID: st.OpenID, Name: st.Value("name"), Phone: st.Value("phone"),
			Matter: m, Description: desc}, st.DraftKey())
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text("专家会诊申请已提交。\n工作人员安排好时间和专家后会通知您。\n回复 我的预约 查看。"), nil
	case slotNone:
		a, err := k.svc.ApplyAid(ctx, cl.AidApplication{OpenID: st.OpenID, Name: st.Value("name"), Phone: st.Value("phone"),
			Answers: aidAnswers(st), Description: desc}, st.DraftKey())
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text(fmt.Sprintf("法律援助申请已提交（%s）。\n司法所审查后会通知您结果。\n回复 我的预约 查看进度。", a.Status.Label())), nil
	}
	ref, ok := parseRef(st.Value("slot"))
	if !ok {
		return bot.Reply{}, bot.Reask("slot", "")
	}
	d := cl.Draft{
		Slot: ref, Matter: m, OpenID: st.OpenID, Name: st.Value("name"), Phone: st.Value("phone"),
		Description: desc, Language: language(st), NeedRep: rep(st), Aid: aidAnswers(st), Key: st.DraftKey(),
	}
	d.TicketID, _ = strconv.ParseInt(st.Value("ticket"), 10, 64)
	rc, err := k.svc.Book(ctx, d)
	if err != nil {
		return bot.Reply{}, slotRefused(err)
	}
	if rc.Taken {
		if err := st.SetData(dataNext, rc.Next); err != nil {
			return bot.Reply{}, err
		}
		return bot.Reply{}, bot.Reask("slot", "该时段刚被约满，请另选一个，其他内容不用重填。")
	}
	st.SetRef(rc.Booking.Code)
	text := receipt("预约成功！", rc.Booking, k.fixed(ctx, rc.Booking))
	if rc.Aid != nil {
		text += fmt.Sprintf("\n法律援助申请：%s，司法所审查后会通知您。", rc.Aid.Status.Label())
	}
	return bot.Text(text), nil
}
