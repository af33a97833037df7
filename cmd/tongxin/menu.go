package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/handlers/mine"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/wechat"
)

// pushMenu publishes the main menu as the account's custom menu.
func pushMenu(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	// The router checks the menu against the features, as serve does;
	// nothing it would call runs here.
	r, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{}, nil, log)
	if err != nil {
		return err
	}
	// Before any call, so a label WeChat would refuse costs no token.
	buttons := menuButtons(mineLink(r.MenuEntries(), cfg.PublicURL))
	if err := checkButtons(buttons); err != nil {
		return err
	}
	rdb, closeRedis, err := redisstate.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	client, err := wechat.NewClient(wechat.ClientConfig{
		AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret, APIBase: cfg.WeChat.APIBase, Redis: rdb,
	})
	if err != nil {
		return err
	}
	if err := client.PushMenu(ctx, buttons); err != nil {
		return fmt.Errorf("menu push: %w", err)
	}
	log.Info("custom menu published", "buttons", len(buttons))
	fmt.Fprintf(stdout, "menu published: %d top-level buttons\n", len(buttons))
	return nil
}

// mineKey is the main menu's 我的 entry.
const mineKey = "MY"

// mineLink makes the custom menu's 我的 button open the resident's pages
// (/my/, a "view" button) when TONGXIN_PUBLIC_URL says where they are
// served; WeChat's browser then names the resident through the web
// authorisation. Without a public URL there is no address a phone could
// open, and the button stays a click that answers in the chat, as 我的
// typed or picked from the numbered menu still does either way.
func mineLink(entries []bot.MenuEntry, public string) []bot.MenuEntry {
	if public == "" {
		return entries
	}
	out := append([]bot.MenuEntry(nil), entries...)
	for i, e := range out {
		if e.Key == mineKey && e.URL == "" {
			out[i].URL = strings.TrimRight(public, "/") + mine.Path
		}
	}
	return out
}
