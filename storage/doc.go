// Package storage keeps tongxin's records (residents and the other
// aggregates, one file each) in PostgreSQL (lib/pq) or SQLite (modernc), behind
// one sqlx Store.
//
// It owns the schema (embedded goose migrations, one set per engine), the
// mapping of driver errors to bot.ErrNotFound and bot.ErrConflict, and
// transactions: every aggregate method works the same on the Store and on a
// Tx inside Transact, so a caller can combine a state change and its outbox
// row atomically.
//
// It does not hold conversation state (that is Redis, in storage/redisstate),
// decide anything about residents (that is bot and its flows), talk to WeChat,
// or log: errors carry the operation and a shortened openid, never names or
// phone numbers, and the caller decides what to log.
//
// SQL is written once with ? placeholders and rebound for PostgreSQL. All
// times are written in UTC, truncated to microseconds (PostgreSQL's precision)
// so both engines give back exactly what was stored, and read back in UTC.
package storage
