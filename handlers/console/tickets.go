package console

import (
	"net/http"

	"github.com/tongxin/tongxin/bot/community"
)

// ticketRoutes registers the pages of tickets (诉求), list with filters, detail with timeline and photos, the WeChat actions, filing for a resident who phoned; not built yet.
func (c *Console) ticketRoutes(mux *http.ServeMux) {}

// SeesTickets reports whether the nav shows this area to w.
func (w Who) SeesTickets() bool {
	return w.Manages() || w.Has(community.RoleGridWorker, community.RoleDuty, community.RoleMediator, community.RoleEmployment)
}
