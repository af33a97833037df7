package handlers

import (
	"context"
	"net/http"

	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// Eraser erases residents' personal data and keeps the audit of it
// (privacy.Service).
type Eraser interface {
	Erase(ctx context.Context, openid, actor string) (privacy.Report, error)
	Audit(ctx context.Context, limit, offset int) ([]storage.Erasure, error)
}

// actorAdminAPI is how the erasure audit names the admin API: it has one
// token, so it cannot say which operator.
const actorAdminAPI = "admin_api"

// privacyRoutes adds erasure and its audit to the admin API mux.
func (s *Server) privacyRoutes(api *http.ServeMux) {
	if s.Privacy == nil {
		return
	}
	api.HandleFunc("DELETE /api/v1/residents/{openid}", s.eraseResident)
	api.HandleFunc("GET /api/v1/erasures", s.listErasures)
}

// eraseResident serves DELETE /api/v1/residents/{openid}: everything
// tongxin holds about the resident is erased or anonymised (see package
// privacy), and the answer counts what, by kind. An openid tongxin does
// not know is erased too, with nothing to count; asking twice is the same.
func (s *Server) eraseResident(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Privacy.Erase(r.Context(), r.PathValue("openid"), actorAdminAPI)
	if err != nil {
		s.fail(w, r, "erase resident", err)
		return
	}
	httpjson.Write(w, http.StatusOK, rep)
}

// listErasures serves GET /api/v1/erasures?limit=&offset=: the audit,
// newest first.
func (s *Server) listErasures(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(w, q.Get("limit"), "limit", 50, 1, 200)
	if !ok {
		return
	}
	offset, ok := intParam(w, q.Get("offset"), "offset", 0, 0, 1<<30)
	if !ok {
		return
	}
	list, err := s.Privacy.Audit(r.Context(), limit, offset)
	if err != nil {
		s.fail(w, r, "list erasures", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"erasures": list, "limit": limit, "offset": offset})
}
