package report

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/intent"
	"github.com/tongxin/tongxin/bot/ticket"
)

// guessKey is the Data key of the category understood from the first
// message ("report:repair" → "repair"), asked about before the list.
const guessKey = "guess"

// keepSaid keeps what a resident said first when understanding started
// the flow: their words as the description, through the same check as a
// typed one (a voice message keeps its recording; a lone word asked
// about is not kept), and the category
// understood, to be confirmed with one answer. Words the check refuses
// (too long) are left for the description step to ask again.
func keepSaid(st *bot.State, svc ticket.Service, u *bot.Understood) error {
	key, ok := strings.CutPrefix(u.Intent, "report:")
	if ok && category(svc, key) != nil {
		if err := st.SetData(guessKey, key); err != nil {
			return err
		}
	}
	if u.Result.Band != intent.Sure && utf8.RuneCountInString(strings.TrimSpace(u.Said)) < 4 {
		// A lone word the resident was asked about ("电梯" → 1 是):
		// staff learn nothing from it, so the description step asks.
		return nil
	}
	a, err := describe(u.Said, st.Msg)
	var inv *bot.InvalidError
	if errors.As(err, &inv) {
		return nil
	}
	if err != nil {
		return err
	}
	st.Set("description", a)
	return nil
}

// category is the offered category of key, nil when there is none.
func category(svc ticket.Service, key string) *ticket.Category {
	for _, c := range svc.Categories() {
		if c.Key == key {
			return &c
		}
	}
	return nil
}

// guessed is the category understood from the first message while its
// question is open: "" once it is answered either way.
func guessed(st *bot.State) string {
	if _, ok := st.Answers["category"]; ok {
		return ""
	}
	var key string
	_ = st.Data(guessKey, &key)
	return key
}

// otherWords say "换一类" in words the shared no-words (bot.IsNo) lack;
// yes is bot.IsYes alone, so that "可以", "嗯嗯" and "👍" mean yes here as
// at every other question.
var otherWords = map[string]bool{"换一类": true, "换": true, "换一个": true, "换一下": true, "错了": true, "重选": true}

// rightWords say yes in words the shared yes-words lack.
var rightWords = map[string]bool{"对头": true, "就是": true}

// guessStep asks whether the category understood is right: one answer
// instead of reading eight. It applies only while a guess is open, so it
// shows in neither the summary nor the 修改 list; 2 (换一类) drops the
// guess and the usual list follows.
func guessStep(svc ticket.Service) *bot.Step {
	return &bot.Step{
		Key: "guess", Label: "类型",
		When: func(st *bot.State) bool { return guessed(st) != "" },
		PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
			c := category(svc, guessed(st))
			if c == nil { // the operator's categories changed under the draft
				return "请回复 2 选择问题类型。", nil
			}
			var b strings.Builder
			if d := []rune(st.Answers["description"].Shown()); len(d) > 0 {
				// A phone screen: the start of a long story is enough.
				if len(d) > 40 {
					d = append(d[:40], '…')
				}
				b.WriteString("已记下：" + string(d) + "\n")
			}
			b.WriteString("这是 " + c.Name + " 吧？\n1 是 2 换一类")
			return b.String(), nil
		},
		Help: "回复 1 表示类型没错；回复 2 从全部类型里选。",
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			norm := strings.TrimRight(in.Norm, "?？呀啊吧")
			n, isNum := bot.ParseNumber(norm)
			c := category(svc, guessed(st))
			switch {
			case c != nil && (isNum && n == 1 || bot.IsYes(norm) || rightWords[norm]):
				st.Set("category", bot.Answer{Value: c.Key, Display: c.Name})
				return bot.Answer{Value: c.Key, Display: c.Name}, nil
			case isNum && n == 2 || bot.IsNo(norm) || otherWords[norm] || c == nil:
				return bot.Answer{}, st.SetData(guessKey, "")
			}
			// The name of another category answers too ("环境卫生").
			for _, o := range svc.Categories() {
				if bot.Normalize(o.Name) == norm {
					st.Set("category", bot.Answer{Value: o.Key, Display: o.Name})
					return bot.Answer{Value: o.Key, Display: o.Name}, nil
				}
			}
			return bot.Answer{}, bot.Invalid("请回复 1（是）或 2（换一类）。")
		},
	}
}
