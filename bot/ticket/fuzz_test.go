package ticket_test

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/ticket"
)

// FuzzWellFormedNumber: every number FormatNumber writes for a day and a
// count up to MaxDailyCount is well formed, and what WellFormedNumber
// takes is 1 to MaxNumberLen ASCII digits.
func FuzzWellFormedNumber(f *testing.F) {
	for _, s := range []string{"2611260001", "26112610000", "261126", "1", "", "13800138000", "2611260001a", "２６１１２６０００１", "26133210000", "00000000000"} {
		f.Add(s, int64(1764115200), 1)
	}
	f.Add("26112699999", int64(0), ticket.MaxDailyCount)
	f.Fuzz(func(t *testing.T, s string, unix int64, seq int) {
		if ticket.WellFormedNumber(s) {
			if len(s) == 0 || len(s) > ticket.MaxNumberLen {
				t.Fatalf("WellFormedNumber(%q): %d characters", s, len(s))
			}
			for _, c := range []byte(s) {
				if c < '0' || c > '9' {
					t.Fatalf("WellFormedNumber(%q) with %q in it", s, c)
				}
			}
		}
		if seq < 1 || seq > ticket.MaxDailyCount {
			return
		}
		day := time.Unix(unix%(100*365*24*3600), 0).UTC().Format("060102")
		if n := ticket.FormatNumber(day, seq); !ticket.WellFormedNumber(n) {
			t.Fatalf("FormatNumber(%q, %d) = %q, not well formed", day, seq, n)
		}
	})
}
