package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/config"
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
	buttons := menuButtons(r.MenuEntries())
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
