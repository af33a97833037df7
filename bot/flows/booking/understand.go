package booking

import (
	"context"

	"github.com/tongxin/tongxin/bot"
)

// intentLabels name the clinic's intents when the router asks.
var intentLabels = map[string]string{
	"clinic:consult": "法律咨询", "clinic:mediation": "矛盾调解",
	"clinic:aid": "法律援助", "clinic:knowledge": "法律知识",
}

// registerIntents registers the clinic's intents: a legal question
// ("离婚财产怎么分", "房东不退押金") starts the booking with the matter of
// the intent preset and the words kept as the description (keepSaid);
// clinic:knowledge opens the 法律知识 topics.
func registerIntents(r *bot.Router) error {
	for _, name := range []string{"clinic:consult", "clinic:mediation", "clinic:aid", "clinic:knowledge"} {
		flow := Name
		if name == "clinic:knowledge" {
			flow = TopicsFlow
		}
		err := r.Intent(bot.Intent{
			Name: name, Label: intentLabels[name], Words: MatterWords[name],
			Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
				return r.StartWith(ctx, m, flow, u)
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}
