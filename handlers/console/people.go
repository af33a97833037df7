package console

import (
	"net/http"
)

// peopleRoutes registers the pages of staff, buildings and grids; not built yet.
func (c *Console) peopleRoutes(mux *http.ServeMux) {}

// SeesPeople reports whether the nav shows this area to w.
func (w Who) SeesPeople() bool { return w.Manages() }
