package console

import "net/http"

// dashboardData is dashboard.html's data.
type dashboardData struct {
	Page
}

// dashboard is the first page after signing in: what needs attention.
func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "dashboard.html", dashboardData{Page: c.page(r, "概览", "dashboard")})
}
