package report

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

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

// FuzzTimeline: 查询's progress fits the bytes left in the reply however
// many notes a request gathered and however long: the newest are shown,
// oldest first, and the older ones left out are counted.
func FuzzTimeline(f *testing.F) {
	f.Add("楼下邻居说墙皮也掉了", uint8(3), uint16(900))
	f.Add("今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了，今天又漏了", uint8(40), uint16(1000))
	f.Add("", uint8(0), uint16(100))
	f.Fuzz(func(t *testing.T, note string, n uint8, budget uint16) {
		if budget < 100 {
			return // 查询 always has more than that left
		}
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai)
		events := make([]ticket.Entry, n)
		for i := range events {
			events[i] = ticket.Entry{At: at.Add(time.Duration(i) * time.Minute), Actor: "居民", Action: "补充", Note: note}
		}
		out := timeline(events, int(budget))
		if len(out) > int(budget) {
			t.Fatalf("timeline of %d notes of %d bytes: %d bytes, past %d", n, len(note), len(out), budget)
		}
		if strings.Contains(note, "\n") {
			return // lines no longer count entries
		}
		lines := strings.Split(strings.TrimPrefix(out, "\n"), "\n")
		if n == 0 {
			if out != "" {
				t.Fatalf("timeline of nothing: %q", out)
			}
			return
		}
		shown, left := len(lines), 0
		if _, err := fmt.Sscanf(lines[0], "（更早的 %d 条未显示）", &left); err == nil {
			shown--
		}
		if shown+left != int(n) {
			t.Fatalf("timeline of %d: %d shown, %d counted as left out: %q", n, shown, left, out)
		}
		if shown > 0 && !strings.HasPrefix(lines[len(lines)-1], at.Add(time.Duration(n-1)*time.Minute).Format("1-2 15:04")) {
			t.Fatalf("timeline of %d: the newest is not last: %q", n, out)
		}
	})
}
