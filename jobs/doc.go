// Package jobs runs the process's background work: it owns the one River
// client of the process and the job tables it keeps in the store's
// database.
//
// Domains register with a Runner before it starts: a worker for each kind
// of job they queue (AddWorker) and housekeeping that runs every so often
// (Every). Jobs are queued in the caller's transaction (InsertTx), so a
// change and the work it causes commit together or not at all. Workers on
// every instance share the queue; a periodic task runs on one instance at a
// time (the queue's leader) and once when that instance starts leading. A
// job whose process died is taken up again by another instance after
// Config.RescueAfter.
//
// It does not know what the jobs do, nor retry or order them beyond what
// their workers ask of River: notifications, their channels, backoff and
// ordering belong to notify; sweeps belong to the domain that owns the
// records.
package jobs
