package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDevelopmentLogsWhatPeopleWouldRead: with development credentials
// (LogOnly) a delivered notice shows its text in the log, masked: a
// newcomer sees what the resident and the staff would have read, and
// the log holds no phone number, name or flat.
func TestDevelopmentLogsWhatPeopleWouldRead(t *testing.T) {
	store := storagetest.Open(t)
	ctx := context.Background()
	const resident = "o-devlog-resident-0001"
	if err := store.SaveProfile(ctx, bot.Resident{OpenID: resident, Name: "王芳", Phone: "13800138000", Address: "3号楼2单元201室"}); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cfg := fastConfig()
	cfg.LogOnly = true
	box, _ := start(t, store, nil, cfg, slog.New(slog.NewTextHandler(out, nil)))
	r := &rig{store: store, box: box}

	toResident := r.notify(t, bot.Notice{Kind: "ticket_accepted", To: resident, About: resident, Urgent: true, Key: "k-res",
		Text: "王芳您好，您的诉求 2611300001（3号楼2单元201室：楼道灯坏了）已受理。\n处理人：张伟 13900139000"})
	toHandler := r.notify(t, bot.Notice{Kind: "ticket_new", To: "o-devlog-staff-0002", About: resident, Staff: true, Key: "k-staff",
		Text:      "新诉求 2611300001：王芳 13800138000，3号楼2单元201室，楼道灯坏了",
		GroupText: "新诉求 2611300001：居民 138****8000，3号楼，楼道灯坏了（请转告 张伟）"})
	toDuty := r.notify(t, bot.Notice{Kind: "human_request", To: bot.DutyStaff, About: resident, Staff: true, Urgent: true, Key: "k-duty",
		Text: "居民王芳（13800138000）请求人工服务"})
	for _, id := range []int64{toResident, toHandler, toDuty} {
		if n := r.wait(t, id); n.Status != storage.NotificationSent || n.Channel != notify.ChannelLog {
			t.Fatalf("row %d: %+v, want sent to the log", id, n)
		}
	}
	log := out.String()
	for _, want := range []string{
		// The resident's notice, with everything that identifies them masked.
		`kind=ticket_accepted to=o-de…0001 staff=false text="王*您好，您的诉求 2611300001（3号楼**：楼道灯坏了）已受理。\n处理人：张伟 139****9000"`,
		// The handler's: the text its author masked for more eyes.
		`kind=ticket_new to=o-de…0002 staff=true text="新诉求 2611300001：居民 138****8000，3号楼，楼道灯坏了（请转告 张伟）"`,
		`kind=human_request to=role:duty staff=true text=居民王*（138****8000）请求人工服务`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks\n  %s\nin\n%s", want, log)
		}
	}
	for _, secret := range []string{"王芳", "13800138000", "13900139000", "2单元201", resident} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %q:\n%s", secret, log)
		}
	}
}
