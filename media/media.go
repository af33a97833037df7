package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat"
)

// WeChat is what the downloads need of the platform (wechat.Client).
type WeChat interface {
	// Media downloads a message's MediaId.
	Media(ctx context.Context, mediaID string) (wechat.Media, error)
	// Picture downloads an image message's PicUrl.
	Picture(ctx context.Context, picURL string) (wechat.Media, error)
}

// Config tunes the copies. Zero values take the defaults noted.
type Config struct {
	// MaxAttempts bounds the tries at one copy (20: with the default
	// backoff about ten hours, well inside WeChat's three days).
	MaxAttempts int
	// RetryBase and RetryCap shape the exponential backoff with jitter
	// between tries (10 s doubling up to 1 h).
	RetryBase, RetryCap time.Duration
	// Offline makes no download: every copy fails at once, saying so.
	// For development credentials, which no WeChat server accepts.
	Offline bool
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 10 * time.Second
	}
	if c.RetryCap <= 0 {
		c.RetryCap = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Service keeps the copies of tickets' media. It implements
// tickets.MediaKeeper.
type Service struct {
	store *storage.Store
	blobs blobs.Store
	wx    WeChat
	jobs  *jobs.Runner
	cfg   Config
	log   *slog.Logger
}

// New returns the service, keeping copies in bs, and registers its
// download worker on runner (before runner starts). Copies are made on
// the instances whose runner runs.
func New(runner *jobs.Runner, store *storage.Store, bs blobs.Store, wx WeChat, cfg Config, log *slog.Logger) (*Service, error) {
	cfg.defaults()
	s := &Service{store: store, blobs: bs, wx: wx, jobs: runner, cfg: cfg, log: log}
	if err := jobs.AddWorker(runner, &fetcher{s: s}); err != nil {
		return nil, fmt.Errorf("media.New: %w", err)
	}
	return s, nil
}

// Key is where the copy of media n of ticket ticketID is kept in the blob
// store. It depends on nothing else, so an erasure finds the blob of a
// copy still being made.
func Key(ticketID int64, n int) string {
	return fmt.Sprintf("tickets/%d/%d", ticketID, n)
}

// KeepTx records refs as the media of ticket ticketID, numbered from 1 in
// order, and queues the download of each inside tx, the transaction that
// files the ticket: both commit or neither does.
func (s *Service) KeepTx(ctx context.Context, tx *storage.Tx, ticketID int64, refs []ticket.MediaRef) error {
	for i, ref := range refs {
		m := storage.TicketMedia{TicketID: ticketID, N: i + 1, Kind: string(ref.Kind), Ref: ref.Ref}
		if err := tx.InsertTicketMedia(ctx, &m); err != nil {
			return fmt.Errorf("media.KeepTx: %w", err)
		}
		opts := &river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts}
		if err := s.jobs.InsertTx(ctx, tx, fetchArgs{ID: m.ID}, opts); err != nil {
			return fmt.Errorf("media.KeepTx: %w", err)
		}
	}
	return nil
}

// List returns the media of ticket ticketID, in order, as staff see them.
func (s *Service) List(ctx context.Context, ticketID int64) ([]ticket.Media, error) {
	rows, err := s.store.TicketMediaOf(ctx, ticketID)
	if err != nil {
		return nil, fmt.Errorf("media.List(%d): %w", ticketID, err)
	}
	out := make([]ticket.Media, len(rows))
	for i, m := range rows {
		out[i] = view(m)
	}
	return out, nil
}

func view(m storage.TicketMedia) ticket.Media {
	return ticket.Media{N: m.N, Kind: ticket.MediaKind(m.Kind), Status: m.Status,
		ContentType: m.ContentType, Size: m.Size, Error: m.Error}
}

// Open returns the copy of media n of the ticket with number for reading,
// with what it is; the caller closes it. Returns bot.ErrNotFound for an
// unknown ticket or n, and for media with no copy (yet): the Media
// returned with it then says which.
func (s *Service) Open(ctx context.Context, number string, n int) (io.ReadCloser, ticket.Media, error) {
	m, err := s.store.TicketMediaAt(ctx, number, n)
	if err != nil {
		return nil, ticket.Media{}, fmt.Errorf("media.Open(%s, %d): %w", number, n, err)
	}
	if m.Status != storage.MediaStored {
		return nil, view(m), fmt.Errorf("media.Open(%s, %d): %s: %w", number, n, m.Status, bot.ErrNotFound)
	}
	rc, err := s.blobs.Get(ctx, m.BlobKey)
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			s.log.ErrorContext(ctx, "a stored copy is missing from the blob store", "ticket", number, "n", n, "key", m.BlobKey)
		}
		return nil, view(m), fmt.Errorf("media.Open(%s, %d): %w", number, n, err)
	}
	return rc, view(m), nil
}

// EraseTicketMedia deletes the copies of the media of the tickets with
// ids and forgets what WeChat gave for them (the media rows and the
// tickets' photos), for resident erasure and retention. The rows stay,
// marked erased, so staff see that there was a photo. It may be repeated:
// when it fails half-way, calling it again finishes the job. A copy still
// being made when it runs is deleted by its job, which finds the row
// erased.
//
// Call it before the tickets themselves are deleted, if they are: the
// rows name the blobs, and they refer to the tickets.
func (s *Service) EraseTicketMedia(ctx context.Context, ticketIDs []int64) error {
	if len(ticketIDs) == 0 {
		return nil
	}
	var rows []storage.TicketMedia
	err := s.store.Transact(ctx, func(tx *storage.Tx) error {
		var err error
		rows, err = tx.EraseTicketMedia(ctx, ticketIDs)
		return err
	})
	if err != nil {
		return fmt.Errorf("media.EraseTicketMedia: %w", err)
	}
	var gone []int64
	var errs []error
	for _, m := range rows {
		keys := []string{Key(m.TicketID, m.N)}
		if m.BlobKey != "" && m.BlobKey != keys[0] {
			keys = append(keys, m.BlobKey)
		}
		ok := true
		for _, k := range keys {
			if err := s.blobs.Delete(ctx, k); err != nil {
				errs, ok = append(errs, err), false
			}
		}
		if ok {
			gone = append(gone, m.ID)
		}
	}
	if err := s.store.ForgetBlobKeys(ctx, gone); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("media.EraseTicketMedia: %w", err)
	}
	if len(rows) > 0 {
		s.log.InfoContext(ctx, "erased tickets' media", "tickets", len(ticketIDs), "media", len(rows))
	}
	return nil
}
