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
	api.HandleFunc("GET /api/v1/buildings", s.listBuildings)
	api.HandleFunc("GET /api/v1/buildings/{number}", s.getBuilding)
	api.HandleFunc("PATCH /api/v1/buildings/{number}", s.patchBuilding)
	api.HandleFunc("DELETE /api/v1/buildings/{number}", s.deleteBuilding)
	api.HandleFunc("POST /api/v1/grids", s.createGrid)
	api.HandleFunc("GET /api/v1/grids", s.listGrids)
	api.HandleFunc("GET /api/v1/grids/{id}", s.getGrid)
	api.HandleFunc("PATCH /api/v1/grids/{id}", s.patchGrid)
	api.HandleFunc("DELETE /api/v1/grids/{id}", s.deleteGrid)
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
func staffID(w http.ResponseWriter, r *http.Request) (int64, bool) { return pathID(w, r) }

// pathID reads {id} (a staff member's or a grid's), writing the 400 when
// it is not a row id.
func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
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

// buildingNumber reads {number}, a building's number as residents know
// it, writing the 400 when it is not one.
func buildingNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 || n > 9999 {
		writeError(w, http.StatusBadRequest, "invalid", "number: must be a building number from 1 to 9999")
		return 0, false
	}
	return n, true
}

// listBuildings serves GET /api/v1/buildings: every building by number,
// with its name, grid (id and name), 楼栋长 and unit heads.
func (s *Server) listBuildings(w http.ResponseWriter, r *http.Request) {
	list, err := s.Community.Buildings(r.Context())
	if err != nil {
		s.fail(w, r, "list buildings", err)
		return
	}
	if list == nil {
		list = []community.Building{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"buildings": list})
}

// getBuilding serves GET /api/v1/buildings/{number}.
func (s *Server) getBuilding(w http.ResponseWriter, r *http.Request) {
	n, ok := buildingNumber(w, r)
	if !ok {
		return
	}
	b, err := s.Community.Building(r.Context(), n)
	if err != nil {
		s.fail(w, r, "get building", err)
		return
	}
	httpjson.Write(w, http.StatusOK, b)
}

// patchBuilding serves PATCH /api/v1/buildings/{number}: name, head_id,
// unit_heads and grid_id, each only when given; into another grid only
// with "move": true (409 naming the grid otherwise).
func (s *Server) patchBuilding(w http.ResponseWriter, r *http.Request) {
	n, ok := buildingNumber(w, r)
	if !ok {
		return
	}
	var p cs.BuildingPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	b, err := s.Community.PatchBuilding(r.Context(), n, p)
	if err != nil {
		s.fail(w, r, "patch building", err)
		return
	}
	httpjson.Write(w, http.StatusOK, b)
}

// deleteBuilding serves DELETE /api/v1/buildings/{number}: 204, or 409
// while a ticket was filed in it.
func (s *Server) deleteBuilding(w http.ResponseWriter, r *http.Request) {
	n, ok := buildingNumber(w, r)
	if !ok {
		return
	}
	if err := s.Community.DeleteBuilding(r.Context(), n); err != nil {
		s.fail(w, r, "delete building", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getGrid serves GET /api/v1/grids/{id}.
func (s *Server) getGrid(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	g, err := s.Community.Grid(r.Context(), id)
	if err != nil {
		s.fail(w, r, "get grid", err)
		return
	}
	httpjson.Write(w, http.StatusOK, g)
}

// patchGrid serves PATCH /api/v1/grids/{id}: name, worker_id,
// supervisor_id and buildings (numbers, replacing the list), each only
// when given; a building of another grid only with "move": true.
func (s *Server) patchGrid(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var p cs.GridPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	g, err := s.Community.PatchGrid(r.Context(), id, p)
	if err != nil {
		s.fail(w, r, "patch grid", err)
		return
	}
	httpjson.Write(w, http.StatusOK, g)
}

// deleteGrid serves DELETE /api/v1/grids/{id}: 204, or 409 while it has
// buildings or any ticket was routed through it.
func (s *Server) deleteGrid(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.Community.DeleteGrid(r.Context(), id); err != nil {
		s.fail(w, r, "delete grid", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
