// Package tickets runs service requests (诉求/报修): it files them, routes
// them to the grid worker or the role that handles their category, keeps
// their lifecycle and timeline, queues the notifications each change
// causes, escalates what nobody accepted in time and closes what nobody
// rated. It implements ticket.Service for conversations and AdminService
// for the admin API.
//
// It does not deliver notifications (the notify outbox does) nor talk to
// residents (the bot flows do). Each public method owns its transaction:
// a change, its timeline and its notifications commit together or not at
// all.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/workcal"
)

var (
	_ ticket.Service = (*Service)(nil)
	_ AdminService   = (*Service)(nil)
)

// DefaultCategories are the community's kinds of request, with deadlines
// in working hours. None is public: what Open311 publishes of their
// requests is category, status, building and dates, until the operator
// lists the categories and marks some public.
var DefaultCategories = []ticket.Category{
	{Key: "repair", Name: "维修报修", Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 18},
	{Key: "sanitation", Name: "环境卫生", Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 12},
	{Key: "dispute", Name: "矛盾纠纷", Role: community.RoleMediator, ResponseHours: 4, ResolveHours: 30},
	{Key: "employment", Name: "帮就业", Role: community.RoleEmployment, ResponseHours: 8, ResolveHours: 60},
	{Key: "assistance", Name: "帮救助", Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 30},
	{Key: "housing", Name: "帮找房", Role: community.RoleGridWorker, ResponseHours: 8, ResolveHours: 60},
	{Key: "medical", Name: "帮就医", Role: community.RoleGridWorker, ResponseHours: 2, ResolveHours: 12},
	{Key: "suggestion", Name: "意见建议", Role: community.RoleSupervisor, ResponseHours: 8, ResolveHours: 60},
}

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// Categories are the kinds of request offered (DefaultCategories).
	Categories []ticket.Category
	// Now is the clock (time.Now).
	Now func() time.Time
	// DetailURL, when set, gives the page a template message about a
	// ticket links to.
	DetailURL func(number string) string
	// DailyLimit is how many requests one resident may file through
	// WeChat in a day (Shanghai): DefaultDailyLimit when zero, no limit
	// when negative. Staff filing for a resident are not limited.
	DailyLimit int
	// Media, when set, copies a new ticket's photos and voice message
	// before WeChat's three days are up; nil keeps only the references.
	Media MediaKeeper
}

// MediaKeeper copies what residents send with a request (media.Service).
type MediaKeeper interface {
	// KeepTx records refs as media of ticket ticketID and queues their
	// copies inside tx, the filing's transaction.
	KeepTx(ctx context.Context, tx *storage.Tx, ticketID int64, refs []ticket.MediaRef) error
}

// DefaultDailyLimit keeps one resident, or one script behind one
// account, from filling the day's numbers and the staff's inboxes;
// nobody has ten real problems a day.
const DefaultDailyLimit = 10

// Service implements ticket.Service and AdminService on a Store.
type Service struct {
	store  *storage.Store
	outbox *notify.Outbox
	cal    *workcal.Calendar
	cfg    Config
	cats   map[string]ticket.Category
}

// New returns the service. Notifications go through outbox, in the
// transaction of the change; deadlines are counted in working time on cal.
func New(store *storage.Store, outbox *notify.Outbox, cal *workcal.Calendar, cfg Config) *Service {
	if len(cfg.Categories) == 0 {
		cfg.Categories = DefaultCategories
	}
	cfg.Categories = append([]ticket.Category(nil), cfg.Categories...)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DailyLimit == 0 {
		cfg.DailyLimit = DefaultDailyLimit
	}
	if cal == nil {
		cal = workcal.Builtin()
	}
	s := &Service{store: store, outbox: outbox, cal: cal, cfg: cfg, cats: map[string]ticket.Category{}}
	for _, c := range cfg.Categories {
		s.cats[c.Key] = c
	}
	return s
}

// now is the clock as stored: UTC, to the microsecond.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Categories returns the kinds of request offered, in menu order.
func (s *Service) Categories() []ticket.Category {
	return append([]ticket.Category(nil), s.cfg.Categories...)
}

// categoryName names a category key; a key no longer configured shows as
// itself.
func (s *Service) categoryName(key string) string {
	if c, ok := s.cats[key]; ok {
		return c.Name
	}
	return key
}

// named fills what is not stored: the category's name.
func (s *Service) named(t ticket.Ticket) ticket.Ticket {
	t.CategoryName = s.categoryName(t.Category)
	return t
}

func (s *Service) namedAll(ts []ticket.Ticket) []ticket.Ticket {
	for i := range ts {
		ts[i] = s.named(ts[i])
	}
	return ts
}

// Mine lists the resident's tickets, newest first (at most limit, 10 when
// limit is not positive).
func (s *Service) Mine(ctx context.Context, openid string, limit int) ([]ticket.Ticket, error) {
	if limit <= 0 {
		limit = 10
	}
	ts, err := s.store.ResidentTickets(ctx, openid, limit)
	if err != nil {
		return nil, fmt.Errorf("tickets.Mine: %w", err)
	}
	return s.namedAll(ts), nil
}

// Get returns a ticket with its timeline, or bot.ErrNotFound, for the
// operator (the admin API).
func (s *Service) Get(ctx context.Context, number string) (ticket.Ticket, []ticket.Entry, error) {
	t, err := s.store.Ticket(ctx, number)
	if err != nil {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.Get(%s): %w", number, err)
	}
	events, err := s.store.Timeline(ctx, t.ID)
	if err != nil {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.Get(%s): %w", number, err)
	}
	return s.named(t), events, nil
}

// Todo lists a staff member's open tickets, overdue first, then oldest.
func (s *Service) Todo(ctx context.Context, staffID int64) ([]ticket.Ticket, error) {
	ts, err := s.store.AssignedTickets(ctx, staffID, s.now())
	if err != nil {
		return nil, fmt.Errorf("tickets.Todo(%d): %w", staffID, err)
	}
	return s.namedAll(ts), nil
}

// AwaitingRating returns the ticket a resident's plain 1/2/3 rates: their
// most recently resolved one, whose rating request is the last they
// received. Returns bot.ErrNotFound when none waits for a rating.
func (s *Service) AwaitingRating(ctx context.Context, openid string) (ticket.Ticket, error) {
	if openid == "" {
		return ticket.Ticket{}, fmt.Errorf("tickets.AwaitingRating: %w", bot.ErrNotFound)
	}
	t, err := s.store.LatestResolved(ctx, openid)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("tickets.AwaitingRating: %w", err)
	}
	return s.named(t), nil
}

// View returns a ticket with its timeline for the person with openid:
// the resident who filed it, its handler, the grid worker of its grid,
// or staff who dispatch and supervise (community's access policy). Anyone else gets bot.ErrNotFound,
// as for a ticket that does not exist, so numbers cannot be probed. The
// phone is left in only for those who may act on the ticket (MayAct).
func (s *Service) View(ctx context.Context, openid, number string) (ticket.Ticket, []ticket.Entry, error) {
	t, entries, err := s.Get(ctx, number)
	if err != nil {
		return ticket.Ticket{}, nil, err
	}
	v, err := s.viewer(ctx, s.store, openid)
	if err != nil {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.View(%s): %w", number, err)
	}
	if !v.MayRead(t.Record()) {
		return ticket.Ticket{}, nil, fmt.Errorf("tickets.View(%s): %w", number, bot.ErrNotFound)
	}
	if !v.MayAct(t.Record()) {
		// The phone is there for those who work the ticket to call the
		// resident; anyone else who may read it (the resident) has no
		// need of it.
		t.Phone = ""
		entries = residentTimeline(entries)
	}
	return t, entries, nil
}

// residentTimeline is the timeline as the resident reads it (in WeChat's
// 查询 and on their page): staff's own notes (备注) left out, and the
// notes of internal routing (转派, 退回, 重新分派, 超时升级) kept to
// the step itself. What staff meant for the resident reaches them as its
// own notice (a 退回 reason written "居民：…", a 回复居民 question, the
// 办结 result), and those steps keep their notes.
func residentTimeline(entries []ticket.Entry) []ticket.Entry {
	out := make([]ticket.Entry, 0, len(entries))
	for _, e := range entries {
		switch e.Action {
		case "备注":
			continue
		case "转派", "退回", "重新分派", "超时升级":
			e.Note = ""
		}
		out = append(out, e)
	}
	return out
}

// staffLookup finds staff and grids, on the store or in a transaction.
type staffLookup interface {
	StaffByOpenID(ctx context.Context, openid string) (community.Staff, error)
	Staff(ctx context.Context, id int64) (community.Staff, error)
	ListGrids(ctx context.Context) ([]community.Grid, error)
}

// viewer is the person with openid as the access policy sees them: staff
// when bound, else a resident.
func (s *Service) viewer(ctx context.Context, q staffLookup, openid string) (community.Viewer, error) {
	if openid == "" {
		return community.Resident(""), nil
	}
	st, err := q.StaffByOpenID(ctx, openid)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return community.Resident(openid), nil
	case err != nil:
		return community.Viewer{}, err
	}
	return member(ctx, q, st)
}

// member is staff member st as the access policy sees them, with the
// grids they are the worker of.
func member(ctx context.Context, q staffLookup, st community.Staff) (community.Viewer, error) {
	v := community.Member(st)
	if v.Staff == nil || !st.Has(community.RoleGridWorker) {
		return v, nil
	}
	grids, err := q.ListGrids(ctx)
	if err != nil {
		return community.Viewer{}, err
	}
	var ids []int64
	for _, g := range grids {
		if g.WorkerID == st.ID {
			ids = append(ids, g.ID)
		}
	}
	return v.InGrids(ids...), nil
}
