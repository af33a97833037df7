package profile_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/profile"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func newRouter(t *testing.T, store *storage.Store, clock *bottest.Clock) *bot.Router {
	t.Helper()
	r := bot.NewRouter(&bot.MemorySessions{Now: clock.Now})
	r.Now = clock.Now
	r.Residents = store
	if err := profile.Register(r, flows.Deps{Residents: store, Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	if err := r.Menu(bot.MenuItem{Key: "MY", Keywords: []string{"我的信息"}}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTranscripts replays the profile conversations on both engines: the
// answers are stored, so later turns see what earlier ones saved.
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
				bottest.Transcript(t, newRouter(t, store, clock), clock, f)
			})
		}
	})
}

func TestStoredProfile(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, store *storage.Store) {
		clock := bottest.NewClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		r := newRouter(t, store, clock)
		for _, in := range []string{"登记", "王 芳", "+86 138-0013-8000", "三号楼二单元201", "3", "独居，腿脚不便", "1"} {
			if _, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-wang", Kind: bot.KindText, Text: in, Time: clock.Now()}); err != nil {
				t.Fatalf("%q: %v", in, err)
			}
		}
		got, err := store.Resident(context.Background(), "o-wang")
		if err != nil {
			t.Fatal(err)
		}
		want := bot.Resident{OpenID: "o-wang", Name: "王 芳", Phone: "13800138000", Address: "3号楼2单元201室", Role: "租户", Note: "独居，腿脚不便"}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(bot.Resident{}, "CreatedAt", "UpdatedAt")); diff != "" {
			t.Errorf("stored resident mismatch (-want +got):\n%s", diff)
		}
	})
}
