package jobs

import (
	"context"
	"log/slog"
	"strings"
)

// routineAtDebug is River's log handler: it logs River's routine reports
// (a queue's job counts every minute, a maintenance pass that cleaned up or
// scheduled jobs) at debug instead of info, so that info shows what
// operators act on. Everything else, including a rescued job of a dead
// worker and every warning and error, passes unchanged.
type routineAtDebug struct{ slog.Handler }

// Handle demotes a routine report to debug.
func (h routineAtDebug) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo && routine(r.Message) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the demotion on the derived handler.
func (h routineAtDebug) WithAttrs(attrs []slog.Attr) slog.Handler {
	return routineAtDebug{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the demotion on the derived handler.
func (h routineAtDebug) WithGroup(name string) slog.Handler {
	return routineAtDebug{h.Handler.WithGroup(name)}
}

// routine reports whether a River info message is a routine report. River
// names the reporting service first ("producer: Producer job counts",
// "maintenance.JobCleaner: Ran successfully"); the rescuer's report means
// a worker died, which is news.
func routine(msg string) bool {
	if strings.HasSuffix(msg, ": Producer job counts") {
		return true
	}
	return strings.HasSuffix(msg, ": Ran successfully") && !strings.Contains(msg, "JobRescuer:")
}
