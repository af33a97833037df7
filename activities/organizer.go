package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// The organiser (Activity.OrganizerID, a staff member) hears twice of an
// activity: when it fills up, and when sign-up closes, with the numbers
// the preparation needs (how many people, the waiting list, the answers
// to the choice questions: 清真 12 人). Neither push names a resident;
// the list with names and phones is the export's.

// Staff notice kinds.
const (
	kindFull    = "activity_full"
	kindSummary = "activity_summary"
)

// organizer returns the active staff member organising a, or nil.
func organizer(ctx context.Context, tx *storage.Tx, a activity.Activity) (*community.Staff, error) {
	if a.OrganizerID == 0 {
		return nil, nil
	}
	st, err := tx.Staff(ctx, a.OrganizerID)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !st.Active {
		return nil, err
	}
	return &st, nil
}

// toOrganizer queues text about a for its organiser: to their WeChat when
// bound, else to the duty staff, saying whom to pass it on to. Nothing
// goes when a has no (active) organiser.
func (s *Service) toOrganizer(ctx context.Context, tx *storage.Tx, a activity.Activity, kind, key, text string, fields map[string]string) error {
	if s.outbox == nil {
		return nil
	}
	st, err := organizer(ctx, tx, a)
	if err != nil || st == nil {
		return err
	}
	to := bot.DutyStaff
	if st.OpenID != "" {
		to = st.OpenID
	} else {
		text += "\n（" + st.Name + " 尚未绑定微信，请值班人员转告。）"
	}
	n := bot.Notice{Kind: kind, To: to, Text: text, Fields: fields, Staff: true, Key: key,
		Merge: fmt.Sprintf("activity:%d:staff", a.ID)}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kind, err)
	}
	return nil
}

// filled tells the organiser that a (as read after a change, in tx) is
// full: once per activity and capacity, so seats that free up and fill
// again from the waiting list say nothing new, while a capacity raised
// by staff that fills again does.
func (s *Service) filled(ctx context.Context, tx *storage.Tx, a activity.Activity) error {
	if a.Capacity == 0 || a.SeatsLeft() > 0 {
		return nil
	}
	text := fmt.Sprintf("「%s」（%s）已报满：%d 个名额全部占用。\n之后报名的居民进入候补，有人取消会自动递补。", a.Title, when(a.StartsAt), a.Capacity)
	fields := map[string]string{"title": a.Title, "time": a.StartsAt.In(bot.Shanghai).Format("2006-01-02 15:04"),
		"status": "已报满", "note": fmt.Sprintf("名额 %d 个已满", a.Capacity)}
	return s.toOrganizer(ctx, tx, a, kindFull, fmt.Sprintf("%s:%d:%d", kindFull, a.ID, a.Capacity), text, fields)
}

// Summaries sends each organiser the summary of sign-up for their
// activities whose sign-up closed, once per activity and closing time
// (the notice key), however many instances run it; it returns how many
// it queued. Run it periodically: a summary missed while no instance ran
// still goes within Config.Lookback of the close.
func (s *Service) Summaries(ctx context.Context) (int, error) {
	now := s.now()
	since := now.Add(-s.cfg.Lookback)
	acts, err := s.store.ClosedActivities(ctx, since, now)
	if err != nil {
		return 0, fmt.Errorf("activities.Summaries: %w", err)
	}
	n := 0
	for _, a := range acts {
		if !a.Closes().After(since) {
			continue
		}
		key := fmt.Sprintf("%s:%d:%d", kindSummary, a.ID, a.Closes().Unix())
		if done, err := s.store.NoticeQueued(ctx, key); err != nil || done {
			if err != nil {
				return n, fmt.Errorf("activities.Summaries: %w", err)
			}
			continue
		}
		err := s.store.Transact(ctx, func(tx *storage.Tx) error {
			sus, err := tx.ActivitySignups(ctx, a.ID)
			if err != nil {
				return err
			}
			text, fields := summary(a, sus)
			return s.toOrganizer(ctx, tx, a, kindSummary, key, text, fields)
		})
		if err != nil {
			return n, fmt.Errorf("activities.Summaries(%d): %w", a.ID, err)
		}
		n++
	}
	return n, nil
}

// tally counts sign-ups and the people they bring.
type tally struct{ parties, people int }

func (t *tally) add(su activity.Signup) { t.parties++; t.people += su.PartySize }

func (t tally) String() string { return fmt.Sprintf("%d 份 %d 人", t.parties, t.people) }

// summary is the organiser's summary of a's sign-up: confirmed (attended
// included), offered and waitlisted sign-ups with their people, and for
// each question the answers of those holding seats, counted in people
// for a choice question and in sign-ups answering a free one.
func summary(a activity.Activity, sus []activity.Signup) (string, map[string]string) {
	var confirmed, offered, waiting tally
	for _, su := range sus {
		switch su.Status {
		case activity.Confirmed, activity.Attended:
			confirmed.add(su)
		case activity.Offered:
			offered.add(su)
		case activity.Waitlisted:
			waiting.add(su)
		}
	}
	lines := []string{
		fmt.Sprintf("「%s」报名已截止（%s 开始）", a.Title, when(a.StartsAt)),
		fmt.Sprintf("报名成功：%s（名额 %d）", confirmed, a.Capacity),
	}
	if offered.parties > 0 {
		lines = append(lines, "待确认递补："+offered.String())
	}
	lines = append(lines, "候补："+waiting.String())
	for _, q := range a.Questions {
		counts := map[string]int{}
		answered := 0
		for _, su := range sus {
			v := su.Answers[q.Key]
			if !su.Status.HoldsSeats() || v == "" {
				continue
			}
			answered++
			counts[v] += su.PartySize
		}
		if len(q.Choices) == 0 {
			lines = append(lines, fmt.Sprintf("%s：%d 份填写", q.Label, answered))
			continue
		}
		var parts []string
		for _, c := range q.Choices {
			if counts[c] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d 人", c, counts[c]))
			}
		}
		if len(parts) == 0 {
			parts = []string{"无"}
		}
		lines = append(lines, q.Label+"："+strings.Join(parts, "，"))
	}
	lines = append(lines, fmt.Sprintf("名单（姓名、电话、签到码）请在后台导出：活动 %d。", a.ID))
	fields := map[string]string{"title": a.Title, "time": a.StartsAt.In(bot.Shanghai).Format("2006-01-02 15:04"),
		"status": "报名已截止", "note": fmt.Sprintf("成功%d人 候补%d人", confirmed.people, waiting.people)}
	return strings.Join(lines, "\n"), fields
}
