package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
)

// args splits "催办 2611260001 还没人来" into the number and the rest.
func args(m *bot.Message) (number, rest string, ok bool) { return input.NumberArgs(m.Text) }

func mustNumber(usage string) bot.Reply {
	return bot.Text("请带上诉求编号，例如：" + usage)
}

// Mine lists the resident's requests (我的诉求, 进度).
func Mine(svc ticket.Service) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		ts, err := svc.Mine(ctx, m.OpenID, 10)
		if err != nil {
			return bot.Reply{}, err
		}
		if len(ts) == 0 {
			return bot.Text("您还没有提交过诉求。需要时回复 报修 即可。"), nil
		}
		var b strings.Builder
		b.WriteString("您的诉求（最近的在前）：")
		for _, t := range ts {
			fmt.Fprintf(&b, "\n%s %s %s（%s）", t.Number, t.CategoryName, t.Status.Label(), bot.Day(t.CreatedAt))
		}
		b.WriteString("\n回复 查询 编号 查看详情。")
		return bot.Text(b.String()), nil
	})
}

// Query shows a request with its timeline (查询): the resident's own, or
// one the service's access policy lets the staff member read. Those who
// work it (the service leaves the phone in for them alone) also see the
// resident's phone in full, which WeChat offers to call, and whether the
// deadline has passed.
func Query(svc ticket.Service, now func() time.Time) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		number, _, ok := args(m)
		if !ok {
			return mustNumber("查询 2611260001"), nil
		}
		t, events, err := svc.View(ctx, m.OpenID, number)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text("没有找到编号 " + number + " 的诉求，请核对编号。"), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		staff := t.Phone != ""
		var b strings.Builder
		fmt.Fprintf(&b, "编号:%s\n类型：%s\n状态：%s\n地点：%s\n问题：%s", t.Number, t.CategoryName, t.Status.Label(), cut(t.Place, maxPlace), shown(t.Description))
		if staff {
			fmt.Fprintf(&b, "\n居民：%s", strings.TrimSpace(t.Name+" "+t.Phone))
		}
		if t.AssigneeName != "" {
			fmt.Fprintf(&b, "\n处理人：%s", t.AssigneeName)
		}
		if t.Status.Open() {
			due, verb := t.Due()
			switch {
			case staff:
				fmt.Fprintf(&b, "\n%s时限：%s 前", verb, bot.When(due))
				if now().After(due) {
					b.WriteString(" ⚠已超时")
				}
			case verb == "受理":
				fmt.Fprintf(&b, "\n预计联系：%s 前", bot.When(due))
			default:
				fmt.Fprintf(&b, "\n预计办结：%s 前", bot.When(due))
			}
		}
		if len(events) > 0 {
			b.WriteString("\n进度：")
			b.WriteString(timeline(events, maxReply-b.Len()))
		}
		return bot.Text(b.String()), nil
	})
}

// maxReply is what one WeChat text reply carries, in bytes: a longer
// one is dropped whole.
const maxReply = 2048

// maxNote is how much of one progress note 查询 shows.
const maxNote = 100

// timeline renders events one a line, oldest first, in at most budget
// bytes: the newest are kept, and the older ones left out are counted.
// A request 补充'd and 催办'd for weeks has more progress than one reply
// holds, and what happened last matters most.
func timeline(events []ticket.Entry, budget int) string {
	lines := make([]string, len(events))
	for i, e := range events {
		lines[i] = fmt.Sprintf("\n%s %s %s", e.At.In(bot.Shanghai).Format("1-2 15:04"), e.Actor, e.Action)
		if e.Note != "" {
			lines[i] += "：" + cut(e.Note, maxNote)
		}
	}
	const omitted = "\n（更早的 %d 条未显示）"
	first, used := len(lines), len(fmt.Sprintf(omitted, len(lines)))
	for first > 0 && used+len(lines[first-1]) <= budget {
		first--
		used += len(lines[first])
	}
	if first == 0 {
		return strings.Join(lines, "")
	}
	return fmt.Sprintf(omitted, first) + strings.Join(lines[first:], "")
}

// Urge presses on a request past its response deadline (催办).
func Urge(svc ticket.Service) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		number, _, ok := args(m)
		if !ok {
			return mustNumber("催办 2611260001"), nil
		}
		_, err := svc.Urge(ctx, m.OpenID, number)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text("没有找到编号 " + number + " 的诉求，请核对编号。"), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text("已催办，已提醒处理人，并通知其上级督办，请耐心等待。"), nil
	})
}

// maxSupplement is the longest 补充, as long as a description.
const maxSupplement = 500

// Supplement adds to a request (补充 编号 内容).
func Supplement(svc ticket.Service) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		number, rest, ok := args(m)
		if !ok || rest == "" {
			return bot.Text("请按格式回复：补充 编号 内容，例如：补充 2611260001 楼上也漏水了"), nil
		}
		if len([]rune(rest)) > maxSupplement {
			return bot.Text(fmt.Sprintf("补充内容请不要超过 %d 字，可以分几次补充。", maxSupplement)), nil
		}
		_, err := svc.Supplement(ctx, m.OpenID, number, rest)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Text("没有找到编号 " + number + " 的诉求，请核对编号。"), nil
		}
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Text("已补充到诉求 " + number + "，并通知了处理人。"), nil
	})
}

// ratingDigits are the bare answers to the rating question: they rate
// only within bot.AnswerWindow of its delivery (see Rating).
var ratingDigits = map[string]int{
	"1": ticket.RatingSatisfied, "2": ticket.RatingBasically, "3": ticket.RatingDissatisfied,
}

// ratingWords say the rating outright, whenever a request awaits one.
var ratingWords = map[string]int{
	"满意": ticket.RatingSatisfied, "非常满意": ticket.RatingSatisfied,
	"基本满意": ticket.RatingBasically,
	"不满意":  ticket.RatingDissatisfied, "很不满意": ticket.RatingDissatisfied,
}

// ratingOf reads a rating given explicitly: a word, or a digit after 评价.
func ratingOf(s string) (int, bool) {
	if r, ok := ratingWords[s]; ok {
		return r, true
	}
	r, ok := ratingDigits[s]
	return r, ok
}

// RatingUsage is how to rate explicitly, whenever.
const RatingUsage = "请回复 评价 1（满意）、评价 2（基本满意）或 评价 3（不满意）。"

// WhyFlow asks a resident who is not satisfied why, then rates (see
// newWhy).
const WhyFlow = "rate_why"

// rater rates requests for residents: the rating follow-up, the 评价
// command and the 不满意 flow share it.
type rater struct {
	svc       ticket.Service
	questions bot.Questions
	now       func() time.Time
	// why starts WhyFlow for a request number.
	why bot.SceneHandler
}

// rate rates the resident's request number: 不满意 first asks why.
func (rt *rater) rate(ctx context.Context, m *bot.Message, number string, r int) (bot.Reply, error) {
	if r == ticket.RatingDissatisfied {
		return rt.why(ctx, m, number)
	}
	_, err := rt.svc.Rate(ctx, m.OpenID, number, r)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Text("没有找到编号 " + number + " 的诉求，请核对编号。"), nil
	}
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Text("感谢您的评价！诉求 " + number + " 已完结。"), nil
}

// Rating answers the rating question the notice of a resolved request
// asks ("请评价：回复 1 满意 2 基本满意 3 不满意"): a bare digit only while
// that question is the last one that reached the resident, within
// bot.AnswerWindow of its delivery; 满意, 基本满意 or 不满意 whenever a
// request awaits a rating. Anything else, and a digit the question does
// not take, passes on (a menu choice).
func (rt *rater) Rating() bot.FollowUp {
	return func(ctx context.Context, m *bot.Message, norm string) (bot.Reply, bool, error) {
		var asked string
		r, ok := ratingWords[norm]
		if !ok {
			if r, ok = ratingDigits[norm]; !ok {
				return bot.Reply{}, false, nil
			}
			ref, ok, err := bot.Asked(ctx, rt.questions, m.OpenID, ticket.QuestionRating, rt.now())
			if err != nil || !ok {
				return bot.Reply{}, false, err
			}
			asked = ref
		}
		var t ticket.Ticket
		var err error
		if asked != "" {
			// The request the question that reached them is about, which
			// need not be their latest resolved one (whose question may
			// still be held by quiet hours).
			t, _, err = rt.svc.View(ctx, m.OpenID, asked)
		} else {
			t, err = rt.svc.AwaitingRating(ctx, m.OpenID)
		}
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Reply{}, false, nil
		}
		if err != nil {
			return bot.Reply{}, true, err
		}
		if t.Status != ticket.Resolved {
			// The question that reached them was answered already.
			return bot.Reply{}, false, nil
		}
		reply, err := rt.rate(ctx, m, t.Number, r)
		return reply, true, err
	}
}

// Rate is the explicit rating command: 评价 3, 评价 不满意, or
// 评价 2611260001 1 for a request other than the latest resolved one.
func (rt *rater) Rate() bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		rest := strings.TrimSpace(strings.TrimPrefix(bot.Normalize(m.Text), "评价"))
		number, what, hasNumber := input.NumberArgs(rest)
		if !hasNumber {
			what = rest
		}
		r, ok := ratingOf(bot.Normalize(what))
		if !hasNumber {
			t, err := rt.svc.AwaitingRating(ctx, m.OpenID)
			if errors.Is(err, bot.ErrNotFound) {
				return bot.Text("您目前没有待评价的诉求。回复 我的诉求 查看进度。"), nil
			}
			if err != nil {
				return bot.Reply{}, err
			}
			number = t.Number
		}
		if !ok {
			return bot.Text("诉求 " + number + " 已办结，" + RatingUsage), nil
		}
		return rt.rate(ctx, m, number, r)
	})
}

// newWhy is the flow after 不满意: one question, why (it may be
// skipped), then the rating with the reason, confirmed, since it reopens
// the request and tells the handler's supervisor.
func newWhy(svc ticket.Service) *bot.Flow {
	reason := input.TextStep("reason", "原因",
		"很抱歉没能让您满意。请用一句话说说哪里不满意，我们转告负责人。", 2, 200, "请多写几个字。", "请不要超过 200 字。")
	reason.Optional = true
	return &bot.Flow{
		Name:      WhyFlow,
		Title:     "评价",
		Submitted: "您的评价已记下",
		Steps:     []*bot.Step{reason},
		Start: func(ctx context.Context, st *bot.State) error {
			if st.Param == "" {
				return &bot.UserError{Message: "请回复 评价 编号 3。"}
			}
			return nil
		},
		Summary: func(st *bot.State) string {
			s := "诉求 " + st.Param + "：不满意，重新办理"
			if why := st.Value("reason"); why != "" {
				s += "\n原因：" + why
			}
			return s
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			_, err := svc.RateWhy(ctx, st.OpenID, st.Param, ticket.RatingDissatisfied, st.Value("reason"))
			if errors.Is(err, bot.ErrNotFound) {
				return bot.Reply{}, &bot.UserError{Message: "没有找到编号 " + st.Param + " 的诉求。", Err: err}
			}
			if err != nil {
				return bot.Reply{}, err
			}
			return bot.Text("已记下您的意见。诉求 " + st.Param + " 已重新交给工作人员处理，并通知了负责人的上级。"), nil
		},
	}
}

// Register adds the service-request feature to r: the flow (报修 and the
// other Keywords as the whole message, a problem told in the resident's
// own words through understanding, the QR scene "report:<building>", the
// REPORT menu action), the resident commands (我的诉求, 进度, 查询,
// 催办, 补充), the rating follow-up after 办结, 评价 and the flow asking why
// on 不满意.
func Register(r *bot.Router, d flows.Deps) error {
	svc := d.Tickets
	if err := r.Flow(New(svc, d.Community, d.Residents)); err != nil {
		return err
	}
	start := r.StartFlow(Name)
	var ks []bot.Keyword
	for _, k := range Keywords {
		ks = append(ks, bot.Keyword{Word: k, Handler: start})
	}
	mine := Mine(svc)
	ks = append(ks,
		bot.Keyword{Word: "我的诉求", Handler: mine},
		bot.Keyword{Word: "进度", Handler: mine},
		bot.Keyword{Word: "查询", Match: bot.MatchPrefix, Handler: Query(svc, d.Clock())},
		bot.Keyword{Word: "催办", Match: bot.MatchPrefix, Handler: Urge(svc)},
		bot.Keyword{Word: "补充", Match: bot.MatchPrefix, Handler: Supplement(svc)},
	)
	if err := r.Keywords(ks...); err != nil {
		return err
	}
	if err := r.Flow(newWhy(svc)); err != nil {
		return err
	}
	rt := &rater{svc: svc, questions: d.Questions, now: d.Clock(), why: r.SceneFlow(WhyFlow)}
	if err := r.Keywords(bot.Keyword{Word: "评价", Match: bot.MatchPrefix, Handler: rt.Rate()}); err != nil {
		return err
	}
	r.FollowUps(rt.Rating())
	if err := registerIntents(r, svc); err != nil {
		return err
	}
	if err := r.Scene("report", r.SceneFlow(Name)); err != nil {
		return err
	}
	return r.Action(bot.MenuEntry{Key: "REPORT", Label: "报修/诉求", Handler: start})
}
