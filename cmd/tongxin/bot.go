package main

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/flows/backoffice"
	"github.com/tongxin/tongxin/bot/flows/booking"
	"github.com/tongxin/tongxin/bot/flows/contact"
	"github.com/tongxin/tongxin/bot/flows/emergency"
	"github.com/tongxin/tongxin/bot/flows/profile"
	"github.com/tongxin/tongxin/bot/flows/report"
	"github.com/tongxin/tongxin/bot/flows/signup"
	"github.com/tongxin/tongxin/bot/flows/staffdesk"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/workcal"
)

// features is the feature table: each registers its flow, keywords, QR
// scenes, follow-up answers and menu actions on the router. A new domain
// is one line here.
var features = []flows.Register{
	emergency.Register,
	contact.Register,
	profile.Register,
	report.Register,
	staffdesk.Register,
	signup.Register,
	booking.Register,
	backoffice.Register,
}

// defaultMenu is the main menu unless the configuration file sets one.
var defaultMenu = []bot.MenuItem{
	{Key: "REPORT"},
	{Key: "EVENTS", Keywords: []string{"活动", "报名"}},
	{Key: "LEGAL", Keywords: []string{"法律", "律师", "法律咨询"}},
	{Key: "MY", Keywords: []string{"我的信息", "我的"}},
}

// menu is the operator's menu (order, labels, keywords), or the default.
func menu(cfg config.Config) []bot.MenuItem {
	if len(cfg.Bot.Menu) == 0 {
		return defaultMenu
	}
	items := make([]bot.MenuItem, len(cfg.Bot.Menu))
	for i, m := range cfg.Bot.Menu {
		items[i] = bot.MenuItem{Key: m.Key, Label: m.Label, Keywords: m.Keywords}
		if m.URL != "" {
			continue
		}
		if len(m.Keywords) == 0 {
			for _, def := range defaultMenu {
				if def.Key == m.Key {
					items[i].Keywords = def.Keywords
				}
			}
		}
	}
	return items
}

// buildBot assembles the router from the feature table over one Deps, then
// the menu and texts, with the operator's overrides from the configuration
// file on top.
func buildBot(cfg config.Config, sessions bot.SessionStore, d flows.Deps, obs bot.Observer, log *slog.Logger) (*bot.Router, error) {
	r := bot.NewRouter(sessions)
	r.Residents = d.Residents
	r.Observer = obs
	r.Logger = log
	r.Now = d.Now
	d.UrgentWords, d.UrgentIgnore = cfg.Contact.UrgentWords, cfg.Contact.UrgentIgnore
	r.Human = bot.HumanDesk{Duty: d.Duty, Residents: d.Residents, Recent: d.Recent, Lines: d.Lines, Now: d.Clock(), Log: log}
	if d.Recent != nil {
		// First of the checks before the flows: every text is kept for
		// the staff a 人工 request reaches.
		r.Before(bot.RememberTexts(d.Recent, func(ctx context.Context, err error) {
			log.WarnContext(ctx, "could not keep a message for 人工", "err", err)
		}))
	}
	r.Texts = bot.Texts{Welcome: cfg.Bot.Welcome, Help: cfg.Bot.Help, Fallback: cfg.Bot.Fallback}
	for _, register := range features {
		if err := register(r, d); err != nil {
			return nil, err
		}
	}
	for name, words := range sorted(cfg.Bot.Words) {
		if err := r.Words(name, words...); err != nil {
			return nil, fmt.Errorf("config: bot.words %q: %w", name, err)
		}
	}
	for i, m := range cfg.Bot.Menu {
		// A link needs no feature: the operator's entry is its own action.
		if m.URL == "" {
			continue
		}
		if err := r.Action(bot.LinkAction(m.Key, m.Label, m.URL)); err != nil {
			return nil, fmt.Errorf("config: bot.menu[%d]: %w", i, err)
		}
	}
	if err := r.Menu(menu(cfg)...); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for k, text := range sorted(cfg.Bot.Replies) {
		if err := r.Exact(k, answer(text)); err != nil {
			return nil, fmt.Errorf("config: bot.replies %q: %w", k, err)
		}
	}
	for k, text := range sorted(cfg.Bot.Contains) {
		if err := r.Contains(k, answer(text)); err != nil {
			return nil, fmt.Errorf("config: bot.contains %q: %w", k, err)
		}
	}
	// Build the classifier now: an operator's bad word or weight stops
	// the start instead of every message after it, and the first
	// resident does not wait for the dictionary.
	if _, err := r.Understand(""); err != nil {
		return nil, fmt.Errorf("config: bot.words: %w", err)
	}
	return r, nil
}

// answer is a handler that always answers text: an operator's reply.
func answer(text string) bot.Handler {
	reply := bot.Text(text)
	return bot.HandlerFunc(func(context.Context, *bot.Message) (bot.Reply, error) { return reply, nil })
}

// sorted yields m's entries in key order, so that of two start-up errors
// in the file the same one is reported every time.
func sorted[V any](m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// contactLines are the numbers and office hours residents are given, from
// the configuration; office hours (and holidays) from cal, nil meaning
// always open.
func contactLines(cfg config.Config, cal *workcal.Calendar) bot.Lines {
	l := bot.Lines{
		CommunityPhone: cfg.Contact.CommunityPhone,
		PropertyName:   cfg.Contact.PropertyName, PropertyPhone: cfg.Contact.PropertyPhone,
		PropertyHotline: cfg.Contact.PropertyHotline,
	}
	if cal != nil {
		l.OfficeHours, l.Office = cal.Describe(), cal.Open
	}
	return l
}

// officeCalendar is cal with the configured office hours.
func officeCalendar(cfg config.Config, cal *workcal.Calendar) (*workcal.Calendar, error) {
	spans, err := workcal.ParseHours(cfg.Contact.OfficeHours)
	if err != nil {
		return nil, fmt.Errorf("config: TONGXIN_OFFICE_HOURS: %w", err)
	}
	return cal.WithHours(spans)
}

// menuButtons lays the main menu out as a WeChat custom menu, which allows
// three top-level buttons: with more entries the third becomes "更多". A
// link entry becomes a "view" button, which WeChat opens itself.
func menuButtons(entries []bot.MenuEntry) []wechat.MenuButton {
	var out []wechat.MenuButton
	for _, e := range entries {
		if e.URL != "" {
			out = append(out, wechat.MenuButton{Type: "view", Name: e.Label, URL: e.URL})
			continue
		}
		out = append(out, wechat.MenuButton{Type: "click", Name: e.Label, Key: e.Key})
	}
	if len(out) <= 3 {
		return out
	}
	more := wechat.MenuButton{Name: "更多", Sub: out[2:]}
	return append(out[:2:2], more)
}

// WeChat's limits on a custom menu button's name, in bytes: a top-level
// button is narrow, a sub-menu's row wide.
const (
	maxTopButtonName = 16
	maxSubButtonName = 60
)

// checkButtons refuses names WeChat would refuse (errcode 40018 and the
// like, which name no button), saying which label is too long where.
func checkButtons(buttons []wechat.MenuButton) error {
	for _, b := range buttons {
		if len(b.Name) > maxTopButtonName {
			return fmt.Errorf("menu: label %q is %d bytes, WeChat allows %d on the top level (a Chinese character is 3)", b.Name, len(b.Name), maxTopButtonName)
		}
		for _, sub := range b.Sub {
			if len(sub.Name) > maxSubButtonName {
				return fmt.Errorf("menu: label %q is %d bytes, WeChat allows %d under %q", sub.Name, len(sub.Name), maxSubButtonName, b.Name)
			}
		}
	}
	return nil
}
