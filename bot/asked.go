package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AnswerWindow is how long after a question reached a person (a notice
// with Asks, delivered) a bare reply such as "1" or "3" answers it.
// Later, or before it reached them (held by quiet hours), the same digit
// is a menu choice like any other, and the question needs its explicit
// form ("评价 3", "确认参加 …").
const AnswerWindow = 2 * time.Hour

// Ask names a question for Notice.Asks: question is its kind, the same
// for every notice asking it ("ticket.rating"), ref what it is about (a
// ticket number).
func Ask(question, ref string) string { return question + ":" + ref }

// Delivered is a question that reached a person.
type Delivered struct {
	// Question and Ref are what Ask was given.
	Question, Ref string
	// At is when the notice asking it was delivered.
	At time.Time
}

// Questions tells which questions reached a person (notify.Outbox, from
// the notification ledger).
type Questions interface {
	// LastAsked returns the question most recently delivered to openid,
	// whatever it was, or ErrNotFound.
	LastAsked(ctx context.Context, openid string) (Delivered, error)
}

// ParseAsk splits what Ask made.
func ParseAsk(s string) (question, ref string) {
	question, ref, _ = strings.Cut(s, ":")
	return question, ref
}

// Asked reports whether a bare reply from openid at now answers
// question, and what it is about: only when question is the last one
// delivered to them (a newer question of another feature takes bare
// replies over) and it reached them within AnswerWindow. A nil q never
// answers. A follow-up still checks that the question is open (not
// answered already) before taking the reply, and passes it on otherwise.
func Asked(ctx context.Context, q Questions, openid, question string, now time.Time) (ref string, ok bool, err error) {
	if q == nil || openid == "" {
		return "", false, nil
	}
	d, err := q.LastAsked(ctx, openid)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("bot.Asked(%s): %w", question, err)
	}
	if d.Question != question || now.Before(d.At) || now.Sub(d.At) > AnswerWindow {
		return "", false, nil
	}
	return d.Ref, true, nil
}

// WhenTold says to staff when a resident learns of what they just did:
// tell is what the notice does ("通知居民", "请居民评价"), due when it goes
// out. "已通知居民" when it goes now, "将于 07:00 通知居民" while quiet
// hours hold it; "" for a zero due (nobody is told).
func WhenTold(tell string, due, now time.Time) string {
	switch {
	case due.IsZero():
		return ""
	case !due.After(now):
		return "已" + tell
	case due.Sub(now) < 24*time.Hour:
		return "将于 " + due.In(Shanghai).Format("15:04") + " " + tell
	}
	return "将于 " + When(due) + " " + tell
}
