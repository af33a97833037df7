package report

import (
	"strconv"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// FuzzReportWords: the small readers of the request commands keep their
// promises on any text. A rating read is one of the three ratings; a unit
// named ("2单元楼道", "三单元门口") is positive and, written back in
// digits, reads as itself.
func FuzzReportWords(f *testing.F) {
	for _, s := range []string{"满意", "非常满意", "基本满意", "不满意", "1", "2", "3", "4", "0", "评价 1", "2单元楼道", "三单元门口",
		"十二单元", "0单元", "两单元", "99999999999999999999单元", "3号楼2单元201", "单元", "一二三单元"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := bot.Normalize(s)
		if r, ok := ratingOf(norm); ok && r != ticket.RatingSatisfied && r != ticket.RatingBasically && r != ticket.RatingDissatisfied {
			t.Fatalf("ratingOf(%q) = %d", norm, r)
		}
		if u, ok := unitIn(norm); ok {
			if u <= 0 {
				t.Fatalf("unitIn(%q) = %d", norm, u)
			}
			if back, ok := unitIn(strconv.Itoa(u) + "单元"); !ok || back != u {
				t.Fatalf("unitIn(%q) = %d, which reads back as %d, %v", norm, u, back, ok)
			}
		}
	})
}
