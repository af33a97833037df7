package media

import (
	"context"
	"math"

	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// PrivacyHook is the copies' part in erasure and retention: the copies of
// a resident's photos and voice, and those of closed tickets whose
// retention ran out, are marked erased in the pass's transaction and
// their files deleted once it commits. It must run before the tickets
// hook, which blanks whose tickets they are.
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "media",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			ts, err := tx.ResidentTickets(ctx, openid, math.MaxInt32)
			if err != nil {
				return err
			}
			ids := make([]int64, len(ts))
			for i, t := range ts {
				ids[i] = t.ID
			}
			return eraseCopies(ctx, tx, ids, run)
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			ids, err := tx.ExpiredMediaTickets(ctx, run.RecordsBefore, limit)
			if err != nil {
				return 0, err
			}
			return len(ids), eraseCopies(ctx, tx, ids, run)
		},
	}
}

// eraseCopies marks the media of tickets ids erased and hands their files
// to the run for deletion after commit.
func eraseCopies(ctx context.Context, tx *storage.Tx, ids []int64, run *privacy.Run) error {
	if len(ids) == 0 {
		run.Count("media", 0)
		return nil
	}
	rows, err := tx.EraseTicketMedia(ctx, ids)
	if err != nil {
		return err
	}
	n := 0
	for _, m := range rows {
		if m.Status == storage.MediaErased {
			continue
		}
		n++
		run.DeleteBlobs(Key(m.TicketID, m.N))
		if m.BlobKey != "" && m.BlobKey != Key(m.TicketID, m.N) {
			run.DeleteBlobs(m.BlobKey)
		}
	}
	run.Count("media", n)
	return nil
}

// Deleter deletes blobs for privacy (privacy.Config.Blobs).
type Deleter struct{ Store blobs.Store }

// DeleteBlobs deletes each key; a key already gone is no error.
func (d Deleter) DeleteBlobs(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := d.Store.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
