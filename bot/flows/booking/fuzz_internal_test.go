package booking

import (
	"fmt"
	"strings"
	"testing"
	"time"

	cl "github.com/tongxin/tongxin/bot/clinic"
)

// FuzzBookingText: the readers of what the flow wrote itself (a slot's
// reference in an answer, 改约's scene parameter) read back what was
// written and refuse the rest, and short cuts a description to what a
// summary line shows.
func FuzzBookingText(f *testing.F) {
	f.Add("12@1764550800", int64(12), int64(1764550800), 30)
	f.Add("event:3", int64(1), int64(0), 0)
	f.Add("7:2", int64(7), int64(-1), 1)
	f.Add("老板拖欠三个月工资\n还不接电话", int64(0), int64(253402300799), 5)
	f.Add("-1@-1", int64(-1), int64(-62135596800), -1)
	f.Fuzz(func(t *testing.T, s string, id, unix int64, n int) {
		want := cl.SlotRef{ScheduleID: id, Start: time.Unix(unix, 0).UTC()}
		if got, ok := parseRef(want.String()); !ok || got != want {
			t.Fatalf("parseRef(%q) = %+v, %v; want %+v", want.String(), got, ok, want)
		}
		if ref, ok := parseRef(s); ok {
			if again, ok := parseRef(ref.String()); !ok || again != ref {
				t.Fatalf("parseRef(%q) = %+v, which writes %q and reads back as %+v", s, ref, ref.String(), again)
			}
		}
		if gid, gn, ok := changeParam(fmt.Sprintf("%d:%d", id, n)); ok != (id > 0) || ok && (gid != id || gn != n) {
			t.Fatalf("changeParam(%d:%d) = %d, %d, %v", id, n, gid, gn, ok)
		}
		if gid, _, ok := changeParam(s); ok && gid <= 0 {
			t.Fatalf("changeParam(%q) = %d", s, gid)
		}
		if n < 0 || n > 1000 {
			return
		}
		cut := short(s, n)
		body := strings.TrimSuffix(cut, "…")
		flat := strings.ReplaceAll(s, "\n", " ")
		if strings.Contains(cut, "\n") || len([]rune(body)) > n || !strings.HasPrefix(string([]rune(flat)), body) {
			t.Fatalf("short(%q, %d) = %q", s, n, cut)
		}
	})
}
