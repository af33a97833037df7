package main

import (
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/handlers/sim"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/wechat"
)

// simulatorOn reports whether the resident simulator runs: as
// TONGXIN_SIMULATOR says, else with development credentials only (with
// a real account it would let anyone reaching it speak to the bot).
func simulatorOn(cfg config.Config) bool {
	switch cfg.Simulator {
	case "on":
		return true
	case "off":
		return false
	}
	return devAccount(cfg)
}

// simInbox is where the outbox keeps the pushes the simulator shows.
func simInbox(rdb redis.UniversalClient) *notify.Inbox {
	return &notify.Inbox{Redis: rdb}
}

// simPages mounts the resident simulator (/sim) when it is on. It posts
// to this instance's own /wechat as WeChat would, in the account's mode,
// and shows the account's custom menu as `tongxin menu push` publishes
// it.
func simPages(p pageDeps, out map[string]http.Handler) {
	if !simulatorOn(p.cfg) {
		return
	}
	mode, err := wechat.ParseMode(p.cfg.WeChat.MinMode())
	if err != nil {
		mode = wechat.ModeSafe // serve refused a bad mode before this
	}
	quiet, err := notify.ParseQuietHours(p.cfg.QuietHours)
	if err != nil {
		quiet = notify.QuietHours{} // serve refused a bad value before this
	}
	var menu []wechat.MenuButton
	if p.router != nil {
		menu = menuButtons(p.router.MenuEntries())
	}
	s := &sim.Simulator{
		Wire: &wechat.Simulator{URL: p.webhook, AppID: p.cfg.WeChat.AppID, Token: p.cfg.WeChat.Token,
			AESKey: p.cfg.WeChat.AESKey, Mode: mode},
		Menu:    menu,
		Inbox:   simInbox(p.d.redis),
		Redis:   p.d.redis,
		SimOnly: !devAccount(p.cfg),
		// Its own resident pages: they share the sessions with /my/'s.
		SignIn:    newMinePages(p).SignInAs,
		PublicURL: p.public,
		Quiet:     quiet,
		Logger:    p.log,
	}
	h := s.Handler()
	out[sim.Path] = h
	out[sim.Path+"/"] = h
	if !devAccount(p.cfg) {
		p.log.Warn("the resident simulator is on with real credentials (TONGXIN_SIMULATOR=on): it speaks only as sim- openids", "url", p.public+sim.Path)
	}
}

// unbindable names the openids that may never become staff: with a real
// account the simulator's (sim-…), which anyone reaching /sim may speak
// as; with the development credentials nothing is real, and binding a
// staff member in the simulator is how a newcomer tries the staff side.
func unbindable(cfg config.Config) func(string) bool {
	if devAccount(cfg) {
		return nil
	}
	return notify.IsSimOpenID
}
