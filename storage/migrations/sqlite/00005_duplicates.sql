-- +goose Up
-- Draft keys on tickets: see the PostgreSQL migration of the same number.
ALTER TABLE tickets ADD COLUMN draft_key TEXT;
CREATE UNIQUE INDEX tickets_by_draft_key ON tickets (draft_key);

-- Merge keys on notifications: see the PostgreSQL migration.
ALTER TABLE notifications ADD COLUMN merge_key TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN merge_key;
DROP INDEX tickets_by_draft_key;
ALTER TABLE tickets DROP COLUMN draft_key;
