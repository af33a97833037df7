package notify_test

import (
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestRelativeLinksUnderPublicURL: a notice's relative URL goes out under
// the public URL, in the resident's customer-service text and as the
// template message's link; staff texts carry none.
func TestRelativeLinksUnderPublicURL(t *testing.T) {
	store := storagetest.Open(t)
	cfg := fastConfig()
	cfg.PublicURL = "https://tongxin.example.org/"
	cfg.Templates = map[string]notify.Template{"ticket_resolved": {ID: "TPL-RES", URL: "https://example.invalid/default"}}
	r := newRig(t, store, cfg)

	r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_resolved", To: "o-res", Key: "k1", Urgent: true,
		Text: "您的诉求已办结。", URL: "/my/tickets/2612010001"}))
	r.fake.FailNext(wechattest.PathCustomSend, wechat.CodeOutOfWindow, 1)
	r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_resolved", To: "o-res2", Key: "k2", Urgent: true,
		Text: "您的诉求已办结。", URL: "/my/tickets/2612010002"}))
	r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_new", To: "o-staff", Key: "k3", Staff: true,
		Text: "新诉求 2612010003", URL: "/my/tickets/2612010003"}))
	r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_resolved", To: "o-res3", Key: "k4", Urgent: true,
		Text: "外部链接", URL: "https://other.example.org/x?a=1&b=2"}))

	got := map[string]string{}
	for _, c := range r.fake.CustomTexts() {
		got[c.ToUser] = c.Content
	}
	want := map[string]string{
		"o-res":   "您的诉求已办结。\n<a href=\"https://tongxin.example.org/my/tickets/2612010001\">点击查看详情</a>",
		"o-staff": "新诉求 2612010003",
		"o-res3":  "外部链接\n<a href=\"https://other.example.org/x?a=1&amp;b=2\">点击查看详情</a>",
	}
	for to, w := range want {
		if got[to] != w {
			t.Errorf("text to %s: %q, want %q", to, got[to], w)
		}
	}
	sends := r.fake.TemplateSends()
	if len(sends) != 1 || sends[0].URL != "https://tongxin.example.org/my/tickets/2612010002" {
		t.Errorf("template sends: %+v", sends)
	}
}

// TestRelativeLinksWithoutPublicURL: with no public URL a relative link
// cannot be opened: texts go without one, and templates keep their
// configured link.
func TestRelativeLinksWithoutPublicURL(t *testing.T) {
	store := storagetest.Open(t)
	cfg := fastConfig()
	cfg.Templates = map[string]notify.Template{"ticket_resolved": {ID: "TPL-RES", URL: "https://example.invalid/default"}}
	r := newRig(t, store, cfg)
	n := r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_resolved", To: "o-a", Key: "k1", Urgent: true, Text: "已办结。", URL: "/my/tickets/1"}))
	if n.Status != storage.NotificationSent {
		t.Fatalf("row: %+v", n)
	}
	if c := r.fake.CustomTexts(); len(c) != 1 || c[0].Content != "已办结。" {
		t.Errorf("texts: %+v", c)
	}
	r.fake.FailNext(wechattest.PathCustomSend, wechat.CodeOutOfWindow, 1)
	r.wait(t, r.notify(t, bot.Notice{Kind: "ticket_resolved", To: "o-b", Key: "k2", Urgent: true, Text: "已办结。", URL: "/my/tickets/2"}))
	if s := r.fake.TemplateSends(); len(s) != 1 || s[0].URL != "https://example.invalid/default" {
		t.Errorf("template sends: %+v", s)
	}
}
