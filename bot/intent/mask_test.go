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
		// Two or three characters from a surname, standing alone, after a
		// verb that names a person, or before 在吗/说/的电话.
		{"李秀英 #", "* #"},
		{"李秀英", "*"},
		{"帮我找一下李建国", "帮我找一下*"},
		{"王芳在吗", "*在吗"},
		{"帮我看看王芳在吗", "帮我看看*在吗"},
		{"联系人：赵六", "联系人：*"},
		{"联系赵六", "联系*"},
		{"张伟说明天来修", "*说明天来修"},
		{"刘强的电话多少", "*的电话多少"},
		{"找高明", "找*"},
		{"王府井", "*"},
		// Everyday words that start with a surname survive.
		{"马桶", "马桶"}, {"马桶坏了", "马桶坏了"}, {"周末", "周末"}, {"周末有活动吗", "周末有活动吗"},
		{"高楼", "高楼"}, {"黄色", "黄色"}, {"电梯", "电梯"}, {"暖气", "暖气"}, {"物业", "物业"},
		{"楼道灯", "楼道灯"}, {"谢谢", "谢谢"}, {"谢谢！", "谢谢！"}, {"林子里有垃圾", "林子里有垃圾"},
		{"钟点工", "钟点工"}, {"方便吗", "方便吗"}, {"许多人", "许多人"}, {"问周末有活动吗", "问周末有活动吗"},
		{"给马桶换个盖", "给马桶换个盖"}, {"联系方式", "联系方式"}, {"联系方式是什么", "联系方式是什么"},
		{"是高层吗", "是高层吗"}, {"张贴", "张贴"}, {"找工作", "找工作"}, {"联系不上", "联系不上"}, {"张贴通知", "张贴通知"}, {"小区门口的路灯坏了", "小区门口的路灯坏了"},
		// Emails and Latin handles; short Latin words stay.
		{"lijg@qq.com", "*"},
		{"邮箱 lijg@qq.com 谢谢", "邮箱 * 谢谢"},
		{"lijianguo#", "*#"},
		{"微信号 wx_li88", "微信号 *"},
		{"wifi坏了", "wifi坏了"},
		{"ok", "ok"},
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
