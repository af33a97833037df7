package activities

import (
	"context"

	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// PrivacyHook is the sign-ups' part in erasure and retention. Erasing a
// resident anonymises every sign-up they made, whatever its status;
// retention anonymises the sign-ups of activities that ended longer ago
// than the records policy. Either way a sign-up loses the openid, name,
// phone and answers, and its timeline entries their notes, and keeps its
// activity, party size, status, check-in code and times: how many came
// stays countable. The notices that named the resident are the notify
// hook's (bot.Notice.About).
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "activity_signups",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			ids, err := tx.SignupIDsOf(ctx, openid)
			if err != nil {
				return err
			}
			return anonymiseSignups(ctx, tx, ids, run)
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			ids, err := tx.ExpiredSignups(ctx, run.RecordsBefore, limit)
			if err != nil {
				return 0, err
			}
			return len(ids), anonymiseSignups(ctx, tx, ids, run)
		},
	}
}

// anonymiseSignups blanks the personal fields of the sign-ups ids.
func anonymiseSignups(ctx context.Context, tx *storage.Tx, ids []int64, run *privacy.Run) error {
	notes := 0
	for _, id := range ids {
		n, err := tx.AnonymiseSignup(ctx, id, run.At)
		if err != nil {
			return err
		}
		notes += n
	}
	run.Count("activity_signups", len(ids))
	run.Count("activity_notes", notes)
	return nil
}
