// Package intent understands a resident's first message when no keyword,
// menu key or QR scene claimed it. The router hands it text already
// normalised (bot.Normalize: full-width folded, lower case, traditional
// characters made simplified). It cuts the text into words with
// github.com/go-ego/gse over a small embedded dictionary (segment.go),
// finds the words of each registered vocabulary there, and adds up their
// weights per intent:
//
//   - a one-character word counts only as a word of its own ("梯" not in
//     "梯子"), a longer one also across or inside words ("不亮" in "灯不亮");
//   - a run of digits or letters is one word, found only whole: a room
//     number "1201" holds no "120", "which" no "hi";
//   - a longer word found hides the words inside it ("维修基金" hides
//     "维修", "楼上漏水" hides "漏水");
//   - a word said in the negative ("我不是要报修", "不用报修", "我家没有
//     漏水") does not count, and is shown negated in the explanation; a
//     lack that is the problem ("没有暖气", "没热水") is a word of its own;
//   - each word counts once per intent;
//   - a greeting yields to any other intent recognised but thanks, and
//     thanks weigh against the words of a problem.
//
// The best intent is Sure when it scores at least SureScore and the
// runner-up at most SureRatio of it, Unsure when it scores at least
// UnsureScore or the message is little but its words (a thing named
// alone: "电梯", "暖气？"), and None below. Result.Hits and Explain say
// which words counted and how much; a message takes some microseconds
// (BenchmarkClassify in cmd/tongxin).
//
// It does not act on what it finds: bot.Router decides, from the Band,
// whether to start what the intent names, to ask which of two was meant,
// or to show the menu. It imports nothing of this module, so that its
// vocabularies come from the features that register them.
package intent

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Vocabulary is the words that suggest one intent.
type Vocabulary struct {
	// Intent names what the words suggest ("report:repair", "greeting").
	Intent string
	// Words are the terms of the vocabulary (the syntax, such as a
	// weight, is documented on New).
	Words []string
}

// Band is how sure a Result is.
type Band int

// Bands, from least to most sure.
const (
	// None: nothing recognised well enough; the resident gets the menu.
	None Band = iota
	// Unsure: an intent was recognised, but weakly or close to another;
	// the resident is asked.
	Unsure
	// Sure: act on the intent.
	Sure
)

// String names the band for metrics ("none", "unsure", "sure").
func (b Band) String() string {
	switch b {
	case Sure:
		return "sure"
	case Unsure:
		return "unsure"
	}
	return "none"
}

// Hit is one word that counted, for explaining a Result.
type Hit struct {
	// Word is the vocabulary word found (folded: lower case, no spaces).
	Word string
	// Intent is the intent it counted for.
	Intent string
	// Weight is what it added to the intent's score.
	Weight float64
	// Negated is set when the word was said in the negative ("我不是要
	// 报修") and so did not count for its intent.
	Negated bool
}

// Result is what Classify understood of one message.
type Result struct {
	// Intent is the best intent; "" when no word of any vocabulary counted.
	Intent string
	Score  float64
	Band   Band
	// Second is the runner-up ("" when none) and its score: with Band
	// Unsure the router names both.
	Second      string
	SecondScore float64
	// Hits are the words that counted, in the order found.
	Hits []Hit
}

// Explain says which words counted, for logs and tests.
func (r Result) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %.2f (%s)", r.Intent, r.Score, r.Band)
	if r.Second != "" {
		fmt.Fprintf(&b, " over %s %.2f", r.Second, r.SecondScore)
	}
	for _, h := range r.Hits {
		neg := ""
		if h.Negated {
			neg = "!"
		}
		fmt.Fprintf(&b, " %s%s:%g→%s", neg, h.Word, h.Weight, h.Intent)
	}
	return b.String()
}

// The small-talk intents. A greeting never wins over anything but thanks
// recognised at all ("你好，我家水管漏了" is a repair); thanks compete by
// weight, so that "谢谢律师 讲得很清楚" stays thanks while a problem
// described at length after a thank-you wins.
const (
	// Greeting is the intent of hellos ("你好", "在吗").
	Greeting = "greeting"
	// Thanks is the intent of thanks and acknowledgements ("谢谢", "辛苦了").
	Thanks = "thanks"
)

// Score thresholds of the bands.
const (
	// UnsureScore is the least score recognised at all: one ordinary word.
	UnsureScore = 1.0
	// SureScore is the least score acted on: two ordinary words, or one
	// strong one ("漏水:2").
	SureScore = 2.0
	// SureRatio is how far ahead of the runner-up a sure intent must be:
	// the runner-up scores at most this share of the best.
	SureRatio = 0.6
)

// entry is one vocabulary word's meaning for one intent.
type entry struct {
	intent string
	weight float64
}

// Classifier scores messages against a fixed set of vocabularies. It is
// safe for concurrent use.
type Classifier struct {
	words map[string][]entry
	// longest is the longest word in runes, which bounds how many
	// adjacent tokens are joined when looking words up.
	longest int
}

// negations are what, said just before a word in the same clause, turn
// it around: "我不是要报修", "不用报修了", "不想打官司". A bare 不 is not
// one: "不退押金", "灯不亮" describe problems. 没 and 没有 are, only right
// before the word (negated, in negated).
var negations = []string{"不是", "不用", "不要", "不需要", "无需", "不想", "没说", "不必"}

// negationReach is how many characters before a word a negation may end
// and still apply to it.
const negationReach = 4

// New returns a Classifier over vs. An intent may appear in several
// vocabularies (a feature's words and the operator's); their words add up.
//
// A word is the text to find, optionally followed by a colon and its
// weight: "漏水:2" counts twice as much as "水管" (weight 1 when none is
// given), "坏了:0.5" only helps other words, and a negative weight argues
// against the intent ("修好了:-2" in the repair vocabulary). Weight 0
// names a phrase that counts for nothing but hides the words inside it:
// when one found word lies inside a longer found word ("维修" inside
// "维修基金:0"), only the longer one counts. Spaces and case do not
// matter ("tiao jie" finds "tiaojie"). A one-character word counts only
// when the segmenter makes it a word of its own ("灯" in "灯不亮", but
// "梯" not in "梯子"); longer words also count inside a longer word or
// across adjacent ones.
//
// Returns an error for an empty intent name or word, or a weight that is
// not a number.
func New(vs []Vocabulary) (*Classifier, error) {
	c := &Classifier{words: map[string][]entry{}}
	for _, v := range vs {
		if v.Intent == "" {
			return nil, fmt.Errorf("intent: a vocabulary has no intent name")
		}
		for _, w := range v.Words {
			text, weight, err := parseWord(w)
			if err != nil {
				return nil, fmt.Errorf("intent: %s: %w", v.Intent, err)
			}
			c.add(text, entry{intent: v.Intent, weight: weight})
		}
	}
	return c, nil
}

// ParseWord splits a vocabulary word in New's syntax into the text
// looked for (folded: lower case, no spaces) and its weight ("漏水:2" is
// "漏水", 2). The configuration checks operators' words with it at
// startup, so that a mistyped weight fails there and not at the first
// message.
func ParseWord(w string) (text string, weight float64, err error) {
	return parseWord(w)
}

// parseWord splits "漏水:2" into its text and weight.
func parseWord(w string) (string, float64, error) {
	w = strings.ReplaceAll(w, "：", ":")
	text, weight := w, 1.0
	if i := strings.LastIndex(w, ":"); i >= 0 {
		n, err := strconv.ParseFloat(strings.TrimSpace(w[i+1:]), 64)
		if err != nil {
			return "", 0, fmt.Errorf("word %q: the weight after the colon is not a number", w)
		}
		text, weight = w[:i], n
	}
	text = fold(text)
	if text == "" {
		return "", 0, fmt.Errorf("an empty word")
	}
	return text, weight, nil
}

// add records one word; the same word given twice for an intent keeps
// the larger weight (an operator restating a default word).
func (c *Classifier) add(text string, e entry) {
	for i, old := range c.words[text] {
		if old.intent == e.intent {
			if e.weight > old.weight {
				c.words[text][i] = e
			}
			return
		}
	}
	c.words[text] = append(c.words[text], e)
	if n := utf8.RuneCountInString(text); n > c.longest {
		c.longest = n
	}
}

// match is a word found in a message, with its span in runes.
type match struct {
	word       string
	start, end int
}

// Classify scores text, which the router has normalised (bot.Normalize:
// full-width folded, lower case, simplified characters). Each word counts
// once per intent however often it is said; between intents with the
// same score the first by name is taken (and, being close, only asked).
func (c *Classifier) Classify(text string) Result {
	var res Result
	if strings.TrimSpace(text) == "" || len(c.words) == 0 {
		return res
	}
	toks := tokenize(text)
	found := c.find(toks)
	if len(found) == 0 {
		return res
	}
	clauses := byClause(toks)
	scores := map[string]float64{}
	counted := map[string]bool{}
	for _, m := range found {
		if inside(m, found) {
			continue
		}
		neg := negated(m, toks, clauses)
		for _, e := range c.words[m.word] {
			h := Hit{Word: m.word, Intent: e.intent, Weight: e.weight, Negated: neg && e.weight != 0}
			res.Hits = append(res.Hits, h)
			key := e.intent + "\x00" + m.word
			if h.Negated || counted[key] {
				continue
			}
			counted[key] = true
			scores[e.intent] += e.weight
		}
	}
	if len(scores) > 1 {
		for name, s := range scores {
			if name != Greeting && name != Thanks && s >= UnsureScore {
				delete(scores, Greeting)
				break
			}
		}
	}
	names := make([]string, 0, len(scores))
	for name := range scores {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := scores[name]
		if s <= 0 {
			continue
		}
		switch {
		case s > res.Score:
			res.Second, res.SecondScore = res.Intent, res.Score
			res.Intent, res.Score = name, s
		case s > res.SecondScore:
			res.Second, res.SecondScore = name, s
		}
	}
	switch {
	case res.Score >= SureScore && res.SecondScore <= res.Score*SureRatio:
		res.Band = Sure
	case res.Score >= UnsureScore:
		res.Band = Unsure
	case res.Score > 0 && alone(res.Intent, found, toks, c):
		// a thing named on its own ("电梯", "暖气？"): the resident
		// means something about it, so ask rather than show the menu
		res.Band = Unsure
	}
	return res
}

// loneSlack is how many characters besides the words of an intent a
// message may have and still be only those words ("电梯啊", "暖气呢").
const loneSlack = 2

// alone reports whether the message says little but the words found for
// intent: its characters outside them are at most loneSlack.
func alone(intent string, found []match, toks []token, c *Classifier) bool {
	covered := map[int]bool{}
	for _, m := range found {
		for _, e := range c.words[m.word] {
			if e.intent == intent && e.weight > 0 {
				for i := m.start; i < m.end; i++ {
					covered[i] = true
				}
			}
		}
	}
	rest := 0
	for _, t := range toks {
		for i := t.start; i < t.start+t.runes; i++ {
			if !covered[i] {
				rest++
			}
		}
	}
	return len(covered) > 0 && rest <= loneSlack
}

// find looks up the words of each clause. A one-character word counts
// only as a whole token. A longer word counts wherever at least one of
// its ends is a token boundary or it lies inside one token: "不亮" in
// "灯/不/亮", "房东" in "房/东非", but not a word straddling two tokens
// at both ends.
func (c *Classifier) find(toks []token) []match {
	var found []match
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && toks[j].clause == toks[i].clause {
			j++
		}
		found = c.findClause(toks[i:j], found)
		i = j
	}
	return found
}

// findClause appends the words found in one clause's tokens.
func (c *Classifier) findClause(toks []token, found []match) []match {
	var b strings.Builder
	var offs []int  // byte offset of each rune, and of the end
	var tokOf []int // the token each rune is in
	var edge []bool // whether a token starts at each rune (and the end)
	for ti, t := range toks {
		if e, ok := c.words[t.text]; ok && len(e) > 0 && t.runes == 1 {
			found = append(found, match{word: t.text, start: t.start, end: t.start + 1})
		}
		for k, r := range t.text {
			offs = append(offs, b.Len())
			tokOf = append(tokOf, ti)
			edge = append(edge, k == 0)
			b.WriteRune(r)
		}
	}
	offs = append(offs, b.Len())
	edge = append(edge, true)
	s := b.String()
	base := toks[0].start
	n := len(tokOf)
	for a := 0; a < n; a++ {
		for z := a + 2; z <= n && z-a <= c.longest; z++ {
			if !edge[a] && !edge[z] && tokOf[a] != tokOf[z-1] {
				continue
			}
			// a run of digits or letters is one word: "120" is not in
			// "1201" or "120平米", "hi" not in "which"
			if (toks[tokOf[a]].atomic() && !edge[a]) || (toks[tokOf[z-1]].atomic() && !edge[z]) {
				continue
			}
			w := s[offs[a]:offs[z]]
			if _, ok := c.words[w]; ok {
				found = append(found, match{word: w, start: base + a, end: base + z})
			}
		}
	}
	return found
}

// inside reports whether m lies within a longer word found.
func inside(m match, found []match) bool {
	for _, o := range found {
		if o.start <= m.start && m.end <= o.end && o.end-o.start > m.end-m.start {
			return true
		}
	}
	return false
}

// byClause groups the tokens by clause, to look behind a word for a
// negation.
func byClause(toks []token) map[int][]token {
	byClause := map[int][]token{}
	for _, t := range toks {
		byClause[t.clause] = append(byClause[t.clause], t)
	}
	return byClause
}

// negated reports whether a negation ends just before m in its clause.
func negated(m match, toks []token, clauses map[int][]token) bool {
	var clause int
	for _, t := range toks {
		if t.start == m.start {
			clause = t.clause
			break
		}
		if t.start < m.start && m.start < t.start+t.runes {
			clause = t.clause
			break
		}
	}
	var before []rune
	for _, t := range clauses[clause] {
		if t.start >= m.start {
			break
		}
		rs := []rune(t.text)
		if t.start+t.runes > m.start {
			rs = rs[:m.start-t.start]
		}
		before = append(before, rs...)
	}
	if len(before) > negationReach+1 {
		before = before[len(before)-negationReach-1:]
	}
	s := string(before)
	for _, n := range negations {
		if strings.Contains(s, n) {
			return true
		}
	}
	// 没/没有 right before a word: "我家没有漏水", "电梯没坏". Not "有没有
	// 漏水" (a question), and not where 没 is the problem itself: "没水",
	// "没有暖气", "没热水" are words of the vocabulary, found whole.
	if strings.HasSuffix(s, "没") || strings.HasSuffix(s, "没有") {
		return !strings.HasSuffix(s, "有没") && !strings.HasSuffix(s, "有没有")
	}
	return false
}
