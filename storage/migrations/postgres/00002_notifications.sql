-- +goose Up
-- The notifications ledger: one row per thing someone must be told, written
-- in the same transaction as the change that causes it. The job queue only
-- carries the row id; this table is what operators and histories read.
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    idem_key    TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    staff       BOOLEAN NOT NULL DEFAULT FALSE,
    urgent      BOOLEAN NOT NULL DEFAULT FALSE,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'dropped')),
    channel     TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    not_before  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    -- lease_until marks a row a worker is sending right now, so no other
    -- worker sends it (or, for order, anything after it) at the same time.
    lease_until TIMESTAMPTZ
);
CREATE INDEX notifications_pending_by_recipient ON notifications (recipient, id) WHERE status = 'pending';
CREATE INDEX notifications_by_status ON notifications (status, id);

-- +goose Down
DROP TABLE notifications;
