package emergency

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// registerIntents registers "emergency" for what the detector's words
// missed. SEAM: tells the resident to call for help.
func registerIntents(r *bot.Router) error {
	return r.Intent(bot.Intent{
		Name: "emergency", Label: "紧急求助", Words: IntentWords,
		Handler: func(ctx context.Context, m *bot.Message, _ bot.Understood) (bot.Reply, error) {
			return bot.Text("如有危险，请立即拨打 119（火警）、120（急救）或 110（报警）。"), nil
		},
	})
}
