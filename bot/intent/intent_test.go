package intent

import (
	"strings"
	"sync"
	"testing"
)

// testVocab is a small vocabulary in the shape the features register.
var testVocab = []Vocabulary{
	{Intent: "report:repair", Words: []string{"报修:3", "维修:2", "维修基金:0", "坏了:1.5", "漏水:2", "水管:0.9", "电梯:0.9", "不亮:1.5", "灯:1", "梯:2"}},
	{Intent: "report:dispute", Words: []string{"楼上:1", "楼上漏水:3", "不管:1"}},
	{Intent: "clinic:consult", Words: []string{"律师:0.9", "打官司:1"}},
	{Intent: "clinic:mediation", Words: []string{"调解:3", "tiao jie:3"}},
	{Intent: Greeting, Words: []string{"你好:2", "👋:2"}},
	{Intent: Thanks, Words: []string{"谢谢:3", "👍:3"}},
}

func newTest(t *testing.T, vs ...Vocabulary) *Classifier {
	t.Helper()
	if len(vs) == 0 {
		vs = testVocab
	}
	c, err := New(vs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func words(r Result, intent string) []string {
	var out []string
	for _, h := range r.Hits {
		if h.Intent == intent && !h.Negated {
			out = append(out, h.Word)
		}
	}
	return out
}

// A one-character word counts only as a word of its own: "梯" is not in
// "梯子倒了", and "电梯" is a word there where it is one.
func TestOneCharacterWordsCountOnlyAsWholeWords(t *testing.T) {
	c := newTest(t)
	if r := c.Classify("梯子倒了"); r.Intent != "" || len(r.Hits) != 0 {
		t.Errorf("梯子倒了: %s", r.Explain())
	}
	r := c.Classify("谁管电梯啊")
	if got := words(r, "report:repair"); len(got) != 1 || got[0] != "电梯" {
		t.Errorf("谁管电梯啊: %s", r.Explain())
	}
	// "灯" is a word of its own in "灯不亮", and "不亮" spans two words.
	r = c.Classify("楼道灯不亮好几天了")
	if got := strings.Join(words(r, "report:repair"), ","); got != "灯,不亮" {
		t.Errorf("楼道灯不亮: %q in %s", got, r.Explain())
	}
	if r.Intent != "report:repair" || r.Band != Sure {
		t.Errorf("楼道灯不亮: %s", r.Explain())
	}
}

// A thing named in passing weighs under one and is not recognised alone;
// with what is wrong with it, it is.
func TestThingsInPassingAreNotRecognised(t *testing.T) {
	c := newTest(t)
	if r := c.Classify("以前的电梯比现在的好看"); r.Band != None || r.Intent != "report:repair" {
		t.Errorf("以前的电梯: %s", r.Explain())
	}
	if r := c.Classify("电梯又坏了"); r.Band != Sure || r.Intent != "report:repair" || r.Score != 2.4 {
		t.Errorf("电梯又坏了: %s", r.Explain())
	}
}

func TestNegatedWordsDoNotCount(t *testing.T) {
	c := newTest(t)
	for _, text := range []string{"我不是要报修", "不用报修了", "刚才发错了 不是报修"} {
		r := c.Classify(text)
		if r.Intent != "" || r.Band != None {
			t.Errorf("%s: %s", text, r.Explain())
		}
		if len(r.Hits) != 1 || !r.Hits[0].Negated || r.Hits[0].Word != "报修" {
			t.Errorf("%s: hits %+v", text, r.Hits)
		}
		if !strings.Contains(r.Explain(), "!报修:3→report:repair") {
			t.Errorf("%s: explained %q", text, r.Explain())
		}
	}
	// a bare 不 describes the problem, it does not negate it
	if r := c.Classify("报修 灯不亮"); r.Intent != "report:repair" || r.Score != 5.5 {
		t.Errorf("报修 灯不亮: %s", r.Explain())
	}
	// a negation reaches only its own clause
	if r := c.Classify("不是别的 我要报修"); r.Intent != "report:repair" || r.Band != Sure {
		t.Errorf("negation across clauses: %s", r.Explain())
	}
}

// A longer word found hides the words inside it: "维修基金:0" keeps
// "维修基金怎么查" from being a repair, "楼上漏水" is the dispute's.
func TestLongerWordsHideShorterOnes(t *testing.T) {
	c := newTest(t)
	if r := c.Classify("维修基金怎么查"); r.Intent != "" || r.Band != None {
		t.Errorf("维修基金: %s", r.Explain())
	}
	r := c.Classify("楼上漏水到我家 说了都不管")
	if r.Intent != "report:dispute" || len(words(r, "report:repair")) != 0 {
		t.Errorf("楼上漏水: %s", r.Explain())
	}
}

func TestBands(t *testing.T) {
	c := newTest(t)
	for _, tc := range []struct {
		text   string
		intent string
		band   Band
		second string
	}{
		{"水管漏水了", "report:repair", Sure, ""},
		{"想调解一下", "clinic:mediation", Sure, ""},
		{"tiao jie", "clinic:mediation", Sure, ""},
		// two intents close: ask
		{"律师说要调解 还是打官司 报修", "clinic:mediation", Unsure, "report:repair"}, // a tie: the first by name
		// one weak word: recognised, not acted on
		{"打官司", "clinic:consult", Unsure, ""},
		{"今天天气怎么样", "", None, ""},
	} {
		r := c.Classify(tc.text)
		if r.Intent != tc.intent || r.Band != tc.band || r.Second != tc.second {
			t.Errorf("%s: %s, want %s (%s) over %q", tc.text, r.Explain(), tc.intent, tc.band, tc.second)
		}
	}
}

// Greetings never win over a described problem, and small talk alone is
// small talk.
func TestSmallTalk(t *testing.T) {
	c := newTest(t)
	for text, want := range map[string]string{
		"你好":          Greeting,
		"👋":           Greeting,
		"你好，我家水管漏水了":  "report:repair",
		"谢谢👍":         Thanks,
		"谢谢律师":        Thanks,
		"你好 谢谢":       Thanks,
		"谢谢 楼上漏水了 不管": "report:dispute",
	} {
		if r := c.Classify(text); r.Intent != want || r.Band < Unsure {
			t.Errorf("%s: %s, want %s", text, r.Explain(), want)
		}
	}
}

func TestEmptyAndSymbolsOnly(t *testing.T) {
	c := newTest(t)
	for _, text := range []string{"", "   ", "。", "？？？", "😂😂😂", "[图片]", "1234abc"} {
		if r := c.Classify(text); r.Intent != "" || r.Band != None || len(r.Hits) != 0 {
			t.Errorf("%q: %s", text, r.Explain())
		}
	}
	empty := newTest(t, Vocabulary{Intent: "x"})
	if r := empty.Classify("水管漏水"); r.Intent != "" {
		t.Errorf("no words: %s", r.Explain())
	}
}

func TestWordSyntax(t *testing.T) {
	c := newTest(t, Vocabulary{Intent: "a", Words: []string{"漏水:2", "水管", "坏了：0.5", "修好了:-2", " Tiao Jie :1.5"}})
	for w, weight := range map[string]float64{"漏水": 2, "水管": 1, "坏了": 0.5, "修好了": -2, "tiaojie": 1.5} {
		es := c.words[w]
		if len(es) != 1 || es[0].weight != weight {
			t.Errorf("%s: %+v, want weight %g", w, es, weight)
		}
	}
	if r := c.Classify("水管修好了"); r.Intent != "" || r.Band != None {
		t.Errorf("a negative weight: %s", r.Explain())
	}
	// the same word twice for an intent keeps the larger weight (an
	// operator restating a default word); for two intents it counts for both
	c = newTest(t, Vocabulary{Intent: "a", Words: []string{"漏水"}}, Vocabulary{Intent: "a", Words: []string{"漏水:3"}},
		Vocabulary{Intent: "b", Words: []string{"漏水"}})
	if r := c.Classify("漏水"); r.Intent != "a" || r.Score != 3 || r.Second != "b" || r.SecondScore != 1 {
		t.Errorf("twice: %s", r.Explain())
	}
	if text, weight, err := ParseWord("Tiao Jie：2.5"); text != "tiaojie" || weight != 2.5 || err != nil {
		t.Errorf("ParseWord = %q, %g, %v", text, weight, err)
	}
	if _, _, err := ParseWord("漏水:"); err == nil {
		t.Error("ParseWord accepted a colon without a weight")
	}
	for _, bad := range []Vocabulary{
		{Intent: "", Words: []string{"x"}},
		{Intent: "a", Words: []string{" "}},
		{Intent: "a", Words: []string{":2"}},
		{Intent: "a", Words: []string{"漏水:很多"}},
	} {
		if _, err := New([]Vocabulary{bad}); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// Classifiers share one segmenter; classifying is safe from many
// goroutines (run with -race).
func TestConcurrentClassify(t *testing.T) {
	a, b := newTest(t), newTest(t, Vocabulary{Intent: "x", Words: []string{"电梯"}})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(c *Classifier, want string) {
			defer wg.Done()
			if r := c.Classify("电梯坏了"); r.Intent != want {
				t.Errorf("%s", r.Explain())
			}
		}(map[bool]*Classifier{true: a, false: b}[i%2 == 0], map[bool]string{true: "report:repair", false: "x"}[i%2 == 0])
	}
	wg.Wait()
}

func TestBandString(t *testing.T) {
	if Sure.String() != "sure" || Unsure.String() != "unsure" || None.String() != "none" {
		t.Error(Sure, Unsure, None)
	}
}

// A run of digits or letters is one word: a room, phone or area number
// holds no emergency number, a Latin word holds no shorter one. (A
// number followed by a unit, "120平米", is a whole run: that is why the
// emergency vocabulary has no numbers.)
func TestDigitAndLatinRunsMatchOnlyWhole(t *testing.T) {
	c := newTest(t, Vocabulary{Intent: "emergency", Words: []string{"120:3", "110:3"}},
		Vocabulary{Intent: Greeting, Words: []string{"hi:2", "你好:2"}})
	for _, text := range []string{"我住3号楼1201", "电话13812011099", "1102室", "which", "21100"} {
		if r := c.Classify(text); r.Intent != "" || len(r.Hits) != 0 {
			t.Errorf("%s: %s", text, r.Explain())
		}
	}
	for text, want := range map[string]string{"快打120": "emergency", "120!": "emergency", "hi 你好": Greeting, "110 快来": "emergency"} {
		if r := c.Classify(text); r.Intent != want || r.Band != Sure {
			t.Errorf("%s: %s, want sure %s", text, r.Explain(), want)
		}
	}
}

// 没/没有 right before a symptom turns it around, but not in a question
// (有没有) and not where the lack is the problem (a word of its own).
func TestMeiNegation(t *testing.T) {
	c := newTest(t, Vocabulary{Intent: "report:repair", Words: []string{
		"漏水:2", "坏:1", "暖气:0.9", "没有暖气:2", "没热水:1.5", "没有水:1.5", "修好:-1", "没修好:1.5"}},
		Vocabulary{Intent: "report:assistance", Words: []string{"救助:2"}})
	for _, text := range []string{"我家没有漏水", "我家没漏水", "电梯没坏"} {
		r := c.Classify(text)
		if r.Band != None {
			t.Errorf("%s: %s, want none", text, r.Explain())
		}
		if len(r.Hits) == 0 || !r.Hits[0].Negated {
			t.Errorf("%s: %s, want the word shown negated", text, r.Explain())
		}
	}
	for text, want := range map[string]string{
		"家里没有暖气":  "report:repair",
		"没热水":     "report:repair",
		"家里没有水了":  "report:repair",
		"有没有漏水":   "report:repair",
		"电梯还没修好":  "report:repair",
		"有没有救助的":  "report:assistance",
		"没有漏水？漏水": "report:repair",
	} {
		if r := c.Classify(text); r.Intent != want || r.Band == None {
			t.Errorf("%s: %s, want %s", text, r.Explain(), want)
		}
	}
}

// A thing named on its own ("电梯", "暖气？") is asked about; named in a
// longer message it is not recognised (TestThingsInPassingAreNotRecognised).
func TestLoneThingIsAsked(t *testing.T) {
	c := newTest(t)
	for _, text := range []string{"电梯", "电梯？", "电梯啊", "水管呢"} {
		if r := c.Classify(text); r.Intent != "report:repair" || r.Band != Unsure {
			t.Errorf("%s: %s, want unsure repair", text, r.Explain())
		}
	}
	if r := c.Classify("我家那个电梯啊"); r.Band != None {
		t.Errorf("我家那个电梯啊: %s, want none", r.Explain())
	}
}
