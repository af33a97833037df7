package privacy

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/storage"
)

// blobArgs is the job deleting files a committed erasure or retention pass
// left in the blob store. Keys name files, not people.
type blobArgs struct {
	Keys []string `json:"keys"`
}

// Kind names the job for River.
func (blobArgs) Kind() string { return "privacy.delete_blobs" }

// queueBlobs queues, inside tx, the deletion of the files run's hooks
// asked for, so that the files go if and only if the records that named
// them were erased; the run forgets them.
func (s *Service) queueBlobs(ctx context.Context, tx *storage.Tx, run *Run) error {
	if len(run.blobs) == 0 {
		return nil
	}
	keys := run.blobs
	run.blobs = nil
	if err := s.runner.InsertTx(ctx, tx, blobArgs{Keys: keys}, nil); err != nil {
		return fmt.Errorf("queueing the deletion of %d files: %w", len(keys), err)
	}
	return nil
}

// blobWorker deletes the files of a blobArgs job; River retries it with
// backoff while the blob store fails.
type blobWorker struct {
	river.WorkerDefaults[blobArgs]
	s *Service
}

// Work deletes the job's files.
func (w *blobWorker) Work(ctx context.Context, job *river.Job[blobArgs]) error {
	if w.s.cfg.Blobs == nil {
		w.s.cfg.Log.WarnContext(ctx, "files to erase, but no blob store is configured", "files", len(job.Args.Keys))
		return river.JobCancel(errors.New("privacy: no blob store to delete from"))
	}
	if err := w.s.cfg.Blobs.DeleteBlobs(ctx, job.Args.Keys); err != nil {
		return fmt.Errorf("privacy: deleting %d files: %w", len(job.Args.Keys), err)
	}
	return nil
}
