package booking

import (
	"context"
	"fmt"
	"strings"

	"github.com/tongxin/tongxin/bot"
	cl "github.com/tongxin/tongxin/bot/clinic"
)

// intentLabels name the clinic's intents when the router asks.
var intentLabels = map[string]string{
	"clinic:consult": "法律咨询", "clinic:mediation": "矛盾调解",
	"clinic:aid": "法律援助", "clinic:knowledge": "法律知识",
}

// registerIntents registers the clinic's intents: a legal question
// ("离婚财产怎么分", "房东不退押金") starts the booking with the matter of
// the intent preset and the words kept as the description (keepSaid);
// clinic:knowledge opens the 法律知识 topics. A consultation or mediation
// with no free slot gets what it can have (full), not a form.
func registerIntents(r *bot.Router, k *flowKit) error {
	for _, name := range []string{"clinic:consult", "clinic:mediation", "clinic:aid", "clinic:knowledge"} {
		flow := Name
		if name == "clinic:knowledge" {
			flow = TopicsFlow
		}
		err := r.Intent(bot.Intent{
			Name: name, Label: intentLabels[name], Words: MatterWords[name],
			Handler: func(ctx context.Context, m *bot.Message, u bot.Understood) (bot.Reply, error) {
				if text, ok, err := k.full(ctx, u.Intent); err != nil || ok {
					return bot.Text(text), err
				}
				return r.StartWith(ctx, m, flow, u)
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// full answers a question understood as a consultation or a mediation
// when no slot of it is free: the clinic's card, the walk-in hours, the
// hotline, and the way to a 专家会诊 (咨询律师, whose form offers it).
// A form whose only answers are 9 or 0 would keep a resident who only
// asked a question until they found 取消. ok is false when there is a
// slot to book, or for legal aid, whose form files an application
// without one (8 不约时间).
func (k *flowKit) full(ctx context.Context, name string) (text string, ok bool, err error) {
	m, isMatter := understoodMatters[name]
	if !isMatter || m == cl.Aid {
		return "", false, nil
	}
	ss, err := k.svc.Slots(ctx, m)
	if err != nil {
		return "", false, err
	}
	if _, os := slotLines(ss); len(os) > 0 {
		return "", false, nil
	}
	i, err := k.svc.Info(ctx)
	if err != nil {
		return "", false, err
	}
	hotline := i.Hotline
	if hotline == "" {
		hotline = cl.Hotline
	}
	var b strings.Builder
	b.WriteString(intro(i) + "\n\n")
	fmt.Fprintf(&b, "近期%s已约满。", m.Label())
	if w := walkIns(ss, 3); w != "" {
		b.WriteString("\n可直接到场（不用预约）：\n" + w)
	} else if i.WalkIn != "" {
		b.WriteString("\n可直接到场：" + i.WalkIn)
	}
	fmt.Fprintf(&b, "\n急事可拨打 %s 公共法律服务热线。", hotline)
	b.WriteString("\n需要专家会诊，请回复 咨询律师 提交申请，安排好后通知您。")
	return b.String(), true, nil
}
