// Package clinic runs the legal clinic (法律诊所): it computes the slots
// of the next days from the schedules, the working calendar and the
// closures, books residents into them with the seats counted by the
// database, moves and cancels bookings before the cut-off, files 法律援助
// applications and 专家会诊 requests, and tells residents and providers.
// It implements clinic.Service (bot/clinic) for conversations and the
// admin API's ClinicAdmin (handlers).
//
// Matter descriptions and aid answers are confidential: they go into the
// database and to clinic staff and the session's providers in 1:1
// messages, and nowhere else (no log line, metric, list, export or group
// message carries them).
package clinic

import (
	"time"

	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/workcal"
)

var _ cl.Service = (*Service)(nil)

// Defaults of Config.
const (
	DefaultHorizon   = 14 * 24 * time.Hour
	DefaultCutoff    = 2 * time.Hour
	DefaultMinNotice = time.Hour
)

// DefaultReminders are the day before and one hour before.
var DefaultReminders = []time.Duration{24 * time.Hour, time.Hour}

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// Now is the clock (time.Now).
	Now func() time.Time
	// Calendar says which days are holidays and which weekend days are
	// 调休 working days (workcal.Builtin()).
	Calendar *workcal.Calendar
	// Horizon is how far ahead residents see slots (14 days).
	Horizon time.Duration
	// Cutoff is how long before its start a booking can no longer be
	// cancelled or moved by the resident (2 h).
	Cutoff time.Duration
	// MinNotice is how long before its start a slot can still be booked
	// (1 h).
	MinNotice time.Duration
	// Reminders are how long before the start booked residents are
	// reminded (DefaultReminders; an empty, non-nil slice: none).
	Reminders []time.Duration
	// Quiet are the outbox's quiet hours.
	Quiet notify.QuietHours
	// Jobs is the runner reminders are queued on; nil plans none.
	Jobs *jobs.Runner
	// Place, Phone are the intro's place and phone; Topics the 法律知识.
	Place  string
	Phone  string
	Topics []cl.Topic
	// Activities plans the event sign-up a 集中义诊 session runs as; nil
	// refuses free_clinic schedules.
	Activities ActivityPlanner
}

// Service implements clinic.Service and the admin API on a Store.
type Service struct {
	store  *storage.Store
	outbox *notify.Outbox
	cfg    Config
}

// New returns the service. Notices go through outbox, in the transaction
// of the change (nil: none is sent).
func New(store *storage.Store, outbox *notify.Outbox, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workcal.Builtin()
	}
	if cfg.Horizon <= 0 {
		cfg.Horizon = DefaultHorizon
	}
	if cfg.Cutoff <= 0 {
		cfg.Cutoff = DefaultCutoff
	}
	if cfg.MinNotice <= 0 {
		cfg.MinNotice = DefaultMinNotice
	}
	if cfg.Reminders == nil {
		cfg.Reminders = DefaultReminders
	}
	return &Service{store: store, outbox: outbox, cfg: cfg}
}

// now is the clock as stored: UTC, to the microsecond.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }
