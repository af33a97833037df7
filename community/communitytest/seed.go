// Package communitytest seeds a community (staff bound to openids,
// buildings, grids) for the tests of every domain, through the real
// community service, so that no test suite rebuilds that plumbing.
package communitytest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/storage"
)

// Member is a staff member to create; a non-empty OpenID binds them with
// their one-time code as they would from WeChat. A member left unbound
// gets BindCode (ten characters, as the service hands out) instead of a
// random code when it is set, so that a transcript can bind them.
type Member struct {
	Name, OpenID string
	Roles        []community.Role
	BindCode     string
	// WorkPhone is the number residents are given for them.
	WorkPhone string
}

// Building is a building to create by number, with its 楼栋长 and unit
// heads named by staff name.
type Building struct {
	Number    int
	Head      string
	UnitHeads map[int]string
}

// Grid is a grid to create: its worker and supervisor by staff name, its
// buildings by number.
type Grid struct {
	Name, Worker, Supervisor string
	Buildings                []int
}

// Spec is a whole community.
type Spec struct {
	Staff     []Member
	Buildings []Building
	Grids     []Grid
}

// Seeded is what Seed created, by name and number.
type Seeded struct {
	Service   *cs.Service
	Staff     map[string]community.Staff
	Buildings map[int]community.Building
	Grids     map[string]community.Grid
}

// Seed creates spec on store through the community service, failing t on
// any error; now is the service's clock (time.Now when nil).
func Seed(t testing.TB, store *storage.Store, now func() time.Time, spec Spec) Seeded {
	t.Helper()
	ctx := context.Background()
	if now == nil {
		now = time.Now
	}
	svc := cs.New(store, cs.Config{Now: now})
	out := Seeded{Service: svc, Staff: map[string]community.Staff{}, Buildings: map[int]community.Building{}, Grids: map[string]community.Grid{}}
	id := func(name string) int64 {
		if name == "" {
			return 0
		}
		st, ok := out.Staff[name]
		if !ok {
			t.Fatalf("communitytest: no staff member %q in the spec", name)
		}
		return st.ID
	}
	for _, m := range spec.Staff {
		roles := make([]string, len(m.Roles))
		for i, r := range m.Roles {
			roles[i] = string(r)
		}
		st, code, err := svc.CreateStaff(ctx, cs.StaffInput{Name: m.Name, Phone: "13900000000", WorkPhone: m.WorkPhone, Roles: roles})
		if err != nil {
			t.Fatalf("communitytest: CreateStaff(%s): %v", m.Name, err)
		}
		switch {
		case m.OpenID != "" && m.BindCode != "":
			t.Fatalf("communitytest: %s has both an OpenID and a BindCode", m.Name)
		case m.OpenID != "":
			if st, err = svc.Bind(ctx, m.OpenID, code); err != nil {
				t.Fatalf("communitytest: Bind(%s): %v", m.Name, err)
			}
		case m.BindCode != "":
			if err := store.SetBindCode(ctx, st.ID, cs.HashBindCode(m.BindCode), now().Add(cs.BindCodeTTL)); err != nil {
				t.Fatalf("communitytest: SetBindCode(%s): %v", m.Name, err)
			}
		}
		out.Staff[m.Name] = st
	}
	for _, b := range spec.Buildings {
		in := cs.BuildingInput{Number: b.Number, HeadID: id(b.Head)}
		if len(b.UnitHeads) > 0 {
			in.UnitHeads = map[string]int64{}
			for unit, name := range b.UnitHeads {
				in.UnitHeads[strconv.Itoa(unit)] = id(name)
			}
		}
		if _, err := svc.SaveBuilding(ctx, in); err != nil {
			t.Fatalf("communitytest: SaveBuilding(%d): %v", b.Number, err)
		}
	}
	for _, g := range spec.Grids {
		grid, err := svc.CreateGrid(ctx, cs.GridInput{Name: g.Name, WorkerID: id(g.Worker), SupervisorID: id(g.Supervisor), Buildings: g.Buildings})
		if err != nil {
			t.Fatalf("communitytest: CreateGrid(%s): %v", g.Name, err)
		}
		out.Grids[g.Name] = grid
	}
	// Read buildings back: grids changed them.
	for _, b := range spec.Buildings {
		got, err := svc.FindBuilding(ctx, b.Number)
		if err != nil {
			t.Fatalf("communitytest: FindBuilding(%d): %v", b.Number, err)
		}
		out.Buildings[b.Number] = got
	}
	return out
}
