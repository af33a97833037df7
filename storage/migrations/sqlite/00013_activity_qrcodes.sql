-- +goose Up
-- Permanent WeChat QR codes of activities: see the PostgreSQL migration of
-- the same number.
CREATE TABLE activity_qrcodes (
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    scene       TEXT NOT NULL CHECK (scene IN ('event', 'checkin')),
    ticket      TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (activity_id, scene)
);

-- +goose Down
DROP TABLE activity_qrcodes;
