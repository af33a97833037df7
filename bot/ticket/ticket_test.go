package ticket_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// TestHeldPhotosFitARequest: the router keeps as many photos sent before
// 报修 as a request takes; more would be promised and dropped.
func TestHeldPhotosFitARequest(t *testing.T) {
	if bot.MaxHeld != ticket.MaxPhotos {
		t.Errorf("bot.MaxHeld = %d, ticket.MaxPhotos = %d", bot.MaxHeld, ticket.MaxPhotos)
	}
}

func TestWellFormedNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"2611260001":   true,
		"1":            true,
		"":             false,
		"26112610000":  true,  // the day's 10,000th
		"26112699999":  true,  // the day's last
		"26112600011":  false, // 11 digits that are no overflow
		"12345678901":  false, // 11 digits that are no date
		"13800138000":  false, // a mobile number
		"13011510000":  false, // a mobile that reads as a day in 2013
		"18012312345":  false, // and one in 2018
		"261126100000": false, // 12 digits
		"abc":          false,
		" 2611260001":  false,
		"261126000１":   false, // a full-width digit
		"-1":           false,
	} {
		if got := ticket.WellFormedNumber(s); got != want {
			t.Errorf("WellFormedNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDraftMedia(t *testing.T) {
	d := ticket.Draft{Photos: []string{"http://mmbiz.qpic.cn/a/0", "media:m2"}, Voice: "media:v1"}
	want := []ticket.MediaRef{
		{Kind: ticket.MediaPhoto, Ref: "http://mmbiz.qpic.cn/a/0"},
		{Kind: ticket.MediaPhoto, Ref: "media:m2"},
		{Kind: ticket.MediaVoice, Ref: "media:v1"},
	}
	if diff := cmp.Diff(want, d.Media()); diff != "" {
		t.Errorf("Media mismatch (-want +got):\n%s", diff)
	}
	if got := (ticket.Draft{Description: "typed"}).Media(); len(got) != 0 {
		t.Errorf("a typed request has media %v", got)
	}
}
