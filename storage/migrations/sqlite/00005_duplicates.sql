-- +goose Up
-- Draft keys on tickets: see the PostgreSQL migration of the same number.
ALTER TABLE tickets ADD COLUMN draft_key TEXT;
CREATE UNIQUE INDEX tickets_by_draft_key ON tickets (draft_key);

-- +goose Down
DROP INDEX tickets_by_draft_key;
ALTER TABLE tickets DROP COLUMN draft_key;
