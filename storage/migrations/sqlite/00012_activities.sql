-- +goose Up
-- Event sign-ups: see the PostgreSQL migration of the same number. SQLite
-- transactions begin IMMEDIATE (storage.sqlitePragmas), so each one holds
-- the write lock from its start and sign-ups take turns.
CREATE TABLE activities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    location        TEXT NOT NULL DEFAULT '',
    starts_at       TIMESTAMP NOT NULL,
    ends_at         TIMESTAMP NOT NULL,
    capacity        INTEGER NOT NULL CHECK (capacity >= 0),
    max_party       INTEGER NOT NULL DEFAULT 1 CHECK (max_party >= 1),
    signup_deadline TIMESTAMP,
    -- questions is a JSON array of {key, label, choices, optional}.
    questions       TEXT NOT NULL DEFAULT '[]',
    organizer_id    INTEGER REFERENCES staff (id),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
    seats_taken     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (seats_taken >= 0 AND seats_taken <= capacity)
);
CREATE INDEX activities_by_start ON activities (status, starts_at);

CREATE TABLE activity_signups (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id   INTEGER NOT NULL REFERENCES activities (id),
    openid        TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    party_size    INTEGER NOT NULL CHECK (party_size >= 1),
    status        TEXT NOT NULL
                  CHECK (status IN ('confirmed', 'waitlisted', 'offered', 'cancelled', 'attended')),
    checkin_code  TEXT NOT NULL,
    -- answers is a JSON object: question key → answer.
    answers       TEXT NOT NULL DEFAULT '{}',
    offered_until TIMESTAMP,
    draft_key     TEXT UNIQUE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (activity_id, checkin_code)
);
-- One active sign-up per resident per activity; cancelled ones may pile up.
CREATE UNIQUE INDEX activity_signups_one_active ON activity_signups (activity_id, openid)
    WHERE status <> 'cancelled' AND openid <> '';
CREATE INDEX activity_signups_by_status ON activity_signups (activity_id, status, id);
CREATE INDEX activity_signups_by_openid ON activity_signups (openid);
CREATE INDEX activity_signups_offers ON activity_signups (status, offered_until);

CREATE TABLE activity_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    signup_id   INTEGER REFERENCES activity_signups (id),
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_events_by_activity ON activity_events (activity_id, id);

-- +goose Down
DROP TABLE activity_events;
DROP TABLE activity_signups;
DROP TABLE activities;
