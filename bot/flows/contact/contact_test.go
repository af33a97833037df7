package contact_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/contact"
	"github.com/tongxin/tongxin/community/communitytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestTranscripts replays testdata/*.txt: residents of building 5 (grid
// worker 张网格 with a work phone), building 7 (no grid) and o-resident
// unregistered.
func TestTranscripts(t *testing.T) {
	bottest.Each(t, func(t *testing.T, f string) {
		storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
			clock := bottest.NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai))
			c := communitytest.Seed(t, store, clock.Now, communitytest.Spec{
				Staff:     []communitytest.Member{{Name: "张网格", OpenID: "o-grid", WorkPhone: "0937-6221234", Roles: []cm.Role{cm.RoleGridWorker}}},
				Buildings: []communitytest.Building{{Number: 5}, {Number: 7}},
				Grids:     []communitytest.Grid{{Name: "一网格", Worker: "张网格", Buildings: []int{5}}},
			})
			for _, res := range []bot.Resident{
				{OpenID: "o-five", Name: "王芳", Phone: "13800138000", Address: "5号楼1单元101"},
				{OpenID: "o-seven", Name: "李雷", Phone: "13800138001", Address: "7号楼2单元301"},
			} {
				if err := store.SaveProfile(context.Background(), res); err != nil {
					t.Fatal(err)
				}
			}
			d := flows.Deps{Residents: store, Community: c.Service, Now: clock.Now, Lines: bot.Lines{
				CommunityPhone: "0937-6220000", OfficeHours: "工作日 9:00–12:00，14:30–17:30",
				PropertyName: "建林物业", PropertyPhone: "0937-6221111", PropertyHotline: "0937-6888888",
			}}
			r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
			if err := contact.Register(r, d); err != nil {
				t.Fatal(err)
			}
			// understood.txt's question, as an operator's words too, so
			// that it does not hang on the built-in vocabulary.
			if err := r.Words("contact", "打谁的电话:3"); err != nil {
				t.Fatal(err)
			}
			bottest.Transcript(t, r, clock, f)
		})
	})
}
