package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/console"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
)

// failNotice queues a notice through the rig's outbox and records its
// delivery as failed with reason, as the outbox does when WeChat refuses
// it for good (the rig runs no delivery).
func (r *rig) failNotice(n bot.Notice, reason string) int64 {
	r.t.Helper()
	ctx := context.Background()
	box := r.console.Retrier.(*notify.Outbox)
	var id int64
	err := r.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		if id, err = box.Enqueue(ctx, tx, n); err != nil {
			return err
		}
		return tx.FinishNotification(ctx, id, storage.NotificationFailed, "", reason)
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func TestFailedNotificationsAndRetry(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const openid = "oResidentGone0000123"
	id := r.failNotice(bot.Notice{Kind: "ticket_reply", To: openid, Text: "您的诉求有了回复", Key: "k-gone"},
		"wechat: 43004 require subscribe")
	duty := r.failNotice(bot.Notice{Kind: "ticket_new", To: bot.DutyStaff, Staff: true, Text: "新诉求", Key: "k-duty"},
		"robot: no webhook configured")
	b := r.as(r.staff("韩管理", community.RoleAdmin))

	code, _, body := b.get(console.Path + "/notifications")
	if code != http.StatusOK {
		t.Fatalf("notifications: %d\n%s", code, body)
	}
	for _, want := range []string{fmt.Sprintf("#%d", id), "ticket_reply", bot.ShortID(openid), "43004 require subscribe",
		fmt.Sprintf("#%d", duty), "角色：值班员", "robot: no webhook configured",
		fmt.Sprintf(`action="/console/notifications/%d/retry"`, id)} {
		if !strings.Contains(body, want) {
			t.Errorf("failed list lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, openid) || strings.Contains(body, "您的诉求有了回复") {
		t.Error("the list shows a whole openid or what the notice said")
	}
	if _, _, sent := b.get(console.Path + "/notifications?status=sent"); strings.Contains(sent, "ticket_reply") {
		t.Error("a failed notification is listed as sent")
	}
	if code, _, _ := b.get(console.Path + "/notifications?status=bogus"); code != http.StatusBadRequest {
		t.Errorf("bogus status: %d", code)
	}

	back := console.Path + "/notifications?status=failed"
	code, loc, _ := b.post(fmt.Sprintf("%s/notifications/%d/retry", console.Path, id), url.Values{"back": {back}})
	if code != http.StatusSeeOther || loc != back {
		t.Fatalf("retry: %d to %q", code, loc)
	}
	n, err := r.store.Notification(ctx, id)
	if err != nil || n.Status != storage.NotificationPending {
		t.Fatalf("after retry: %v %+v", err, n)
	}
	_, _, body = b.get(loc)
	if !strings.Contains(body, "已重新排队") || strings.Contains(body, "ticket_reply") || !strings.Contains(body, "ticket_new") {
		t.Errorf("after retry, the failed list:\n%s", body)
	}
	if _, _, pending := b.get(console.Path + "/notifications?status=pending"); !strings.Contains(pending, fmt.Sprintf("#%d", id)) {
		t.Errorf("the retried one is not pending:\n%s", pending)
	}
	// A second retry of the same one is refused: it is pending now.
	b.post(fmt.Sprintf("%s/notifications/%d/retry", console.Path, id), url.Values{"back": {back}})
	if _, _, body := b.get(back); !strings.Contains(body, "只有发送失败") {
		t.Errorf("second retry not refused:\n%s", body)
	}
	// A return address elsewhere is not followed.
	if _, loc, _ := b.post(fmt.Sprintf("%s/notifications/%d/retry", console.Path, duty), url.Values{"back": {"https://evil.example/"}}); loc != console.Path+"/notifications" {
		t.Errorf("retry went back to %q", loc)
	}
}

func TestNotificationsPaginate(t *testing.T) {
	r := newRig(t)
	var ids []int64
	for i := range console.NoticesPerPage + 2 {
		ids = append(ids, r.failNotice(bot.Notice{Kind: "bulk", To: fmt.Sprintf("o-resident-%04d", i), Text: "x",
			Key: fmt.Sprintf("bulk-%d", i)}, "boom"))
	}
	b := r.operator()
	_, _, first := b.get(console.Path + "/notifications?status=failed")
	if got := strings.Count(first, ">#"); got != console.NoticesPerPage {
		t.Errorf("first page lists %d", got)
	}
	// Newest first: the two oldest are on page 2.
	if strings.Contains(first, fmt.Sprintf(">#%d ", ids[0])) || !strings.Contains(first, `href="/console/notifications?page=2&amp;status=failed"`) || strings.Contains(first, "上一页") {
		t.Errorf("first page:\n%s", first)
	}
	_, _, second := b.get(console.Path + "/notifications?page=2&status=failed")
	if got := strings.Count(second, ">#"); got != 2 || !strings.Contains(second, fmt.Sprintf(">#%d ", ids[0])) ||
		strings.Contains(second, "下一页") || !strings.Contains(second, "上一页") || !strings.Contains(second, "第 2 页") {
		t.Errorf("second page (%d rows):\n%s", got, second)
	}
}
