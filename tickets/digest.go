package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// DigestAt is when, Shanghai time, each handler is sent the morning
// digest of working days.
const DigestAt = 8 * time.Hour

// DigestWindow is how long after DigestAt a run still sends the day's
// digest, for a service that was down at 08:00; later, a digest would
// only repeat the notices the day has brought since.
const DigestWindow = 2 * time.Hour

// digestShown bounds the tickets one digest lists.
const digestShown = 10

// Digest sends, on the morning of a working day (from DigestAt for
// DigestWindow), each active handler bound to WeChat one notice listing
// their open tickets that are overdue or due by the end of the day; a
// handler with nothing due gets nothing. Staff who have not bound WeChat
// are skipped: each of their tickets already went to the duty staff's
// group, and a daily list there would be noise. Its key is
// "digest:<staff id>:<date>", so running it again the same day (every few
// minutes, on several instances) sends nothing new. It returns how many
// handlers it queued a digest for, repeats included.
func (s *Service) Digest(ctx context.Context) (int, error) {
	now := s.now()
	day := startOfDay(now)
	from := day.Add(DigestAt)
	if !s.cal.IsWorkday(now) || now.Before(from) || !now.Before(from.Add(DigestWindow)) {
		return 0, nil
	}
	end := day.AddDate(0, 0, 1)
	staff, err := s.store.ListStaff(ctx)
	if err != nil {
		return 0, fmt.Errorf("tickets.Digest: %w", err)
	}
	sent := 0
	var errs []error
	for _, st := range staff {
		if !st.Active || st.OpenID == "" {
			continue
		}
		ts, err := s.store.AssignedTickets(ctx, st.ID, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("tickets.Digest(%d): %w", st.ID, err))
			continue
		}
		text := s.digestText(st.Name, ts, now, end)
		if text == "" {
			continue
		}
		key := fmt.Sprintf("digest:%d:%s", st.ID, day.Format(time.DateOnly))
		err = s.store.Transact(ctx, func(tx *storage.Tx) error {
			return s.enqueue(ctx, tx, bot.Notice{Kind: NoticeDigest, To: st.OpenID, Text: text, Staff: true, Key: key,
				Fields: map[string]string{"title": "今日待办", "time": bot.Stamp(now), "summary": cut(firstLine(text), summaryRunes)}})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("tickets.Digest(%d): %w", st.ID, err))
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// digestText lists the tickets of ts overdue at now or due before end,
// overdue first; "" when there are none. It names no resident: the
// handler finds the phone with 待办.
func (s *Service) digestText(name string, ts []ticket.Ticket, now, end time.Time) string {
	var overdue, today []string
	for _, t := range ts {
		due, verb := t.Due()
		line := fmt.Sprintf("%s %s，%s", t.Number, s.brief(t), t.Status.Label())
		switch {
		case now.After(due):
			overdue = append(overdue, line+fmt.Sprintf("，应于 %s 前%s ⚠已超时", bot.When(due), verb))
		case due.Before(end):
			today = append(today, line+fmt.Sprintf("，%s 前%s", due.In(bot.Shanghai).Format("15:04"), verb))
		}
	}
	if len(overdue)+len(today) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s早上好，今天要办的诉求：", name)
	shown := 0
	for _, part := range []struct {
		title string
		lines []string
	}{{"已超时", overdue}, {"今天到期", today}} {
		if len(part.lines) == 0 {
			continue
		}
		if shown == digestShown {
			fmt.Fprintf(&b, "\n%s %d 件（回复 待办 查看）", part.title, len(part.lines))
			continue
		}
		fmt.Fprintf(&b, "\n%s %d 件：", part.title, len(part.lines))
		for i, l := range part.lines {
			if shown == digestShown {
				fmt.Fprintf(&b, "\n还有 %d 件，回复 待办 查看", len(part.lines)-i)
				break
			}
			b.WriteString("\n" + l)
			shown++
		}
	}
	b.WriteString("\n回复 待办 查看居民电话，按序号办理，例如：受理 1")
	return b.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
