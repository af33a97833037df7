package signup_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/flows/signup"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestStartWithNamingSeveral: words naming two open activities (讲座)
// show the list of those two, whatever the vocabulary; the list asked
// again after 修改 is the whole one.
func TestStartWithNamingSeveral(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		x := newRig(t, store, false)
		ctx := context.Background()
		if _, err := x.svc.Create(ctx, activity.Activity{Title: "防诈骗讲座", Location: "社区活动室", StartsAt: at(11, 27, 15, 0), EndsAt: at(11, 27, 16, 0), Capacity: 20, MaxParty: 1}); err != nil {
			t.Fatal(err)
		}
		m := &bot.Message{ID: "m1", OpenID: "o-talk", Kind: bot.KindText, Text: "讲座怎么报名", Time: x.clock.Now()}
		reply, err := x.r.StartWith(ctx, m, signup.Name, bot.Understood{Intent: "events", Said: m.Text})
		if err != nil {
			t.Fatal(err)
		}
		got := reply.Text
		if !strings.HasPrefix(got, "您说的可能是这几个活动：") || !strings.Contains(got, "冬季健康讲座") || !strings.Contains(got, "防诈骗讲座") ||
			strings.Contains(got, "邻里荟") || strings.Contains(got, "百家宴") {
			t.Fatalf("讲座: %q, want the two talks only", got)
		}
		say := bottest.Say(x.r, x.clock)
		if got := say("o-talk", "2"); !strings.Contains(got, "防诈骗讲座") {
			t.Errorf("2: %q, want the second talk", got)
		}
		say("o-talk", "修改")
		if got := say("o-talk", "1"); !strings.Contains(got, "邻里荟") {
			t.Errorf("修改 活动: %q, want the whole list", got)
		}
	})
}
