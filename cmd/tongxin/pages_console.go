package main

import (
	"net/http"

	"github.com/tongxin/tongxin/handlers/console"
)

// consolePages mounts the staff console.
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
	h := c.Handler()
	out[console.Path] = h
	out[console.Path+"/"] = h
}
