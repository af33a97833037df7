package notify

import (
	"context"

	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// PrivacyHook is the outbox's part in erasure and retention. Erasing a
// resident erases every notification to them or about them (Notice.About):
// its content, error text and idempotency key give way to a tombstone
// (storage.ErasedPayload), a pending one is dropped, and its kind, status
// and times stay for the statistics. Retention does the same to every
// notification delivered (sent, failed or dropped) longer ago than the
// notifications policy, blanking the recipient when it was a resident.
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "notifications",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			n, err := tx.EraseNotifications(ctx, openid)
			run.Count("notifications", n)
			return err
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			n, err := tx.PurgeNotifications(ctx, run.NotificationsBefore, limit)
			run.Count("notifications", n)
			return n, err
		},
	}
}
