package privacy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tongxin/tongxin/storage"
)

// RetentionTask names the periodic retention pass on the job runner.
const RetentionTask = "privacy.retention"

// Schedule registers the retention pass with the job runner, to run every
// interval (and when an instance starts leading the queue), before the
// runner starts.
func (s *Service) Schedule(interval time.Duration) error {
	return s.runner.Every(RetentionTask, interval, func(ctx context.Context) error {
		_, err := s.Expire(ctx)
		return err
	})
}

// Expire runs one retention pass: every hook's Expire, in batches of
// Config.Batch records with a transaction each, until it reports fewer
// than a batch or ctx is done; what is left waits for the next pass. A
// pass that did something is audited and logged. A failing hook does not
// stop the others; their errors are joined.
func (s *Service) Expire(ctx context.Context) (Report, error) {
	at := s.now()
	run := &Run{
		At:                  at,
		NotificationsBefore: at.Add(-s.cfg.Policy.Notifications),
		RecordsBefore:       at.Add(-s.cfg.Policy.Records),
	}
	var errs []error
	for _, h := range s.hooks {
		if h.Expire == nil {
			continue
		}
		if err := s.expire(ctx, h, run); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.Name, err))
		}
	}
	var rep Report
	if total := (Report{Counts: run.counts}).Total(); total > 0 {
		err := s.store.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			rep, err = s.audit(ctx, tx, storage.ErasureRetention, "retention", run)
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
		s.cfg.Log.InfoContext(ctx, "expired personal data erased", "audit_id", rep.AuditID, "erased", run.counts)
	}
	if rep.Counts == nil {
		rep.Counts = run.counts
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("privacy.Expire: %w", err)
	}
	return rep, nil
}

// expire runs h's Expire batch after batch.
func (s *Service) expire(ctx context.Context, h Hook, run *Run) error {
	for {
		// A batch that fails is rolled back: so is what it counted.
		before := maps.Clone(run.counts)
		var n int
		err := s.store.Transact(ctx, func(tx *storage.Tx) error {
			var err error
			if n, err = h.Expire(ctx, tx, run, s.cfg.Batch); err != nil {
				return err
			}
			return s.queueBlobs(ctx, tx, run)
		})
		if err != nil {
			run.counts, run.blobs = before, nil
			return err
		}
		if n < s.cfg.Batch {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
