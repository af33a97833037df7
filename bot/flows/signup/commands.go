package signup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/flows"
)

// feature holds what the commands share.
type feature struct {
	svc       activity.Service
	questions bot.Questions
	now       func() time.Time
	// flow starts the sign-up flow; scene starts it at one activity.
	flow  bot.Handler
	scene bot.SceneHandler
	// startWith starts a flow with what was said (Router.StartWith).
	startWith func(ctx context.Context, m *bot.Message, flow string, u bot.Understood) (bot.Reply, error)
	// fallback is the router's answer to what it does not understand.
	fallback func() bot.Reply
}

// list starts the flow at the list of open activities, or says that
// none is open, how fresh that is, and where to turn instead.
func (f *feature) list(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	return f.listWith(ctx, m, nil)
}

// listWith is list for a message understood as asking about activities
// (u non-nil): the flow starts with what was said, at the activity it
// names (see named).
func (f *feature) listWith(ctx context.Context, m *bot.Message, u *bot.Understood) (bot.Reply, error) {
	acts, err := f.svc.Upcoming(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(acts) > 0 {
		if u != nil {
			return f.startWith(ctx, m, Name, *u)
		}
		return f.flow.Handle(ctx, m)
	}
	changed, err := f.svc.Changed(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	text := "目前没有可以报名的活动。"
	if !changed.IsZero() {
		text += fmt.Sprintf("\n（活动列表更新于 %s）", when(changed))
	}
	text += "\n新活动发布后，回复 活动 就能看到。\n有事请回复 人工 联系工作人员，或回复 菜单 看其他服务。"
	return bot.Text(text), nil
}

// eventScene answers the QR code of an activity's poster ("event:12"):
// straight to that activity while it takes sign-ups, else why not and
// the list.
func (f *feature) eventScene(ctx context.Context, m *bot.Message, param string) (bot.Reply, error) {
	id, perr := strconv.ParseInt(param, 10, 64)
	var a activity.Activity
	var err error
	if perr == nil && id > 0 {
		a, err = f.svc.Activity(ctx, id)
	}
	var why string
	switch {
	case perr != nil || id <= 0 || errors.Is(err, bot.ErrNotFound):
		why = "没有找到这个活动，可能已经撤下。"
	case err != nil:
		return bot.Reply{}, err
	default:
		if why = closed(a, f.now()); why == "" {
			return f.scene(ctx, m, param)
		}
	}
	reply, err := f.list(ctx, m)
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(bot.JoinText(why, reply.Text)), nil
}

// bookingLabel is a booking on three short lines.
func bookingLabel(b activity.Booking) string {
	a := b.Activity
	return fmt.Sprintf("%s\n   %s %s\n   %s", a.Title, when(a.StartsAt), a.Location, strings.ReplaceAll(status(b.Signup), "\n", " "))
}

// mine lists the resident's sign-ups (我的报名).
func (f *feature) mine(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	bs, err := f.svc.Mine(ctx, m.OpenID)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(bs) == 0 {
		return bot.Text("您目前没有报名的活动。回复 活动 看看可以报名的活动。"), nil
	}
	var b strings.Builder
	b.WriteString("您的报名：")
	for i, bk := range bs {
		fmt.Fprintf(&b, "\n%d %s", i+1, bookingLabel(bk))
	}
	b.WriteString("\n回复 取消报名 可取消。")
	return bot.Text(b.String()), nil
}

// offers are the resident's sign-ups offered freed seats.
func (f *feature) offers(ctx context.Context, openid string) ([]activity.Booking, error) {
	bs, err := f.svc.Mine(ctx, openid)
	if err != nil {
		return nil, err
	}
	var out []activity.Booking
	for _, b := range bs {
		if b.Signup.Status == activity.Offered {
			out = append(out, b)
		}
	}
	return out, nil
}

// accepted tells the resident the seats are theirs.
func accepted(a activity.Activity, su activity.Signup) string {
	return fmt.Sprintf("好的，名额已为您确认！\n%s\n签到码:%s\n到场时出示签到码，或扫现场的签到二维码。", about(a, su), su.CheckinCode)
}

// declined thanks the resident for passing the seats on.
func declined(a activity.Activity) string {
	return fmt.Sprintf("已放弃「%s」的名额，会让给下一位候补的居民。谢谢您！", a.Title)
}

// answerOffer is 接受 / 放弃, with the offer's place in the list when
// there are several ("接受 2").
func (f *feature) answerOffer(verb string, accept bool) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		os, err := f.offers(ctx, m.OpenID)
		if err != nil {
			return bot.Reply{}, err
		}
		rest := strings.TrimSpace(strings.TrimPrefix(bot.Normalize(m.Text), verb))
		switch {
		case len(os) == 0:
			return bot.Text("您目前没有待确认的空位。回复 我的报名 查看。"), nil
		case len(os) > 1 && rest == "":
			var b strings.Builder
			fmt.Fprintf(&b, "您有 %d 个活动的空位待确认：", len(os))
			for i, o := range os {
				fmt.Fprintf(&b, "\n%d %s %s", i+1, o.Activity.Title, when(o.Activity.StartsAt))
			}
			fmt.Fprintf(&b, "\n请回复 %s 加序号，例如：%s 1", verb, verb)
			return bot.Text(b.String()), nil
		}
		n := 1
		if rest != "" {
			var ok bool
			if n, ok = bot.ParseNumber(rest); !ok || n < 1 || n > len(os) {
				return bot.Text(fmt.Sprintf("请回复 %s 加 1 到 %d 的序号。", verb, len(os))), nil
			}
		}
		return f.settle(ctx, m.OpenID, os[n-1], accept)
	})
}

// settle accepts or declines the offer of b.
func (f *feature) settle(ctx context.Context, openid string, b activity.Booking, accept bool) (bot.Reply, error) {
	if accept {
		su, err := f.svc.Accept(ctx, openid, b.Signup.ID)
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text(accepted(b.Activity, su)), nil
	}
	if _, err := f.svc.Decline(ctx, openid, b.Signup.ID); err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(declined(b.Activity)), nil
}

// offerDigits are the bare answers to an offer's push ("回复 1 …接受 /
// 回复 2 …放弃"): they answer only within bot.AnswerWindow of its delivery.
var offerDigits = map[string]bool{"1": true, "2": false}

// offerReply answers the offer's question with a bare 1 or 2 while it is
// the last question that reached the resident, recently, and the offer
// still stands; anything else passes on (a menu choice).
func (f *feature) offerReply(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
	accept, ok := offerDigits[norm]
	if !ok {
		return bot.Reply{}, false, nil
	}
	ref, ok, err := bot.Asked(ctx, f.questions, m.OpenID, activity.QuestionOffer, f.now())
	if err != nil || !ok {
		return bot.Reply{}, false, err
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return bot.Reply{}, false, nil
	}
	os, err := f.offers(ctx, m.OpenID)
	if err != nil {
		return bot.Reply{}, true, err
	}
	for _, o := range os {
		if o.Signup.ID == id {
			reply, err := f.settle(ctx, m.OpenID, o, accept)
			return reply, true, err
		}
	}
	// Answered already, or lapsed: the digit is someone else's.
	return bot.Reply{}, false, nil
}

// checkinScene answers the venue's check-in QR code ("checkin:12").
func (f *feature) checkinScene(ctx context.Context, m *bot.Message, param string) (bot.Reply, error) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil || id <= 0 {
		return bot.Text("没有找到这个活动的签到，请向现场工作人员出示签到码。"), nil
	}
	a, err := f.svc.Activity(ctx, id)
	if err != nil {
		return bot.Reply{}, err
	}
	if why := notToday(a, f.now()); why != "" {
		return bot.Text(why), nil
	}
	su, err := f.svc.CheckinResident(ctx, id, m.OpenID)
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(fmt.Sprintf("签到成功！「%s」\n%d 人，欢迎参加。", a.Title, su.PartySize)), nil
}

// notToday says why the venue's QR code checks nobody in at now: the
// activity was cancelled, is on another day, or has ended; "" on its day.
func notToday(a activity.Activity, now time.Time) string {
	l := now.In(bot.Shanghai)
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, bot.Shanghai)
	switch {
	case a.Status == activity.ActivityCancelled:
		return fmt.Sprintf("「%s」已取消。", a.Title)
	case !now.Before(a.EndsAt):
		return fmt.Sprintf("「%s」已经结束了。", a.Title)
	case !a.StartsAt.Before(start.AddDate(0, 0, 1)):
		return fmt.Sprintf("「%s」在 %s 举行，请当天到场再扫码签到。", a.Title, when(a.StartsAt))
	}
	return ""
}

// staffCheckin is 签到 <code> [活动编号] from staff at the door. For
// anyone else (the service says who may) it is ordinary text.
func (f *feature) staffCheckin(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	args := strings.Fields(strings.TrimLeft(strings.TrimPrefix(bot.Normalize(m.Text), "签到"), " :,"))
	var code string
	var id int64
	if len(args) > 0 {
		code = args[0]
	}
	if len(args) > 1 {
		id, _ = strconv.ParseInt(args[1], 10, 64)
	}
	b, err := f.svc.CheckinCode(ctx, m.OpenID, code, id)
	if bot.ErrorCode(err) == bot.CodeForbidden {
		return f.fallback(), nil
	}
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(fmt.Sprintf("已签到：「%s」\n%s %d 人", b.Activity.Title, b.Signup.Name, b.Signup.PartySize)), nil
}

// cancellable are the sign-ups the resident may still cancel.
func cancellable(ctx context.Context, svc activity.Service, openid string, now time.Time) ([]activity.Booking, error) {
	bs, err := svc.Mine(ctx, openid)
	if err != nil {
		return nil, err
	}
	var out []activity.Booking
	for _, b := range bs {
		if b.Signup.Status != activity.Attended && now.Before(b.Activity.StartsAt) {
			out = append(out, b)
		}
	}
	return out, nil
}

// newCancel is 取消报名: which sign-up (when there are several), then
// 1 确认取消 0 保留.
func newCancel(svc activity.Service, now func() time.Time) *bot.Flow {
	find := func(ctx context.Context, st *bot.State) (activity.Booking, error) {
		id, _ := strconv.ParseInt(st.Value("which"), 10, 64)
		bs, err := cancellable(ctx, svc, st.OpenID, now())
		if err != nil {
			return activity.Booking{}, err
		}
		for _, b := range bs {
			if b.Signup.ID == id {
				return b, nil
			}
		}
		return activity.Booking{}, &bot.UserError{Code: bot.CodeNotFound, Message: "这条报名已不能取消。", Err: bot.ErrNotFound}
	}
	return &bot.Flow{
		Name:      CancelFlow,
		Title:     "取消报名",
		Submitted: "报名已取消",
		Abandoned: "好的，报名保留，没有取消。",
		Start: func(ctx context.Context, st *bot.State) error {
			bs, err := cancellable(ctx, svc, st.OpenID, now())
			if err != nil {
				return err
			}
			switch len(bs) {
			case 0:
				return &bot.UserError{Code: bot.CodeNotFound, Message: "您目前没有可以取消的报名。回复 我的报名 查看。", Err: bot.ErrNotFound}
			case 1:
				st.Set("which", bot.Answer{Value: strconv.FormatInt(bs[0].Signup.ID, 10), Display: bs[0].Activity.Title})
			}
			return nil
		},
		Steps: []*bot.Step{
			{
				Key: "which", Label: "哪一条", Prompt: "您要取消哪一条报名？",
				Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
					bs, err := cancellable(ctx, svc, st.OpenID, now())
					if err != nil {
						return nil, err
					}
					cs := make([]bot.Choice, len(bs))
					for i, b := range bs {
						cs[i] = bot.Choice{Value: strconv.FormatInt(b.Signup.ID, 10), Label: bookingLabel(b)}
					}
					return cs, nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					st.Set("which", bot.Answer{Value: in.Text})
					b, err := find(ctx, st)
					if err != nil {
						return bot.Answer{}, err
					}
					return bot.Answer{Value: in.Text, Display: b.Activity.Title}, nil
				},
			},
			{
				Key: "sure", Label: "确认", Prompt: "确认", Submits: true,
				PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
					b, err := find(ctx, st)
					if err != nil {
						return "", err
					}
					return fmt.Sprintf("要取消这条报名吗？\n「%s」%s\n%s\n回复 1 确认取消\n回复 0 保留", b.Activity.Title, when(b.Activity.StartsAt),
						strings.ReplaceAll(status(b.Signup), "\n", " ")), nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					n, num := bot.ParseNumber(in.Norm)
					switch {
					case num && n == 1, bot.IsYes(in.Norm), in.Norm == "确认取消":
						return bot.Answer{Value: "yes"}, nil
					case num && n == 0, bot.IsNo(in.Norm), in.Norm == "保留", in.Norm == "不取消", in.Norm == "不了", in.Norm == "算了":
						return bot.Answer{}, bot.ErrCancel
					}
					return bot.Answer{}, bot.Invalid("请回复 1 确认取消，或 0 保留。")
				},
			},
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			b, err := find(ctx, st)
			if err != nil {
				return bot.Reply{}, err
			}
			if _, err := svc.Cancel(ctx, st.OpenID, b.Signup.ID); err != nil {
				return bot.Reply{}, err
			}
			return bot.Text(fmt.Sprintf("已取消「%s」的报名。\n想再参加可回复 活动 重新报名。", b.Activity.Title)), nil
		},
	}
}

// Register adds event sign-ups to r: the flow (活动报名, the EVENTS menu
// action, which the menu lays out with its keywords 活动 and 报名, the QR
// scene "event:<id>"), 我的报名, 取消报名, 接受 and 放弃 with the
// bare-digit answer to an offer, the check-in scene "checkin:<id>" and
// staff's 签到 <code>.
func Register(r *bot.Router, d flows.Deps) error {
	svc := d.Activities
	if err := r.Flow(New(svc, d.Residents, d.Clock())); err != nil {
		return err
	}
	if err := r.Flow(newCancel(svc, d.Clock())); err != nil {
		return err
	}
	f := &feature{
		svc: svc, questions: d.Questions, now: d.Clock(),
		flow: r.StartFlow(Name), scene: r.SceneFlow(Name), startWith: r.StartWith,
		fallback: func() bot.Reply {
			text := r.Texts.Fallback
			if text == "" {
				text = bot.DefaultFallback
			}
			return bot.Text(bot.JoinText(text, r.MainMenu()))
		},
	}
	list := bot.HandlerFunc(f.list)
	if err := r.Keywords(
		// 活动 and 报名 are the EVENTS menu item's keywords (cmd's
		// defaultMenu; operators may change them).
		bot.Keyword{Word: "活动报名", Handler: list},
		bot.Keyword{Word: "我的报名", Handler: bot.HandlerFunc(f.mine)},
		bot.Keyword{Word: "取消报名", Handler: r.StartFlow(CancelFlow)},
		bot.Keyword{Word: "接受", Match: bot.MatchPrefix, Handler: f.answerOffer("接受", true)},
		bot.Keyword{Word: "放弃", Match: bot.MatchPrefix, Handler: f.answerOffer("放弃", false)},
		bot.Keyword{Word: "签到", Match: bot.MatchPrefix, Handler: bot.HandlerFunc(f.staffCheckin)},
	); err != nil {
		return err
	}
	r.FollowUps(f.offerReply)
	if err := registerIntents(r, f); err != nil {
		return err
	}
	if err := r.Scene("event", f.eventScene); err != nil {
		return err
	}
	if err := r.Scene("checkin", f.checkinScene); err != nil {
		return err
	}
	return r.Action(bot.MenuEntry{Key: "EVENTS", Label: "活动报名", Handler: list})
}
