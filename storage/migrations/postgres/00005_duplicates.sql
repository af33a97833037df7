-- +goose Up
-- draft_key is the key of the conversation (or other client) that filed
-- a ticket: filing the same draft again returns this ticket instead of
-- making a second one. NULL for tickets filed without a key; NULLs never
-- clash in a unique index.
ALTER TABLE tickets ADD COLUMN draft_key TEXT;
CREATE UNIQUE INDEX tickets_by_draft_key ON tickets (draft_key);

-- merge_key groups notifications that may go out as one message when
-- they wait together (staff news about one ticket after an outage),
-- empty for none. Each row keeps its own idem_key and status.
ALTER TABLE notifications ADD COLUMN merge_key TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN merge_key;
DROP INDEX tickets_by_draft_key;
ALTER TABLE tickets DROP COLUMN draft_key;
