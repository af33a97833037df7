package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/storage"
)

// SimPrefix starts the openids the resident simulator (/sim) invents:
// nobody on WeChat has one, so with real credentials their notices are
// kept in the Inbox instead of being sent (WeChat would refuse them).
const SimPrefix = "sim-"

// IsSimOpenID reports whether openid is one of the simulator's.
func IsSimOpenID(openid string) bool { return strings.HasPrefix(openid, SimPrefix) }

// ChannelSim is the channel recorded on a notification to a simulator
// openid delivered, with real credentials, into the Inbox.
const ChannelSim = "simulator"

// Push is one notice as its recipient received it, kept in the Inbox for
// the simulator to show in the recipient's thread.
type Push struct {
	ID int64 `json:"id"`
	// Kind is the notice's kind (ticket_accepted).
	Kind string `json:"kind"`
	// As is how WeChat shows it: PushText (a customer-service message) or
	// PushTemplate (a template card with Fields and, with a URL, 详情).
	As     string            `json:"as"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	URL    string            `json:"url,omitempty"`
	At     time.Time         `json:"at"`
}

// How a Push is shown (Push.As).
const (
	PushText     = "text"
	PushTemplate = "template"
)

// Inbox keeps, in Redis, the notices delivered to people no WeChat stands
// behind: with development credentials (Config.LogOnly) every openid's,
// and with real ones the simulator's openids' (SimPrefix). Each
// recipient's are one list, the newest Cap kept for TTL after the last:
// enough to show a conversation, never an archive (the ledger is that).
type Inbox struct {
	Redis redis.UniversalClient
	// Prefix starts every key ("tongxin:" when empty): {Prefix}inbox:{openid}.
	Prefix string
	// Cap is how many pushes a recipient keeps (100); TTL how long they
	// live after the last one (a day).
	Cap int
	TTL time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (in *Inbox) key(openid string) string {
	p := in.Prefix
	if p == "" {
		p = "tongxin:"
	}
	return p + "inbox:" + openid
}

func (in *Inbox) limits() (int, time.Duration) {
	n, ttl := in.Cap, in.TTL
	if n <= 0 {
		n = 100
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return n, ttl
}

// Record appends p to openid's pushes, stamping it now when p.At is zero.
func (in *Inbox) Record(ctx context.Context, openid string, p Push) error {
	if p.At.IsZero() {
		now := time.Now
		if in.Now != nil {
			now = in.Now
		}
		p.At = now().UTC()
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("notify: inbox: %w", err)
	}
	n, ttl := in.limits()
	k := in.key(openid)
	_, err = in.Redis.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.RPush(ctx, k, raw)
		pipe.LTrim(ctx, k, int64(-n), -1)
		pipe.Expire(ctx, k, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: inbox: record for %s: %w", openid, err)
	}
	return nil
}

// Pushes returns openid's kept pushes, oldest first.
func (in *Inbox) Pushes(ctx context.Context, openid string) ([]Push, error) {
	raws, err := in.Redis.LRange(ctx, in.key(openid), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("notify: inbox: read %s: %w", openid, err)
	}
	out := make([]Push, 0, len(raws))
	for _, raw := range raws {
		var p Push
		if json.Unmarshal([]byte(raw), &p) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// SetInbox makes the outbox keep what it delivers to in: every openid's
// notices with Config.LogOnly (besides logging them), and otherwise the
// simulator's openids' (instead of sending them). Call it before the
// runner starts.
func (o *Outbox) SetInbox(in *Inbox) { o.inbox = in }

// sendInbox is the channel of a simulator openid's notices with real
// credentials: nothing goes to WeChat, which knows no such user.
func (o *Outbox) sendInbox(ctx context.Context, n storage.Notification, p payload) error {
	return o.inbox.Record(ctx, n.Recipient, o.pushOf(n, p))
}

// keepLogged puts a logged notice in the inbox, when there is one, for
// its recipient to read in the simulator. It only warns on failure: the
// log was development's delivery.
func (o *Outbox) keepLogged(ctx context.Context, n storage.Notification, p payload) {
	if o.inbox == nil || isRole(n.Recipient) {
		return
	}
	if err := o.inbox.Record(ctx, n.Recipient, o.pushOf(n, p)); err != nil {
		o.log.WarnContext(ctx, "notification not kept for the simulator", "id", n.ID, "err", err)
	}
}

// simOnly reports whether n goes to the inbox alone: a simulator openid
// while real credentials are in use.
func (o *Outbox) simOnly(n storage.Notification) bool {
	return o.inbox != nil && !o.cfg.LogOnly && IsSimOpenID(n.Recipient)
}

// pushOf is what the recipient would read of n. A notice that links to
// a page is a template message, the one push WeChat shows with a link to
// tap (详情), as is one with no text; anything else is the
// customer-service text the outbox tries first. The link is the
// notice's, else its kind's template's, as sendTemplate's.
func (o *Outbox) pushOf(n storage.Notification, p payload) Push {
	out := Push{ID: n.ID, Kind: n.Kind, As: PushText, Text: p.Text, URL: p.URL}
	if t, ok := o.cfg.Templates[n.Kind]; ok && out.URL == "" {
		out.URL = t.URL
	}
	if (out.URL != "" || p.Text == "") && len(p.Fields) > 0 {
		out.As = PushTemplate
		out.Fields = make(map[string]string, len(p.Fields))
		for k, v := range p.Fields {
			out.Fields[k] = FieldValue(v)
		}
	}
	return out
}
