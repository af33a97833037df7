package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Every runs fn every interval on one instance at a time (the queue's
// leader), and once when an instance starts leading. Each run is one job
// of one attempt under the job timeout: a run that fails is not retried,
// the next one comes at the next interval, so fn must pick up whatever an
// earlier run left. Every fails after Start, for an empty or duplicate
// name and for an interval that is not positive.
func (r *Runner) Every(name string, interval time.Duration, fn func(ctx context.Context) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		return fmt.Errorf("jobs.Every(%q): %w", name, errStarted)
	case name == "":
		return errors.New("jobs.Every: a task needs a name")
	case interval <= 0:
		return fmt.Errorf("jobs.Every(%q): interval %v is not positive", name, interval)
	case fn == nil:
		return fmt.Errorf("jobs.Every(%q): no function", name)
	}
	if _, dup := r.tasks[name]; dup {
		return fmt.Errorf("jobs.Every(%q): a task of that name is already registered", name)
	}
	job := river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return periodicArgs{Name: name}, &river.InsertOpts{MaxAttempts: 1}
		}, &river.PeriodicJobOpts{RunOnStart: true})
	if _, err := r.client.PeriodicJobs().AddSafely(job); err != nil {
		return fmt.Errorf("jobs.Every(%q): %w", name, err)
	}
	r.tasks[name] = fn
	return nil
}

// periodicArgs is the job of one run of a periodic task.
type periodicArgs struct {
	Name string `json:"name"`
}

// Kind names the job for River.
func (periodicArgs) Kind() string { return "jobs.periodic" }

// KindAliases lets this version run the periodic jobs an earlier one
// queued while notify owned the queue.
func (periodicArgs) KindAliases() []string { return []string{"notify.periodic"} }

// periodicWorker runs every periodic task: River sees one kind of job, the
// name says which task.
type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	r *Runner
}

// Work runs the named task; an unknown name (a task a deploy removed) is
// dropped.
func (w *periodicWorker) Work(ctx context.Context, job *river.Job[periodicArgs]) error {
	w.r.mu.Lock()
	run, ok := w.r.tasks[job.Args.Name]
	w.r.mu.Unlock()
	if !ok {
		return river.JobCancel(fmt.Errorf("unknown periodic task %q", job.Args.Name))
	}
	return run(ctx)
}
