-- +goose Up
-- Erasure and retention (PIPL).
--
-- subject is the openid of the resident a notification is about, whoever
-- receives it (a staff alert naming them), so that erasing the resident
-- finds it; '' when it is about nobody in particular. Rows queued before
-- this migration get it from their idempotency key: human:<openid>:...,
-- and ticket:<number>:... through the ticket's resident.
ALTER TABLE notifications ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE notifications SET subject = split_part(idem_key, ':', 2)
    WHERE idem_key LIKE 'human:%:%';
UPDATE notifications SET subject = t.openid
    FROM tickets t
    WHERE notifications.idem_key LIKE 'ticket:%:%'
      AND t.number = split_part(notifications.idem_key, ':', 2)
      AND t.openid <> '';
CREATE INDEX notifications_by_subject ON notifications (subject) WHERE subject <> '';
-- Retention looks for delivered notifications whose content is still
-- there, by when delivery ended; once erased a row leaves this index.
CREATE INDEX notifications_to_purge ON notifications (updated_at)
    WHERE status <> 'pending' AND payload <> '{"erased":true}';

-- anonymised_at marks a ticket whose personal fields were blanked (the
-- resident was erased, or it was closed longer than the retention
-- period), so retention passes over it.
ALTER TABLE tickets ADD COLUMN anonymised_at TIMESTAMPTZ;
CREATE INDEX tickets_to_anonymise ON tickets (closed_at) WHERE anonymised_at IS NULL AND status = 'closed';

-- erasures audits every erasure and retention pass: when, by what, and
-- how many records of each kind; never whose.
CREATE TABLE erasures (
    id     BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
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
