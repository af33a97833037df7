package main

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/tongxin/tongxin/activities"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/clinic"
	"github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/media"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
)

// pageDeps is what the browser pages (the console, the resident pages,
// the simulator) are built from.
type pageDeps struct {
	cfg     config.Config
	d       *deps
	log     *slog.Logger
	dir     *community.Service
	tickets *tickets.Service
	acts    *activities.Admin
	clinic  *clinic.Service
	outbox  *notify.Outbox
	media   *media.Service
	codec   *wechat.Codec
	router  *bot.Router
	// public is where people open tongxin (TONGXIN_PUBLIC_URL, else the
	// listen address), without a trailing slash.
	public string
	// webhook is the address of this instance's own /wechat.
	webhook string
	// console is the bot's way to the console, filled by consolePages.
	console *consolePort
}

// publicURL is TONGXIN_PUBLIC_URL, else http:// and the address served.
func publicURL(cfg config.Config, addr string) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return strings.TrimSuffix(chatURL(addr), "/wechat")
}

// pages returns the browser pages by mux pattern.
func pages(p pageDeps) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, add := range []func(pageDeps, map[string]http.Handler){consolePages, minePages, simPages} {
		add(p, out)
	}
	return out
}
