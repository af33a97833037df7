// Package notify delivers bot.Notices durably: the outbox.
//
// A notice is written to the notifications ledger (storage) and its
// delivery queued as a job (jobs) in the same database transaction as the
// change that causes it, so a crash keeps both or neither. The delivery
// worker, registered on the job runner, runs on any instance and delivers
// each row through the channels its kind and recipient allow —
// customer-service text, template message, the WeCom staff robot, or the
// log in development — one recipient's rows in order, retrying with capped
// backoff, falling back between channels, and recording the outcome on the
// row for operators. A newer notice of a group (Notice.Replaces) drops
// the older ones still waiting, at queueing and again at sending, so a
// resident held by quiet hours gets only the latest news; the ledger
// records when a notice asking a question (Notice.Asks) was sent, which
// LastAsked tells the conversations (bot.Questions).
//
// The files follow those parts: outbox.go is the API features call (New,
// Enqueue, Notify, Retry), deliver.go the delivery job (ordering, lease,
// retries, outcome), channels.go the channels and which to try.
//
// It does not decide who must be told what: the features do, and call
// Enqueue inside their own transaction (or Notify for a notice that stands
// alone). Nor does it run the job queue: the jobs runner does, with its
// workers, timeout and periodic tasks.
package notify
