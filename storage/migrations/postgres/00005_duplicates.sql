-- +goose Up
-- draft_key is the key of the conversation (or other client) that filed
-- a ticket: filing the same draft again returns this ticket instead of
-- making a second one. NULL for tickets filed without a key; NULLs never
-- clash in a unique index.
ALTER TABLE tickets ADD COLUMN draft_key TEXT;
CREATE UNIQUE INDEX tickets_by_draft_key ON tickets (draft_key);

-- +goose Down
DROP INDEX tickets_by_draft_key;
ALTER TABLE tickets DROP COLUMN draft_key;
