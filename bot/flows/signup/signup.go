// Package signup is the event sign-up conversation (活动报名): the list of
// events open for sign-up, the flow a resident signs up with (party
// size, the event's own questions, name, phone, confirmation), their
// commands (我的报名, 取消报名), the answers to an offer of freed seats
// (接受, 放弃, or 1/2 shortly after the offer arrived), the venue's
// check-in QR code, and staff checking people in by code (签到 <code>).
// It talks to sign-ups only through activity.Service; who may check
// people in is the service's to decide.
package signup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/input"
)

// Flow names in sessions and metrics.
const (
	Name       = "signup"
	CancelFlow = "signup_cancel"
)

// maxQuestions is how many of an event's own questions the flow asks:
// all the service accepts.
const maxQuestions = activity.MaxQuestions

// Session data keys.
const (
	dataActivity = "activity" // the chosen activity, as read when chosen
	dataTold     = "told"     // the id of the activity whose description was shown
	dataFewer    = "fewer"    // the seats left when too few for the party
)

// day is a date as residents read it: "12月1日 周二".
func day(t time.Time) string { return bot.DayWeek(t) }

// when is a date and time: "12月1日 周二 14:00".
func when(t time.Time) string { return day(t) + " " + t.In(bot.Shanghai).Format("15:04") }

// seats says how many seats are left: "余 12 位" or "已满，可候补".
func seats(a activity.Activity) string {
	if n := a.SeatsLeft(); n > 0 {
		return fmt.Sprintf("余 %d 位", n)
	}
	return "已满，可候补"
}

// listLabel is an activity as the numbered list shows it, on three short
// lines that fit a phone.
func listLabel(a activity.Activity) string {
	return fmt.Sprintf("%s\n   %s %s\n   %s", a.Title, when(a.StartsAt), a.Location, seats(a))
}

// card is what the resident reads of an activity once they chose it.
func card(a activity.Activity) string {
	var b strings.Builder
	fmt.Fprintf(&b, "「%s」\n时间：%s–%s", a.Title, when(a.StartsAt), a.EndsAt.In(bot.Shanghai).Format("15:04"))
	if a.Location != "" {
		fmt.Fprintf(&b, "\n地点：%s", a.Location)
	}
	if d := strings.TrimSpace(a.Description); d != "" {
		b.WriteString("\n" + d)
	}
	fmt.Fprintf(&b, "\n名额：%s", seats(a))
	if a.SignupDeadline != nil && a.SignupDeadline.Before(a.StartsAt) {
		fmt.Fprintf(&b, "（%s 截止报名）", when(*a.SignupDeadline))
	}
	return b.String()
}

// status says where a sign-up stands, for its resident.
func status(su activity.Signup) string {
	switch su.Status {
	case activity.Confirmed:
		return fmt.Sprintf("报名成功 %d 人\n签到码:%s", su.PartySize, su.CheckinCode)
	case activity.Attended:
		return fmt.Sprintf("已签到 %d 人", su.PartySize)
	case activity.Waitlisted:
		return fmt.Sprintf("候补第 %d 位（%d 人）", su.Position, su.PartySize)
	case activity.Offered:
		s := fmt.Sprintf("有空位待确认（%d 人）", su.PartySize)
		if su.OfferedUntil != nil {
			s += "，" + when(*su.OfferedUntil) + " 前回复 接受"
		}
		return s
	}
	return su.Status.Label()
}

// chosen is the activity the flow is about, as read when it was chosen.
func chosen(st *bot.State) (activity.Activity, bool) {
	var a activity.Activity
	if err := st.Data(dataActivity, &a); err != nil || a.ID == 0 {
		return activity.Activity{}, false
	}
	return a, true
}

// choose makes a the flow's activity, forgetting the answers that were
// about another one.
func choose(st *bot.State, a activity.Activity) error {
	if old, ok := chosen(st); ok && old.ID != a.ID {
		for k := range st.Answers {
			if k == "party" || k == "fewer" || strings.HasPrefix(k, "q") {
				delete(st.Answers, k)
			}
		}
	}
	if err := st.SetData(dataFewer, 0); err != nil {
		return err
	}
	st.Set("event", bot.Answer{Value: strconv.FormatInt(a.ID, 10), Display: a.Title})
	return st.SetData(dataActivity, a)
}

// lead puts the chosen activity's description before the first question
// asked after choosing it, once.
func lead(st *bot.State, prompt string) (string, error) {
	a, ok := chosen(st)
	if !ok {
		return prompt, nil
	}
	var told int64
	_ = st.Data(dataTold, &told)
	if told == a.ID {
		return prompt, nil
	}
	if err := st.SetData(dataTold, a.ID); err != nil {
		return "", err
	}
	return card(a) + "\n\n" + prompt, nil
}

// leading wraps a step's fixed prompt with lead.
func leading(s *bot.Step) *bot.Step {
	prompt := s.Prompt
	s.PromptFunc = func(ctx context.Context, st *bot.State) (string, error) { return lead(st, prompt) }
	return s
}

// question is the activity's i-th question, if it has one.
func question(st *bot.State, i int) (activity.Question, bool) {
	a, ok := chosen(st)
	if !ok || i >= len(a.Questions) {
		return activity.Question{}, false
	}
	return a.Questions[i], true
}

// commandWords are this feature's commands: typed in the middle of
// signing up they are no name and no answer (the flow keeps the message).
var commandWords = map[string]bool{"我的报名": true, "取消报名": true, "活动": true, "报名": true, "活动报名": true, "接受": true, "放弃": true}

// skipWords skip an optional question, as the flow engine's do.
var skipWords = map[string]bool{"跳过": true, "不填": true, "略": true, "没有": true, "无": true}

// questionSteps asks the activity's i-th question: one step for a choice
// question (numbered choices, 跳过 among them when optional), one for a
// free-text one.
func questionSteps(i int) []*bot.Step {
	label := fmt.Sprintf("第%d题", i+1)
	labelOf := func(st *bot.State) string { q, _ := question(st, i); return q.Label }
	// The choice step lists its choices itself (no Step.Choices): the
	// engine would take 取消报名 for a wrong number before Parse could
	// say what this step wants.
	choices := func(st *bot.State) []string {
		q, _ := question(st, i)
		cs := slices.Clone(q.Choices)
		if q.Optional {
			cs = append(cs, "跳过")
		}
		return cs
	}
	listed := func(st *bot.State) string {
		q, _ := question(st, i)
		var b strings.Builder
		b.WriteString(q.Label + "：")
		for j, c := range choices(st) {
			fmt.Fprintf(&b, "\n%d %s", j+1, c)
		}
		b.WriteString("\n请回复数字。")
		return b.String()
	}
	choice := &bot.Step{
		Key: fmt.Sprintf("q%dc", i+1), Label: label, LabelFunc: labelOf, Prompt: label,
		When: func(st *bot.State) bool { q, ok := question(st, i); return ok && len(q.Choices) > 0 },
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			return lead(st, listed(st))
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			q, _ := question(st, i)
			cs := choices(st)
			if commandWords[in.Norm] {
				return bot.Answer{}, bot.Keep("这一步请选一项；不想报了请回复 取消。\n" + listed(st))
			}
			k := -1
			if n, ok := bot.ParseNumber(in.Norm); ok {
				k = n - 1
			} else {
				for j, c := range cs {
					if bot.Normalize(c) == in.Norm {
						k = j
					}
				}
			}
			switch {
			case k < 0 || k >= len(cs):
				return bot.Answer{}, bot.Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字。", len(cs)))
			case q.Optional && k == len(cs)-1:
				return bot.Answer{Display: "跳过"}, nil
			}
			return bot.Answer{Value: cs[k], Display: cs[k]}, nil
		},
	}
	text := &bot.Step{
		Key: fmt.Sprintf("q%dt", i+1), Label: label, LabelFunc: labelOf, Prompt: label,
		When: func(st *bot.State) bool { q, ok := question(st, i); return ok && len(q.Choices) == 0 },
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			q, _ := question(st, i)
			p := q.Label + "？请直接回复。"
			if q.Optional {
				p += "\n（没有请回复 跳过）"
			}
			return lead(st, p)
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			q, _ := question(st, i)
			if commandWords[in.Norm] {
				return bot.Answer{}, bot.Keep("这一步请回答：" + q.Label + "；不想报了请回复 取消。")
			}
			if skipWords[in.Norm] {
				if q.Optional {
					return bot.Answer{Display: "跳过"}, nil
				}
				return bot.Answer{}, bot.Invalid("这一项需要填写。")
			}
			return input.Bounded(in.Text, 1, 200, "请回复文字。", "请不要超过 200 字。")
		},
	}
	return []*bot.Step{choice, text}
}

// partyWords are what may follow the number of people ("3人", "两位").
var partyTrim = strings.NewReplacer("人", "", "位", "", "个", "", " ", "")

// partyStep asks how many come, when the activity lets a party come.
func partyStep() *bot.Step {
	return &bot.Step{
		Key: "party", Label: "人数", Prompt: "人数",
		When: func(st *bot.State) bool { a, ok := chosen(st); return ok && a.MaxParty > 1 },
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			a, _ := chosen(st)
			return lead(st, fmt.Sprintf("一共几位参加？（含您本人，最多 %d 位）\n请回复数字。", a.MaxParty))
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			a, _ := chosen(st)
			if commandWords[in.Norm] {
				return bot.Answer{}, bot.Keep("这一步请回复参加的人数（数字）；不想报了请回复 取消。")
			}
			n, ok := bot.ParseNumber(partyTrim.Replace(in.Norm))
			if !ok || n < 1 || n > a.MaxParty {
				return bot.Answer{}, bot.Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字（含您本人）。", a.MaxParty))
			}
			if err := st.SetData(dataFewer, 0); err != nil {
				return bot.Answer{}, err
			}
			return bot.Answer{Value: strconv.Itoa(n), Display: fmt.Sprintf("%d 人", n)}, nil
		},
	}
}

// party is how many the resident signs up (1 when not asked).
func party(st *bot.State) int {
	if n, err := strconv.Atoi(st.Value("party")); err == nil && n > 0 {
		return n
	}
	return 1
}

// fewer is how many seats were left when too few for the party (0: none).
func fewer(st *bot.State) int {
	var n int
	_ = st.Data(dataFewer, &n)
	return n
}

// fewerStep asks, once seats ran short at the confirmation, whether to
// come with fewer or wait with the whole party; its answer signs up.
func fewerStep() *bot.Step {
	return &bot.Step{
		Key: "fewer", Label: "名额不足时", Prompt: "名额不足时", Submits: true,
		When: func(st *bot.State) bool { return fewer(st) > 0 },
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			k, n := fewer(st), party(st)
			return fmt.Sprintf("只剩 %d 位了，不够 %d 人。\n回复 1 按 %d 人报名\n回复 2 %d 人一起排队候补\n回复 0 不报了", k, n, k, n), nil
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			k, n := fewer(st), party(st)
			choice, num := bot.ParseNumber(in.Norm)
			switch {
			case num && choice == 1:
				return bot.Answer{Value: "fewer", Display: fmt.Sprintf("按 %d 人报名", k)}, nil
			case num && choice == 2, in.Norm == "候补":
				return bot.Answer{Value: "wait", Display: fmt.Sprintf("%d 人候补", n)}, nil
			case num && choice == 0, in.Norm == "不报了":
				return bot.Answer{}, bot.ErrCancel
			}
			if commandWords[in.Norm] {
				return bot.Answer{}, bot.Keep("这一步请回复 1、2 或 0（不报了）。")
			}
			return bot.Answer{}, bot.Invalid("请回复 1、2 或 0。")
		},
	}
}

// nameStep asks who signs up; 跳过 is no name.
func nameStep(r input.Remembered) *bot.Step {
	s := leading(input.NameStep("name", "姓名", "请问报名人的姓名？", r))
	parse := s.Parse
	s.Parse = func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
		switch {
		case skipWords[in.Norm]:
			return bot.Answer{}, bot.Invalid("报名需要留姓名，方便现场核对。")
		case commandWords[in.Norm]:
			return bot.Answer{}, bot.Keep("这一步请填写报名人的姓名；不想报了请回复 取消。")
		}
		return parse(ctx, st, in)
	}
	return s
}

// phoneStep answers this feature's commands at the phone step.
func phoneStep(s *bot.Step) *bot.Step {
	parse := s.Parse
	s.Parse = func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
		if commandWords[in.Norm] {
			return bot.Answer{}, bot.Keep("这一步请留下手机号；不想报了请回复 取消。")
		}
		return parse(ctx, st, in)
	}
	return s
}

// remembered offers the name or phone of the resident's latest sign-up.
func remembered(svc activity.Service, field func(activity.Signup) string) input.Remembered {
	return func(ctx context.Context, openid string) (string, error) {
		su, err := svc.Latest(ctx, openid)
		if errors.Is(err, bot.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return field(su), nil
	}
}

// New returns the sign-up flow over svc; residents supplies the
// remembered name and phone, now the clock.
func New(svc activity.Service, residents bot.Residents, now func() time.Time) *bot.Flow {
	steps := []*bot.Step{{
		Key: "event", Label: "活动", Prompt: "目前可以报名的活动：",
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			if len(only(st)) > 0 {
				return "您说的可能是这几个活动：", nil
			}
			return "目前可以报名的活动：", nil
		},
		Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
			acts, err := svc.Upcoming(ctx)
			if err != nil {
				return nil, err
			}
			ids := only(st)
			var cs []bot.Choice
			for _, a := range acts {
				if len(ids) == 0 || slices.Contains(ids, a.ID) {
					cs = append(cs, bot.Choice{Value: strconv.FormatInt(a.ID, 10), Label: listLabel(a)})
				}
			}
			if len(cs) == 0 { // those named closed meanwhile: all of them
				for _, a := range acts {
					cs = append(cs, bot.Choice{Value: strconv.FormatInt(a.ID, 10), Label: listLabel(a)})
				}
			}
			return cs, nil
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			id, _ := strconv.ParseInt(in.Text, 10, 64)
			a, err := svc.Activity(ctx, id)
			if err != nil {
				return bot.Answer{}, err
			}
			if !a.OpenAt(now()) {
				return bot.Answer{}, bot.Invalid(fmt.Sprintf("「%s」已停止报名，请选择其他活动。", a.Title))
			}
			if b, ok, err := already(ctx, svc, st.OpenID, a.ID); err != nil || ok {
				if err != nil {
					return bot.Answer{}, err
				}
				return bot.Answer{}, bot.Keep(alreadyText(b) + "\n可回复其他活动的序号，或回复 取消 结束。")
			}
			if err := choose(st, a); err != nil {
				return bot.Answer{}, err
			}
			// Asked again (修改), the list is the whole one.
			if err := st.SetData(dataOnly, []int64{}); err != nil {
				return bot.Answer{}, err
			}
			return st.Answers["event"], nil
		},
	}, partyStep()}
	for i := range maxQuestions {
		steps = append(steps, questionSteps(i)...)
	}
	steps = append(steps,
		nameStep(input.FirstOf(input.FromProfile(residents, input.ProfileName), remembered(svc, func(su activity.Signup) string { return su.Name }))),
		phoneStep(leading(input.PhoneStep("phone", "电话", "请留下手机号（11 位），活动有变动时联系您。",
			input.FirstOf(input.FromProfile(residents, input.ProfilePhone), remembered(svc, func(su activity.Signup) string { return su.Phone }))))),
		fewerStep(),
	)
	return &bot.Flow{
		Name:      Name,
		Title:     "活动报名",
		Help:      "选活动、填人数和活动的问题、留姓名电话，最后确认。",
		Submitted: "报名已提交",
		// Its own commands typed while signing up are answered by its
		// steps ("这一步请回答…"): 取消报名 here means leaving this
		// form, not cancelling another sign-up.
		OwnWords: func(norm string) bool { return commandWords[norm] },
		RefLabel: "签到码",
		Steps:    steps,
		Start: func(ctx context.Context, st *bot.State) error {
			var a activity.Activity
			if u := st.Understood(); u != nil {
				// "百家宴怎么报名": the activity named, as its poster's QR
				// code does; several named, the list of those; none, the
				// whole list.
				acts, err := svc.Upcoming(ctx)
				if err != nil {
					return err
				}
				switch ns := named(u.Said, acts); len(ns) {
				case 0:
					return nil
				case 1:
					a = ns[0]
				default:
					ids := make([]int64, len(ns))
					for i, n := range ns {
						ids[i] = n.ID
					}
					return st.SetData(dataOnly, ids)
				}
			} else {
				if st.Param == "" {
					return nil
				}
				id, err := strconv.ParseInt(st.Param, 10, 64)
				if err != nil {
					return nil
				}
				if a, err = svc.Activity(ctx, id); err != nil {
					return err
				}
			}
			if b, ok, err := already(ctx, svc, st.OpenID, a.ID); err != nil || ok {
				if err != nil {
					return err
				}
				return &bot.UserError{Code: bot.CodeConflict, Message: alreadyText(b) + "\n回复 我的报名 查看。"}
			}
			return choose(st, a)
		},
		Summary: func(st *bot.State) string {
			a, _ := chosen(st)
			var b strings.Builder
			fmt.Fprintf(&b, "活动：%s\n时间：%s", a.Title, when(a.StartsAt))
			if a.Location != "" {
				fmt.Fprintf(&b, "\n地点：%s", a.Location)
			}
			if a.MaxParty > 1 {
				fmt.Fprintf(&b, "\n人数：%d 人", party(st))
			}
			for i, q := range a.Questions {
				if i >= maxQuestions {
					break
				}
				v := answer(st, i)
				if v == "" {
					v = "未填"
				}
				fmt.Fprintf(&b, "\n%s：%s", q.Label, v)
			}
			fmt.Fprintf(&b, "\n姓名：%s\n电话：%s", st.Value("name"), bot.MaskPhone(st.Value("phone")))
			return b.String()
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			a, _ := chosen(st)
			// Closed since it was chosen: another one, not a retry.
			cur, err := svc.Activity(ctx, a.ID)
			if err != nil {
				return bot.Reply{}, err
			}
			if why := closed(cur, now()); why != "" {
				return bot.Reply{}, bot.Reask("event", why+"可以选其他活动，或回复 取消 结束。")
			}
			d := activity.Draft{
				ActivityID: a.ID, OpenID: st.OpenID, Name: st.Value("name"), Phone: st.Value("phone"),
				PartySize: party(st), Answers: map[string]string{}, Key: st.DraftKey(),
			}
			for i, q := range a.Questions {
				if i < maxQuestions {
					if v := answer(st, i); v != "" {
						d.Answers[q.Key] = v
					}
				}
			}
			if k := fewer(st); k > 0 {
				switch st.Value("fewer") {
				case "fewer":
					d.PartySize = k
				case "wait":
					d.Waitlist = true
				}
			}
			rc, err := svc.SignUp(ctx, d)
			if err != nil {
				return bot.Reply{}, err
			}
			if rc.Fewer > 0 {
				if err := st.SetData(dataFewer, rc.Fewer); err != nil {
					return bot.Reply{}, err
				}
				return bot.Reply{}, bot.Reask("fewer", "")
			}
			su := rc.Signup
			if su.Status == activity.Confirmed {
				st.SetRef(su.CheckinCode)
			}
			if rc.Existing {
				return bot.Text(alreadyText(activity.Booking{Activity: a, Signup: su}) + "\n回复 我的报名 查看，取消报名 可取消。"), nil
			}
			return bot.Text(receipt(a, su)), nil
		},
	}
}

// only is the activities the list is narrowed to (dataOnly), none for
// the whole list.
func only(st *bot.State) []int64 {
	var ids []int64
	_ = st.Data(dataOnly, &ids)
	return ids
}

// already finds the resident's active sign-up for activity id.
func already(ctx context.Context, svc activity.Service, openid string, id int64) (activity.Booking, bool, error) {
	bs, err := svc.Mine(ctx, openid)
	if err != nil {
		return activity.Booking{}, false, err
	}
	for _, b := range bs {
		if b.Activity.ID == id {
			return b, true, nil
		}
	}
	return activity.Booking{}, false, nil
}

// alreadyText shows the sign-up a resident already has.
func alreadyText(b activity.Booking) string {
	return fmt.Sprintf("您已经报名了「%s」，不用再报：\n%s", b.Activity.Title, status(b.Signup))
}

// closed says why a takes no sign-up at now, "" while it does.
func closed(a activity.Activity, now time.Time) string {
	switch {
	case a.Status == activity.ActivityCancelled:
		return fmt.Sprintf("「%s」已取消。", a.Title)
	case !now.Before(a.StartsAt):
		return fmt.Sprintf("「%s」已经开始，报名已结束。", a.Title)
	case !a.OpenAt(now):
		return fmt.Sprintf("「%s」报名已截止。", a.Title)
	}
	return ""
}

// answer is the answer to the activity's i-th question ("" skipped).
func answer(st *bot.State, i int) string {
	if v := st.Value(fmt.Sprintf("q%dc", i+1)); v != "" {
		return v
	}
	return st.Value(fmt.Sprintf("q%dt", i+1))
}

// about is a sign-up as its receipts show it: the event, its time and
// place, and the party.
func about(a activity.Activity, su activity.Signup) string {
	s := fmt.Sprintf("「%s」\n时间：%s", a.Title, when(a.StartsAt))
	if a.Location != "" {
		s += "\n地点：" + a.Location
	}
	return s + fmt.Sprintf("\n人数：%d 人", su.PartySize)
}

// receipt tells the resident what signing up made.
func receipt(a activity.Activity, su activity.Signup) string {
	about := about(a, su)
	switch su.Status {
	case activity.Confirmed:
		return fmt.Sprintf("报名成功！\n%s\n签到码:%s\n到场时出示签到码，或扫现场的签到二维码。\n回复 我的报名 查看，取消报名 可取消。", about, su.CheckinCode)
	case activity.Waitlisted:
		return fmt.Sprintf("名额不足，已为您登记候补第 %d 位。\n%s\n有空位时会通知您，回复 接受 即可参加。\n回复 我的报名 查看。", su.Position, about)
	}
	return about + "\n" + status(su)
}
