package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
	"github.com/tongxin/tongxin/workcal"
)

// rig is the ticket service filing through a media service whose jobs
// run, downloading from the fake WeChat API into a directory.
type rig struct {
	t     *testing.T
	store *storage.Store
	fake  *wechattest.FakeAPI
	dir   *blobs.Dir
	svc   *tickets.Service
	media *media.Service
	priv  *privacy.Service
}

// fast retries quickly, so tests do not sit out production backoff.
func fast() media.Config {
	return media.Config{RetryBase: 10 * time.Millisecond, RetryCap: 50 * time.Millisecond}
}

// newRig starts the rig on store; wrap, when not nil, puts a test's blob
// store in front of the directory.
func newRig(t *testing.T, store *storage.Store, cfg media.Config, wrap func(blobs.Store) blobs.Store) *rig {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, prefix, _ := redistest.New(t)
	fake := wechattest.NewFakeAPI(t)
	wx, err := wechat.NewClient(wechat.ClientConfig{AppID: wechattest.AppID, Secret: wechattest.Secret, APIBase: fake.URL(), Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := blobs.NewDir(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	var bs blobs.Store = dir
	if wrap != nil {
		bs = wrap(dir)
	}
	if err := jobs.Migrate(ctx, store); err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.New(store, jobs.Config{PollInterval: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.New(runner, store, wx, notify.Config{LogOnly: true}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.New(runner, store, bs, wx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	svc := tickets.New(store, outbox, workcal.Builtin(), tickets.Config{Media: ms})
	priv, err := privacy.New(store, runner, privacy.Config{Blobs: media.Deleter{Store: bs}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := priv.Register(media.PrivacyHook(), tickets.PrivacyHook()); err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
	return &rig{t: t, store: store, fake: fake, dir: dir, svc: svc, media: ms, priv: priv}
}

// file submits a request with photos (and a voice message) and returns it.
func (r *rig) file(voice string, photos ...string) ticket.Ticket {
	r.t.Helper()
	rc, err := r.svc.Submit(context.Background(), ticket.Draft{
		OpenID: "o-res", Phone: "13800138000", Category: "repair", Description: "楼道灯坏了",
		Photos: photos, Voice: voice, Source: "wechat",
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc.Ticket
}

// settled waits until no media of ticket t is pending and returns them.
func (r *rig) settled(t ticket.Ticket) []ticket.Media {
	r.t.Helper()
	var ms []ticket.Media
	bottest.WaitFor(r.t, 30*time.Second, "the copies of ticket "+t.Number, func() bool {
		var err error
		if ms, err = r.media.List(context.Background(), t.ID); err != nil {
			r.t.Fatal(err)
		}
		for _, m := range ms {
			if m.Status == storage.MediaPending {
				return false
			}
		}
		return true
	})
	return ms
}

// read returns the copy of media n of t as staff get it.
func (r *rig) read(t ticket.Ticket, n int) ([]byte, error) {
	r.t.Helper()
	rc, _, err := r.media.Open(context.Background(), t.Number, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// jobStates are the states of the download jobs, in order of insertion.
func (r *rig) jobStates() []string {
	r.t.Helper()
	var states []string
	if err := r.store.DB().Select(&states, `SELECT state FROM river_job WHERE kind = 'media.fetch' ORDER BY id`); err != nil {
		r.t.Fatal(err)
	}
	return states
}

func TestFilingKeepsCopies(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s, fast(), nil)
		one, two, voice := wechattest.JPEG(1), wechattest.JPEG(2), wechattest.AMR()
		pic := r.fake.AddPicture("p1", "image/jpeg", one)
		r.fake.AddMedia("m2", "image/jpeg", two)
		r.fake.AddMedia("v1", "audio/amr", voice)

		tk := r.file("media:v1", pic, "media:m2")
		want := []ticket.Media{
			{N: 1, Kind: ticket.MediaPhoto, Status: storage.MediaStored, ContentType: "image/jpeg", Size: int64(len(one))},
			{N: 2, Kind: ticket.MediaPhoto, Status: storage.MediaStored, ContentType: "image/jpeg", Size: int64(len(two))},
			{N: 3, Kind: ticket.MediaVoice, Status: storage.MediaStored, ContentType: "audio/amr", Size: int64(len(voice))},
		}
		if diff := cmp.Diff(want, r.settled(tk)); diff != "" {
			t.Fatalf("media mismatch (-want +got):\n%s", diff)
		}
		for n, body := range map[int][]byte{1: one, 2: two, 3: voice} {
			if got, err := r.read(tk, n); err != nil || !bytes.Equal(got, body) {
				t.Errorf("copy %d: %d bytes, %v; want the %d bytes WeChat served", n, len(got), err, len(body))
			}
		}
		if _, _, err := r.media.Open(context.Background(), tk.Number, 4); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Open of media 4: %v, want bot.ErrNotFound", err)
		}
		if _, _, err := r.media.Open(context.Background(), "2601010001", 1); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Open of an unknown ticket: %v, want bot.ErrNotFound", err)
		}
		// A ticket without photos queues nothing.
		plain := r.file("")
		if ms, _ := r.media.List(context.Background(), plain.ID); len(ms) != 0 {
			t.Errorf("a typed request has media %+v", ms)
		}
		bottest.WaitFor(t, 30*time.Second, "three completed jobs", func() bool {
			return cmp.Equal(r.jobStates(), []string{"completed", "completed", "completed"})
		})
	})
}

func TestTransientFailuresAreRetried(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		// The blob store fails its first write too.
		var puts atomic.Int32
		r := newRig(t, s, fast(), func(next blobs.Store) blobs.Store {
			return &hookStore{Store: next, put: func() error {
				if puts.Add(1) == 1 {
					return errors.New("disk full")
				}
				return nil
			}}
		})
		r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
		pic := r.fake.AddPicture("p2", "image/jpeg", wechattest.JPEG(2))
		r.fake.FailNext(wechattest.PathMediaGet, -1, 2) // system busy
		r.fake.FailNext(wechattest.PathPicture, 503, 2)

		tk := r.file("", "media:m1", pic)
		for _, m := range r.settled(tk) {
			if m.Status != storage.MediaStored || m.Error != "" {
				t.Errorf("media %d: %+v, want stored after retries", m.N, m)
			}
		}
		if n := r.fake.Hits(wechattest.PathMediaGet); n < 3 {
			t.Errorf("%d downloads of the MediaId, want at least 3", n)
		}
		if n := r.fake.Hits(wechattest.PathPicture); n < 3 {
			t.Errorf("%d downloads of the PicUrl, want at least 3", n)
		}
		rows, _ := s.TicketMediaOf(context.Background(), tk.ID)
		tries := 0
		for _, m := range rows {
			tries += m.Attempts
		}
		if tries != 7 { // 3 + 3 downloads, and one write that failed
			t.Errorf("%d attempts recorded, want 7: %+v", tries, rows)
		}
	})
}

func TestExpiredMediaFailsAtOnce(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s, fast(), nil)
		tk := r.file("", "media:expired")
		ms := r.settled(tk)
		if ms[0].Status != storage.MediaFailed || ms[0].Error != "40007 invalid media_id" {
			t.Errorf("expired media: %+v", ms[0])
		}
		// One request, and a job that is over, not waiting for a retry.
		bottest.WaitFor(t, 30*time.Second, "the job to end", func() bool {
			states := r.jobStates()
			return len(states) == 1 && states[0] == "cancelled"
		})
		if n := r.fake.Hits(wechattest.PathMediaGet); n != 1 {
			t.Errorf("%d requests for an expired id, want 1", n)
		}
		if _, m, err := r.media.Open(context.Background(), tk.Number, 1); !errors.Is(err, bot.ErrNotFound) || m.Status != storage.MediaFailed {
			t.Errorf("Open of a failed copy: %+v %v", m, err)
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		cfg := fast()
		cfg.MaxAttempts = 3
		r := newRig(t, s, cfg, nil)
		r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
		r.fake.SetDown(true)
		ms := r.settled(r.file("", "media:m1"))
		if ms[0].Status != storage.MediaFailed || ms[0].Error != "gave up after 3 attempts: access_token: HTTP 503" {
			t.Errorf("after an outage: %+v", ms[0])
		}
	})
}

func TestRefusesWhatIsNotWeChatsOrAPhoto(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s, fast(), nil)
		page := r.fake.AddPicture("page", "text/html", []byte("<script>alert(1)</script>"))
		r.fake.AddMedia("svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
		ms := r.settled(r.file("", "http://127.0.0.1:1/x.jpg", page, "media:svg", "file.jpg"))
		want := []string{
			"host 127.0.0.1 is not WeChat's image CDN",
			"text/html is not a photo or a recording",
			"image/svg+xml is not a photo or a recording",
			"not a PicUrl or media:<MediaId>",
		}
		for i, m := range ms {
			if m.Status != storage.MediaFailed || m.Error != want[i] || m.ContentType != "" {
				t.Errorf("media %d: %+v, want failed: %s", m.N, m, want[i])
			}
		}
	})
}

func TestOfflineDownloadsNothing(t *testing.T) {
	r := newRig(t, storagetest.Open(t), media.Config{Offline: true}, nil)
	r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
	ms := r.settled(r.file("", "media:m1"))
	if ms[0].Status != storage.MediaFailed || !strings.Contains(ms[0].Error, "development credentials") {
		t.Errorf("offline: %+v", ms[0])
	}
	if n := r.fake.Hits(wechattest.PathMediaGet) + r.fake.TokenFetches(); n != 0 {
		t.Errorf("%d requests to WeChat while offline", n)
	}
}

func TestEraseTicketMedia(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s, fast(), nil)
		r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
		r.fake.AddMedia("v1", "audio/amr", wechattest.AMR())
		mine := r.file("media:v1", "media:m1", "media:expired")
		other := r.file("", "media:m1")
		r.settled(mine)
		r.settled(other)

		if err := r.media.EraseTicketMedia(ctx, []int64{mine.ID}); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 3; n++ {
			if _, err := r.dir.Get(ctx, media.Key(mine.ID, n)); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("blob %d after erasure: %v", n, err)
			}
			if _, err := r.read(mine, n); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("Open(%d) after erasure: %v", n, err)
			}
		}
		for _, m := range r.settled(mine) {
			if m.Status != storage.MediaErased || m.ContentType != "" || m.Error != "" {
				t.Errorf("after erasure: %+v", m)
			}
		}
		rows, _ := s.TicketMediaOf(ctx, mine.ID)
		for _, m := range rows {
			if m.Ref != "" || m.BlobKey != "" {
				t.Errorf("erased row keeps %q / %q", m.Ref, m.BlobKey)
			}
		}
		if tk, _, _ := r.svc.Get(ctx, mine.Number); len(tk.Photos) != 0 {
			t.Errorf("photos after erasure: %v", tk.Photos)
		}
		// Others' copies stay; erasing again is harmless.
		if _, err := r.read(other, 1); err != nil {
			t.Errorf("another ticket's copy: %v", err)
		}
		if err := r.media.EraseTicketMedia(ctx, []int64{mine.ID}); err != nil {
			t.Errorf("erasing again: %v", err)
		}
	})
}

func TestErasureWinsOverADownloadInFlight(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		entered, release := make(chan struct{}), make(chan struct{})
		r := newRig(t, s, fast(), func(next blobs.Store) blobs.Store {
			return &hookStore{Store: next, put: func() error {
				close(entered)
				<-release
				return nil
			}}
		})
		r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
		tk := r.file("", "media:m1")
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the download never reached the blob store")
		}
		if err := r.media.EraseTicketMedia(ctx, []int64{tk.ID}); err != nil {
			t.Fatal(err)
		}
		close(release)
		bottest.WaitFor(t, 30*time.Second, "the job to end", func() bool {
			states := r.jobStates()
			return len(states) == 1 && states[0] == "completed"
		})
		if _, err := r.dir.Get(ctx, media.Key(tk.ID, 1)); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("the copy made during the erasure survived it: %v", err)
		}
		if ms, _ := r.media.List(ctx, tk.ID); ms[0].Status != storage.MediaErased {
			t.Errorf("after the race: %+v", ms[0])
		}
	})
}

// hookStore runs put before each Put of the store it wraps, failing the
// Put with its error.
type hookStore struct {
	blobs.Store
	put func() error
}

func (h *hookStore) Put(ctx context.Context, key string, rd io.Reader, size int64, ctype string) error {
	if err := h.put(); err != nil {
		return err
	}
	return h.Store.Put(ctx, key, rd, size, ctype)
}

// TestResidentErasureDeletesCopies: erasing a resident marks the copies
// of their photos and voice erased in the erasure's transaction and
// deletes the files once it commits; a neighbour's stay.
func TestResidentErasureDeletesCopies(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s, fast(), nil)
		r.fake.AddMedia("m1", "image/jpeg", wechattest.JPEG(1))
		r.fake.AddMedia("v1", "audio/amr", wechattest.AMR())
		mine := r.file("media:v1", "media:m1")
		r.settled(mine)
		rc, err := r.svc.Submit(ctx, ticket.Draft{OpenID: "o-neighbour", Phone: "13800138001", Category: "repair",
			Description: "楼道灯坏了", Photos: []string{"media:m1"}, Source: "wechat"})
		if err != nil {
			t.Fatal(err)
		}
		other := r.settled(rc.Ticket)

		rep, err := r.priv.Erase(ctx, "o-res", "test")
		if err != nil || rep.Counts["media"] != 2 {
			t.Fatalf("Erase = %+v, %v; want 2 media erased", rep, err)
		}
		for _, m := range r.settled(mine) {
			if m.Status != storage.MediaErased {
				t.Errorf("after erasure: %+v", m)
			}
		}
		bottest.WaitFor(t, 30*time.Second, "the copies' files to be deleted", func() bool {
			for n := 1; n <= 2; n++ {
				if _, err := r.dir.Get(ctx, media.Key(mine.ID, n)); !errors.Is(err, bot.ErrNotFound) {
					return false
				}
			}
			return true
		})
		if len(other) != 1 || other[0].Status != storage.MediaStored {
			t.Fatalf("neighbour's copy: %+v", other)
		}
		if _, err := r.read(rc.Ticket, 1); err != nil {
			t.Errorf("the neighbour's copy after the erasure: %v", err)
		}
		if rep, err := r.priv.Erase(ctx, "o-res", "test"); err != nil || rep.Counts["media"] != 0 {
			t.Errorf("second erasure = %+v, %v", rep, err)
		}
	})
}
