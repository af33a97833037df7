package signup

import (
	"slices"
	"testing"

	"github.com/tongxin/tongxin/bot/activity"
)

// FuzzNamed: what a message names is among the open activities, shares
// at least minNamed characters with each title named, and a message that
// is an activity's title (however typed) names that activity.
func FuzzNamed(f *testing.F) {
	for _, s := range [][2]string{{"百家宴怎么报名", "情浓百家宴"}, {"讲座", "冬季健康讲座"}, {"最近有什么活动", "邻里荟"}, {"百 家 宴", "社区百家宴"},
		{"宴", "百家宴"}, {"報名百家宴", "情浓百家宴"}, {"", ""}, {"活动活动", "活动"}, {"||", "||"}} {
		f.Add(s[0], s[1])
	}
	base := []activity.Activity{{ID: 1, Title: "邻里荟"}, {ID: 2, Title: "情浓百家宴"}, {ID: 3, Title: "冬季健康讲座"}}
	f.Fuzz(func(t *testing.T, said, title string) {
		acts := append(slices.Clone(base), activity.Activity{ID: 4, Title: title})
		for _, a := range named(said, acts) {
			if !slices.ContainsFunc(acts, func(b activity.Activity) bool { return b.ID == a.ID && b.Title == a.Title }) {
				t.Fatalf("named(%q) = %+v, not an open activity", said, a)
			}
			if n := commonRun([]rune(strip(said)), []rune(strip(a.Title))); n < minNamed {
				t.Fatalf("named(%q) has %q, sharing %d characters", said, a.Title, n)
			}
		}
		own := []rune(strip(title))
		if commonRun(own, own) >= minNamed && !slices.ContainsFunc(named(title, acts), func(a activity.Activity) bool { return a.ID == 4 }) {
			t.Fatalf("named(%q) misses the activity of that title: %+v", title, named(title, acts))
		}
	})
}
