package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/tickets"
)

// privacyHooks are each domain's part in erasure and retention, in the
// order they run: a hook that reads what another blanks comes before it
// (media before tickets). A domain that keeps personal data adds one line.
var privacyHooks = []func() privacy.Hook{
	privacy.ResidentsHook,
	media.PrivacyHook,
	tickets.PrivacyHook,
	activities.PrivacyHook,
	clinic.PrivacyHook,
	notify.PrivacyHook,
}

// newPrivacy builds the erasure service with every domain's hook, and
// one for the last few messages kept in Redis for 人工 (recent, nil when
// there is no Redis); its blob worker registers on runner.
func newPrivacy(cfg config.Config, store *storage.Store, runner *jobs.Runner, sessions bot.SessionStore, recent *redisstate.Recent, bs blobs.Store, log *slog.Logger) (*privacy.Service, error) {
	svc, err := privacy.New(store, runner, privacy.Config{
		Policy:   privacy.Policy{Notifications: cfg.RetentionNotifications, Records: cfg.RetentionRecords},
		Sessions: sessions,
		Blobs:    media.Deleter{Store: bs},
		Log:      log,
	})
	if err != nil {
		return nil, err
	}
	hooks := privacyHooks
	if recent != nil {
		hooks = append(slices.Clip(hooks), recentHook(recent))
	}
	for _, hook := range hooks {
		if err := svc.Register(hook()); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// recentHook erases the resident's last messages kept for 人工 (a Redis
// list that would otherwise expire within a day). Redis is no part of the
// erasure's transaction: the list goes even if the transaction then fails,
// which loses nothing anyone needs.
func recentHook(recent *redisstate.Recent) func() privacy.Hook {
	return func() privacy.Hook {
		return privacy.Hook{Name: "recent_messages", Erase: func(ctx context.Context, _ *storage.Tx, openid string, run *privacy.Run) error {
			n, err := recent.Forget(ctx, openid)
			run.Count("recent_messages", n)
			return err
		}}
	}
}

const eraseUsage = `usage: tongxin erase -openid OPENID

Erases everything tongxin holds about the resident with OPENID, as
DELETE /api/v1/residents/{openid} does: their profile, the personal fields
of their service requests, the notifications to or about them and their
conversation state. What the statistics count stays. Asking twice, or for
an openid tongxin never saw, erases nothing and is no error. Each run is
audited (GET /api/v1/erasures) without saying whose data it was.`

// eraseCommand is the erase command. Its flags are parsed before the
// configuration is loaded, so that -h answers anywhere.
func eraseCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	openid := fs.String("openid", "", "the resident's openid (required)")
	if done, err := flags(fs, inv, eraseUsage, false); done {
		return err
	}
	stdout := inv.stdout
	if *openid == "" {
		return errors.New("erase: -openid is required (tongxin erase -h)")
	}
	if err := privacy.CheckOpenID(*openid); err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	cfg, log, err := inv.load()
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		log.Warn("TONGXIN_REDIS_URL is not set: conversation state in the servers' Redis is not erased here (it expires within half an hour)")
	}
	d, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()
	// Never started: it only queues what the servers' runners then work
	// (deleting files of a blob store).
	runner, err := jobs.New(d.store, jobs.Config{JobTimeout: cfg.NotifyJobTimeout, RescueAfter: cfg.NotifyRescueAfter}, log)
	if err != nil {
		return err
	}
	bs, err := newBlobs(ctx, cfg, log)
	if err != nil {
		return err
	}
	svc, err := newPrivacy(cfg, d.store, runner, &redisstate.Sessions{Client: d.redis}, &redisstate.Recent{Client: d.redis}, bs, log)
	if err != nil {
		return err
	}
	rep, err := svc.Erase(ctx, *openid, "cli")
	if rep.AuditID != 0 {
		fmt.Fprintf(stdout, "erased (audit %d): %s\n", rep.AuditID, counts(rep.Counts))
	}
	return err
}

// counts shows a report's counts as "kind=n" in a stable order.
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
