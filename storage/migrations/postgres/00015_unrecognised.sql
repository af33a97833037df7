-- +goose Up
-- The texts nothing understood (issue 12), so that operators see what
-- residents ask that nobody taught the bot: one row per day (Asia/Shanghai,
-- YYYY-MM-DD) and masked text, counting repeats. Texts are masked before
-- they get here (no digit runs, no names) and carry no openid: no row is
-- about a resident, so erasure has nothing to find; rows older than 90
-- days are deleted as new ones come.
CREATE TABLE unrecognised_texts (
    day     TEXT NOT NULL,
    text    TEXT NOT NULL,
    count   BIGINT NOT NULL DEFAULT 1,
    last_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (day, text)
);

-- +goose Down
DROP TABLE unrecognised_texts;
