package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat"
)

// deliverArgs is the delivery job: just the ledger row. Try separates an
// operator's retry from the original job for River's uniqueness check.
type deliverArgs struct {
	ID  int64 `json:"id"`
	Try int   `json:"try,omitempty"`
}

// Kind names the job for River.
func (deliverArgs) Kind() string { return "notify.deliver" }

// InsertOpts makes a row's job unique, so the same notification never
// queues twice.
func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// deliverer is the worker of delivery jobs, registered on the job runner.
type deliverer struct {
	river.WorkerDefaults[deliverArgs]
	o *Outbox
}

// Work delivers one notification.
func (w *deliverer) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.o.deliver(ctx, job.Args.ID, job.Attempt, job.MaxAttempts)
}

// NextRetry spaces out a failed delivery's next try: exponential with full
// jitter, capped, so retries spread out instead of hammering an API that
// is already failing.
func (w *deliverer) NextRetry(job *river.Job[deliverArgs]) time.Time {
	return w.o.nextRetry(job.Attempt)
}

func (o *Outbox) nextRetry(attempt int) time.Time {
	return jobs.Backoff(o.cfg.Now(), attempt, o.cfg.RetryBase, o.cfg.RetryCap)
}

// leaseFor is how long a worker owns a row it is sending, given the job
// timeout: longer than a job may run, since the SDK ignores contexts and a
// call can outlive its job (half a timeout again: at the default 40 s,
// the 20 s of two of the HTTP client's 10 s timeouts), yet short enough
// that a dead worker's row is soon taken up.
func leaseFor(jobTimeout time.Duration) time.Duration {
	return jobTimeout + jobTimeout/2
}

// deliver sends notification id, or first the oldest due notification to
// the same recipient, so that a recipient gets their news in order even
// after an outage. One row per run keeps a job's time bounded; waiting
// behind another row is a snooze, which costs this row no attempt.
func (o *Outbox) deliver(ctx context.Context, id int64, attempt, maxAttempts int) error {
	n, err := o.store.Notification(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	now := o.cfg.Now()
	if n.Status == storage.NotificationPending && !n.Urgent && !n.Staff {
		// Quiet hours hold at every attempt, not only when queued: a
		// retry or an operator's re-queue must not wake a resident.
		if release := o.cfg.Quiet.Release(now); release.After(now) {
			return river.JobSnooze(release.Sub(now))
		}
	}
	next, err := o.store.NextDue(ctx, n.Recipient, n.ID, now)
	if errors.Is(err, bot.ErrNotFound) {
		return nil // delivered or given up already (an operator's retry makes a new job)
	}
	if err != nil {
		return err
	}
	claimed, err := o.store.ClaimNotification(ctx, next.ID, now, o.lease)
	if err != nil {
		return err
	}
	if !claimed {
		// Another worker is sending it right now.
		return river.JobSnooze(o.cfg.OrderWait)
	}
	if next.ID == n.ID {
		return o.attempt(ctx, n, attempt, attempt >= maxAttempts)
	}
	// An older row goes first, on this row's turn. Whatever becomes of it,
	// this row's own attempt comes later; the older row's job keeps its
	// own count of tries.
	if err := o.attempt(ctx, next, 0, false); err != nil && !isFinished(err) {
		o.log.DebugContext(ctx, "waiting behind an older notification", "id", n.ID, "older", next.ID)
		return river.JobSnooze(o.cfg.RetryBase + rand.N(o.cfg.RetryBase+1))
	}
	return river.JobSnooze(0)
}

// isFinished reports whether attempt's error means the row reached a final
// state (failed or dropped) rather than waiting for a retry.
func isFinished(err error) bool {
	var cancel *rivertype.JobCancelError
	return errors.As(err, &cancel)
}

// attempt sends n (which the caller has claimed) through its channels and
// records the outcome. It returns nil when sent, a river.JobCancel error
// when n failed for good, and another error when it should be retried.
//
// Notifications waiting to go to the same recipient with n's merge key
// go out in the same message (merge): recorded sent with n, or, if n is
// not sent, left to their own jobs.
func (o *Outbox) attempt(ctx context.Context, n storage.Notification, attempt int, final bool) error {
	var p payload
	if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
		return o.finish(ctx, n, storage.NotificationDropped, "", "unreadable payload: "+err.Error())
	}
	// Newer news of n's group queued while n was being sent (which kept
	// Enqueue from dropping it), or while it waited: n is stale.
	if newer, err := o.store.NewerInGroup(ctx, n); err != nil {
		return err
	} else if newer != 0 {
		return o.supersede(ctx, n, newer)
	}
	// Those merged into n go back to their own jobs before n's lease
	// ends, if n is not sent: a worker that takes n up next finds them
	// free to merge again.
	merged, p := o.merge(ctx, n, p)
	var fellBack []string
	for _, ch := range o.plan(n) {
		err := ch.send(ctx, n, p)
		if errors.Is(err, errNoTemplate) {
			continue
		}
		switch classify(err) {
		case wechat.ActionNone:
			o.reachable()
			for _, m := range merged {
				if err := o.finish(ctx, m, storage.NotificationSent, ch.name, fmt.Sprintf("sent with notification %d", n.ID)); err != nil {
					o.log.WarnContext(ctx, "record a merged notification", "id", m.ID, "with", n.ID, "err", err)
				}
			}
			return o.finish(ctx, n, storage.NotificationSent, ch.name, strings.Join(fellBack, "; "))
		case wechat.ActionFallback:
			o.metrics.result(ch.name, n.Kind, "fallback")
			fellBack = append(fellBack, ch.name+": "+wechat.Reason(err))
			continue
		case wechat.ActionGiveUp:
			o.metrics.result(ch.name, n.Kind, "failed")
			o.release(ctx, merged)
			return o.finish(ctx, n, storage.NotificationFailed, ch.name, wechat.Reason(err))
		default: // retry, refresh
			o.unreachable(err)
			o.metrics.result(ch.name, n.Kind, "retry")
			o.release(ctx, merged)
			reason := wechat.Reason(err)
			if final {
				return o.finish(ctx, n, storage.NotificationFailed, ch.name, fmt.Sprintf("gave up after %d attempts: %s", attempt, reason))
			}
			if nerr := o.store.NoteAttempt(ctx, n.ID, reason); nerr != nil {
				o.log.WarnContext(ctx, "record attempt", "id", n.ID, "err", nerr)
			}
			return fmt.Errorf("notify: deliver %d via %s: %s", n.ID, ch.name, reason)
		}
	}
	o.release(ctx, merged)
	reason := "no channel could deliver"
	if len(fellBack) > 0 {
		reason += ": " + strings.Join(fellBack, "; ")
	}
	return o.finish(ctx, n, storage.NotificationFailed, "", reason)
}

// Merging: at most mergeLimit notifications go with one, and the
// message stays within mergeBytes, short of the 2,048 bytes WeChat's
// customer-service text and the WeCom robot take.
const (
	mergeLimit = 20
	mergeBytes = 1800
	mergeSep   = "\n\n"
)

// merge claims the notifications waiting to go to n's recipient with
// n's merge key (a backlog: an outage, a slow API) and returns them with
// the payload that carries their texts after n's, oldest first. A
// template message shows n's fields. Merged notices go out with n, ahead
// of others to the recipient queued between them. Anything that goes
// wrong here only means n goes out alone.
func (o *Outbox) merge(ctx context.Context, n storage.Notification, p payload) ([]storage.Notification, payload) {
	if n.MergeKey == "" || p.Text == "" {
		return nil, p
	}
	now := o.cfg.Now()
	waiting, err := o.store.Mergeable(ctx, n, now, mergeLimit)
	if err != nil {
		o.log.WarnContext(ctx, "look for notifications to merge", "id", n.ID, "err", err)
		return nil, p
	}
	group := func(p payload) string {
		if p.GroupText != "" {
			return p.GroupText
		}
		return p.Text
	}
	texts, groups := []string{p.Text}, []string{group(p)}
	size, gsize := len(p.Text), len(groups[0])
	masked := p.GroupText != ""
	var merged []storage.Notification
	for _, m := range waiting {
		var mp payload
		if json.Unmarshal([]byte(m.Payload), &mp) != nil || mp.Text == "" {
			continue // its own job records what is wrong with it
		}
		if size+len(mergeSep)+len(mp.Text) > mergeBytes || gsize+len(mergeSep)+len(group(mp)) > mergeBytes {
			break // the rest go in the next message
		}
		ok, err := o.store.ClaimNotification(ctx, m.ID, now, o.lease)
		if err != nil || !ok {
			continue // another worker is sending it
		}
		merged = append(merged, m)
		texts, groups = append(texts, mp.Text), append(groups, group(mp))
		size += len(mergeSep) + len(mp.Text)
		gsize += len(mergeSep) + len(group(mp))
		masked = masked || mp.GroupText != ""
	}
	if len(merged) == 0 {
		return nil, p
	}
	p.Text = strings.Join(texts, mergeSep)
	if masked {
		p.GroupText = strings.Join(groups, mergeSep)
	}
	return merged, p
}

// release hands merged notifications back to their own jobs after the
// message they were to go with was not sent.
func (o *Outbox) release(ctx context.Context, merged []storage.Notification) {
	for _, m := range merged {
		if err := o.store.ReleaseNotification(ctx, m.ID); err != nil {
			// Its lease runs out on its own.
			o.log.WarnContext(ctx, "release a merged notification", "id", m.ID, "err", err)
		}
	}
}

// classify extends wechat.Classify to the robot's errors, which are not
// official-account API errors: busy (-1) and rate limited (45009, about
// 20 messages a minute) are transient; anything else (a bad key) is not.
func classify(err error) wechat.Action {
	var re *robotError
	if errors.As(err, &re) {
		if re.code == -1 || re.code == 45009 {
			return wechat.ActionRetry
		}
		return wechat.ActionGiveUp
	}
	return wechat.Classify(err)
}

// finish records the outcome; a failure stops River retrying the job.
func (o *Outbox) finish(ctx context.Context, n storage.Notification, status, channel, reason string) error {
	err := o.store.FinishNotification(ctx, n.ID, status, channel, reason)
	if errors.Is(err, bot.ErrConflict) {
		return nil // another worker recorded it first
	}
	if err != nil {
		return err
	}
	switch status {
	case storage.NotificationSent:
		o.metrics.result(channel, n.Kind, "sent")
		o.metrics.latency.Observe(o.cfg.Now().Sub(n.NotBefore).Seconds())
		return nil
	default:
		o.log.WarnContext(ctx, "notification not delivered", "id", n.ID, "kind", n.Kind, "status", status, "reason", reason)
		return river.JobCancel(fmt.Errorf("notification %d %s: %s", n.ID, status, reason))
	}
}

// supersede drops n, which newer replaces: a routine outcome, not a
// failure, so the job ends without a warning.
func (o *Outbox) supersede(ctx context.Context, n storage.Notification, newer int64) error {
	err := o.store.FinishNotification(ctx, n.ID, storage.NotificationDropped, "", storage.Superseded(newer))
	if err != nil && !errors.Is(err, bot.ErrConflict) {
		return err
	}
	o.metrics.result("", n.Kind, "superseded")
	o.log.DebugContext(ctx, "notification superseded", "id", n.ID, "by", newer)
	return nil
}

// DeliverDue delivers, in the caller's goroutine, the pending
// notifications due at the outbox's clock, oldest first, as the delivery
// jobs would (quiet hours, order, merging, superseding), and returns how
// many it took up. It is for what runs no job runner on a real clock:
// tests on a fake clock, and a one-shot flush. A row that must wait (a
// retry, an older row's turn) stays pending.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	ids, err := o.store.DueNotifications(ctx, o.cfg.Now(), 500)
	if err != nil {
		return 0, fmt.Errorf("notify.DeliverDue: %w", err)
	}
	for _, id := range ids {
		err := o.deliver(ctx, id, 1, o.cfg.MaxAttempts)
		var snooze *rivertype.JobSnoozeError
		if err != nil && !isFinished(err) && !errors.As(err, &snooze) {
			return 0, fmt.Errorf("notify.DeliverDue(%d): %w", id, err)
		}
	}
	return len(ids), nil
}

func (o *Outbox) unreachable(err error) {
	if o.apiDown.CompareAndSwap(false, true) {
		o.log.Warn("WeChat API failing; notifications stay queued and are retried", "reason", wechat.Reason(err))
	}
}

func (o *Outbox) reachable() {
	if o.apiDown.CompareAndSwap(true, false) {
		o.log.Info("WeChat API answering again; queued notifications are going out")
	}
}
