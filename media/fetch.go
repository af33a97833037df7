package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat"
)

// fetchArgs is the download job of one media row.
type fetchArgs struct {
	ID int64 `json:"id"`
}

// Kind names the job for River.
func (fetchArgs) Kind() string { return "media.fetch" }

// InsertOpts makes a row's job unique, so one copy is never made twice at
// once.
func (fetchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// fetcher is the worker of download jobs, registered on the job runner.
type fetcher struct {
	river.WorkerDefaults[fetchArgs]
	s *Service
}

// Work makes one copy.
func (w *fetcher) Work(ctx context.Context, job *river.Job[fetchArgs]) error {
	return w.s.fetch(ctx, job.Args.ID, job.Attempt, job.MaxAttempts)
}

// NextRetry spaces out the tries at a copy: exponential with full jitter,
// capped, so that a WeChat outage is not met by every queued copy at once.
func (w *fetcher) NextRetry(job *river.Job[fetchArgs]) time.Time {
	return jobs.Backoff(w.s.cfg.Now(), job.Attempt, w.s.cfg.RetryBase, w.s.cfg.RetryCap)
}

// errOffline is the reason every copy fails in development.
var errOffline = errors.New("development credentials: nothing is downloaded from WeChat")

// fetch downloads media row id and keeps the copy. It returns nil when
// the row is done with (stored, failed for good, or erased meanwhile), a
// river.JobCancel error when it failed for good, and another error when
// the job should try again.
func (s *Service) fetch(ctx context.Context, id int64, attempt, maxAttempts int) error {
	m, err := s.store.TicketMediaByID(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if m.Status != storage.MediaPending {
		return nil
	}
	if s.cfg.Offline {
		return s.fail(ctx, m, errOffline.Error())
	}
	file, err := s.download(ctx, m.Ref)
	if err != nil {
		if wechat.Classify(err) == wechat.ActionGiveUp {
			return s.fail(ctx, m, reason(err))
		}
		return s.retry(ctx, m, reason(err), attempt, maxAttempts)
	}
	key := Key(m.TicketID, m.N)
	if err := s.blobs.Put(ctx, key, bytes.NewReader(file.Body), int64(len(file.Body)), file.ContentType); err != nil {
		return s.retry(ctx, m, "blob store: "+wechat.Reason(err), attempt, maxAttempts)
	}
	stored, err := s.store.StoreTicketMedia(ctx, m.ID, key, file.ContentType, int64(len(file.Body)))
	if err != nil {
		return err // the next try puts the same blob again
	}
	if !stored {
		// Erased while downloading: the copy must not outlive it.
		if now, err := s.store.TicketMediaByID(ctx, m.ID); err == nil && now.Status == storage.MediaErased {
			if err := s.blobs.Delete(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// download fetches what ref names, refusing anything that is not a photo
// or a recording.
func (s *Service) download(ctx context.Context, ref string) (wechat.Media, error) {
	var (
		file wechat.Media
		err  error
	)
	switch {
	case strings.HasPrefix(ref, "media:"):
		file, err = s.wx.Media(ctx, strings.TrimPrefix(ref, "media:"))
	case strings.HasPrefix(ref, "http://"), strings.HasPrefix(ref, "https://"):
		file, err = s.wx.Picture(ctx, ref)
	default:
		return wechat.Media{}, fmt.Errorf("%w: not a PicUrl or media:<MediaId>", wechat.ErrInvalidRequest)
	}
	if err != nil {
		return wechat.Media{}, err
	}
	if !acceptable(file.ContentType) {
		return wechat.Media{}, fmt.Errorf("%w: %s is not a photo or a recording", wechat.ErrInvalidRequest, file.ContentType)
	}
	return file, nil
}

// acceptable reports whether a copy of this type may be kept and served
// back to staff: images and recordings, but not SVG, which can carry
// script.
func acceptable(contentType string) bool {
	switch {
	case contentType == "image/svg+xml":
		return false
	case strings.HasPrefix(contentType, "image/"), strings.HasPrefix(contentType, "audio/"),
		contentType == "voice/speex":
		return true
	}
	return false
}

// outcomeTimeout bounds recording an outcome, which must happen even when
// the job's own time ran out.
const outcomeTimeout = 10 * time.Second

// fail records that m will not be copied, and stops the job.
func (s *Service) fail(ctx context.Context, m storage.TicketMedia, why string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeTimeout)
	defer cancel()
	if _, err := s.store.FailTicketMedia(ctx, m.ID, why); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "could not copy a ticket's media", "ticket_id", m.TicketID, "n", m.N, "kind", m.Kind, "reason", why)
	return river.JobCancel(fmt.Errorf("media %d of ticket %d: %s", m.N, m.TicketID, why))
}

// retry records a failed try at m and has the job try again later, or,
// on its last attempt, gives up.
func (s *Service) retry(ctx context.Context, m storage.TicketMedia, why string, attempt, maxAttempts int) error {
	if attempt >= maxAttempts {
		return s.fail(ctx, m, fmt.Sprintf("gave up after %d attempts: %s", attempt, why))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeTimeout)
	defer cancel()
	if err := s.store.NoteTicketMediaAttempt(ctx, m.ID, why); err != nil {
		s.log.WarnContext(ctx, "record a try at a ticket's media", "id", m.ID, "err", err)
	}
	return fmt.Errorf("media %d of ticket %d: %s", m.N, m.TicketID, why)
}

// reason says in a few words why a download failed, for the row and the
// log: never a token, and never the URL (a PicUrl opens the photo).
func reason(err error) string {
	if errors.Is(err, wechat.ErrInvalidRequest) {
		const mark = "invalid request: "
		if msg := err.Error(); strings.Contains(msg, mark) {
			return msg[strings.LastIndex(msg, mark)+len(mark):]
		}
	}
	return wechat.Reason(err)
}
