package console

import (
	"net/http"

	"github.com/tongxin/tongxin/bot/community"
)

// statsRoutes registers the pages of statistics, the 三率 by grid and by month; not built yet.
func (c *Console) statsRoutes(mux *http.ServeMux) {}

// SeesStats reports whether the nav shows this area to w.
func (w Who) SeesStats() bool { return w.Manages() || w.Has(community.RoleGridWorker) }
