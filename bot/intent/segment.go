package intent

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// dict.txt is a trimmed Chinese dictionary for gse: the words of gse's
// data/dict/zh/s_1.txt (gse is Apache-2.0; that dictionary comes from
// jieba, MIT) whose frequency is at least 200, as "word frequency" lines.
// gse's full dictionary takes seconds and over 100 MB to load; this one
// (24k words) loads in under 200 ms and segments residents' messages as
// well. Regenerate with go generate (gendict.sh) after upgrading gse.
//
//go:generate sh gendict.sh
//go:embed dict.txt
var dict string

var (
	segOnce sync.Once
	seg     gse.Segmenter
)

// segmenter loads the dictionary once per process, on the first message
// classified (most tests never classify). It is never changed afterwards:
// gse's AddToken is not safe for concurrent use, cutting is.
func segmenter() *gse.Segmenter {
	segOnce.Do(func() {
		seg.NotLoadHMM = true
		seg.SkipLog = true
		if err := seg.LoadDictStr(dict); err != nil {
			panic("intent: the embedded dictionary does not load: " + err.Error())
		}
	})
	return &seg
}

// token is one word of a message: its text, where it starts (in runes
// from the start of the message) and which clause it is in (clauses are
// separated by punctuation and spaces), for negation.
type token struct {
	text   string
	start  int
	runes  int
	clause int
}

// atomic reports whether t is a run of digits or letters, which a word
// matches only whole: a room number "1201" holds no "120".
func (t token) atomic() bool {
	r, _ := utf8.DecodeRuneInString(t.text)
	return !unicode.Is(unicode.Han, r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// tokenize splits text into words: runs of Chinese characters are cut by
// gse, runs of letters and of digits are one word each, each emoji is a
// word; punctuation and spaces only separate (and end a clause).
func tokenize(text string) []token {
	var (
		toks   []token
		run    []rune
		kind   int // 0 none, 1 han, 2 letter, 3 digit
		pos    int
		clause int
	)
	flush := func() {
		if len(run) == 0 {
			return
		}
		start := pos - len(run)
		if kind == 1 {
			for _, w := range segmenter().Cut(string(run), false) {
				n := len([]rune(w))
				toks = append(toks, token{text: w, start: start, runes: n, clause: clause})
				start += n
			}
		} else {
			toks = append(toks, token{text: string(run), start: start, runes: len(run), clause: clause})
		}
		run = run[:0]
		kind = 0
	}
	rs := []rune(text)
	for i, r := range rs {
		if r == ' ' && kind == 2 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) && !unicode.Is(unicode.Han, rs[i+1]) {
			// pinyin typed with spaces ("tiao jie"): one clause, and the
			// syllables adjacent, so that "tiaojie" is found
			flush()
			continue
		}
		k := 0
		switch {
		case unicode.Is(unicode.Han, r):
			k = 1
		case unicode.IsLetter(r):
			k = 2
			r = unicode.ToLower(r)
		case unicode.IsDigit(r):
			k = 3
		}
		if k != kind {
			flush()
		}
		switch {
		case k != 0:
			run = append(run, r)
			kind = k
		case isEmoji(r):
			toks = append(toks, token{text: string(r), start: pos, runes: 1, clause: clause})
		case r == '\u200d' || r == '\ufe0f' || (r >= 0x1f3fb && r <= 0x1f3ff):
			// joiners, variation selectors and skin tones: part of the emoji
			pos--
		default:
			clause++
		}
		pos++
	}
	flush()
	return toks
}

// isEmoji reports whether r is a pictograph that may carry meaning (👋,
// 👍, 🙏, 🌹), as opposed to punctuation.
func isEmoji(r rune) bool {
	return r >= 0x1f000 || (r >= 0x2600 && r <= 0x27bf) || unicode.Is(unicode.So, r)
}

// fold makes a vocabulary word comparable with a message's words: lower
// case, without spaces (so "tiao jie" matches "tiaojie" and "tiao jie").
func fold(w string) string {
	return strings.ToLower(strings.Join(strings.Fields(w), ""))
}
