package intent

import (
	"strings"
	"unicode"
)

// MaxMasked is the longest text Mask returns, in characters: enough to see
// what a resident asked, too short to keep a whole story about a person.
const MaxMasked = 60

// Mask removes what could identify a person from a text nothing
// understood, so that operators can read what residents ask without
// reading who asked: every run of digits (phones, room numbers, ID
// numbers, dates, in ASCII or full width) becomes "#", as does a run of
// three or more Chinese numerals ("一三八…" spoken into a voice message);
// a name becomes "*" where the text says it is one (我叫…, 名字是…, 姓…),
// where a common surname follows 我是, where a surname comes before a
// form of address (王先生, 张阿姨, 老李), and where two or three
// characters starting with a surname stand alone, follow 找/叫/联系/给/
// 问/是 or come before 在吗/说/的电话 (see standalone); an email address
// or a Latin handle ("lijg@qq.com", "lijianguo") becomes "*" too. The
// result is cut to MaxMasked
// characters. Mask errs on masking too much: a masked word costs a line
// of the operators' report, a kept name costs a resident's privacy.
func Mask(text string) string {
	rs := []rune(strings.Join(strings.Fields(text), " "))
	var out []rune
	for i := 0; i < len(rs); {
		if n, handle := latinRun(rs[i:]); n > 0 {
			if handle {
				out = append(out, '*')
			} else {
				out = append(out, rs[i:i+n]...)
			}
			i += n
			continue
		}
		if n := digitRun(rs[i:]); n > 0 {
			out = append(out, '#')
			i += n
			continue
		}
		if cue, n := nameAfter(rs, i); n > 0 {
			out = append(out, rs[i:i+cue]...)
			out = append(out, '*')
			i += cue + n
			continue
		}
		if n := addressed(rs, i); n > 0 {
			out = append(out, '*')
			i += n
			continue
		}
		if n := standalone(rs, i); n > 0 {
			out = append(out, '*')
			i += n
			continue
		}
		out = append(out, rs[i])
		i++
	}
	if len(out) > MaxMasked {
		out = append(out[:MaxMasked-1], '…')
	}
	return string(out)
}

// chineseNumerals are the characters a number is spelled with; a run of
// three is a phone or room number read out, not a word ("十一月" has 十,
// which is not here).
const chineseNumerals = "零〇一二三四五六七八九幺两"

// digitRun is how many runes at the start of rs are a run to mask: any
// run of digits, or three or more Chinese numerals; separators inside a
// number ("138-0013", "3-2-501") belong to it.
func digitRun(rs []rune) int {
	if unicode.IsDigit(rs[0]) {
		n := 1
		for n < len(rs) {
			if unicode.IsDigit(rs[n]) {
				n++
				continue
			}
			if (rs[n] == '-' || rs[n] == ' ' || rs[n] == '－') && n+1 < len(rs) && unicode.IsDigit(rs[n+1]) {
				n += 2
				continue
			}
			break
		}
		return n
	}
	n := 0
	for n < len(rs) && strings.ContainsRune(chineseNumerals, rs[n]) {
		n++
	}
	if n >= 3 {
		return n
	}
	return 0
}

// nameCues are words after which a name follows whatever it looks like
// (a Uyghur or Hui name has no Han surname), with the longest first so
// that 名字叫 is taken before 叫.
var nameCues = []string{"我的名字是", "我的名字叫", "名字是", "名字叫", "姓名是", "姓名", "我叫"}

// surnameCues are words after which a name follows only if it starts
// with a common surname: "我是王芳" names, "我是想问" does not.
var surnameCues = []string{"我是", "我姓", "姓"}

// nameAfter reports, at rs[i], the length of a cue and of the name after
// it (0 when there is none).
func nameAfter(rs []rune, i int) (cue, name int) {
	for _, c := range nameCues {
		if hasRunes(rs[i:], c) {
			cue = len([]rune(c))
			// "姓名：王芳": the separator stays with the cue.
			for i+cue < len(rs) && strings.ContainsRune(":：, ", rs[i+cue]) {
				cue++
			}
			if n := hanRun(rs[i+cue:], 4); n > 0 {
				return cue, n
			}
		}
	}
	for _, c := range surnameCues {
		if !hasRunes(rs[i:], c) {
			continue
		}
		cue = len([]rune(c))
		rest := rs[i+cue:]
		if len(rest) == 0 || !isSurname(rest[0]) {
			continue
		}
		if c != "我是" {
			// 姓王: the surname is all there is.
			return cue, 1
		}
		return cue, 1 + hanRun(rest[1:], 2)
	}
	return 0, 0
}

// addresses are forms of address that follow a surname: 王先生, 张阿姨.
var addresses = []string{"先生", "女士", "阿姨", "大爷", "大妈", "大姐", "大哥", "师傅", "老师", "奶奶", "爷爷", "书记", "主任", "同志"}

// addressed reports how many runes at rs[i] are a surname (with up to two
// characters of given name) before a form of address, or 老 before a
// surname ("老李"), which is replaced by "*" and the address kept.
func addressed(rs []rune, i int) int {
	if rs[i] == '老' && i+1 < len(rs) && isSurname(rs[i+1]) {
		if i+2 == len(rs) || !unicode.Is(unicode.Han, rs[i+2]) || strings.ContainsRune(stops, rs[i+2]) {
			return 2
		}
	}
	if !isSurname(rs[i]) {
		return 0
	}
	for n := 1; n <= 3 && i+n < len(rs); n++ {
		for _, a := range addresses {
			if hasRunes(rs[i+n:], a) {
				return n
			}
		}
		if !unicode.Is(unicode.Han, rs[i+n]) {
			break
		}
	}
	return 0
}

// stops are characters that end a name: particles and the words that
// usually follow one ("我是王芳的家属", "我叫李明想问").
const stops = "的了在啊呢吗嘛吧想要住是家和也就问说找请您你我他她们，。,.!！?？、 "

// hanRun is how many Han characters, at most max, start rs before a stop.
func hanRun(rs []rune, max int) int {
	n := 0
	for n < len(rs) && n < max && unicode.Is(unicode.Han, rs[n]) && !strings.ContainsRune(stops, rs[n]) {
		n++
	}
	return n
}

func hasRunes(rs []rune, s string) bool {
	i := 0
	for _, r := range s {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}

// surnames are the commonest Chinese surnames (about nine in ten people
// carry one of them). Characters that are far more often part of a word
// than a surname in what residents write (区, 于) are left out ("小区");
// those of wordSurnames (高, 周, 马 …) are in, but count alone only after
// a verb that names a person (standalone).
const surnames = "高王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"

func isSurname(r rune) bool { return strings.ContainsRune(surnames, r) }

// latinRun is, at the start of rs, the length of a run of Latin letters
// and digits (with the characters of an email address) that holds a
// letter, and whether it is an email or a handle to mask: any run with
// @, a letter mixed with digits, or five letters or more ("lijianguo").
// Shorter words ("ok", "wifi") are kept; a run without a letter is 0, for
// digitRun.
func latinRun(rs []rune) (n int, handle bool) {
	if rs[0] >= unicode.MaxASCII || !unicode.IsLetter(rs[0]) {
		return 0, false // digits first are digitRun's ("62…123X")
	}
	letters, digits, at := 0, 0, false
run:
	for n < len(rs) {
		r := rs[n]
		switch {
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			letters++
		case r < unicode.MaxASCII && unicode.IsDigit(r):
			digits++
		case r == '@':
			at = true
		case strings.ContainsRune("._-+", r) && n > 0:
		default:
			break run
		}
		n++
	}
	if letters == 0 {
		return 0, false
	}
	return n, at || digits > 0 || letters >= 5
}

// nameBefore are words a name is said before: "王芳在吗", "李建国说的",
// "赵六的电话".
var nameBefore = []string{"在吗", "在不在", "在么", "说", "的电话", "电话", "的手机", "手机"}

// nameAfterVerb are words a name is said after: "帮我找一下李建国",
// "联系赵六", "给王芳打电话", "问问张伟", "是王芳吗".
var nameAfterVerb = []string{"找一下", "找下", "找", "叫", "联系", "给", "问问", "问", "是"}

// wordSurnames are surnames that begin many everyday words (高兴, 周末,
// 马桶, 林子, 许多, 任何, 方便, 钱包, 谢谢, 钟点工): alone they are no name, only after a
// verb that names a person (找高明, 联系周伟).
const wordSurnames = "高黄周马朱林何郭罗孙胡许曾余叶程任陆范金石夏付方白段龙顾毛万钱严向常田江雷安文谢钟熊戴汤武丁姜苏贺"

// everyday are words that start with a surname and follow 联系/找/是 or
// stand alone in what residents write ("联系方式", "是高层吗", "张贴"):
// never a name.
var everyday = []string{"方式", "方法", "方便", "方面", "方向", "高层", "高楼", "金额", "周末", "周围", "马上", "马路",
	"马桶", "白天", "黄色", "任何", "许多", "万一", "常常", "石头", "夏天", "付款", "毛巾", "钱包", "严重", "何时",
	"张贴", "李子", "杨树", "陈旧", "刘海", "谢谢", "程序", "范围", "余额", "叶子", "龙头", "顾客", "武术", "汤圆"}

// standalone reports how many runes at rs[i] are a name standing on its
// own: two or three Han characters starting with a common surname, ended
// by the end of the text, a non-Han character or a word a name comes
// before (nameBefore), and begun at the start of the text, after a
// non-Han character or after a verb that names a person (nameAfterVerb).
// A surname of wordSurnames needs the verb; a common one before nameBefore
// needs nothing more ("帮我看看王芳在吗").
func standalone(rs []rune, i int) int {
	if !isSurname(rs[i]) {
		return 0
	}
	n := 1 + hanRun(rs[i+1:], 3)
	if n < 2 || n > 3 {
		return 0
	}
	for _, w := range everyday {
		if hasRunes(rs[i:i+n], w) {
			return 0
		}
	}
	rest := rs[i+n:]
	before := false
	for _, w := range nameBefore {
		if hasRunes(rest, w) {
			before = true
		}
	}
	if !before && len(rest) > 0 && unicode.Is(unicode.Han, rest[0]) {
		return 0
	}
	verb := false
	for _, w := range nameAfterVerb {
		if c := len([]rune(w)); i >= c && hasRunes(rs[i-c:], w) {
			verb = true
		}
	}
	switch {
	case verb:
		return n
	case strings.ContainsRune(wordSurnames, rs[i]):
		return 0
	case before:
		return n
	case i == 0 || !unicode.Is(unicode.Han, rs[i-1]):
		return n
	}
	return 0
}
