package main

import (
	"net/http"

	"github.com/tongxin/tongxin/handlers/mine"
)

// minePages mounts the resident pages (/my/), behind WeChat's web
// authorisation through the outbound client (and so through
// TONGXIN_WECHAT_API_BASE: the fake authorises in tests). With
// development credentials there is nothing to authorise with: the pages
// send residents to the simulator, which signs them in.
func minePages(p pageDeps, out map[string]http.Handler) {
	out[mine.Path] = newMinePages(p).Handler()
}

// newMinePages builds the resident pages. Any number of them share the
// sessions (Redis, one cookie), so the simulator may build its own to
// call SignInAs on.
func newMinePages(p pageDeps) *mine.Pages {
	return &mine.Pages{
		Tickets:    p.tickets,
		Activities: p.acts,
		Clinic:     p.clinic,
		Residents:  p.d.store,
		Media:      p.media,
		Redis:      p.d.redis,
		OAuth:      p.d.client,
		PublicURL:  p.public,
		Offline:    devAccount(p.cfg),
		Logger:     p.log,
	}
}
