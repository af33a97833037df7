package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestBareDigitRatesTheRequestItWasAskedOf: the rating question of 李's
// first request reached him at 21:30; his second was resolved at 22:30
// and its question waits for 07:00. His "1" at 22:40 answers the question
// he has (the first request), instead of falling through to the menu
// because the latest resolved request is the second.
func TestBareDigitRatesTheRequestItWasAskedOf(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		clock := bottest.NewClock(time.Date(2026, 11, 26, 21, 0, 0, 0, bot.Shanghai))
		store.Now = clock.Now
		d, box := communityWith(t, store, clock, notify.Config{Now: clock.Now, Quiet: notify.DefaultQuietHours, LogOnly: true})
		r := router(t, d, clock)
		say := bottest.Say(r, clock)
		var numbers []string
		for _, desc := range []string{"楼道灯坏了", "垃圾桶满了没人清"} {
			for _, text := range []string{"报修", "1", desc, "跳过", "1号楼", "13800138000", "1"} {
				say("o-li", text)
			}
			mine, err := d.Tickets.Mine(ctx, "o-li", 1)
			if err != nil || len(mine) != 1 {
				t.Fatalf("filing %s: %v", desc, err)
			}
			numbers = append(numbers, mine[0].Number)
		}
		first, second := numbers[0], numbers[1]
		clock.Set(time.Date(2026, 11, 26, 21, 30, 0, 0, bot.Shanghai))
		say("o-grid", "受理 "+first)
		say("o-grid", "办结 "+first+" 已更换灯泡")
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Set(time.Date(2026, 11, 26, 22, 30, 0, 0, bot.Shanghai))
		say("o-grid", "受理 "+second)
		say("o-grid", "办结 "+second+" 已清理")
		clock.Set(time.Date(2026, 11, 26, 22, 40, 0, 0, bot.Shanghai))
		if got := say("o-li", "1"); !strings.Contains(got, "感谢您的评价") || !strings.Contains(got, first) {
			t.Errorf("1 after the question of %s reached him: %q", first, got)
		}
		for number, want := range map[string]ticket.Status{first: ticket.Closed, second: ticket.Resolved} {
			tk, _, err := d.Tickets.View(ctx, "o-li", number)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Status != want {
				t.Errorf("%s is %s, want %s", number, tk.Status, want)
			}
		}
	})
}
