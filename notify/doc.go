// Package notify delivers bot.Notices durably: the outbox.
//
// A notice is written to the notifications ledger (storage) and queued as a
// River job in the same database transaction as the change that causes it,
// so a crash keeps both or neither. Workers (on any instance) deliver each
// row through the channels its kind and recipient allow — customer-service
// text, template message, the WeCom staff robot, or the log in development —
// retrying with backoff, falling back between channels, and recording the
// outcome on the row for operators.
//
// It does not decide who must be told what: the features do, and call
// Enqueue inside their own transaction (or Notify for a notice that stands
// alone).
package notify
