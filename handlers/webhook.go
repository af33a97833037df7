package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/wechat"
)

// Resident-facing texts of the webhook itself.
const (
	msgSlowDown = "您发送得太快了，请稍等一分钟再发。"
	msgBusy     = "您的上一条消息还在处理，请稍等几秒再发。"
)

// lateWork bounds how long a handler may run after its reply went late.
const lateWork = 60 * time.Second

// DefaultPreDeadline bounds the Redis work before the bot (the nonce
// binding, the retry guard, the rate limit, the resident's lock and
// session): past it the resident gets an apology rather than silence,
// well inside WeChat's 5 s.
const DefaultPreDeadline = 1500 * time.Millisecond

// claimGrace is how long past the deadline a live delivery may take to
// store its "late" result. A claim still pending after the deadline and
// this grace belongs to a delivery that died (kill -9 mid-message), and
// WeChat's next retry takes it over instead of answering "success" for a
// reply that will never come.
const claimGrace = 500 * time.Millisecond

// lockWait is how long a message waits for the resident's previous one.
// With the lock's TTL (redisstate.DefaultLockTTL, 3 s) it is shorter than
// the time between WeChat's retries, so a retry that took over a dead
// delivery also gets the resident.
const lockWait = 3 * time.Second

// Webhook serves /wechat: verification, decoding, de-duplication of
// retries, rate limiting, one-at-a-time processing per resident, and the
// deadline after which the reply goes out later.
type Webhook struct {
	Codec *wechat.Codec
	Bot   bot.Handler
	// Gate does the Redis work around the bot in two round trips; the
	// bot's session store must be Gate.Sessions.
	Gate *redisstate.Gate
	// Late queues replies that missed the deadline (the outbox), which
	// sends them as customer-service messages.
	Late    bot.Notifier
	Metrics *Metrics
	Logger  *slog.Logger
	// Deadline is how long the bot may take before the webhook answers
	// "success" and sends the reply later (WeChat gives up after 5 s).
	Deadline time.Duration
	// PreDeadline bounds the Redis work before the bot;
	// DefaultPreDeadline when zero.
	PreDeadline time.Duration

	inflight sync.WaitGroup
}

// outcome is what a delivery's result looks like in the dedup store, so a
// retry gets the same answer on any instance.
type outcome struct {
	Text string `json:"text,omitempty"`
	// Late is set when the reply went (or goes) out as a customer-service
	// message; retries then answer "success".
	Late bool `json:"late,omitempty"`
}

// Wait blocks until replies still being worked on after their deadline are
// sent, or ctx is done: part of a graceful shutdown.
func (h *Webhook) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Webhook) verify(w http.ResponseWriter, r *http.Request) {
	echo, err := h.Codec.VerifyURL(r.URL.Query())
	if err != nil {
		h.reject(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(echo))
}

func (h *Webhook) reject(w http.ResponseWriter, r *http.Request, err error) {
	status, reason := http.StatusBadRequest, "malformed"
	switch {
	case errors.Is(err, wechat.ErrSignature):
		status, reason = http.StatusForbidden, "signature"
	case errors.Is(err, wechat.ErrReplay):
		status, reason = http.StatusForbidden, "replay"
	case errors.Is(err, wechat.ErrWeakMode):
		status, reason = http.StatusForbidden, "mode"
	case errors.Is(err, wechat.ErrTooLarge):
		status, reason = http.StatusRequestEntityTooLarge, "too_large"
	}
	h.Metrics.rejected.WithLabelValues(reason).Inc()
	h.Logger.WarnContext(r.Context(), "webhook request rejected", "reason", reason, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

func (h *Webhook) receive(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// Read the body once (a byte over the limit is enough to refuse it):
	// the codec decodes it and the nonce guard hashes it.
	raw, err := io.ReadAll(io.LimitReader(r.Body, h.Codec.MaxBodyBytes()+1))
	if err != nil {
		h.reject(w, r, fmt.Errorf("%w: %v", wechat.ErrMalformed, err))
		return
	}
	q := r.URL.Query()
	in, err := h.Codec.Decode(q, bytes.NewReader(raw))
	if err != nil {
		h.reject(w, r, err)
		return
	}
	m := in.Msg
	kind := string(m.Kind)
	if m.Kind == bot.KindEvent {
		kind += ":" + string(m.Event)
	}
	h.Metrics.messages.WithLabelValues(kind).Inc()
	log := h.Logger.With("kind", kind, "openid", bot.ShortID(m.OpenID))
	defer func() { h.Metrics.latency.Observe(time.Since(start).Seconds()) }()

	ctx := r.Context()
	res, err := h.process(ctx, m, q, raw, log)
	if errors.Is(err, errReplay) {
		h.reject(w, r, fmt.Errorf("%w: signed query reused with another body", wechat.ErrReplay))
		return
	}
	if err != nil {
		log.ErrorContext(ctx, "webhook processing failed", "err", err)
		if res == (outcome{}) {
			// Redis was out of reach before the bot: nothing could be
			// vouched for or de-duplicated, so nothing was done, but the
			// resident deserves an answer, and WeChat a 200 rather than a
			// retry into the same outage. (When only storing the reply
			// failed, the bot has acted and its reply stands.)
			h.Metrics.unavailable.Inc()
			res = outcome{Text: bot.MsgInternal}
		}
	}
	text := res.Text
	if res.Late {
		text = ""
	}
	body, err := h.Codec.EncodeReply(in, bot.Text(text))
	if err != nil {
		log.ErrorContext(ctx, "encode reply", "err", err)
		body = []byte("success")
	}
	if string(body) == "success" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	}
	_, _ = w.Write(body)
	log.InfoContext(ctx, "message answered", "late", res.Late, "ms", time.Since(start).Milliseconds())
}

// errReplay is process's verdict on a signed query reused with another
// body.
var errReplay = errors.New("replay")

// process decides the reply of one delivery, at most once per message ID
// across all instances.
func (h *Webhook) process(ctx context.Context, m *bot.Message, q url.Values, raw []byte, log *slog.Logger) (outcome, error) {
	arrival := redisstate.Arrival{
		OpenID: m.OpenID, ID: m.ID,
		Signature: q.Get("signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"), Body: raw,
		Limit:        m.Event != bot.EventUnsubscribe,
		ReclaimAfter: h.Deadline + claimGrace,
	}
	turn, err := h.begin(ctx, arrival)
	if err != nil {
		return outcome{}, fmt.Errorf("before the bot: %w", err)
	}
	return h.admit(ctx, turn, arrival, m, log, true)
}

// begin is the Redis work before the bot, under its own deadline.
func (h *Webhook) begin(ctx context.Context, a redisstate.Arrival) (*redisstate.Turn, error) {
	pre := h.PreDeadline
	if pre <= 0 {
		pre = DefaultPreDeadline
	}
	ctx, cancel := context.WithTimeout(ctx, pre)
	defer cancel()
	return h.Gate.Begin(ctx, a)
}

// admit acts on what Begin decided. A copy of a message whose first
// delivery has not answered within the deadline looks once more
// (lookAgain): the first may have died, and a claim pending longer than a
// live owner keeps it is then taken over (the reply goes late) instead of
// answering "success" for a reply that never comes.
func (h *Webhook) admit(ctx context.Context, turn *redisstate.Turn, a redisstate.Arrival, m *bot.Message, log *slog.Logger, lookAgain bool) (outcome, error) {
	switch turn.Admission {
	case redisstate.Replayed:
		return outcome{}, errReplay
	case redisstate.Duplicate:
		if lookAgain {
			h.Metrics.duplicates.Inc()
			log.InfoContext(ctx, "duplicate delivery")
		}
		stored := turn.Result()
		if !turn.HasResult() {
			if !lookAgain {
				// Still working: it will answer (or send the reply later)
				// on its own; this copy must not act.
				return outcome{Late: true}, nil
			}
			wctx, cancel := context.WithTimeout(ctx, h.Deadline)
			defer cancel()
			var err error
			if stored, err = turn.WaitResult(wctx); err != nil {
				again, err := h.begin(context.WithoutCancel(ctx), a)
				if err != nil {
					return outcome{Late: true}, nil
				}
				return h.admit(ctx, again, a, m, log, false)
			}
		}
		var res outcome
		if err := json.Unmarshal(stored, &res); err != nil {
			return outcome{}, fmt.Errorf("read stored reply: %w", err)
		}
		return res, nil
	case redisstate.Limited:
		h.Metrics.rateLimited.Inc()
		return h.finish(ctx, turn, outcome{Text: msgSlowDown})
	}
	if turn.Reclaimed {
		h.Metrics.reclaimed.Inc()
		log.WarnContext(ctx, "retry took over a delivery that died mid-message")
	}
	return h.run(ctx, turn, m, log)
}

// finish ends the turn with res: the session as the bot left it, the
// unlock and the reply for retries, in one round trip.
func (h *Webhook) finish(ctx context.Context, turn *redisstate.Turn, res outcome) (outcome, error) {
	raw, err := json.Marshal(res)
	if err != nil {
		return res, err
	}
	if err := turn.Finish(context.WithoutCancel(ctx), true, raw); err != nil {
		if errors.Is(err, bot.ErrConflict) {
			h.Metrics.conflicts.Inc()
		}
		return res, fmt.Errorf("store reply: %w", err)
	}
	return res, nil
}

// run calls the bot under the deadline. Past it, the reply is sent later as
// a customer-service message and the webhook answers "success" now.
func (h *Webhook) run(ctx context.Context, turn *redisstate.Turn, m *bot.Message, log *slog.Logger) (outcome, error) {
	// The work outlives the request when it is late, so it must not be
	// cancelled with it.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateWork)
	done := make(chan outcome, 1)
	h.inflight.Add(1)
	go func() {
		defer h.inflight.Done()
		defer cancel()
		done <- h.handle(work, turn, m, log)
	}()

	timer := time.NewTimer(h.Deadline)
	defer timer.Stop()
	select {
	case res := <-done:
		return h.finish(ctx, turn, res)
	case <-timer.C:
	}
	// Late: retries from now on answer "success"; the reply follows.
	late, _ := json.Marshal(outcome{Late: true})
	if err := turn.Store(context.WithoutCancel(ctx), late); err != nil {
		log.ErrorContext(ctx, "store late marker", "err", err)
	}
	h.inflight.Add(1)
	go func() {
		defer h.inflight.Done()
		res := <-done
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		// The session as the bot left it, and the resident free again;
		// the stored answer stays "late".
		if err := turn.Finish(sctx, false, nil); err != nil {
			log.ErrorContext(sctx, "end of a late turn", "err", err)
		}
		if res.Text == "" {
			return
		}
		err := h.Late.Notify(sctx, bot.Notice{
			Kind: "reply", To: m.OpenID, Text: res.Text, Urgent: true, Key: "reply:" + m.ID,
		})
		if err != nil {
			h.Metrics.lateReplies.WithLabelValues("failed").Inc()
			log.ErrorContext(sctx, "late reply not queued", "err", err)
			return
		}
		h.Metrics.lateReplies.WithLabelValues("queued").Inc()
	}()
	log.WarnContext(ctx, "reply missed the deadline; sending it later", "deadline", h.Deadline)
	return outcome{Late: true}, nil
}

// handle runs the bot for one message while holding the resident's lock, so
// that their messages are processed in order on any instance.
func (h *Webhook) handle(ctx context.Context, turn *redisstate.Turn, m *bot.Message, log *slog.Logger) (res outcome) {
	// The bot runs on its own goroutine, out of reach of the HTTP server's
	// recovery: a panic here would take the process down.
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(ctx, "bot panicked", "panic", v, "stack", string(debug.Stack()))
			res = outcome{Text: bot.MsgInternal}
		}
	}()
	if !turn.Locked() {
		// The resident's previous message is still being answered.
		lctx, cancel := context.WithTimeout(ctx, lockWait)
		err := turn.Lock(lctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			log.WarnContext(ctx, "resident busy", "err", err)
			return outcome{Text: msgBusy}
		}
		if err != nil {
			// Not a slow previous message: Redis failed while waiting.
			log.ErrorContext(ctx, "waiting for the resident", "err", err)
			h.Metrics.unavailable.Inc()
			return outcome{Text: bot.MsgInternal}
		}
	}
	reply, err := h.Bot.Handle(turn.Context(ctx), m)
	if err != nil {
		var ue *bot.UserError
		if !errors.As(err, &ue) {
			log.ErrorContext(ctx, "bot failed", "err", err)
		}
		return outcome{Text: bot.UserMessage(err)}
	}
	return outcome{Text: reply.Text}
}
