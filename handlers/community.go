package handlers

import (
	"net/http"
	"strconv"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/httpjson"
)

// communityRoutes adds the endpoints of staff, buildings and grids, which
// every domain shares, to the admin API mux.
func (s *Server) communityRoutes(api *http.ServeMux) {
	if s.Community == nil {
		return
	}
	api.HandleFunc("POST /api/v1/staff", s.createStaff)
	api.HandleFunc("GET /api/v1/staff", s.listStaff)
	api.HandleFunc("PATCH /api/v1/staff/{id}", s.patchStaff)
	api.HandleFunc("DELETE /api/v1/staff/{id}/binding", s.unbindStaff)
	api.HandleFunc("POST /api/v1/staff/{id}/bind-code", s.reissueBindCode)
	api.HandleFunc("POST /api/v1/buildings", s.saveBuilding)
	api.HandleFunc("POST /api/v1/grids", s.createGrid)
	api.HandleFunc("GET /api/v1/grids", s.listGrids)
}

// staffCreated is the answer to POST /api/v1/staff: the record and the
// one-time code the staff member sends as "绑定 <code>".
type staffCreated struct {
	community.Staff
	BindCode string `json:"bind_code"`
}

// createStaff serves POST /api/v1/staff.
func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) {
	var in cs.StaffInput
	if !decodeJSON(w, r, &in) {
		return
	}
	st, code, err := s.Community.CreateStaff(r.Context(), in)
	if err != nil {
		s.fail(w, r, "create staff", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, staffCreated{Staff: st, BindCode: code})
}

// staffID reads {id}, writing the 400 when it is not a staff id.
func staffID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "invalid", "id: must be a positive whole number")
		return 0, false
	}
	return id, true
}

// patchStaff serves PATCH /api/v1/staff/{id}: name, phone, work_phone, roles and
// active. Deactivating someone refuses their WeChat commands at once and
// hands their open tickets back to dispatch.
func (s *Server) patchStaff(w http.ResponseWriter, r *http.Request) {
	id, ok := staffID(w, r)
	if !ok {
		return
	}
	var p cs.StaffPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	if p.Name == nil && p.Phone == nil && p.WorkPhone == nil && p.Roles == nil && p.Active == nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: give name, phone, work_phone, roles or active")
		return
	}
	st, err := s.Community.PatchStaff(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch staff", err)
		return
	}
	httpjson.Write(w, http.StatusOK, st)
}

// unbindStaff serves DELETE /api/v1/staff/{id}/binding: the WeChat account
// bound to the staff member no longer acts for them.
func (s *Server) unbindStaff(w http.ResponseWriter, r *http.Request) {
	id, ok := staffID(w, r)
	if !ok {
		return
	}
	st, err := s.Community.Unbind(r.Context(), id)
	if err != nil {
		s.fail(w, r, "unbind staff", err)
		return
	}
	httpjson.Write(w, http.StatusOK, st)
}

// reissueBindCode serves POST /api/v1/staff/{id}/bind-code: a fresh
// one-time code when the first expired or was lost.
func (s *Server) reissueBindCode(w http.ResponseWriter, r *http.Request) {
	id, ok := staffID(w, r)
	if !ok {
		return
	}
	code, expires, err := s.Community.ReissueBindCode(r.Context(), id)
	if err != nil {
		s.fail(w, r, "reissue bind code", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"id": id, "bind_code": code, "expires_at": expires.In(bot.Shanghai)})
}

// listStaff serves GET /api/v1/staff.
func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) {
	list, err := s.Community.ListStaff(r.Context())
	if err != nil {
		s.fail(w, r, "list staff", err)
		return
	}
	if list == nil {
		list = []community.Staff{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"staff": list})
}

// saveBuilding serves POST /api/v1/buildings.
func (s *Server) saveBuilding(w http.ResponseWriter, r *http.Request) {
	var in cs.BuildingInput
	if !decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Community.SaveBuilding(r.Context(), in)
	if err != nil {
		s.fail(w, r, "save building", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, b)
}

// createGrid serves POST /api/v1/grids.
func (s *Server) createGrid(w http.ResponseWriter, r *http.Request) {
	var in cs.GridInput
	if !decodeJSON(w, r, &in) {
		return
	}
	g, err := s.Community.CreateGrid(r.Context(), in)
	if err != nil {
		s.fail(w, r, "create grid", err)
		return
	}
	httpjson.Write(w, http.StatusCreated, g)
}

// listGrids serves GET /api/v1/grids.
func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) {
	list, err := s.Community.ListGrids(r.Context())
	if err != nil {
		s.fail(w, r, "list grids", err)
		return
	}
	if list == nil {
		list = []community.Grid{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"grids": list})
}
