// Package mine is the residents' own pages at /my/, opened from the links
// in template messages and the menu's 我的 entry inside WeChat: a ticket
// with its timeline, photos and rating; their sign-ups with the check-in
// code; their clinic bookings; and one list of everything they have open.
// Residents are identified through the official account's web
// authorisation (snsapi_base).
package mine

import "net/http"

// Path is where the pages are mounted.
const Path = "/my/"

// Pages are the resident pages; not built yet.
type Pages struct{}

// Handler returns the routes under Path.
func (p *Pages) Handler() http.Handler { return http.NotFoundHandler() }

// SignInAs starts a resident session for openid, as the web authorisation
// does once WeChat has named the resident. The simulator calls it (only
// while it is on) to open a template message's page as its resident.
func (p *Pages) SignInAs(w http.ResponseWriter, r *http.Request, openid string) error {
	return nil
}
