package staffdesk_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/workcal"
)

// FuzzStaffLists files n requests with a place in any words in building 2
// (张网格's, copied to its 楼栋长) and asks 待办 and 抄送: however many
// there are and however long their places, each answer fits one WeChat
// reply (2048 bytes), or WeChat drops it and staff see nothing.
func FuzzStaffLists(f *testing.F) {
	f.Add(uint8(1), "2号楼2单元楼道")
	f.Add(uint8(12), "公共区域：东门广场北侧的健身器材旁边")
	f.Add(uint8(30), "2号楼")
	f.Add(uint8(8), "公共区域："+strings.Repeat("东门广场北侧的健身器材旁边", 8))
	ctx := context.Background()
	store := storagetest.Open(f)
	clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, bot.Shanghai))
	store.Now = clock.Now
	queue := notifytest.Queue(f, store, notify.Config{Now: clock.Now, LogOnly: true})
	c := communitytest.Seed(f, store, clock.Now, communitytest.Spec{
		Staff: []communitytest.Member{
			{Name: "张网格", OpenID: "o-grid", Roles: []cm.Role{cm.RoleGridWorker}},
			{Name: "孙楼长", OpenID: "o-head", Roles: []cm.Role{cm.RoleBuildingHead}},
		},
		Buildings: []communitytest.Building{{Number: 2, Head: "孙楼长"}},
		Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张网格", Buildings: []int{2}}},
	})
	svc := tickets.New(store, queue, workcal.Builtin(), tickets.Config{Now: clock.Now})
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = store
	if err := staffdesk.Register(r, flows.Deps{Residents: store, Community: c.Service, Tickets: svc, Now: clock.Now}); err != nil {
		f.Fatal(err)
	}
	var k atomic.Int64
	f.Fuzz(func(t *testing.T, n uint8, place string) {
		if !utf8.ValidString(place) {
			t.Skip("the webhook's XML decoder lets only valid UTF-8 through")
		}
		// Only this run's requests are open.
		if _, err := store.DB().ExecContext(ctx, `UPDATE tickets SET status = 'closed'`); err != nil {
			t.Fatal(err)
		}
		for range int(n % 40) {
			i := k.Add(1)
			_, err := svc.Submit(ctx, ticket.Draft{OpenID: fmt.Sprintf("o-res-%d", i), Name: "王奶奶", Phone: "13900001111", Category: "repair",
				Description: "楼道灯不亮了", BuildingID: c.Buildings[2].ID, Place: place, Source: "wechat", Key: fmt.Sprintf("k-%d", i)})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []struct{ openid, text string }{{"o-grid", "待办"}, {"o-head", "抄送"}, {"o-head", "待办"}} {
			reply, err := r.Handle(ctx, &bot.Message{ID: fmt.Sprintf("m-%d", k.Add(1)), OpenID: m.openid, Kind: bot.KindText, Text: m.text, Time: clock.Now()})
			if err != nil {
				t.Fatalf("%s %s: %v", m.openid, m.text, err)
			}
			t.Logf("%s %s → %s", m.openid, m.text, reply.Text)
			if len(reply.Text) > 2048 || reply.Empty() {
				t.Fatalf("%d requests at %q: %s's %s answers %d bytes", n%40, place, m.openid, m.text, len(reply.Text))
			}
		}
	})
}
