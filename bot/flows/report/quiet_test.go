package report_test

import (
	"context"
	"encoding/json"
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

// TestRatingAfterQuietHours is a night at the desk: at 23:20 three
// residents' requests are accepted and resolved while quiet hours hold
// their news until 07:00.
//
//   - 王 rates at once (评价 1): at 07:00 nothing about her request goes
//     out, neither the stale 已受理 nor the answered 请评价.
//   - 李 types 3 before the question reached him: the menu's, not a
//     rating. At 07:00 only 已办结 goes (已受理 was superseded); his 3 at
//     07:10 rates, asks why, and the reason is on the timeline before
//     the reopening and in the staff's notices.
//   - 赵 types 3 at 09:30, past the window: the menu's; 评价 3 works.
//
// Staff are told when the residents will hear: 将于 07:00.
func TestRatingAfterQuietHours(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		clock := bottest.NewClock(time.Date(2026, 11, 26, 23, 20, 0, 0, bot.Shanghai))
		store.Now = clock.Now // the ledger's sent_at on the same clock
		d, box := communityWith(t, store, clock, notify.Config{Now: clock.Now, Quiet: notify.DefaultQuietHours, LogOnly: true})
		r := router(t, d, clock)
		say := bottest.Say(r, clock)
		file := func(openid string) string {
			t.Helper()
			var last string
			for _, text := range []string{"报修", "1", "楼道灯坏了", "跳过", "1号楼", "13800138000", "1"} {
				last = say(openid, text)
			}
			mine, err := d.Tickets.Mine(ctx, openid, 1)
			if err != nil || len(mine) != 1 || !strings.Contains(last, mine[0].Number) {
				t.Fatalf("filing as %s: %q, %v", openid, last, err)
			}
			return mine[0].Number
		}
		expect := func(got, want string) {
			t.Helper()
			if !strings.Contains(got, want) {
				t.Errorf("got %q, want %q in it", got, want)
			}
		}
		status := func(number string) ticket.Status {
			t.Helper()
			tk, _, err := d.Tickets.View(ctx, "o-grid", number)
			if err != nil {
				t.Fatal(err)
			}
			return tk.Status
		}
		night := map[string]string{}
		for _, who := range []string{"o-wang", "o-li", "o-zhao"} {
			number := file(who)
			night[who] = number
			expect(say("o-grid", "受理 "+number), "将于 07:00 通知居民")
			expect(say("o-grid", "办结 "+number+" 已更换灯泡"), "将于 07:00 请居民评价")
		}
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sentTo(t, store, "o-wang", "o-li", "o-zhao"); len(got) != 0 {
			t.Fatalf("quiet hours let out %q", got)
		}

		// 王 rates right away, explicitly.
		expect(say("o-wang", "评价 1"), "感谢您的评价")
		// 李's 3 before the question reached him is a menu choice.
		clock.Advance(5 * time.Minute)
		if got := say("o-li", "3"); strings.Contains(got, "满意") {
			t.Errorf("a bare 3 before the rating question arrived answered %q", got)
		}
		if s := status(night["o-li"]); s != ticket.Resolved {
			t.Fatalf("the bare 3 made the ticket %s", s)
		}

		clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai))
		if _, err := box.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sentTo(t, store, "o-wang"); len(got) != 0 {
			t.Errorf("王 rated at 23:20, yet at 07:00 got %q", got)
		}
		for _, who := range []string{"o-li", "o-zhao"} {
			got := sentTo(t, store, who)
			if len(got) != 1 || !strings.Contains(got[0], "已办结") || !strings.Contains(got[0], "请评价") {
				t.Errorf("%s at 07:00 got %q, want only the 已办结 asking for a rating", who, got)
			}
		}
		for _, row := range ledger(t, store, "o-wang", "o-li") {
			if row.Status != storage.NotificationDropped {
				continue
			}
			if !strings.HasPrefix(row.LastError, "superseded by notification") && !strings.HasPrefix(row.LastError, notify.Withdrawn) {
				t.Errorf("notification %d (%s) dropped as %q, want superseded or withdrawn", row.ID, row.Kind, row.LastError)
			}
		}

		// Within the window, 李's bare 3 rates, and asks why first.
		clock.Advance(10 * time.Minute)
		expect(say("o-li", "3"), "哪里不满意")
		expect(say("o-li", "灯泡还是一闪一闪"), "原因：灯泡还是一闪一闪")
		expect(say("o-li", "1"), "已重新交给工作人员处理")
		if s := status(night["o-li"]); s != ticket.Reopened {
			t.Errorf("李's 不满意 left the ticket %s", s)
		}
		_, events, err := d.Tickets.View(ctx, "o-li", night["o-li"])
		if err != nil {
			t.Fatal(err)
		}
		reason, reopened := -1, -1
		for i, e := range events {
			switch {
			case e.Action == "评价" && strings.Contains(e.Note, "灯泡还是一闪一闪"):
				reason = i
			case e.Action == "重新办理":
				reopened = i
			}
		}
		if reason < 0 || reopened < reason {
			t.Errorf("timeline %+v: want the reason (at %d) before the reopening (at %d)", events, reason, reopened)
		}
		var told int
		for _, row := range ledger(t, store, "o-grid", "o-boss") {
			if row.Kind == "ticket_reopened" {
				told++
				if !strings.Contains(text(t, row), "灯泡还是一闪一闪") {
					t.Errorf("the reopening notice to %s says %q, want the reason", row.Recipient, text(t, row))
				}
			}
		}
		if told != 2 {
			t.Errorf("%d reopening notices, want the handler's and the supervisor's", told)
		}

		// Past the window, 赵's bare 3 is the menu's; 评价 3 still rates.
		clock.Set(time.Date(2026, 11, 27, 9, 30, 0, 0, bot.Shanghai))
		if got := say("o-zhao", "3"); strings.Contains(got, "满意") {
			t.Errorf("a bare 3 2½ hours after the question answered %q", got)
		}
		if s := status(night["o-zhao"]); s != ticket.Resolved {
			t.Fatalf("the late bare 3 made the ticket %s", s)
		}
		expect(say("o-zhao", "评价 3"), "哪里不满意")
		expect(say("o-zhao", "跳过"), "不满意")
		expect(say("o-zhao", "1"), "已重新交给工作人员处理")
		if s := status(night["o-zhao"]); s != ticket.Reopened {
			t.Errorf("评价 3 left the ticket %s", s)
		}
	})
}

// ledger lists the notifications to any of openids, oldest first.
func ledger(t *testing.T, store *storage.Store, openids ...string) []storage.Notification {
	t.Helper()
	all, err := store.ListNotifications(context.Background(), "", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.Notification
	for i := len(all) - 1; i >= 0; i-- {
		for _, o := range openids {
			if all[i].Recipient == o {
				out = append(out, all[i])
			}
		}
	}
	return out
}

// sentTo returns the texts sent to any of openids.
func sentTo(t *testing.T, store *storage.Store, openids ...string) []string {
	t.Helper()
	var out []string
	for _, row := range ledger(t, store, openids...) {
		if row.Status == storage.NotificationSent {
			out = append(out, text(t, row))
		}
	}
	return out
}

func text(t *testing.T, row storage.Notification) string {
	t.Helper()
	var p struct{ Text string }
	if err := json.Unmarshal([]byte(row.Payload), &p); err != nil {
		t.Fatal(err)
	}
	return p.Text
}
