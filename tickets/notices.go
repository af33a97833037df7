package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// Notice kinds, for templates (notify.Config.Templates) and metrics.
const (
	NoticeNew         = "ticket_new"         // to the assignee of a new ticket
	NoticeCopy        = "ticket_cc"          // to the 楼栋长 and 单元长 of a new ticket
	NoticeAccepted    = "ticket_accepted"    // to the resident
	NoticeResolved    = "ticket_resolved"    // to the resident, asking for a rating
	NoticeReturned    = "ticket_returned"    // to the resident
	NoticeTransferred = "ticket_transferred" // to the resident
	NoticeAssigned    = "ticket_assigned"    // to the new assignee of a transfer or return
	NoticeUrged       = "ticket_urged"       // to the handler's supervisor
	NoticeSupplement  = "ticket_supplement"  // to the handler
	NoticeReopened    = "ticket_reopened"    // to the handler and the supervisor
	NoticeEscalated   = "ticket_escalated"   // to the supervisor
	NoticeAsked       = "ticket_asked"       // to the resident: the handler's question (回复)
	NoticeDigest      = "ticket_digest"      // to each handler: the morning's due and overdue tickets
)

// RatingPrompt ends the resident's notice of a resolved ticket. A bare
// digit rates only shortly after the notice arrives (bot.AnswerWindow);
// the second line gives the form that works whenever they get to it.
const RatingPrompt = "请评价：回复 1 满意 2 基本满意 3 不满意\n晚些再评请回复：评价 1（或 评价 2、评价 3）"

// Actors of timeline events that are not staff.
const (
	actorResident = "居民"
	actorSystem   = "系统"
	actorAdmin    = "管理员"
)

// cut shortens s to at most n runes, marking the cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// brief is a ticket in one line for staff: "维修报修，3号楼2单元201室".
func (s *Service) brief(t ticket.Ticket) string {
	return s.categoryName(t.Category) + "，" + t.Place
}

// RatingAction is the template field "action" of a resolved ticket's
// notice: a template message reaches residents outside the 48-hour
// window, and without it they would not know how to rate.
const RatingAction = "回复1满意 2基本满意 3不满意"

// fields are the template facts of a notice about t.
func (s *Service) fields(t ticket.Ticket, at time.Time) map[string]string {
	f := map[string]string{
		"title":   s.categoryName(t.Category),
		"number":  t.Number,
		"status":  t.Status.Label(),
		"time":    bot.Stamp(at),
		"summary": summary(t),
	}
	if t.Status == ticket.Resolved {
		f["action"] = RatingAction
	}
	return f
}

// summaryRunes is WeChat's limit on a template field (notify.MaxFieldRunes).
const summaryRunes = 20

// summary says what a ticket is about in one template field: where and
// what, on one line, at most 20 characters ("3号楼2单元201室：楼道灯坏了…").
func summary(t ticket.Ticket) string {
	place := strings.Join(strings.Fields(t.Place), " ")
	if place == placeOf(nil, 0) {
		place = ""
	}
	desc := strings.Join(strings.Fields(t.Description), " ")
	if desc == "" && len(t.Photos) > 0 {
		desc = "见照片"
	}
	switch {
	case place == "":
		return cut(desc, summaryRunes)
	case desc == "":
		return cut(place, summaryRunes)
	}
	return cut(place+"："+desc, summaryRunes)
}

func (s *Service) url(t ticket.Ticket) string {
	if s.cfg.DetailURL == nil {
		return ""
	}
	return s.cfg.DetailURL(t.Number)
}

func (s *Service) enqueue(ctx context.Context, tx *storage.Tx, n bot.Notice) error {
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", n.Kind, err)
	}
	return nil
}

// residentNews is the group (bot.Notice.Replaces) of the resident's
// notices about t: each says where t stands now, so a newer one replaces
// those still held (quiet hours), and at 07:00 only the latest goes out.
func residentNews(t ticket.Ticket) string { return "ticket:" + t.Number + ":resident" }

// toResident queues news of t for the resident who filed it; tickets filed
// by staff for someone without WeChat have nobody to tell. It replaces
// the resident's news of t not yet delivered; the news of a resolved
// ticket asks for the rating.
func (s *Service) toResident(ctx context.Context, tx *storage.Tx, t ticket.Ticket, kind, key, text string, at time.Time) error {
	return s.residentNotice(ctx, tx, t, kind, key, text, at, residentNews(t))
}

// toResidentWords queues what a staff member wrote to the resident (a 回复
// question, a 退回 reason meant for them). It is no news of where t
// stands, so it stands alone: later news does not replace it while quiet
// hours hold it, nor does it replace earlier news.
func (s *Service) toResidentWords(ctx context.Context, tx *storage.Tx, t ticket.Ticket, kind, key, text string, at time.Time) error {
	return s.residentNotice(ctx, tx, t, kind, key, text, at, "")
}

func (s *Service) residentNotice(ctx context.Context, tx *storage.Tx, t ticket.Ticket, kind, key, text string, at time.Time, group string) error {
	if t.OpenID == "" {
		return nil
	}
	n := bot.Notice{
		Kind: kind, To: t.OpenID, About: t.OpenID, Text: text, Fields: s.fields(t, at), URL: s.url(t), Key: key,
		// Whoever reported a fire at night is waiting to hear of it.
		Replaces: group, Urgent: t.Urgent,
	}
	if n.URL == "" {
		// The resident's own page of it (handlers/mine): the outbox puts
		// the public URL in front.
		n.URL = "/my/tickets/" + t.Number
	}
	if kind == NoticeResolved {
		n.Asks = bot.Ask(ticket.QuestionRating, t.Number)
	}
	return s.enqueue(ctx, tx, n)
}

// residentDue sets t.NoticeDue to when the resident learns of t's latest
// change: the due time of their news of t still waiting, if any.
func (s *Service) residentDue(ctx context.Context, tx *storage.Tx, t *ticket.Ticket) error {
	due, err := s.outbox.Due(ctx, tx, t.OpenID, residentNews(*t))
	if err != nil {
		return err
	}
	t.NoticeDue = nil
	if !due.IsZero() {
		t.NoticeDue = &due
	}
	return nil
}

// staffMerge is the merge key of staff notices about t: those that queue
// up for one person (a 补充 after the new ticket's notice, during an
// outage) reach them as one message.
func staffMerge(t ticket.Ticket) string { return "ticket:" + t.Number + ":staff" }

// toStaff queues text about t for st: to their WeChat when bound, else to
// the duty staff's group, saying whom to pass it on to. A nil st means
// nobody in particular: the duty staff.
func (s *Service) toStaff(ctx context.Context, tx *storage.Tx, st *community.Staff, t ticket.Ticket, kind, key, text string, at time.Time) error {
	to := bot.DutyStaff
	switch {
	case st != nil && st.OpenID != "":
		to = st.OpenID
	case st != nil:
		text += "\n（" + st.Name + " 尚未绑定微信，请值班人员转告。）"
	}
	return s.enqueue(ctx, tx, bot.Notice{
		Kind: kind, To: to, About: t.OpenID, Text: text, Fields: s.fields(t, at), URL: s.url(t), Staff: true, Urgent: t.Urgent, Key: key, Merge: staffMerge(t),
	})
}

// toStaffPersonal queues a notice about t for st whose text names the
// resident: text(true) in full for st's own WeChat, text(false) masked
// wherever more people may read it. A notice to st's WeChat carries the
// masked text as its GroupText, saying whom to pass it on to, since it may
// fall back to the staff group robot; without a bound st only the masked
// text goes out.
func (s *Service) toStaffPersonal(ctx context.Context, tx *storage.Tx, st *community.Staff, t ticket.Ticket, kind, key string, text func(private bool) string, at time.Time) error {
	if st == nil || st.OpenID == "" {
		return s.toStaff(ctx, tx, st, t, kind, key, text(false), at)
	}
	return s.enqueue(ctx, tx, bot.Notice{
		Kind: kind, To: st.OpenID, About: t.OpenID, Text: text(true), GroupText: text(false) + "（请转告 " + st.Name + "）",
		Fields: s.fields(t, at), URL: s.url(t), Staff: true, Urgent: t.Urgent, Key: key, Merge: staffMerge(t),
	})
}

// staffOrNil returns staff member id, or nil for id 0 and for someone no
// longer active: a notice or a new ticket for them goes to the duty staff
// instead.
func staffOrNil(ctx context.Context, tx *storage.Tx, id int64) (*community.Staff, error) {
	if id == 0 {
		return nil, nil
	}
	st, err := tx.Staff(ctx, id)
	if err != nil || !st.Active {
		return nil, err
	}
	return &st, nil
}

// supervisor returns who supervises the handling of t: its grid's
// supervisor, else the first staff member with the supervisor role, else
// nil (the duty staff).
func (s *Service) supervisor(ctx context.Context, tx *storage.Tx, t ticket.Ticket) (*community.Staff, error) {
	if t.GridID != 0 {
		g, err := tx.Grid(ctx, t.GridID)
		if err != nil {
			return nil, err
		}
		if g.SupervisorID != 0 {
			return staffOrNil(ctx, tx, g.SupervisorID)
		}
	}
	return withRole(ctx, tx, community.RoleSupervisor, 0)
}

// withRole returns the first staff member with role other than except, or
// nil when there is none.
func withRole(ctx context.Context, tx *storage.Tx, role community.Role, except int64) (*community.Staff, error) {
	st, err := tx.StaffWithRole(ctx, role, except)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// handlerName names the assignee of t for residents.
func handlerName(t ticket.Ticket) string {
	if t.AssigneeName == "" {
		return "社区值班人员"
	}
	return t.AssigneeName
}

// residentDesc is how a staff notice names the resident: in full to the
// person handling it, masked for the duty group.
func residentDesc(t ticket.Ticket, private bool) string {
	name := t.Name
	if name == "" || !private {
		name = "居民"
	}
	switch {
	case t.Phone == "":
		return name
	case private:
		return name + " " + t.Phone
	default:
		return name + " " + bot.MaskPhone(t.Phone)
	}
}
