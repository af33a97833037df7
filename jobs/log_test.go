package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRoutineRiverReportsLogAtDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		log := slog.New(routineAtDebug{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})}).With("component", "river")
		log.Info("producer: Producer job counts", "num_completed_jobs", 3)
		log.Info("maintenance.JobCleaner: Ran successfully", "num_jobs_deleted", 3)
		log.Info("maintenance.JobRescuer: Ran successfully", "num_jobs_retry_scheduled", 1)
		log.Info("River client started")
		log.Warn("producer: something is wrong")
		out := buf.String()
		for _, want := range []string{
			"level=INFO msg=\"maintenance.JobRescuer: Ran successfully\"",
			"level=INFO msg=\"River client started\"",
			"level=WARN",
			"component=river",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("at %v: no %q in\n%s", level, want, out)
			}
		}
		routine := []string{"level=DEBUG msg=\"producer: Producer job counts\"", "level=DEBUG msg=\"maintenance.JobCleaner: Ran successfully\""}
		for _, line := range routine {
			if got := strings.Contains(out, line); got != (level == slog.LevelDebug) {
				t.Errorf("at %v: %q logged = %v, want %v:\n%s", level, line, got, level == slog.LevelDebug, out)
			}
		}
		if strings.Contains(out, "level=INFO msg=\"producer") || strings.Contains(out, "level=INFO msg=\"maintenance.JobCleaner") {
			t.Errorf("at %v: a routine report at info:\n%s", level, out)
		}
	}
	if !(routineAtDebug{slog.NewTextHandler(&bytes.Buffer{}, nil)}).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("info disabled: River's other info messages would be lost")
	}
}
