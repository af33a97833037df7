package tickets

import (
	"context"
	"errors"
	"math"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/privacy"
	"github.com/tongxin/tongxin/storage"
)

// Timeline actions of erasure and retention.
const (
	actionErased  = "删除个人信息"
	actionExpired = "到期匿名化"
)

// PrivacyHook is the tickets' part in erasure and retention. Erasing a
// resident anonymises every ticket they filed, open or not; retention
// anonymises tickets closed longer ago than the records policy. Either way
// the ticket loses the openid, name and phone, the description, photos,
// coordinates, unit and place beyond its building, and the notes the
// resident wrote on the timeline, and keeps its number, category, status,
// grid, building, handler, deadlines, times and rating: the 三率 are the
// same before and after. The timeline says it happened, and by what, but
// no longer who.
//
// Photos are WeChat media references for now. Once they are files in a
// blob store, the media hook registered before this one hands their keys
// to privacy.Run.DeleteBlobs.
func PrivacyHook() privacy.Hook {
	return privacy.Hook{
		Name: "tickets",
		Erase: func(ctx context.Context, tx *storage.Tx, openid string, run *privacy.Run) error {
			ts, err := tx.ResidentTickets(ctx, openid, math.MaxInt32)
			if err != nil {
				return err
			}
			return anonymise(ctx, tx, ts, actionErased, run)
		},
		Expire: func(ctx context.Context, tx *storage.Tx, run *privacy.Run, limit int) (int, error) {
			ts, err := tx.ExpiredTickets(ctx, run.RecordsBefore, limit)
			if err != nil {
				return 0, err
			}
			return len(ts), anonymise(ctx, tx, ts, actionExpired, run)
		},
	}
}

// anonymise blanks the personal fields of ts and notes why on each
// timeline.
func anonymise(ctx context.Context, tx *storage.Tx, ts []ticket.Ticket, action string, run *privacy.Run) error {
	notes := 0
	for _, t := range ts {
		place, err := buildingPlace(ctx, tx, t.BuildingID)
		if err != nil {
			return err
		}
		n, err := tx.AnonymiseTicket(ctx, t.ID, place, actorResident, run.At)
		if err != nil {
			return err
		}
		notes += n
		if _, err := tx.AddTimelineEntry(ctx, t.ID, ticket.Entry{At: run.At, Actor: actorSystem, Action: action}); err != nil {
			return err
		}
	}
	run.Count("tickets", len(ts))
	run.Count("ticket_notes", notes)
	return nil
}

// buildingPlace is where an anonymised ticket says it was: its building,
// as a new ticket names it, or that it does not say (public areas and
// locations may be described in the resident's words).
func buildingPlace(ctx context.Context, tx *storage.Tx, buildingID int64) (string, error) {
	if buildingID == 0 {
		return placeOf(nil, 0), nil
	}
	b, err := tx.Building(ctx, buildingID)
	if errors.Is(err, bot.ErrNotFound) {
		return placeOf(nil, 0), nil
	}
	if err != nil {
		return "", err
	}
	return placeOf(&b, 0), nil
}
