-- +goose Up
-- Copies of the photos and voice messages of tickets: see the PostgreSQL
-- migration of the same number.
CREATE TABLE ticket_media (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    n            INTEGER NOT NULL CHECK (n > 0),
    kind         TEXT NOT NULL CHECK (kind IN ('photo', 'voice')),
    ref          TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'stored', 'failed', 'erased')),
    blob_key     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, n)
);

-- +goose Down
DROP TABLE ticket_media;
