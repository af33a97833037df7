package bot

import (
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
)

// Normalize prepares typed text for matching, once per message: traditional
// characters become simplified ("確認" → "确认"), full-width forms become
// half-width (phones type "１２３" and "？"), letters are case-folded, runs
// of white space collapse to one space, decorative emoji are dropped ("好的😊"
// → "好的", "1️⃣" → "1"; a message of emoji alone keeps them, since "👍" is an
// answer), and the trailing full stops and exclamation marks people add
// ("取消。") are dropped.
func Normalize(s string) string {
	if hasTraditional(s) {
		s = toSimplified(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	onlyEmoji := isOnlyEmoji(s)
	for _, r := range s {
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0
		}
		if isEmojiMark(r) || (!onlyEmoji && isEmoji(r)) {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), "。.!~，, ")
}

// isEmojiMark reports the invisible parts of an emoji sequence: variation
// selectors, the keycap mark of "1️⃣", skin tones and the zero-width joiner.
func isEmojiMark(r rune) bool {
	return r == '\uFE0F' || r == '\uFE0E' || r == '\u20E3' || r == '\u200D' ||
		(r >= 0x1F3FB && r <= 0x1F3FF)
}

// isEmoji reports pictographs residents add to a message (😊 👍 🙏 ❤).
func isEmoji(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2B00 && r <= 0x2BFF)
}

// isOnlyEmoji reports whether s holds emoji and nothing else but space.
func isOnlyEmoji(s string) bool {
	seen := false
	for _, r := range s {
		switch {
		case isEmoji(r):
			seen = true
		case isEmojiMark(r) || unicode.IsSpace(r):
		default:
			return false
		}
	}
	return seen
}

// Traditional text is converted with OpenCC (t2s), loaded on first need:
// converting costs tens of microseconds even for simplified text, and
// Normalize runs on every choice label too, so only text holding a
// character that t2s changes (traditionalRunes, kept equal to OpenCC's
// dictionaries by a test) is converted, and a process that never sees one
// never loads the dictionaries.
var t2s struct {
	once sync.Once
	cc   *opencc.OpenCC
}

// trad is traditionalRunes as a bit set over tradLo..tradHi, built once.
var trad struct {
	once sync.Once
	bits []uint64
}

const tradLo, tradHi = 0x3400, 0x9FFF

func isTraditional(r rune) bool {
	if r < tradLo || r > tradHi {
		return false
	}
	trad.once.Do(func() {
		trad.bits = make([]uint64, (tradHi-tradLo)/64+1)
		for _, t := range traditionalRunes {
			if t >= tradLo && t <= tradHi {
				trad.bits[(t-tradLo)/64] |= 1 << ((t - tradLo) % 64)
			}
		}
	})
	return trad.bits[(r-tradLo)/64]&(1<<((r-tradLo)%64)) != 0
}

// hasTraditional reports whether s holds a character t2s would change.
func hasTraditional(s string) bool {
	for _, r := range s {
		if isTraditional(r) {
			return true
		}
	}
	return false
}

func toSimplified(s string) string {
	t2s.once.Do(func() {
		// The dictionaries are embedded in the package, so an error does
		// not happen; without them text is matched as typed.
		t2s.cc, _ = opencc.New("t2s")
	})
	if t2s.cc == nil {
		return s
	}
	out, err := t2s.cc.Convert(s)
	if err != nil {
		return s
	}
	return out
}

var chineseDigits = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '十': 10,
}

// ParseNumber reads a small whole number typed as digits ("3"), circled
// ("③"), or in Chinese ("三", "十二", "第三个", "第3个", "3号", "第二项"), as
// elderly residents often answer a numbered question. It reports false for
// anything else.
func ParseNumber(norm string) (int, bool) {
	s := strings.TrimPrefix(norm, "第")
	for _, suf := range []string{"个", "项", "号", "条", "种"} {
		if t, ok := strings.CutSuffix(s, suf); ok {
			s = t
			break
		}
	}
	if s == "" {
		return 0, false
	}
	if rs := []rune(s); len(rs) == 1 && rs[0] >= '①' && rs[0] <= '⑳' {
		return int(rs[0]-'①') + 1, true
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0
	}
	rs := []rune(s)
	if len(rs) > 3 {
		return 0, false
	}
	total, cur, tens := 0, -1, false
	for _, r := range rs {
		d, ok := chineseDigits[r]
		if !ok {
			return 0, false
		}
		if d == 10 {
			if tens {
				return 0, false
			}
			tens = true
			if cur < 0 {
				cur = 1
			}
			total += cur * 10
			cur = -1
			continue
		}
		if cur >= 0 {
			return 0, false
		}
		cur = d
	}
	if cur >= 0 {
		total += cur
	}
	return total, true
}

// Answer words, shared by every engine that takes a plain answer (the
// summary, a suggestion, a numbered pick, a push's question), so that "是的"
// means yes everywhere and the sets are not copied apart.
var (
	yesWords = wordSet("1", "一", "是", "是的", "对", "对的", "好", "好的", "确认", "确定", "提交",
		"没问题", "可以", "嗯", "嗯嗯", "行", "ok", "okay", "yes", "👍", "👌", "✅", "✔", "没错", "用这个", "就这个", "对啊")
	// "对了" is left out (it most often means "by the way"), and so is "要"
	// (the start of "要改", "要报修"): neither may submit a form. The
	// router's own yes-or-no question takes "要" (understand.go).
	editWords = wordSet("2", "修改", "改", "更改", "不对", "改一下", "要改", "修改一下", "不对改一下",
		"不对要改", "我要改", "需要修改", "有错", "写错了", "填错了")
	// dropWords cancel at the summary only, where the choice is already
	// on the screen ("0 取消"): a plain 不 or 不对 must never lose a form.
	// ("不用了" is not one: after "要修改吗" it means the opposite.)
	dropWords = wordSet("0", "零", "不要了", "不提交")
	// noWords answer a yes-or-no question with no (the router's "您是要
	// 办理 X 吗？"); never used where no would lose a form.
	noWords = wordSet("不是", "不", "不对", "不要", "否", "都不是", "不是的", "no")
)

func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// answerKey is norm without the spaces and punctuation that do not change
// a short answer ("不对，改一下" = "不对改一下", "好的!" = "好的").
func answerKey(norm string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, norm)
}

// IsYes reports whether a normalised answer says yes to a question whose
// yes is 1 ("1", "是的", "对的", "好的", "没问题", "👍").
func IsYes(norm string) bool { return yesWords[answerKey(norm)] }

// IsNo reports whether a normalised answer says no to a yes-or-no
// question ("不是", "都不是").
func IsNo(norm string) bool { return noWords[answerKey(norm)] }

// IsEdit reports whether a normalised answer to a summary asks to change
// something ("2", "不对，改一下", "修改一下").
func IsEdit(norm string) bool { return editWords[answerKey(norm)] }

// IsDrop reports whether a normalised answer to a summary cancels it
// ("0", "不要了").
func IsDrop(norm string) bool { return dropWords[answerKey(norm)] }
