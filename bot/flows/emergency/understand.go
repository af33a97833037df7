package emergency

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// registerIntents registers "emergency" for what the detector's words
// missed: answered as the detector's own are (handler.understood), never
// with less than the numbers to call.
func registerIntents(r *bot.Router, h *handler) error {
	return r.Intent(bot.Intent{
		Name: "emergency", Label: "紧急求助", Words: IntentWords,
		Handler: func(ctx context.Context, m *bot.Message, _ bot.Understood) (bot.Reply, error) {
			return h.understood(ctx, m), nil
		},
	})
}
