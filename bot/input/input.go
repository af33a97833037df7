// Package input reads what residents and staff type, the many ways they
// type it, and builds the flow steps that ask for it: addresses
// ("3号楼2单元201", "三号楼", "3#"), mobile numbers, names, "command number
// rest" arguments ("办结 2611260001 已换灯"), and steps for a phone with
// the remembered value, a name, a choice list or a bounded text.
//
// It knows nothing of which buildings, tickets or residents exist:
// matching against records is the caller's business. It imports only bot.
package input

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/tongxin/tongxin/bot"
)

var mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)

// IsMobile reports whether p is an 11-digit mainland mobile number as
// stored (no spaces, no prefix).
func IsMobile(p string) bool { return mobile.MatchString(p) }

// ParsePhone reads a mainland mobile number from normalised text
// (bot.Normalize), tolerating spaces, dashes and a +86 prefix.
func ParsePhone(norm string) (string, bool) {
	p := strings.NewReplacer(" ", "", "-", "").Replace(norm)
	if len(p) == 13 || len(p) == 14 {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "+"), "86")
	}
	return p, IsMobile(p)
}

// MsgBadPhone is the hint for a number ParsePhone refuses.
const MsgBadPhone = "手机号应为 11 位数字，以 1 开头，例如 13800138000。"

// ParseName reads a person's name: 2 to 20 letters (any script), with the
// middle dots and spaces of minority and foreign names. A bad name is a
// *bot.InvalidError saying what is expected.
func ParseName(text string) (string, error) {
	name := strings.TrimSpace(text)
	n := len([]rune(name))
	if n < 2 || n > 20 {
		return "", bot.Invalid("姓名请填写 2 到 20 个字。")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && r != '·' && r != ' ' && r != '•' {
			return "", bot.Invalid("姓名只能包含文字，请重新输入。")
		}
	}
	return name, nil
}

// numberRest finds a record number in a command: the first run of
// digits, whatever stands before it ("查询 2611260001", "查询 编号:2611260001"),
// if it is 6 to 11 long (ticket numbers grow a digit on a day past 9,999).
var numberRest = regexp.MustCompile(`^\D*?(\d{6,11})(\D.*)?$`)

// NumberArgs splits a command's text ("催办 2611260001 还没人来") into the
// record number and the rest, keeping the person's own wording of the
// rest. ok is false when the text carries no number.
func NumberArgs(text string) (number, rest string, ok bool) {
	m := numberRest.FindStringSubmatch(bot.Normalize(text))
	if m == nil {
		return "", "", false
	}
	raw := strings.TrimSpace(text)
	if i := strings.Index(raw, m[1]); i >= 0 {
		return m[1], strings.TrimSpace(raw[i+len(m[1]):]), true
	}
	return m[1], strings.TrimSpace(m[2]), true
}
