package intent

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var fuzzSeeds = []string{"", "楼道灯不亮好几天了", "我不是要报修", "你好，我是3号楼1201的住户", "电话13812011099", "🙏🙏",
	"我叫王秀英，电话138 0013 8000", "lijg@qq.com", "维修基金怎么查", "没有暖气", "电梯", "tiao jie", "１２３", "\xff"}

// fuzzClassifier is a small classifier over words of every shape the
// syntax allows: weights, zero and negative weights, one character, digits.
func fuzzClassifier(t testing.TB) *Classifier {
	c, err := New([]Vocabulary{
		{Intent: "report:repair", Words: []string{"漏水:2", "电梯:0.9", "坏了:1.5", "灯", "修好了:-2", "维修基金:0"}},
		{Intent: "greeting", Words: []string{"你好:2", "在吗"}},
		{Intent: "thanks", Words: []string{"谢谢:2", "🙏:2"}},
		{Intent: "contact", Words: []string{"电话:1.5", "110"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzClassify: whatever a resident types, Classify does not panic, its
// band agrees with its scores, and every word it says counted belongs to
// a registered intent and was in the text.
func FuzzClassify(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c := fuzzClassifier(f)
	f.Fuzz(func(t *testing.T, s string) {
		res := c.Classify(s)
		if res.Band != None && res.Intent == "" {
			t.Fatalf("%q: band %s without an intent", s, res.Band)
		}
		if res.Band == Sure && (res.Score < SureScore || res.SecondScore > res.Score*SureRatio) {
			t.Fatalf("%q: sure with %s", s, res.Explain())
		}
		if res.Second != "" && res.SecondScore > res.Score {
			t.Fatalf("%q: runner-up ahead: %s", s, res.Explain())
		}
		for _, h := range res.Hits {
			switch h.Intent {
			case "report:repair", "greeting", "thanks", "contact":
			default:
				t.Fatalf("%q: hit of unknown intent %q", s, h.Intent)
			}
		}
	})
}

// FuzzMask: a masked text keeps no digit of any script, no '@' address,
// is valid text when the input was, and is never longer than MaxMasked
// characters (plus the mark of a cut).
func FuzzMask(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		if utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("Mask(%q) = %q: not valid UTF-8", s, m)
		}
		if strings.IndexFunc(m, unicode.IsDigit) >= 0 {
			t.Fatalf("Mask(%q) = %q keeps a digit", s, m)
		}
		if n := utf8.RuneCountInString(m); n > MaxMasked+1 {
			t.Fatalf("Mask(%q) is %d characters long", s, n)
		}
	})
}
