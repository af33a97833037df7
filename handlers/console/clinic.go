package console

import (
	"context"
	"net/http"

	"github.com/tongxin/tongxin/bot/community"
)

// clinicRoutes registers the pages of the legal clinic, providers, schedules, closures, the week's sessions and bookings; not built yet.
func (c *Console) clinicRoutes(mux *http.ServeMux) {}

// SeesClinic reports whether the nav shows this area to w.
func (w Who) SeesClinic() bool { return w.Manages() || w.Has(community.RoleClinic) }

// enrich completes who after the sign-in checks: the clinic provider
// linked to a staff member (ProviderID); nothing yet.
func (c *Console) enrich(ctx context.Context, who *Who) {}
