package staffdesk

import (
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
)

// FuzzParse: a staff command splits into a reference of ASCII digits
// (full-width ones read as such) or none, and the rest, trimmed; and a
// reference found is found again when the command is typed with other
// separators.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"办结 2 已更换灯泡", "办结 2611260001 已换灯", "办结 3楼灯已换好", "办结：１２ 好了", "受理 1", "退回 2,不归我管", "办结 已修好",
		"办结", "办结2号楼", "転办 3 李四", "受理　２", "受理 99999999999999999999"} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	verbs := []string{"受理", "办结", "退回", "转派", "回复"}
	f.Fuzz(func(t *testing.T, v uint8, text string) {
		verb := verbs[int(v)%len(verbs)]
		ref, rest := parse(verb, &bot.Message{Text: text})
		for _, c := range []byte(ref) {
			if c < '0' || c > '9' {
				t.Fatalf("parse(%q, %q) = reference %q", verb, text, ref)
			}
		}
		if rest != strings.TrimSpace(rest) {
			t.Fatalf("parse(%q, %q) = rest %q, untrimmed", verb, text, rest)
		}
		if ref == "" || !strings.HasPrefix(text, verb) {
			return
		}
		body := strings.TrimPrefix(text, verb)
		for _, other := range []string{verb + " " + strings.TrimLeft(body, separators), verb + "：" + strings.TrimLeft(body, separators)} {
			if again, _ := parse(verb, &bot.Message{Text: other}); again != ref {
				t.Fatalf("parse(%q) = %q but parse(%q) = %q", text, ref, other, again)
			}
		}
	})
}
