// Package booking is the legal clinic's conversation (法律诊所预约).
package booking

import (
	"context"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
)

// Register adds the clinic's flow, keywords, scenes and menu action.
// Seam of issue 11: the LEGAL entry until the conversation lands.
func Register(r *bot.Router, d flows.Deps) error {
	return r.Action(bot.MenuEntry{Key: "LEGAL", Label: "法律咨询", Handler: bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text("法律诊所预约服务即将开通，敬请期待。\n急事请回复 人工 联系工作人员。"), nil
	})})
}
