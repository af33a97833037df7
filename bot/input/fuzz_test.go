package input

import (
	"testing"

	"github.com/tongxin/tongxin/bot"
)

var fuzzSeeds = []string{"", "3号楼2单元201", "三号楼二单元201室", "3栋", "3#", "第十二号楼", "12-2-301", "小区东门",
	"13800138000", "+86 138-0013-8000", "138 0013 8000", "王芳", "阿卜杜·热合曼", "查询 2611260001", "催办 2611260001 还没人来", "１２３"}

// FuzzParseAddress: an address read from any text renders in the
// community's form and reads back as itself, and a building found among
// other words is a positive number.
func FuzzParseAddress(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := bot.Normalize(s)
		if a, ok := ParseAddress(norm); ok {
			if a.Building <= 0 || a.Unit < 0 || a.Room < 0 {
				t.Fatalf("ParseAddress(%q) = %+v", norm, a)
			}
			if back, ok := ParseAddress(bot.Normalize(a.String())); !ok || back != a {
				t.Fatalf("ParseAddress(%q) = %+v renders %q, which reads back as %+v, %v", norm, a, a.String(), back, ok)
			}
		}
		if n, ok := BuildingIn(norm); ok && n <= 0 {
			t.Fatalf("BuildingIn(%q) = %d", norm, n)
		}
	})
}

// FuzzParsePhone: a number ParsePhone accepts is stored as IsMobile
// wants it; ParseName and NumberArgs never panic and keep their promises.
func FuzzParsePhone(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := ParsePhone(bot.Normalize(s)); ok && !IsMobile(p) {
			t.Fatalf("ParsePhone(%q) = %q, not a mobile number", s, p)
		}
		if name, err := ParseName(s); err == nil {
			if n := len([]rune(name)); n < 2 || n > 20 {
				t.Fatalf("ParseName(%q) = %q: %d characters", s, name, n)
			}
		}
		if num, _, ok := NumberArgs(s); ok && (len(num) < 6 || len(num) > 11) {
			t.Fatalf("NumberArgs(%q) = %q", s, num)
		}
	})
}
