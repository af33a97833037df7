-- +goose Up
-- Erasure and retention: see the PostgreSQL migration of the same number.
-- SQLite has no split_part: the part after the prefix is cut at its colon.
ALTER TABLE notifications ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE notifications SET subject = substr(idem_key, 7, instr(substr(idem_key, 7), ':') - 1)
    WHERE idem_key LIKE 'human:%:%';
UPDATE notifications SET subject = COALESCE((
        SELECT t.openid FROM tickets t
        WHERE t.number = substr(notifications.idem_key, 8, instr(substr(notifications.idem_key, 8), ':') - 1)
    ), '')
    WHERE idem_key LIKE 'ticket:%:%';
CREATE INDEX notifications_by_subject ON notifications (subject) WHERE subject <> '';
CREATE INDEX notifications_to_purge ON notifications (updated_at)
    WHERE status <> 'pending' AND payload <> '{"erased":true}';

ALTER TABLE tickets ADD COLUMN anonymised_at TIMESTAMP;
CREATE INDEX tickets_to_anonymise ON tickets (closed_at) WHERE anonymised_at IS NULL AND status = 'closed';

CREATE TABLE erasures (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TIMESTAMP NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('erase', 'retention')),
    actor  TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}'
);

-- +goose Down
DROP TABLE erasures;
DROP INDEX tickets_to_anonymise;
ALTER TABLE tickets DROP COLUMN anonymised_at;
DROP INDEX notifications_to_purge;
DROP INDEX notifications_by_subject;
ALTER TABLE notifications DROP COLUMN subject;
