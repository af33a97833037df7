package signup

import (
	"slices"
	"testing"

	"github.com/tongxin/tongxin/bot/activity"
)

// TestNamed: a message names the open activities sharing the longest run
// of characters with it, two at least, generic words (活动, 社区, 报名)
// aside.
func TestNamed(t *testing.T) {
	acts := []activity.Activity{
		{ID: 1, Title: "社区百家宴"}, {ID: 2, Title: "冬季健康讲座"}, {ID: 3, Title: "防诈骗讲座"},
		{ID: 4, Title: "邻里荟"}, {ID: 5, Title: "社区活动日"},
	}
	for _, tc := range []struct {
		said string
		want []int64
	}{
		{"百家宴怎么报名", []int64{1}},
		{"百 家 宴 在哪报名？", []int64{1}},
		{"健康讲座还能报吗", []int64{2}},
		{"讲座怎么报名", []int64{2, 3}},
		{"最近有什么活动吗", nil},
		{"社区有活动吗", nil},
		{"想报名参加", nil},
		{"宴会", nil}, // one character is anybody's
	} {
		var got []int64
		for _, a := range named(tc.said, acts) {
			got = append(got, a.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("named(%q) = %v, want %v", tc.said, got, tc.want)
		}
	}
}
