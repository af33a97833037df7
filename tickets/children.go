package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// maxLinked bounds how many linked tickets one resolution settles: far
// more than a day of one problem brings, and a stop for corrupt data.
const maxLinked = 200

// resolveLinked settles the open tickets linked to parent (ParentID), and
// theirs, when parent is resolved in tx: residents who were told their
// problem would be "一并处理" learn it was. Each is resolved with the
// note "随 <parent> 一并办结：<resolution>", and its resident gets the
// resolved notice with the rating question, as if resolved by hand; the
// parent's timeline lists them.
func (s *Service) resolveLinked(ctx context.Context, tx *storage.Tx, parent ticket.Ticket, now time.Time) error {
	why := "随 " + parent.Number + " 一并办结：" + cut(parent.Resolution, 100)
	var done []string
	queue := []int64{parent.ID}
	for len(queue) > 0 && len(done) < maxLinked {
		id := queue[0]
		queue = queue[1:]
		kids, err := tx.OpenChildren(ctx, id)
		if err != nil {
			return err
		}
		for _, k := range kids {
			c, err := tx.LockTicket(ctx, k.Number)
			if err != nil {
				return err
			}
			if !c.Status.Open() {
				continue
			}
			c.Status, c.ResolvedAt, c.UpdatedAt = ticket.Resolved, &now, now
			c.Resolution = cut(why, 500)
			if err := tx.UpdateTicket(ctx, c); err != nil {
				return err
			}
			eid, err := tx.AddTimelineEntry(ctx, c.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "办结", Note: why})
			if err != nil {
				return err
			}
			text := fmt.Sprintf("您的诉求（编号 %s）已随同类问题（编号 %s）一并办结：%s\n%s",
				c.Number, parent.Number, cut(parent.Resolution, 100), RatingPrompt)
			if err := s.toResident(ctx, tx, c, NoticeResolved, fmt.Sprintf("ticket:%s:resolved:%d", c.Number, eid), text, now); err != nil {
				return err
			}
			done = append(done, c.Number)
			queue = append(queue, c.ID)
		}
	}
	if len(done) == 0 {
		return nil
	}
	_, err := tx.AddTimelineEntry(ctx, parent.ID, ticket.Entry{At: now, Actor: actorSystem, Action: "一并办结",
		Note: "同类反映 " + strings.Join(done, "、") + " 随本件办结"})
	return err
}
