package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
)

// seeds are what residents type, in the shapes the normaliser and the
// answer words must survive: full width, traditional, emoji, voice
// punctuation, numerals.
var seeds = []string{"", "1", "１", "第一个", "①", "1️⃣", "是的", "對的", "不对，改一下", "好的😊", "👍",
	"樓道燈不亮", "楼道灯不亮好几天了。", "  取消。 ", "查询 2611260001", "ＯＫ", "\u3000", "\xff\xfe", "十二", "第十个", "二十一", "零"}

// FuzzNormalize: Normalize never panics, keeps valid text valid, and is
// idempotent, so a word registered normalised matches the same typed
// text however often it is folded; the answer words and ParseNumber
// never panic on what it returns.
func FuzzNormalize(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := bot.Normalize(s)
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: not valid UTF-8", s, n)
		}
		if again := bot.Normalize(n); again != n {
			t.Fatalf("Normalize is not idempotent: %q → %q → %q", s, n, again)
		}
		if _, ok := bot.ParseNumber(n); ok && n == "" {
			t.Fatalf("ParseNumber read a number from nothing")
		}
		_, _, _, _ = bot.IsYes(n), bot.IsNo(n), bot.IsEdit(n), bot.IsDrop(n)
	})
}

// FuzzRouter plays a conversation (one message per line) through the demo
// router: whatever residents type, it never panics and never fails with
// anything but a message meant for them, and the clock moving between
// messages (pauses, drafts, expiry) changes nothing about that.
func FuzzRouter(f *testing.F) {
	f.Add("登记\n王芳\n13800138000\n1")
	f.Add("登记\n王芳\n查询 2611260001\n继续\n1")
	f.Add("你好\n反馈\n電梯太慢\n不对，改一下\n1\n電梯很慢\n第一个")
	f.Add("登记\n帮助\n返回\n取消\n1\n谢谢🙏")
	f.Add("反馈\n\n\n\n1\n0")
	f.Fuzz(func(t *testing.T, script string) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		r, _, _ := newDemoRouter(t, clock)
		ctx := context.Background()
		for i, line := range strings.Split(script, "\n") {
			if i >= 20 {
				break
			}
			if i%5 == 4 {
				clock.Advance(bot.SessionTTL + time.Minute)
			}
			m := &bot.Message{ID: "m" + string(rune('a'+i)), OpenID: "o-fuzz", Kind: bot.KindText, Text: line, Time: clock.Now()}
			if _, err := r.Handle(ctx, m); err != nil {
				var ue *bot.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("message %d %q: %v", i, line, err)
				}
			}
		}
	})
}
