package signup

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// registerIntents registers "events": "最近有什么活动吗" the list of open
// activities; "百家宴怎么报名" straight to the sign-up of the activity it
// names, as the activity's poster does (named); several named, the list
// of those.
func registerIntents(r *bot.Router, f *feature) error {
	return r.Intent(bot.Intent{
		Name: "events", Label: "活动报名", Words: EventWords,
		Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
			return f.listWith(ctx, m, &u)
		},
	})
}
