package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// startWithInbox runs an outbox that keeps pushes in an inbox, set
// before its runner starts as serve does.
func startWithInbox(t *testing.T, store *storage.Store, wx notify.WeChat, cfg notify.Config, in *notify.Inbox) *notify.Outbox {
	t.Helper()
	if err := jobs.Migrate(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(store, jobs.Config{PollInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	box, err := notify.New(runner, store, wx, cfg, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	box.SetInbox(in)
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	return box
}

// TestInboxKeepsWhatDevelopmentLogs: with development credentials every
// openid's notices land in the inbox (a linked one as a template card
// with its fields cut to WeChat's rule), a role's do not, and the list
// keeps only the newest Cap.
func TestInboxKeepsWhatDevelopmentLogs(t *testing.T) {
	store := storagetest.Open(t)
	rdb, prefix, _ := redistest.New(t)
	in := &notify.Inbox{Redis: rdb, Prefix: prefix, Cap: 3}
	cfg := fastConfig()
	cfg.LogOnly = true
	box := startWithInbox(t, store, nil, cfg, in)
	r := &rig{store: store, box: box}
	ctx := context.Background()

	linked := r.notify(t, bot.Notice{Kind: "ticket_accepted", To: "o-real-resident", Key: "k1", Urgent: true,
		Text: "您的诉求已受理", URL: "/my/tickets/2612010001",
		Fields: map[string]string{"title": "报修", "number": "2612010001", "note": "一二三四五六七八九十一二三四五六七八九十多"}})
	plain := r.notify(t, bot.Notice{Kind: "human_request", To: "sim-staff-1", Key: "k2", Staff: true, Text: "居民请求人工服务",
		Fields: map[string]string{"title": "人工服务"}})
	duty := r.notify(t, bot.Notice{Kind: "human_request", To: bot.DutyStaff, Key: "k3", Staff: true, Text: "值班提醒"})
	for _, id := range []int64{linked, plain, duty} {
		if n := r.wait(t, id); n.Status != storage.NotificationSent || n.Channel != notify.ChannelLog {
			t.Fatalf("row %d: %+v, want sent to the log", id, n)
		}
	}
	got, err := in.Pushes(ctx, "o-real-resident")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].As != notify.PushTemplate || got[0].URL != "/my/tickets/2612010001" ||
		got[0].Fields["number"] != "2612010001" || len([]rune(got[0].Fields["note"])) != notify.MaxFieldRunes || got[0].At.IsZero() {
		t.Errorf("resident's inbox: %+v, want one template card with its link and fields", got)
	}
	got, err = in.Pushes(ctx, "sim-staff-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].As != notify.PushText || got[0].Text != "居民请求人工服务" {
		t.Errorf("staff inbox: %+v, want the text", got)
	}
	if got, _ := in.Pushes(ctx, bot.DutyStaff); len(got) != 0 {
		t.Errorf("a role got an inbox: %+v", got)
	}
	for i := range 5 {
		if err := in.Record(ctx, "sim-cap", notify.Push{As: notify.PushText, Text: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = in.Pushes(ctx, "sim-cap")
	if len(got) != 3 || got[0].Text != "c" || got[2].Text != "e" {
		t.Errorf("capped inbox: %+v, want the newest 3 oldest first", got)
	}
	if ttl := rdb.TTL(ctx, prefix+"inbox:sim-cap").Val(); ttl <= 23*time.Hour || ttl > 24*time.Hour {
		t.Errorf("inbox TTL %s, want a day", ttl)
	}
}

// TestInboxStandsInForWeChatForSimOpenIDs: with real credentials a
// simulator openid's notice goes to the inbox and never to WeChat, which
// would refuse it, while a real resident's goes to WeChat as before.
func TestInboxStandsInForWeChatForSimOpenIDs(t *testing.T) {
	store := storagetest.Open(t)
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	in := &notify.Inbox{Redis: rdb, Prefix: prefix}
	box := startWithInbox(t, store, wx, fastConfig(), in)
	r := &rig{store: store, box: box}
	sim := r.notify(t, text("sim-resident-1", "k1", "您的诉求已受理"))
	real := r.notify(t, text("o-real-resident", "k2", "您的诉求已办结"))
	if n := r.wait(t, sim); n.Status != storage.NotificationSent || n.Channel != notify.ChannelSim {
		t.Errorf("simulator's row: %+v, want sent to the simulator", n)
	}
	if n := r.wait(t, real); n.Status != storage.NotificationSent || n.Channel != notify.ChannelCustomer {
		t.Errorf("resident's row: %+v, want sent as customer-service text", n)
	}
	for _, c := range fake.CustomTexts() {
		if c.ToUser == "sim-resident-1" {
			t.Errorf("WeChat was sent the simulator's notice: %+v", c)
		}
	}
	got, err := in.Pushes(context.Background(), "sim-resident-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != "您的诉求已受理" {
		t.Errorf("simulator's inbox: %+v", got)
	}
	if got, _ := in.Pushes(context.Background(), "o-real-resident"); len(got) != 0 {
		t.Errorf("a real resident's notice was kept: %+v", got)
	}
}
