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

// registerIntents registers the clinic's intents. SEAM: each starts the
// booking flow without the matter preset.
func registerIntents(r *bot.Router) error {
	for _, name := range []string{"clinic:consult", "clinic:mediation", "clinic:aid", "clinic:knowledge"} {
		err := r.Intent(bot.Intent{
			Name: name, Label: intentLabels[name], Words: MatterWords[name],
			Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
				return r.StartWith(ctx, m, Name, u)
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}
