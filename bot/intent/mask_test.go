package intent_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot/intent"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Digit runs, however written.
		{"我的电话13800138000", "我的电话#"},
		{"电话 138-0013-8000 找我", "电话 # 找我"},
		{"３号楼５０２室漏水", "#号楼#室漏水"},
		{"3号楼2单元501", "#号楼#单元#"},
		{"身份证62020219500101123X", "身份证#X"},
		{"一三八零零一三八零零零", "#"},
		{"三楼灯坏了", "三楼灯坏了"},
		{"十一月的活动", "十一月的活动"},
		// Names after a cue, whatever they look like.
		{"我叫王芳，想问问低保", "我叫*，想问问低保"},
		{"我叫阿依古丽", "我叫*"},
		{"姓名：马建国 电话13800138000", "姓名：* 电话#"},
		{"我的名字是李明", "我的名字是*"},
		{"我叫了物业没人来", "我叫了物业没人来"},
		// A surname after 我是 or 姓.
		{"我是王芳的家属", "我是*的家属"},
		{"我是想问下水道", "我是想问下水道"},
		{"我是3号楼的", "我是#号楼的"},
		{"我姓张", "我姓*"},
		// Forms of address.
		{"王先生说的", "*先生说的"},
		{"找一下张阿姨", "找一下*阿姨"},
		{"楼下李建国大爷摔倒了", "楼下*大爷摔倒了"},
		{"老李家的狗", "*家的狗"},
		{"老王", "*"},
		{"老毛病又犯了", "老毛病又犯了"},
		{"小区门口", "小区门口"},
		// White space collapses.
		{"  在吗 \n 有人吗  ", "在吗 有人吗"},
		{"", ""},
	} {
		if got := intent.Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskCapsLength(t *testing.T) {
	got := intent.Mask(strings.Repeat("楼道灯不亮", 30))
	if n := utf8.RuneCountInString(got); n != intent.MaxMasked || !strings.HasSuffix(got, "…") {
		t.Errorf("Mask of a long text: %d characters %q, want %d ending in …", n, got, intent.MaxMasked)
	}
}
