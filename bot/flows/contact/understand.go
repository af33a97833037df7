package contact

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// registerIntents registers "contact": the card.
func registerIntents(r *bot.Router, h bot.Handler) error {
	return r.Intent(bot.Intent{
		Name: "contact", Label: "联系电话", Words: ContactWords,
		Handler: func(ctx context.Context, m *bot.Message, _ bot.Understood) (bot.Reply, error) {
			return h.Handle(ctx, m)
		},
	})
}
