package staffdesk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
)

// TestStaffMorning is a grid worker's morning on the phone, end to end
// through the staff desk and the tickets service: the 08:00 digest of
// what is due and overdue, 待办 with the resident's number to call,
// "受理 1", "办结 1" with a note, and the resident's explicit 评价 1.
// Run it with -v to read the morning as the worker and the resident saw
// it.
func TestStaffMorning(t *testing.T) {
	store := storagetest.Open(t)
	ctx := context.Background()
	// Wednesday 25 November: one request at 10:00 (to be answered by
	// 15:30, and it was not), one at 22:40.
	clock := bottest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, bot.Shanghai))
	store.Now = clock.Now
	d := community(t, store, clock)
	r := router(t, d, clock)
	b, err := d.Community.FindBuilding(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	file := func(openid, name, phone, desc string) string {
		t.Helper()
		rc, err := d.Tickets.Submit(ctx, ticket.Draft{
			OpenID: openid, Name: name, Phone: phone, Category: "repair", Description: desc,
			BuildingID: b.ID, Unit: 1, Place: b.Name + "1单元101室", Source: "wechat",
		})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ticket.Number
	}
	lamp := file("o-wang", "王秀兰", "13800138000", "楼道灯坏了，晚上看不见")
	clock.Set(time.Date(2026, 11, 25, 22, 40, 0, 0, bot.Shanghai))
	drain := file("o-li", "李大爷", "13900139000", "下水道堵了，有异味")

	var log strings.Builder
	send := bottest.Say(r, clock)
	say := func(openid, text string) string {
		got := send(openid, text)
		fmt.Fprintf(&log, "\n[%s %s] > %s\n%s\n", clock.Now().Format("15:04"), openid, text, got)
		return got
	}
	pushed := func(kind, to string) string {
		t.Helper()
		rows, err := store.ListNotifications(ctx, "", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range rows {
			if n.Kind == kind && n.Recipient == to {
				var p struct {
					Text string `json:"text"`
				}
				if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&log, "\n[%s push to %s, not before %s]\n%s\n", clock.Now().Format("15:04"), to, n.NotBefore.In(bot.Shanghai).Format("15:04"), p.Text)
				return p.Text
			}
		}
		t.Fatalf("no %s to %s", kind, to)
		return ""
	}
	defer func() { t.Log(log.String()) }()

	// Thursday 08:05: the digest.
	clock.Set(time.Date(2026, 11, 26, 8, 5, 0, 0, bot.Shanghai))
	if _, err := d.Tickets.(*tickets.Service).Digest(ctx); err != nil {
		t.Fatal(err)
	}
	digest := pushed(tickets.NoticeDigest, "o-grid")
	for _, want := range []string{"已超时 1 件", lamp, "今天到期 1 件", drain, "受理 1"} {
		if !strings.Contains(digest, want) {
			t.Errorf("the digest lacks %q", want)
		}
	}

	// 08:10: 待办 gives the numbers to call; 受理 1 takes the overdue one.
	clock.Set(time.Date(2026, 11, 26, 8, 10, 0, 0, bot.Shanghai))
	todo := say("o-grid", "待办")
	if !strings.Contains(todo, "1. "+lamp) || !strings.Contains(todo, "⚠已超时") || !strings.Contains(todo, "王秀兰 13800138000") {
		t.Errorf("待办 should list %s first, overdue, with the number to call:\n%s", lamp, todo)
	}
	if got := say("o-grid", "受理 1"); !strings.Contains(got, "已受理 "+lamp) || !strings.Contains(got, "13800138000") {
		t.Errorf("受理 1: %q", got)
	}
	// (The worker taps 13800138000, calls 王秀兰 and goes round.)
	clock.Set(time.Date(2026, 11, 26, 9, 40, 0, 0, bot.Shanghai))
	if got := say("o-grid", "办结 1 已更换楼道灯，晚上试过能亮"); !strings.Contains(got, "已办结 "+lamp) {
		t.Errorf("办结 1: %q", got)
	}
	if got := pushed(tickets.NoticeResolved, "o-wang"); !strings.Contains(got, "已更换楼道灯") || !strings.Contains(got, "请评价") {
		t.Errorf("the resident's notice: %q", got)
	}

	// The resident rates explicitly.
	clock.Set(time.Date(2026, 11, 26, 10, 15, 0, 0, bot.Shanghai))
	if got := say("o-wang", "评价 1"); !strings.Contains(got, "感谢您的评价") {
		t.Errorf("评价 1: %q", got)
	}
	tk, _, err := d.Tickets.View(ctx, "o-wang", lamp)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != ticket.Closed || tk.Rating != ticket.RatingSatisfied {
		t.Errorf("after 评价 1 the ticket is %s rated %d, want closed and satisfied", tk.Status.Label(), tk.Rating)
	}
}
