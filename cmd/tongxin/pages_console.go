package main

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/tongxin/tongxin/bot"
	bc "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/handlers/console"
)

// consolePages mounts the staff console, and lets the bot reach it
// through p.console.
func consolePages(p pageDeps, out map[string]http.Handler) {
	c := &console.Console{
		Community:     p.dir,
		Tickets:       p.tickets,
		Activities:    p.acts,
		Clinic:        p.clinic,
		Notifications: p.d.store,
		Retrier:       p.outbox,
		Media:         p.media,
		Redis:         p.d.redis,
		AdminToken:    p.cfg.AdminToken,
		PublicURL:     p.public,
		Offline:       devAccount(p.cfg),
		Logger:        p.log,
	}
	// With development credentials there is no account to make a code
	// with: the login page shows the scene for the simulator instead.
	if !c.Offline && p.d.client != nil {
		c.QR = p.d.client
	}
	h := c.Handler()
	out[console.Path] = h
	out[console.Path+"/"] = h
	if p.console != nil {
		p.console.c.Store(c)
	}
}

// consolePort is the console as the bot reaches it (a scan of the login
// code, 登录后台). The router is built before the console, which needs
// the address served for its links: the port is handed to the router
// empty and filled when the console is built.
type consolePort struct {
	c atomic.Pointer[console.Console]
}

var _ bc.Console = (*consolePort)(nil)

// errNoConsole answers a scan or 登录后台 that arrives before the console
// is built (a moment at start) or on an instance without one.
var errNoConsole = bot.Say("后台暂时无法登录，请稍后再试。")

func (p *consolePort) ConfirmScan(ctx context.Context, nonce, openid string) (bc.Staff, error) {
	c := p.c.Load()
	if c == nil {
		return bc.Staff{}, errNoConsole
	}
	return c.ConfirmScan(ctx, nonce, openid)
}

func (p *consolePort) Link(ctx context.Context, openid string) (string, error) {
	c := p.c.Load()
	if c == nil {
		return "", errNoConsole
	}
	return c.Link(ctx, openid)
}
