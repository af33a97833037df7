-- +goose Up
-- The texts nothing understood: see the PostgreSQL migration of the same
-- number.
CREATE TABLE unrecognised_texts (
    day     TEXT NOT NULL,
    text    TEXT NOT NULL,
    count   INTEGER NOT NULL DEFAULT 1,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (day, text)
);

-- +goose Down
DROP TABLE unrecognised_texts;
