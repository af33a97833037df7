package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows/profile"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/wechat"
)

// menuItem is a main-menu entry: key, label and extra keywords.
type menuItem struct {
	key, label string
	keywords   []string
}

// builtinMenu is the main menu unless the configuration file sets one.
var builtinMenu = []menuItem{
	{"REPORT", "报修/诉求", nil},
	{"EVENTS", "活动报名", nil},
	{"LEGAL", "法律咨询", nil},
	{"MY", "我的信息", []string{"我的信息", "我的"}},
}

// menuItems applies the operator's menu (order, labels, keywords) to the
// built-in entries.
func menuItems(cfg config.Config) ([]menuItem, error) {
	if len(cfg.Bot.Menu) == 0 {
		return builtinMenu, nil
	}
	byKey := map[string]menuItem{}
	for _, it := range builtinMenu {
		byKey[it.key] = it
	}
	var items []menuItem
	for _, m := range cfg.Bot.Menu {
		it, ok := byKey[m.Key]
		if !ok {
			return nil, fmt.Errorf("config: menu key %q has no handler (known: REPORT, EVENTS, LEGAL, MY)", m.Key)
		}
		if m.Label != "" {
			it.label = m.Label
		}
		if len(m.Keywords) > 0 {
			it.keywords = m.Keywords
		}
		items = append(items, it)
	}
	return items, nil
}

// comingSoon answers a menu entry whose service is not open yet.
func comingSoon(what string) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Text(what + "服务即将开通，敬请期待。\n急事请回复 人工 联系工作人员。"), nil
	})
}

// buildBot assembles the router: built-in menu, keywords and texts, with
// the operator's overrides from the configuration file on top.
func buildBot(cfg config.Config, residents bot.Residents, sessions bot.SessionStore, n bot.Notifier, svc ticket.Service, obs bot.Observer, log *slog.Logger) (*bot.Router, error) {
	r := bot.NewRouter(sessions)
	r.Residents = residents
	r.Observer = obs
	r.Logger = log
	r.Human = bot.HumanHandler(n, residents, time.Now)
	r.Texts = bot.Texts{Welcome: cfg.Bot.Welcome, Help: cfg.Bot.Help, Fallback: cfg.Bot.Fallback}

	if err := r.Flow(profile.New(residents)); err != nil {
		return nil, err
	}
	if err := report.Register(r, svc, residents); err != nil {
		return nil, err
	}
	if err := (&staffdesk.Desk{Svc: svc}).Register(r); err != nil {
		return nil, err
	}
	handlers := map[string]bot.Handler{
		"REPORT": r.StartFlow(report.Name),
		"EVENTS": comingSoon("活动报名"),
		"LEGAL":  comingSoon("法律诊所预约"),
		"MY":     profile.Mine(residents),
	}
	items, err := menuItems(cfg)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		h := handlers[it.key]
		if err := r.Menu(bot.MenuEntry{Key: it.key, Label: it.label, Handler: h}); err != nil {
			return nil, err
		}
		for _, k := range it.keywords {
			if err := r.Exact(k, h); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range []string{"登记", "修改信息", "登记信息"} {
		if err := r.Exact(k, r.StartFlow(profile.Name)); err != nil {
			return nil, err
		}
	}
	if err := r.Scene("profile", r.SceneFlow(profile.Name)); err != nil {
		return nil, err
	}
	for k, text := range cfg.Bot.Replies {
		reply := bot.Text(text)
		if err := r.Exact(k, bot.HandlerFunc(func(context.Context, *bot.Message) (bot.Reply, error) { return reply, nil })); err != nil {
			return nil, fmt.Errorf("config: reply %q: %w", k, err)
		}
	}
	return r, nil
}

// menuButtons lays the main menu out as a WeChat custom menu, which allows
// three top-level buttons: with more entries the third becomes "更多".
func menuButtons(items []menuItem) []wechat.MenuButton {
	var out []wechat.MenuButton
	for _, it := range items {
		out = append(out, wechat.MenuButton{Type: "click", Name: it.label, Key: it.key})
	}
	if len(out) <= 3 {
		return out
	}
	more := wechat.MenuButton{Name: "更多", Sub: out[2:]}
	return append(out[:2:2], more)
}
