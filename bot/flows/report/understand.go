package report

import (
	"context"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// registerIntents registers an intent per request category ("report:" +
// key) that starts the flow with what was said, and "status" (the
// resident's requests). SEAM: the flow does not use what was said yet.
func registerIntents(r *bot.Router, svc ticket.Service) error {
	if svc == nil {
		return nil // a router without requests (other features' tests)
	}
	for _, c := range svc.Categories() {
		err := r.Intent(bot.Intent{
			Name: "report:" + c.Key, Label: "报修/诉求（" + c.Name + "）", Words: CategoryWords[c.Key],
			Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
				return r.StartWith(ctx, m, Name, u)
			},
		})
		if err != nil {
			return err
		}
	}
	mine := Mine(svc)
	return r.Intent(bot.Intent{
		Name: "status", Label: "查看我的诉求", Words: StatusWords,
		Handler: func(ctx context.Context, m *bot.Message, _ bot.Understood) (bot.Reply, error) {
			return mine.Handle(ctx, m)
		},
	})
}
