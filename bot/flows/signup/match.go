package signup

import (
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
)

// dataOnly is the Data key of the activities a resident's words named
// when they named several ("讲座怎么报名" and two talks open): the list
// shows only those, once.
const dataOnly = "only"

// generic are words of a message or a title that name no activity in
// particular: "社区百家宴" is named by 百家宴, and "最近有什么活动" names
// none.
var generic = []string{"活动", "报名", "社区", "小区", "参加", "怎么", "什么", "哪些", "有没有", "最近", "我们", "一下", "可以", "想要", "我想", "我要"}

// minNamed is the fewest characters a message and a title must share for
// the message to name the activity: one character (宴, 会) is anybody's.
const minNamed = 2

// named returns the open activities the message names: those sharing the
// longest run of characters with it, at least minNamed long, after the
// generic words are taken out of both. None when no title is named.
func named(said string, acts []activity.Activity) []activity.Activity {
	msg := []rune(strip(said))
	best := minNamed - 1
	var out []activity.Activity
	for _, a := range acts {
		n := commonRun(msg, []rune(strip(a.Title)))
		switch {
		case n > best:
			best, out = n, []activity.Activity{a}
		case n == best && n >= minNamed:
			out = append(out, a)
		}
	}
	return out
}

// strip normalises text without its spaces ("百 家 宴") and replaces the
// generic words with a mark that no run of characters crosses.
func strip(s string) string {
	s = strings.ReplaceAll(bot.Normalize(s), " ", "")
	for _, w := range generic {
		s = strings.ReplaceAll(s, w, "|")
	}
	return s
}

// commonRun is the length of the longest run of characters a and b share,
// marks excepted.
func commonRun(a, b []rune) int {
	best := 0
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] && a[i] != '|' {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			} else {
				cur[j+1] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best
}
