package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/handlers/sim"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/workcal"
)

// deps are the process's connections, opened once and closed together.
type deps struct {
	store  *storage.Store
	redis  *redis.Client
	client *wechat.Client
	close  func()
}

// redisHook, set by tests before serve starts, sees every Redis call (the
// round-trip budget of the hot path is counted there).
var redisHook redis.Hook

func open(ctx context.Context, cfg config.Config, log *slog.Logger) (*deps, error) {
	store, err := storage.OpenPool(ctx, cfg.DatabaseURL, storage.Pool{MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return nil, err
	}
	if err := migrateAll(ctx, store); err != nil {
		store.Close()
		return nil, err
	}
	if cfg.RedisURL == "" {
		log.Info("using an embedded in-process Redis: state is lost on exit and not shared between instances")
	}
	rdb, closeRedis, err := redisstate.Open(ctx, cfg.RedisURL)
	if err != nil {
		store.Close()
		return nil, err
	}
	if redisHook != nil {
		rdb.AddHook(redisHook)
	}
	client, err := wechat.NewClient(wechat.ClientConfig{
		AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret, APIBase: cfg.WeChat.APIBase, Redis: rdb,
	})
	if err != nil {
		_ = closeRedis()
		store.Close()
		return nil, err
	}
	return &deps{store: store, redis: rdb, client: client, close: func() {
		_ = closeRedis()
		store.Close()
	}}, nil
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	store, err := storage.OpenPool(ctx, cfg.DatabaseURL, storage.Pool{MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := migrateAll(ctx, store); err != nil {
		return err
	}
	log.Info("migrations applied", "engine", store.Engine())
	return nil
}

// migrateAll applies our schema and the job queue's.
func migrateAll(ctx context.Context, store *storage.Store) error {
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	return jobs.Migrate(ctx, store)
}

// newOutbox builds the notification outbox from the configuration; its
// deliveries run on runner.
func newOutbox(cfg config.Config, runner *jobs.Runner, store *storage.Store, client *wechat.Client, log *slog.Logger, metrics *handlers.Metrics) (*notify.Outbox, error) {
	quiet, err := notify.ParseQuietHours(cfg.QuietHours)
	if err != nil {
		return nil, fmt.Errorf("config: TONGXIN_QUIET_HOURS: %w", err)
	}
	templates := map[string]notify.Template{}
	for kind, t := range cfg.Notify.Templates {
		templates[kind] = notify.Template{ID: t.ID, URL: t.URL, Fields: t.Fields}
	}
	logOnly := devAccount(cfg)
	if logOnly {
		log.Warn("development credentials: notifications go to the log, nothing is sent to WeChat")
	}
	return notify.New(runner, store, client, notify.Config{
		Templates: templates,
		Quiet:     quiet,
		LogOnly:   logOnly,
		RobotKey:  cfg.WeCom.RobotKey,
		RobotBase: cfg.WeCom.APIBase,
		// Residents' notices link to their pages (/my/…) under the address
		// they open tongxin at. Only TONGXIN_PUBLIC_URL says where that is:
		// the listen address pages.go falls back to is no link a phone in
		// WeChat could open, so without it the links are left out.
		PublicURL: cfg.PublicURL,
	}, log, notify.NewMetrics(metrics.Registry(), log))
}

// newActivities builds the sign-up service with its reminders on runner,
// and registers its periodic work there: offers that lapse, every minute,
// and the organisers' summaries when sign-up closes, every minute (each
// sent once, by its notice key, whichever instance runs it).
func newActivities(cfg config.Config, store *storage.Store, outbox *notify.Outbox, runner *jobs.Runner, log *slog.Logger) (*activities.Service, error) {
	quiet, err := notify.ParseQuietHours(cfg.QuietHours)
	if err != nil {
		return nil, fmt.Errorf("config: TONGXIN_QUIET_HOURS: %w", err)
	}
	acts := activities.New(store, outbox, activities.Config{
		Jobs: runner, Reminders: cfg.Activities.Reminders, Hold: cfg.Activities.Hold, Quiet: quiet,
	})
	if err := acts.AddWorkers(); err != nil {
		return nil, err
	}
	err = runner.Every("activities.lapse", time.Minute, func(ctx context.Context) error {
		n, err := acts.Lapse(ctx)
		if n > 0 {
			log.InfoContext(ctx, "offers of seats lapsed", "lapsed", n)
		}
		if err != nil {
			return err
		}
		// Seats freed by an erasure go to the waiting list here.
		n, err = acts.Settle(ctx)
		if n > 0 {
			log.InfoContext(ctx, "waiting lists served", "activities", n)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = runner.Every("activities.summaries", time.Minute, func(ctx context.Context) error {
		n, err := acts.Summaries(ctx)
		if n > 0 {
			log.InfoContext(ctx, "queued sign-up summaries for organisers", "activities", n)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return acts, nil
}

// newClinic builds the legal clinic's service with its reminders on
// runner. Its slots follow cal's holidays and 调休 days (not its office
// hours: a schedule says its own).
func newClinic(cfg config.Config, store *storage.Store, outbox *notify.Outbox, runner *jobs.Runner, cal *workcal.Calendar, acts clinic.ActivityPlanner, log *slog.Logger) (*clinic.Service, error) {
	quiet, err := notify.ParseQuietHours(cfg.QuietHours)
	if err != nil {
		return nil, fmt.Errorf("config: TONGXIN_QUIET_HOURS: %w", err)
	}
	c := cfg.Clinic
	topics := make([]cl.Topic, 0, len(c.Topics))
	for _, t := range c.EffectiveTopics() {
		topics = append(topics, cl.Topic{Title: t.Title, Text: t.Text})
	}
	if c.Token == "" {
		log.Info("TONGXIN_CLINIC_TOKEN is unset: no clinic staff through the admin API, so nobody reads matter descriptions there")
	}
	return clinic.New(store, outbox, clinic.Config{
		Calendar: cal, Jobs: runner, Quiet: quiet, Activities: acts,
		Horizon: c.Horizon, Cutoff: c.Cutoff, MinNotice: c.MinNotice, Reminders: c.Reminders,
		Place: c.Place, Phone: cfg.Contact.CommunityPhone, Topics: topics,
	}), nil
}

// clinicJobs registers the clinic's work on its job runner: the
// reminders the day before and an hour before each booking.
func clinicJobs(clin *clinic.Service) error {
	return clin.AddWorkers()
}

// devAccount reports whether cfg has no real official account, so nothing
// may be sent to or fetched from WeChat. Only the development AppID and
// secret mean that; a plain-mode account may well leave the AES key unset.
func devAccount(cfg config.Config) bool {
	return cfg.WeChat.AppID == config.DevWeChatAppID || cfg.WeChat.Secret == config.DevWeChatSecret
}

// newBlobs opens the store of media copies: the bucket when one is
// configured, else the directory.
func newBlobs(ctx context.Context, cfg config.Config, log *slog.Logger) (blobs.Store, error) {
	s3 := cfg.Media.S3
	if s3.Endpoint == "" {
		d, err := blobs.NewDir(cfg.Media.Dir)
		if err != nil {
			return nil, fmt.Errorf("config: TONGXIN_MEDIA_DIR: %w", err)
		}
		log.Info("copies of tickets' photos and voice kept in a directory", "dir", d.Root())
		return d, nil
	}
	b, err := blobs.NewS3(blobs.S3Config{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Region: s3.Region,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Addressing: s3.Addressing})
	if err != nil {
		return nil, fmt.Errorf("config: TONGXIN_MEDIA_S3_*: %w", err)
	}
	// A bucket that does not answer yet is no reason not to start: the
	// copies wait in their jobs and are retried.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.Check(cctx); err != nil {
		log.Warn("the media bucket does not answer; copies of photos are retried until it does", "bucket", s3.Bucket, "err", err)
	} else {
		log.Info("copies of tickets' photos and voice kept in a bucket", "endpoint", s3.Endpoint, "bucket", s3.Bucket)
	}
	return b, nil
}

// serve runs the service until ctx is cancelled, then drains. listening,
// when not nil, receives the bound address (tests listen on :0).
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, listening func(addr string)) error {
	if len(cfg.DevCredentials) > 0 {
		log.Warn("DEVELOPMENT WeChat credentials in use: set them before connecting a real official account", "defaulted", cfg.DevCredentials)
	}
	d, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()

	mode, err := wechat.ParseMode(cfg.WeChat.MinMode())
	if err != nil {
		return fmt.Errorf("config: TONGXIN_WECHAT_MODE: %w", err)
	}
	codec, err := wechat.NewCodec(cfg.WeChat.AppID, cfg.WeChat.Token, cfg.WeChat.AESKey, mode)
	if err != nil {
		return err
	}
	metrics := handlers.NewMetrics()
	cal, err := workcal.Load(cfg.HolidaysFile)
	if err != nil {
		return err
	}
	// Deadlines and 人工's "after hours" count the same office hours.
	if cal, err = officeCalendar(cfg, cal); err != nil {
		return err
	}
	warnHolidays(log, cal, time.Now())
	// The job runner first: the outbox and the domains register their
	// workers and periodic tasks on it, and it starts once they all have.
	runner, err := jobs.New(d.store, jobs.Config{JobTimeout: cfg.NotifyJobTimeout, RescueAfter: cfg.NotifyRescueAfter}, log)
	if err != nil {
		return err
	}
	outbox, err := newOutbox(cfg, runner, d.store, d.client, log, metrics)
	if err != nil {
		return err
	}
	if simulatorOn(cfg) {
		// The simulator's residents read their pushes there.
		outbox.SetInbox(simInbox(d.redis))
	}
	categories, err := tickets.CategoriesFromConfig(cfg.Tickets)
	if err != nil {
		return fmt.Errorf("config: tickets: %w", err)
	}
	bs, err := newBlobs(ctx, cfg, log)
	if err != nil {
		return err
	}
	copies, err := media.New(runner, d.store, bs, d.client, media.Config{Offline: devAccount(cfg)}, log)
	if err != nil {
		return err
	}
	svc := tickets.New(d.store, outbox, cal, tickets.Config{Categories: categories, Media: copies})
	err = runner.Every("tickets.sweep", time.Minute, func(ctx context.Context) error {
		escalated, closed, err := svc.Sweep(ctx)
		if escalated > 0 || closed > 0 {
			log.InfoContext(ctx, "swept tickets", "escalated", escalated, "closed", closed)
		}
		return err
	})
	if err != nil {
		return err
	}
	// The morning digest: Digest sends only in its window on working days,
	// once per handler and day (its notice key), so a frequent run is
	// cheap and survives a restart around 08:00.
	err = runner.Every("tickets.digest", 5*time.Minute, func(ctx context.Context) error {
		n, err := svc.Digest(ctx)
		if n > 0 {
			log.DebugContext(ctx, "queued morning digests", "handlers", n)
		}
		return err
	})
	if err != nil {
		return err
	}
	sessions := &redisstate.Sessions{Client: d.redis}
	recent := &redisstate.Recent{Client: d.redis}
	priv, err := newPrivacy(cfg, d.store, runner, sessions, recent, bs, log)
	if err != nil {
		return err
	}
	// Hourly: a pass with nothing to do is an indexed query per hook.
	if err := priv.Schedule(time.Hour); err != nil {
		return err
	}
	dir := community.New(d.store, community.Config{
		// A failed 绑定 counts for an hour, per openid and for everyone.
		Failures:      &redisstate.Counter{Client: d.redis, Window: time.Hour},
		Notices:       outbox,
		OnBindFailure: metrics.BindFailed,
		Log:           log,
		Unbindable:    unbindable(cfg),
	})
	dir.OnDeactivate(svc.ReturnAssigned)
	acts, err := newActivities(cfg, d.store, outbox, runner, log)
	if err != nil {
		return err
	}
	actAdmin := &activities.Admin{Service: acts, QR: d.client, Offline: devAccount(cfg)}
	clin, err := newClinic(cfg, d.store, outbox, runner, cal, actAdmin, log)
	if err != nil {
		return err
	}
	if err := clinicJobs(clin); err != nil {
		return err
	}
	// Filled when the pages are built, after the listener: see consolePort.
	consoleLink := &consolePort{}
	router, err := buildBot(cfg, sessions, flows.Deps{
		Residents: d.store, Notifier: outbox, Questions: outbox, Community: dir, Tickets: svc, Activities: acts, Clinic: clin,
		Lists: &redisstate.Lists{Client: d.redis}, Console: consoleLink,
		// With development credentials everything goes to the log, the
		// robot's share included.
		Duty:   bot.Duty{Notifier: outbox, Roster: dir.OnDuty, Robot: cfg.WeCom.RobotKey != "" || devAccount(cfg)},
		Lines:  contactLines(cfg, cal),
		Recent: recent,
	}, metrics, log)
	if err != nil {
		return err
	}
	// What nothing understood is kept masked for the operators' list
	// (/api/v1/unrecognised); metrics, the router's Observer, count it.
	router.Unrecognised = storage.Unrecognised{Store: d.store}
	// The webhook's Redis work, two round trips a message; sessions are
	// the router's store, so that the bot reads and writes the turn.
	// Legacy: sessions stored before keys carried hash tags are still
	// read (one Redis, not a cluster).
	gate := &redisstate.Gate{Client: d.redis, Sessions: sessions, Limit: cfg.RatePerMinute, Window: time.Minute, Legacy: true}
	if err := gate.Init(ctx); err != nil {
		return err
	}
	webhook := &handlers.Webhook{
		Codec:    codec,
		Bot:      router,
		Gate:     gate,
		Late:     outbox,
		Metrics:  metrics,
		Logger:   log,
		Deadline: cfg.HandlerTimeout,
	}
	srv := &handlers.Server{
		Webhook:       webhook,
		Metrics:       metrics,
		Logger:        log,
		AdminToken:    cfg.AdminToken,
		Residents:     d.store,
		Started:       time.Now(),
		Notifications: d.store,
		Retrier:       outbox,
		Community:     dir,
		Tickets:       svc,
		Activities:    actAdmin,
		Clinic:        clin,
		ClinicToken:   cfg.Clinic.Token,
		Open311Key:    cfg.Open311Key,
		Privacy:       priv,
		Media:         copies,
		Unrecognised:  d.store,
		// Counted apart from residents' messages: the key starts open311:.
		Open311Limiter: &redisstate.RateLimiter{Client: d.redis, Limit: cfg.Open311RatePerMinute, Window: time.Minute},
		TrustedProxies: cfg.TrustedProxies,
		Ready: map[string]handlers.Pinger{
			"database": handlers.PingFunc(d.store.Ping),
			"redis":    handlers.PingFunc(func(ctx context.Context) error { return d.redis.Ping(ctx).Err() }),
		},
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv.Pages = pages(pageDeps{
		cfg: cfg, d: d, log: log, dir: dir, tickets: svc, acts: actAdmin, clinic: clin, outbox: outbox,
		media: copies, codec: codec, router: router,
		public: publicURL(cfg, ln.Addr().String()), webhook: chatURL(ln.Addr().String()),
		console: consoleLink,
	})
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      20 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Jobs run on every instance; River shares the work out.
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	log.Info("tongxin serving", "addr", ln.Addr().String(), "engine", d.store.Engine(), "config", cfg)
	nextSteps(log, cfg, ln.Addr().String())
	if listening != nil {
		listening(ln.Addr().String())
	}
	if cfg.PprofAddr != "" {
		stopProfiler, err := serveProfiler(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(sctx)
	if werr := webhook.Wait(sctx); err == nil {
		err = werr
	}
	// After the webhook: late replies it queued may still go out now.
	if jerr := runner.Stop(sctx); err == nil {
		err = jerr
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// warnHolidays warns when the holiday file lacks this year's dates, or
// next year's within two months of it, naming the year: deadlines in a
// year it lacks count weekends only.
func warnHolidays(log *slog.Logger, cal *workcal.Calendar, now time.Time) {
	now = now.In(bot.Shanghai)
	this, soon := now.Year(), now.AddDate(0, 2, 0).Year()
	for y := this; y <= soon; y++ {
		if cal.Covers(y) {
			continue
		}
		when := fmt.Sprintf("deadlines in %d count weekends only", y)
		if y != this {
			when = fmt.Sprintf("from 1 January %d deadlines count weekends only", y)
		}
		log.Warn(fmt.Sprintf("the holiday file has no dates for %d: %s; set TONGXIN_HOLIDAYS_FILE to a file with the State Council's %d notice (see workcal/cn-holidays.txt)", y, when, y), "year", y)
	}
}

// nextSteps ends the start-up report with what to do next, in a few
// lines: where to try it as a resident in a browser (the simulator, when
// on), where WeChat posts messages, how to talk to the service from a
// terminal, and whether the admin API answers.
func nextSteps(log *slog.Logger, cfg config.Config, addr string) {
	hook := chatURL(addr)
	base := strings.TrimSuffix(hook, "/wechat")
	// First: the one step that needs nothing but a browser.
	if simulatorOn(cfg) {
		log.Info("next: try it as a resident in your browser: " + base + sim.Path)
	}
	log.Info("next: the official account's server URL is this address's /wechat; here: "+hook, "mode", cfg.WeChat.MinMode())
	chat := "go run ./cmd/tongxin chat"
	if hook != chatURL(config.Default().HTTPAddr) {
		chat += " -url " + hook
	}
	if devAccount(cfg) {
		log.Info("next: talk to it as a resident in another terminal: " + chat + " (notices it sends are logged here)")
	} else {
		log.Info("next: talk to it as a resident in another terminal, with the same TONGXIN_WECHAT_* settings: " + chat)
	}
	log.Info("next: the staff console is " + base + "/console (the operator signs in first with TONGXIN_ADMIN_TOKEN; staff scan its QR code or send 登录后台)")
	if cfg.AdminToken == "" {
		log.Info("next: the admin API " + base + "/api/v1/ refuses every request: TONGXIN_ADMIN_TOKEN is empty (set one of 32+ characters)")
	} else {
		log.Info("next: the admin API is " + base + "/api/v1/ with the header \"Authorization: Bearer $TONGXIN_ADMIN_TOKEN\"")
	}
}

// serveProfiler serves Go's profiler (net/http/pprof) on addr, a loopback
// address apart from the service's, until stop: how the hot path's CPU
// and allocations are read under load (docs/PERFORMANCE.md).
func serveProfiler(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TONGXIN_PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Warn("the profiler is on", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
