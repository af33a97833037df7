package input

import "testing"

func TestParsePhone(t *testing.T) {
	for in, want := range map[string]string{"13800138000": "13800138000", "138 0013 8000": "13800138000", "+8613800138000": "13800138000", "8613800138000": "13800138000"} {
		if got, ok := ParsePhone(in); !ok || got != want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "12345678901", "1380013800", "138001380001", "23800138000", "电话"} {
		if got, ok := ParsePhone(in); ok {
			t.Errorf("ParsePhone(%q) = %q, want invalid", in, got)
		}
	}
}

func TestNumberArgs(t *testing.T) {
	for _, tc := range []struct{ in, number, rest string }{
		{"催办 2611260001 还没人来", "2611260001", "还没人来"},
		{"查询2611260001", "2611260001", ""},
		{"查询 编号:2611260001", "2611260001", ""},
		{"办结 2611260001 已更换 LED 灯泡", "2611260001", "已更换 LED 灯泡"},
		{"查询 26112610000", "26112610000", ""},
		{"补充 26112610000 五楼也不亮", "26112610000", "五楼也不亮"},
		{"补充26112610000五楼也不亮", "26112610000", "五楼也不亮"},
		{"查询 ２６１１２６０００１ 全角", "2611260001", "全角"},
	} {
		n, rest, ok := NumberArgs(tc.in)
		if !ok || n != tc.number || rest != tc.rest {
			t.Errorf("NumberArgs(%q) = %q, %q, %v; want %q, %q", tc.in, n, rest, ok, tc.number, tc.rest)
		}
	}
	for _, in := range []string{"查询", "查询 12345", "催办 abc", "查询 261126100001"} {
		if n, _, ok := NumberArgs(in); ok {
			t.Errorf("NumberArgs(%q) = %q, want none", in, n)
		}
	}
}

func TestParseName(t *testing.T) {
	for _, ok := range []string{"王芳", "阿依古丽·买买提", "Anna Li"} {
		if _, err := ParseName(ok); err != nil {
			t.Errorf("ParseName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"王", "王芳1", "", "一二三四五六七八九十一二三四五六七八九十一"} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
}
