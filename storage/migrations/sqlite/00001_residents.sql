-- +goose Up
-- Times are TIMESTAMP so that modernc scans them into time.Time; the driver
-- writes them as "2006-01-02 15:04:05.999999999-07:00" in UTC, which sorts
-- and compares correctly as text.
CREATE TABLE residents (
    openid          TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    subscribed      BOOLEAN NOT NULL DEFAULT 0 CHECK (subscribed IN (0, 1)),
    subscribed_at   TIMESTAMP,
    unsubscribed_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE residents;
