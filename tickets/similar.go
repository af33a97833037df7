package tickets

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/tongxin/tongxin/bot"
)

// What makes two requests "the same problem" (本楼已有 N 户反映同类问题):
// the same place (see samePlace) and a similar description. Residents
// write a few words of Chinese ("3单元楼道灯不亮", "三单元楼道灯坏了"), so
// similarity is cheap and conservative: a wrong "会一并处理" misleads the
// resident and hides a problem from staff, while a missed link costs
// nothing but a second visit.
//
//  1. Both texts are normalised: Chinese numerals become digits, the ways
//     of saying "broken" become 坏, and punctuation, spaces and filler
//     characters (了, 的, 都 …) go.
//  2. Each text's subjects are looked up in a short lexicon (light,
//     elevator, heating, leak, …). Two texts with subjects and none in
//     common are different problems, however many characters they share
//     ("楼道灯不亮" and "楼道有杂物堆放" share 楼道, not the problem).
//  3. Two texts that number the same kind of place differently (3单元,
//     5单元) are about different places, however alike the rest.
//  4. Otherwise the overlap of their character bigrams, |A∩B| / min(|A|,|B|),
//     must reach minOverlapShared when they share a subject and
//     minOverlapUnknown when a side names no known subject.

// Thresholds of the bigram overlap coefficient.
const (
	minOverlapShared  = 0.3
	minOverlapUnknown = 0.6
)

// subjects maps words of the lexicon to what they are about. Longer words
// are matched first so that 暖气管 is heating, not a water pipe.
var subjects = []struct{ word, subject string }{
	{"暖气管", "heating"}, {"暖气片", "heating"}, {"暖气", "heating"}, {"供暖", "heating"}, {"地暖", "heating"},
	{"电梯", "elevator"}, {"困人", "elevator"}, {"被困", "elevator"},
	{"路灯", "light"}, {"楼道灯", "light"}, {"声控灯", "light"}, {"照明", "light"}, {"灯", "light"},
	{"杂物", "clutter"}, {"堆放", "clutter"}, {"堆物", "clutter"}, {"占用", "clutter"}, {"消防通道", "clutter"}, {"堵塞通道", "clutter"},
	{"下水道", "drain"}, {"下水", "drain"}, {"化粪池", "drain"}, {"返味", "drain"}, {"堵了", "drain"}, {"马桶", "drain"},
	// No water and a leak are different problems, as are a power cut and
	// a live wire.
	{"漏水", "leak"}, {"渗水", "leak"}, {"水管", "leak"}, {"爆管", "leak"}, {"停水", "supply"}, {"水压", "supply"}, {"自来水", "supply"},
	{"燃气", "gas"}, {"煤气", "gas"}, {"天然气", "gas"},
	{"停电", "outage"}, {"电表", "outage"}, {"跳闸", "outage"}, {"漏电", "wiring"}, {"电线", "wiring"}, {"插座", "wiring"},
	{"垃圾", "rubbish"}, {"卫生", "rubbish"}, {"异味", "rubbish"},
	{"门禁", "door"}, {"单元门", "door"}, {"防盗门", "door"}, {"门锁", "door"},
	{"噪音", "noise"}, {"噪声", "noise"}, {"吵", "noise"}, {"扰民", "noise"},
	{"停车", "parking"}, {"车位", "parking"}, {"堵车", "parking"},
	{"着火", "fire"}, {"冒烟", "fire"}, {"火灾", "fire"},
	{"狗", "pet"}, {"宠物", "pet"}, {"猫", "pet"},
	{"墙皮", "wall"}, {"墙面", "wall"}, {"裂缝", "wall"},
	{"窗", "window"}, {"玻璃", "window"},
	{"树", "green"}, {"绿化", "green"}, {"草坪", "green"},
}

// filler are characters that carry no meaning of their own in a short
// complaint; dropping them lets 灯都不亮了 and 灯不亮 compare.
const filler = "了的都啊呀吧呢嘛哦很太也还又就是在有个一些"

// brokenWords are the ways of saying "does not work", made one so that
// 灯不亮 and 灯坏了 compare.
var brokenWords = strings.NewReplacer("不亮", "坏", "不好使", "坏", "不能用", "坏", "用不了", "坏", "失灵", "坏", "损坏", "坏", "坏掉", "坏")

// numbered finds a numbered place in a normalised text: 3单元, 5楼, 2层.
var numbered = regexp.MustCompile(`(\d+)(号楼|单元|栋|楼|层)`)

// places maps each kind of numbered place a text names (单元, 楼) to its
// numbers; a floor is a floor whether 楼 or 层.
func places(text string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, m := range numbered.FindAllStringSubmatch(text, -1) {
		kind := m[2]
		if kind == "层" {
			kind = "楼"
		}
		if out[kind] == nil {
			out[kind] = map[string]bool{}
		}
		out[kind][m[1]] = true
	}
	return out
}

// otherPlace reports whether a and b (normalised) name the same kind of
// place with no number in common: 3单元 and 5单元.
func otherPlace(a, b string) bool {
	pb := places(b)
	for kind, ns := range places(a) {
		if pb[kind] == nil {
			continue
		}
		shared := false
		for n := range ns {
			shared = shared || pb[kind][n]
		}
		if !shared {
			return true
		}
	}
	return false
}

var numeralRun = regexp.MustCompile(`[零〇一二两三四五六七八九十]+`)

// normalizeIssue prepares a description for comparison.
func normalizeIssue(s string) string {
	s = bot.Normalize(s)
	// Numbers as digits: 三单元 and 3单元 are one unit.
	s = numeralRun.ReplaceAllStringFunc(s, func(run string) string {
		if n, ok := bot.ParseNumber(run); ok {
			return strconv.Itoa(n)
		}
		return run
	})
	s = brokenWords.Replace(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) || strings.ContainsRune(filler, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// subjectsOf lists what text (normalised) is about, each once.
func subjectsOf(text string) map[string]bool {
	out := map[string]bool{}
	for _, s := range subjects {
		if strings.Contains(text, s.word) {
			out[s.subject] = true
			text = strings.ReplaceAll(text, s.word, " ")
		}
	}
	return out
}

func bigrams(text string) map[string]bool {
	rs := []rune(text)
	out := map[string]bool{}
	if len(rs) == 1 {
		out[text] = true
	}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

// overlap is |A∩B| / min(|A|,|B|) of the two texts' bigrams.
func overlap(a, b string) float64 {
	ba, bb := bigrams(a), bigrams(b)
	if len(ba) == 0 || len(bb) == 0 {
		return 0
	}
	n := 0
	for g := range ba {
		if bb[g] {
			n++
		}
	}
	return float64(n) / float64(min(len(ba), len(bb)))
}

// similarIssue reports whether descriptions a and b are likely the same
// problem. An empty description (a photo only) is like nothing.
func similarIssue(a, b string) bool {
	na, nb := normalizeIssue(a), normalizeIssue(b)
	if na == "" || nb == "" {
		return false
	}
	if otherPlace(na, nb) {
		return false
	}
	sa, sb := subjectsOf(na), subjectsOf(nb)
	threshold := minOverlapUnknown
	if len(sa) > 0 && len(sb) > 0 {
		shared := false
		for s := range sa {
			shared = shared || sb[s]
		}
		if !shared {
			return false
		}
		threshold = minOverlapShared
	}
	return overlap(na, nb) >= threshold
}
