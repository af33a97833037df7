package bot_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
)

// TestReaskSubmitsAbandoned covers what a flow may do beyond the summary:
// Submit asks a step again (bot.Reask) whose answer submits at once
// (Step.Submits), a step's Parse ends the flow (bot.ErrCancel), and
// Flow.Abandoned is what 取消 then says.
func TestReaskSubmitsAbandoned(t *testing.T) {
	var submits []string
	f := &bot.Flow{
		Name: "seats", Title: "订座", Submitted: "订座已提交",
		Abandoned: "好的，没有订。",
		Steps: []*bot.Step{
			{Key: "n", Label: "人数", Prompt: "几位？"},
			{Key: "fewer", Label: "少订", Prompt: "只剩 1 位。回复 1 订 1 位，0 不订。", Submits: true,
				When: func(st *bot.State) bool { return false },
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					switch in.Norm {
					case "1":
						return bot.Answer{Value: "1"}, nil
					case "0":
						return bot.Answer{}, bot.ErrCancel
					}
					return bot.Answer{}, bot.Invalid("请回复 1 或 0。")
				}},
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			n := st.Value("n")
			if st.Value("fewer") == "1" {
				n = "1"
			}
			submits = append(submits, n)
			if n != "1" {
				return bot.Reply{}, bot.Reask("fewer", "座位不够。")
			}
			return bot.Text("订好了 1 位。"), nil
		},
	}
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	if err := r.Flow(f); err != nil {
		t.Fatal(err)
	}
	if err := r.Exact("订座", r.StartFlow("seats")); err != nil {
		t.Fatal(err)
	}
	say := bottest.Say(r, clock)
	for _, tc := range []struct{ in, want string }{
		{"订座", "几位？"},
		{"3", "请核对：\n人数：3\n回复 1 确认 2 修改 0 取消"},
		{"1", "座位不够。\n只剩 1 位。回复 1 订 1 位，0 不订。"},
		{"x", "请回复 1 或 0。\n只剩 1 位。回复 1 订 1 位，0 不订。"},
		{"1", "订好了 1 位。"},
		{"订座", "几位？"},
		{"2", "请核对：\n人数：2\n回复 1 确认 2 修改 0 取消"},
		{"1", "座位不够。\n只剩 1 位。回复 1 订 1 位，0 不订。"},
		{"0", "好的，没有订。\n\n请回复数字："},
		{"订座", "几位？"},
		{"取消", "好的，没有订。\n\n请回复数字："},
	} {
		if got := say("o-seat", tc.in); got != tc.want {
			t.Errorf("after %q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if want := []string{"3", "1", "2"}; !slices.Equal(submits, want) {
		t.Errorf("submits %v, want %v", submits, want)
	}
}
