package console

import (
	"net/http"
)

// noticeRoutes registers the pages of notifications, failed ones with their reason, retry; not built yet.
func (c *Console) noticeRoutes(mux *http.ServeMux) {}

// SeesNotices reports whether the nav shows this area to w.
func (w Who) SeesNotices() bool { return w.Manages() }
