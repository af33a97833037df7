package report

import (
	"context"
	"slices"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
)

// registerIntents registers an intent per request category ("report:" +
// key) and "status" (the resident's requests). A category's words are the
// built-in ones of its key and those its configuration brings, so a
// category an operator adds is understood too. Understood, a category
// starts the flow with what was said as the description and the category
// asked about in one answer (keepSaid).
func registerIntents(r *bot.Router, svc ticket.Service) error {
	if svc == nil {
		return nil // a router without requests (other features' tests)
	}
	for _, c := range svc.Categories() {
		words := append(slices.Clone(CategoryWords[c.Key]), c.Words...)
		err := r.Intent(bot.Intent{
			Name: "report:" + c.Key, Label: "报修/诉求（" + c.Name + "）", Words: words,
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
