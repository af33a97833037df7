package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
)

type lastAsked struct {
	d   bot.Delivered
	err error
}

func (q lastAsked) LastAsked(context.Context, string) (bot.Delivered, error) { return q.d, q.err }

func TestAskedOnlyWithinTheWindowOfTheLastQuestion(t *testing.T) {
	at := time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai)
	q, ref := bot.ParseAsk(bot.Ask("ticket.rating", "2611260001"))
	rating := lastAsked{d: bot.Delivered{Question: q, Ref: ref, At: at}}
	for _, tc := range []struct {
		name     string
		q        bot.Questions
		question string
		now      time.Time
		want     bool
	}{
		{"just delivered", rating, "ticket.rating", at, true},
		{"within the window", rating, "ticket.rating", at.Add(bot.AnswerWindow), true},
		{"past the window", rating, "ticket.rating", at.Add(bot.AnswerWindow + time.Second), false},
		{"before delivery", rating, "ticket.rating", at.Add(-time.Minute), false},
		{"another question is the last", rating, "activity.confirm", at, false},
		{"nothing asked", lastAsked{err: bot.ErrNotFound}, "ticket.rating", at, false},
		{"no ledger", nil, "ticket.rating", at, false},
	} {
		got, ok, err := bot.Asked(context.Background(), tc.q, "o-res", tc.question, tc.now)
		if err != nil || ok != tc.want || (ok && got != "2611260001") {
			t.Errorf("%s: Asked = %q, %v, %v; want ok %v", tc.name, got, ok, err, tc.want)
		}
	}
}

func TestWhenTold(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 20, 0, 0, bot.Shanghai)
	for _, tc := range []struct {
		due  time.Time
		want string
	}{
		{time.Time{}, ""},
		{now, "已通知居民"},
		{now.Add(-time.Second), "已通知居民"},
		{time.Date(2026, 11, 27, 7, 0, 0, 0, bot.Shanghai), "将于 07:00 通知居民"},
		{time.Date(2026, 11, 29, 7, 0, 0, 0, bot.Shanghai), "将于 11月29日 07:00 通知居民"},
	} {
		if got := bot.WhenTold("通知居民", tc.due, now); got != tc.want {
			t.Errorf("WhenTold(%v) = %q, want %q", tc.due, got, tc.want)
		}
	}
}
