package emergency_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows/emergency"
)

// FuzzDetect: whatever a resident writes, the kinds detected are known
// kinds, each once, in answering order; spaces typed between the
// characters change nothing ("着 火 了"); and a word an operator adds
// (TONGXIN_URGENT_WORDS) is detected when it is said to be happening
// ("…了"), unless an everyday phrase swallows it.
func FuzzDetect(f *testing.F) {
	for _, s := range [][2]string{{"着火了", "跑水"}, {"5号楼三楼冒烟了，快来人", "摔倒了"}, {"上次着火演习报名", "煤气"}, {"打不着火，还闻到煤气味", "打不着火"},
		{"宣传栏着火了", "火"}, {"没着火，就是有点焦味", "没着"}, {"着 火 了", "了"}, {"電梯困人了", "電梯"}, {"", ""}, {"1", "|"}} {
		f.Add(s[0], s[1])
	}
	d, err := emergency.NewDetector("", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s, word string) {
		norm := bot.Normalize(s)
		got := d.Detect(norm)
		last := -1
		for _, k := range got {
			i := slices.Index(emergency.Kinds, k)
			if i <= last {
				t.Fatalf("Detect(%q) = %v: unknown, repeated or out of order", norm, got)
			}
			last = i
		}
		spaced := strings.Join(strings.Split(norm, ""), " ")
		if again := d.Detect(spaced); !slices.Equal(again, got) {
			t.Fatalf("Detect(%q) = %v but Detect(%q) = %v", norm, got, spaced, again)
		}
		if strings.ContainsAny(word, ",:") {
			return
		}
		extra, err := emergency.NewDetector("water:"+word, "")
		w := strings.ReplaceAll(bot.Normalize(word), " ", "")
		if err != nil {
			if w != "" {
				t.Fatalf("NewDetector(water:%q): %v", word, err)
			}
			return
		}
		said := w + "了"
		for _, e := range []string{"打不着火", "点不着火", "打不着", "点不着", "轮胎漏气", "车胎漏气", "胎漏气", "喷水池", "不喷水", "宣传栏",
			"没着火", "没有着火", "没冒烟", "没有冒烟", "没漏电", "没有漏电", "没漏气", "没有漏气", "没有燃气味", "没有煤气味"} {
			if strings.Contains(said, e) {
				return
			}
		}
		if w != "" && !slices.Contains(extra.Detect(said), emergency.Water) {
			t.Fatalf("the operator's word %q: Detect(%q) = %v", w, said, extra.Detect(said))
		}
	})
}
