package emergency

import (
	"context"
	"strings"
	"unicode"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/intent"
)

// AlertScore is the least emergency score, counted without words made of
// digits or Latin letters alone (a "120" inside a room or phone number),
// on which understanding files an urgent request and alerts the duty
// staff: one word that means danger by itself (救命, 着火, weight 3) or
// two lesser ones. A weaker emergency reading ("上次有小偷", "电梯里面有
// 广告") is sure enough to show the resident what to do and whom to call,
// not to wake the duty staff at night.
const AlertScore = 3.0

// registerIntents registers "emergency" for what the detector's words
// missed: answered as the detector's own are (handler.understood) when
// the words clearly say danger, and otherwise with the steps, the numbers
// to call and 人工, never with less than the numbers.
func registerIntents(r *bot.Router, h *handler) error {
	return r.Intent(bot.Intent{
		Name: "emergency", Label: "紧急求助", Words: IntentWords,
		Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
			if len(h.det.Detect(bot.Normalize(m.Text))) > 0 || alarming(u.Result) {
				return h.understood(ctx, m), nil
			}
			return bot.Text(h.advice()), nil
		},
	})
}

// alarming reports whether a classifier's result is clearly an emergency:
// its emergency words, not negated and not bare numbers, weigh AlertScore.
func alarming(res intent.Result) bool {
	var score float64
	for _, hit := range res.Hits {
		if hit.Intent != "emergency" || hit.Negated || !hasHan(hit.Word) {
			continue
		}
		score += hit.Weight
	}
	return score >= AlertScore
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// advice is the answer to a message that may be an emergency but does not
// clearly say one: what to do first, the numbers, and how to reach a
// person; nothing is filed and nobody is alerted.
func (h *handler) advice() string {
	g := guides[help]
	var b strings.Builder
	b.WriteString("如果遇到紧急情况，请先保证安全：")
	for j, s := range g.steps {
		b.WriteString("\n" + string(rune('1'+j)) + ". " + s)
	}
	b.WriteString("\n" + h.d.Lines.Emergency())
	b.WriteString("\n需要社区工作人员帮忙，请回复 人工。")
	return b.String()
}
