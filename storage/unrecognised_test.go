package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestUnrecognisedTexts(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var u bot.Unrecognised = storage.Unrecognised{Store: s}
		// 23:30 in Shanghai on the 1st is the 1st, though UTC says the
		// same; 00:30 on the 2nd in Shanghai is still the 1st in UTC.
		day1 := time.Date(2026, 11, 1, 23, 30, 0, 0, bot.Shanghai)
		day2 := time.Date(2026, 11, 2, 0, 30, 0, 0, bot.Shanghai)
		for _, m := range []struct {
			text string
			at   time.Time
		}{
			{"我叫王芳，电话13800138000", day1},
			{"我叫李明，电话13900139000", day1},
			{"维修基金怎么查？", day1},
			{"我叫张三，电话13700137000", day2},
			{"  维修基金怎么查  ", day2},
			{"垃圾分类", day2},
			{"123", day2},
			{"", day2},
		} {
			if err := u.Record(ctx, m.text, m.at); err != nil {
				t.Fatalf("Record(%q): %v", m.text, err)
			}
		}
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, bot.Shanghai)
		got, err := s.UnrecognisedTexts(ctx, from, from.AddDate(0, 0, 2), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []storage.UnrecognisedText{
			// Masked before it was kept: three residents, one line.
			{Text: "我叫*,电话#", Count: 3, Days: 2},
			{Text: "维修基金怎么查", Count: 2, Days: 2},
			{Text: "#", Count: 1, Days: 1},
			{Text: "垃圾分类", Count: 1, Days: 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UnrecognisedTexts mismatch (-want +got):\n%s", diff)
		}
		// One day, and a limit.
		got, err = s.UnrecognisedTexts(ctx, from, from.AddDate(0, 0, 1), 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]storage.UnrecognisedText{{Text: "我叫*,电话#", Count: 2, Days: 1}}, got); diff != "" {
			t.Errorf("the 1st, limit 1, mismatch (-want +got):\n%s", diff)
		}
		// A text recorded 90 days later takes the old days with it.
		later := day2.Add(storage.UnrecognisedKeep + 24*time.Hour)
		if err := u.Record(ctx, "垃圾分类", later); err != nil {
			t.Fatal(err)
		}
		got, err = s.UnrecognisedTexts(ctx, from, later.Add(24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]storage.UnrecognisedText{{Text: "垃圾分类", Count: 1, Days: 1}}, got); diff != "" {
			t.Errorf("after 90 days, mismatch (-want +got):\n%s", diff)
		}
	})
}
