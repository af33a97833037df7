package tickets

import "testing"

// TestSimilarIssue holds the rule to the complaints that were wrongly
// merged in building 5 (a corridor light, a trapped elevator, a burst
// heating pipe, a fire hazard) and to the ways residents phrase one
// problem.
func TestSimilarIssue(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		// The false merges of the issue.
		{"楼道灯不亮", "电梯困人", false},
		{"楼道灯不亮", "暖气管爆了", false},
		{"楼道灯不亮", "楼道有杂物堆放", false},
		{"电梯困人", "暖气管爆了", false},
		{"暖气管爆了", "楼道有杂物堆放", false},
		{"楼道有杂物堆放，堵了消防通道", "电梯困人了，快来人", false},
		// One problem, told differently.
		{"3单元楼道灯不亮", "三单元楼道灯坏了", true},
		{"灯不亮", "3楼到5楼的楼道灯都不亮了", true},
		{"楼道灯坏了，晚上看不见", "楼道灯坏了，晚上看不见", true},
		{"楼道灯还是不亮", "三楼灯也坏了", true},
		{"电梯困人", "电梯里困了人", true},
		{"暖气不热", "家里暖气一点都不热", true},
		{"楼道堆了很多杂物", "楼道杂物堆放", true},
		// Realistic pairs from one building.
		{"5单元电梯不动了", "5单元电梯坏了,困人了", true},
		{"门口垃圾没人清", "垃圾桶满了", true},
		// Another unit's elevator or light is another problem.
		{"3单元电梯坏了", "5单元电梯坏了", false},
		{"1单元楼道灯不亮", "二单元楼道灯坏了", false},
		{"3单元电梯坏了", "电梯坏了", true},
		// No water and a leak, a power cut and a live wire, differ.
		{"家里停水了", "楼上漏水了", false},
		{"家里停水了", "家里漏水了", false},
		{"楼道停电了", "楼道漏电了", false},
		{"水管爆了，停水了", "停水了", true},
		// Without a known subject, only close wording counts.
		{"墙上有个大洞", "墙上有个大洞没人管", true},
		{"楼顶的铁皮被风刮起来了", "小孩在楼下踢球", false},
		// A photo without words is like nothing.
		{"", "楼道灯不亮", false},
		{"", "", false},
	} {
		if got := similarIssue(tc.a, tc.b); got != tc.want {
			t.Errorf("similarIssue(%q, %q) = %v, want %v (normalised %q, %q; overlap %.2f)",
				tc.a, tc.b, got, tc.want, normalizeIssue(tc.a), normalizeIssue(tc.b), overlap(normalizeIssue(tc.a), normalizeIssue(tc.b)))
		}
		if got := similarIssue(tc.b, tc.a); got != tc.want {
			t.Errorf("similarIssue(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
