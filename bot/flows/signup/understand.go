package signup

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// registerIntents registers "events". SEAM: the whole list, unfiltered.
func registerIntents(r *bot.Router, f *feature) error {
	return r.Intent(bot.Intent{
		Name: "events", Label: "活动报名", Words: EventWords,
		Handler: func(ctx context.Context, m *bot.Message, _ bot.Understood) (bot.Reply, error) {
			return f.list(ctx, m)
		},
	})
}
