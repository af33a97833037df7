package console

import (
	"net/http"
)

// eventRoutes registers the pages of events (活动), create, edit, cancel, sign-ups, check-in, export, poster; not built yet.
func (c *Console) eventRoutes(mux *http.ServeMux) {}

// SeesEvents reports whether the nav shows this area to w.
func (w Who) SeesEvents() bool { return w.Manages() }
