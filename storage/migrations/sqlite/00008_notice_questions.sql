-- +goose Up
-- Questions and replacement groups of notifications: see the PostgreSQL
-- migration of the same number.
ALTER TABLE notifications ADD COLUMN asks TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_asked ON notifications (recipient, sent_at) WHERE asks <> '' AND status = 'sent';

-- +goose Down
DROP INDEX notifications_asked;
ALTER TABLE notifications DROP COLUMN replaces;
ALTER TABLE notifications DROP COLUMN asks;
