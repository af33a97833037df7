package booking

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// day is a date as residents read it: "12月1日 周二".
func day(t time.Time) string { return bot.DayWeek(t) }

// clock is a time of day: "09:30".
func clock(t time.Time) string { return t.In(bot.Shanghai).Format("15:04") }

// when is a date and time: "12月1日 周二 09:30".
func when(t time.Time) string { return day(t) + " " + clock(t) }

// place is where a slot is held, with its mode when residents should
// know it (巡诊 at a building, 集中义诊).
func place(s cl.Slot) string {
	switch s.Mode {
	case cl.Patrol:
		return s.Location + "（巡诊）"
	case cl.FreeClinic:
		return s.Location + "（集中义诊，转活动报名）"
	}
	return s.Location
}

// maxShown is how many slots a list numbers: a phone screen's worth.
const maxShown = 7

// Reserved numbers of the slot list.
const (
	optNoSlot = "8" // 法律援助: file the application without a slot
	optExpert = "9" // request a 专家会诊
)

// option is one numbered line of a list step.
type option struct {
	Value string `json:"v"`
	Label string `json:"l"`
}

// listed are the options a list step showed, under data key "list:"+step.
func listed(st *bot.State, step string) []option {
	var os []option
	_ = st.Data("list:"+step, &os)
	return os
}

// numbered renders options "1 …" one a line and keeps them for Parse.
func numbered(st *bot.State, step string, os []option) (string, error) {
	if err := st.SetData("list:"+step, os); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, o := range os {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d %s", i+1, o.Label)
	}
	return b.String(), nil
}

// cancelWords end the conversation where a list offers 0.
var cancelWords = map[string]bool{"0": true, "零": true}

// choose reads the resident's pick of the options the step showed: a
// number or an option's exact text; 0 cancels.
func choose(st *bot.State, step string, in bot.Input) (option, error) {
	if cancelWords[in.Norm] {
		return option{}, bot.ErrCancel
	}
	os := listed(st, step)
	if n, ok := bot.ParseNumber(in.Norm); ok && n >= 1 && n <= len(os) {
		return os[n-1], nil
	}
	for _, o := range os {
		if bot.Normalize(o.Label) == in.Norm {
			return o, nil
		}
	}
	return option{}, bot.Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字，回复 0 取消。", len(os)))
}

// listStep is a step whose numbered options are computed when it is
// asked (and kept, so the numbers mean what the resident saw), with 0
// to cancel; pick turns the chosen option into the answer.
func listStep(key, label string, prompt func(ctx context.Context, st *bot.State) (string, []option, error),
	pick func(ctx context.Context, st *bot.State, o option) (bot.Answer, error)) *bot.Step {
	return &bot.Step{
		Key: key, Label: label, Prompt: label,
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			head, os, err := prompt(ctx, st)
			if err != nil {
				return "", err
			}
			list, err := numbered(st, key, os)
			if err != nil {
				return "", err
			}
			return head + "\n" + list + "\n请回复数字，0 取消。", nil
		},
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			o, err := choose(st, key, in)
			if err != nil {
				return bot.Answer{}, err
			}
			if pick == nil {
				return bot.Answer{Value: o.Value, Display: o.Label}, nil
			}
			return pick(ctx, st, o)
		},
	}
}

// yesNo is a 1 是 2 否 question.
func yesNo(key, label, prompt string, when func(st *bot.State) bool) *bot.Step {
	return &bot.Step{
		Key: key, Label: label, Prompt: prompt + "\n1 是\n2 否\n请回复数字，0 取消。", When: when,
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			n, num := bot.ParseNumber(in.Norm)
			switch {
			case num && n == 1, bot.IsYes(in.Norm), in.Norm == "有":
				return bot.Answer{Value: "yes", Display: "是"}, nil
			case num && n == 2, bot.IsNo(in.Norm), in.Norm == "没有", in.Norm == "没":
				return bot.Answer{Value: "no", Display: "否"}, nil
			case num && n == 0:
				return bot.Answer{}, bot.ErrCancel
			}
			return bot.Answer{}, bot.Invalid("请回复 1 是，或 2 否。")
		},
	}
}

// slotLines renders the bookable slots and free-clinic sessions of ss as
// numbered options grouped by day ("12月3日 周四" then "1 09:00 …"), and
// returns the text with the options in their numbers' order.
func slotLines(ss []cl.Slot) (string, []option) {
	var b strings.Builder
	var os []option
	last := ""
	for _, s := range ss {
		if s.WalkIn || len(os) == maxShown {
			continue
		}
		if d := day(s.Start); d != last {
			if last != "" {
				b.WriteString("\n")
			}
			b.WriteString(d)
			last = d
		}
		os = append(os, option{Value: slotValue(s), Label: when(s.Start) + " " + place(s)})
		// "1. 10:00": the dot sets the number apart from the time.
		fmt.Fprintf(&b, "\n%d. %s %s", len(os), clock(s.Start), place(s))
	}
	return b.String(), os
}

// slotValue names a slot in an answer: its SlotRef, or "event:<id>" for
// a free-clinic session.
func slotValue(s cl.Slot) string {
	if s.ActivityID != 0 {
		return "event:" + strconv.FormatInt(s.ActivityID, 10)
	}
	return s.Ref().String()
}

// parseRef reads what SlotRef.String wrote.
func parseRef(v string) (cl.SlotRef, bool) {
	sid, at, ok := strings.Cut(v, "@")
	if !ok {
		return cl.SlotRef{}, false
	}
	id, err1 := strconv.ParseInt(sid, 10, 64)
	unix, err2 := strconv.ParseInt(at, 10, 64)
	if err1 != nil || err2 != nil {
		return cl.SlotRef{}, false
	}
	return cl.SlotRef{ScheduleID: id, Start: time.Unix(unix, 0).UTC()}, true
}

// walkIns shows the walk-in blocks of ss, at most n ("12月1日 周二
// 09:00-11:30 社区服务中心").
func walkIns(ss []cl.Slot, n int) string {
	var lines []string
	for _, s := range ss {
		if s.WalkIn && len(lines) < n {
			lines = append(lines, fmt.Sprintf("%s %s-%s %s", day(s.Start), clock(s.Start), clock(s.End), s.Location))
		}
	}
	return strings.Join(lines, "\n")
}

// need is what a booking says of an interpreter or representative.
func need(language string, rep bool) string {
	switch {
	case language != "":
		return language + "翻译"
	case rep:
		return "少数民族代表陪同"
	}
	return ""
}

// short cuts a confidential description for the resident's own summary.
func short(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// bookingLine is a booking on two short lines.
func bookingLine(b cl.Booking) string {
	return fmt.Sprintf("%s %s\n   %s 预约码:%s", when(b.Start), b.Matter.Label(), b.Location, b.Code)
}

// receipt tells the resident their booking; fixed is the service's
// refusal to change it online (booked inside the cut-off), said instead
// of offering 取消预约 and 改约.
func receipt(head string, b cl.Booking, fixed error) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s\n%s\n时间：%s\n地点：%s", head, b.Matter.Label(), when(b.Start), b.Location)
	if n := need(b.Language, b.NeedRep); n != "" {
		s.WriteString("\n需要：" + n)
	}
	fmt.Fprintf(&s, "\n预约码:%s\n请提前几分钟到，出示预约码。", b.Code)
	if msg := bot.UserMessage(fixed); fixed != nil && msg != "" {
		s.WriteString("\n回复 我的预约 查看。\n" + msg)
	} else {
		s.WriteString("\n回复 我的预约 查看，取消预约 或 改约 办理。")
	}
	return s.String()
}
