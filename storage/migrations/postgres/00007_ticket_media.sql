-- +goose Up
-- Copies of the photos and voice messages of tickets. WeChat keeps a
-- message's media for three days, so each one is downloaded when the
-- ticket is filed (one job per row) into the blob store; the row says
-- where the copy is, or why there is none. Rows outlive an erasure as
-- 'erased', without the reference or the copy.
CREATE TABLE ticket_media (
    id           BIGSERIAL PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id),
    -- n numbers a ticket's media from 1: its photos in the order sent,
    -- then the voice message the problem was described with.
    n            INTEGER NOT NULL CHECK (n > 0),
    kind         TEXT NOT NULL CHECK (kind IN ('photo', 'voice')),
    -- ref is what WeChat gave: an image's PicUrl, or media:<MediaId>.
    ref          TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'stored', 'failed', 'erased')),
    blob_key     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         BIGINT NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- error says why the copy failed, or why the last try did.
    error        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (ticket_id, n)
);

-- +goose Down
DROP TABLE ticket_media;
