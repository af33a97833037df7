package redisstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
)

// Lists is a bot.Lists in Redis: the numbered list a person was last
// shown, one JSON array at {Prefix}list:{openid} that expires TTL after
// it was shown.
type Lists struct {
	Client Client
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long a list is remembered; bot.ListTTL when zero.
	TTL time.Duration
}

var _ bot.Lists = (*Lists)(nil)

func (l *Lists) key(openid string) string { return listKey(prefixOr(l.Prefix), openid) }

// listKey carries the openid as hash tag, so that a Gate's turn reads and
// writes it with the person's other keys.
func listKey(prefix, openid string) string { return prefix + "list:{" + openid + "}" }

// Remember implements bot.Lists.
func (l *Lists) Remember(ctx context.Context, openid string, items []string) error {
	v, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("redisstate: remember list: %w", err)
	}
	if t := turnFor(ctx, l.Client, l.Prefix, openid); t != nil {
		t.list, t.listSet, t.listTTL = v, true, durationOr(l.TTL, bot.ListTTL)
		return nil
	}
	if err := l.Client.Set(ctx, l.key(openid), v, durationOr(l.TTL, bot.ListTTL)).Err(); err != nil {
		return fmt.Errorf("redisstate: remember list: %w", err)
	}
	return nil
}

// Recall implements bot.Lists.
func (l *Lists) Recall(ctx context.Context, openid string) ([]string, error) {
	var v []byte
	if t := turnFor(ctx, l.Client, l.Prefix, openid); t != nil {
		// Read with the rest before the bot, or written in this turn.
		v = t.list
	} else {
		var err error
		v, err = l.Client.Get(ctx, l.key(openid)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("redisstate: recall list: %w", err)
		}
	}
	if v == nil {
		return nil, nil
	}
	var items []string
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, nil // a value of another shape is no list
	}
	return items, nil
}
