package handlers

import (
	"net/http"

	"github.com/tongxin/tongxin/handlers/httpjson"
)

// residentRoutes adds the resident endpoints to the admin API mux.
func (s *Server) residentRoutes(api *http.ServeMux) {
	if s.Residents == nil {
		return
	}
	api.HandleFunc("GET /api/v1/residents/{openid}", s.getResident)
}

// getResident serves GET /api/v1/residents/{openid}: the full profile
// (name, phone, address, note) that notices to a staff group show masked
// and point to.
func (s *Server) getResident(w http.ResponseWriter, r *http.Request) {
	res, err := s.Residents.Resident(r.Context(), r.PathValue("openid"))
	if err != nil {
		s.fail(w, r, "get resident", err)
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}
