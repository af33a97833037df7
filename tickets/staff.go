package tickets

import (
	"context"
	"fmt"
	"slices"

	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
)

// copiesShown bounds the copies one 抄送 lists.
const copiesShown = 10

// Copies lists the open tickets a 楼栋长 or 单元长 is copied on: those of
// the buildings they head, and of the units they head, newest first. They
// are volunteers who read copies, not handlers: the resident's name and
// phone and the room are left out, as they are from the copies they
// receive.
func (s *Service) Copies(ctx context.Context, staffID int64) ([]ticket.Ticket, error) {
	st, err := s.store.Staff(ctx, staffID)
	if err != nil {
		return nil, fmt.Errorf("tickets.Copies(%d): %w", staffID, err)
	}
	if !st.Active {
		return []ticket.Ticket{}, nil
	}
	bs, err := s.store.ListBuildings(ctx)
	if err != nil {
		return nil, fmt.Errorf("tickets.Copies(%d): %w", staffID, err)
	}
	byID := map[int64]*community.Building{}
	whole := map[int64]bool{}
	units := map[int64][]int{}
	var ids []int64
	for i, b := range bs {
		byID[b.ID] = &bs[i]
		if b.HeadID == staffID {
			whole[b.ID] = true
		}
		for u, id := range b.UnitHeads {
			if id == staffID {
				units[b.ID] = append(units[b.ID], u)
			}
		}
		if whole[b.ID] || len(units[b.ID]) > 0 {
			ids = append(ids, b.ID)
		}
	}
	ts, err := s.store.OpenTicketsInBuildings(ctx, ids, 5*copiesShown)
	if err != nil {
		return nil, fmt.Errorf("tickets.Copies(%d): %w", staffID, err)
	}
	out := []ticket.Ticket{}
	for _, t := range ts {
		if !whole[t.BuildingID] && !slices.Contains(units[t.BuildingID], t.Unit) {
			continue
		}
		// The building and unit, as their copy said: not the room.
		t.Name, t.Phone, t.OpenID, t.Place = "", "", "", placeOf(byID[t.BuildingID], t.Unit)
		out = append(out, s.named(t))
		if len(out) == copiesShown {
			break
		}
	}
	return out, nil
}
