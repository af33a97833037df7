-- +goose Up
CREATE TABLE residents (
    openid          text PRIMARY KEY,
    name            text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    role            text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    subscribed      boolean NOT NULL DEFAULT false,
    subscribed_at   timestamptz,
    unsubscribed_at timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- +goose Down
DROP TABLE residents;
