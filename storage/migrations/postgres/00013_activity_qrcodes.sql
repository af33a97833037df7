-- +goose Up
-- The permanent WeChat QR codes made for activities' posters (scene
-- event:<id> or checkin:<id>), kept so that asking again for a poster does
-- not spend WeChat's limited quota of permanent codes a second time.
CREATE TABLE activity_qrcodes (
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    scene       TEXT NOT NULL CHECK (scene IN ('event', 'checkin')),
    ticket      TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (activity_id, scene)
);

-- +goose Down
DROP TABLE activity_qrcodes;
