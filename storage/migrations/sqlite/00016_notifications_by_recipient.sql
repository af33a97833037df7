-- +goose Up
-- Notices of one recipient by what they replace (issue 13, docs/SCALING.md):
-- the outbox asks whether a newer notice of the same group exists before
-- sending an older one (NewerInGroup), and an erasure finds a resident's
-- notices by recipient. Without it both scanned the whole table, about a
-- second at a million rows.
CREATE INDEX notifications_by_recipient ON notifications (recipient, replaces, id);

-- +goose Down
DROP INDEX notifications_by_recipient;
