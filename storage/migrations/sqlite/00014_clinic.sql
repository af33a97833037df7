-- +goose Up
-- The legal clinic: see the PostgreSQL migration of the same number. SQLite
-- transactions begin IMMEDIATE (storage.sqlitePragmas), so bookings of
-- one slot take turns.
CREATE TABLE clinic_providers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('judge', 'prosecutor', 'police', 'lawyer',
               'justice_office', 'governance', 'mediator', 'minority_rep')),
    phone      TEXT NOT NULL DEFAULT '',
    staff_id   INTEGER REFERENCES staff (id),
    languages  TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE clinic_schedules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    mode         TEXT NOT NULL CHECK (mode IN ('daily', 'appointment', 'expert', 'patrol', 'free_clinic')),
    provider_ids TEXT NOT NULL DEFAULT '',
    weekdays     TEXT NOT NULL DEFAULT '',
    date         TEXT NOT NULL DEFAULT '',
    start_time   TEXT NOT NULL,
    end_time     TEXT NOT NULL,
    slot_minutes INTEGER NOT NULL DEFAULT 0 CHECK (slot_minutes >= 0),
    capacity     INTEGER NOT NULL DEFAULT 1 CHECK (capacity >= 0),
    location     TEXT NOT NULL DEFAULT '',
    building     TEXT NOT NULL DEFAULT '',
    matters      TEXT NOT NULL DEFAULT '',
    valid_from   TEXT NOT NULL DEFAULT '',
    valid_to     TEXT NOT NULL DEFAULT '',
    activity_id  INTEGER REFERENCES activities (id),
    active       BOOLEAN NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE clinic_closures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    date        TEXT NOT NULL,
    provider_id INTEGER REFERENCES clinic_providers (id),
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX clinic_closures_by_date ON clinic_closures (date);

CREATE TABLE clinic_slots (
    schedule_id INTEGER NOT NULL REFERENCES clinic_schedules (id),
    starts_at   TIMESTAMP NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity >= 0),
    taken       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, starts_at),
    CHECK (taken >= 0 AND taken <= capacity)
);

CREATE TABLE clinic_aid (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    openid      TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    -- answers is a JSON object {case_kind, hardship, in_court}; confidential.
    answers     TEXT NOT NULL DEFAULT '{}',
    description TEXT NOT NULL DEFAULT '',
    booking_id  INTEGER,
    status      TEXT NOT NULL DEFAULT 'received'
                CHECK (status IN ('received', 'reviewing', 'approved', 'declined')),
    note        TEXT NOT NULL DEFAULT '',
    draft_key   TEXT UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX clinic_aid_by_openid ON clinic_aid (openid);
CREATE INDEX clinic_aid_by_status ON clinic_aid (status, id);

CREATE TABLE clinic_bookings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    schedule_id INTEGER NOT NULL REFERENCES clinic_schedules (id),
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    -- day is starts_at's date in Asia/Shanghai: one active booking per
    -- resident per day.
    day         TEXT NOT NULL,
    mode        TEXT NOT NULL,
    location    TEXT NOT NULL DEFAULT '',
    matter      TEXT NOT NULL CHECK (matter IN ('consult', 'mediation', 'aid')),
    openid      TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    language    TEXT NOT NULL DEFAULT '',
    need_rep    BOOLEAN NOT NULL DEFAULT 0,
    ticket_id   INTEGER REFERENCES tickets (id),
    aid_id      INTEGER REFERENCES clinic_aid (id),
    status      TEXT NOT NULL DEFAULT 'booked'
                CHECK (status IN ('booked', 'cancelled', 'attended', 'no_show')),
    note        TEXT NOT NULL DEFAULT '',
    draft_key   TEXT UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX clinic_bookings_one_a_day ON clinic_bookings (openid, day)
    WHERE status = 'booked' AND openid <> '';
CREATE INDEX clinic_bookings_by_slot ON clinic_bookings (schedule_id, starts_at);
CREATE INDEX clinic_bookings_by_day ON clinic_bookings (day, status);
CREATE INDEX clinic_bookings_by_openid ON clinic_bookings (openid);

CREATE TABLE clinic_expert (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    openid       TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    matter       TEXT NOT NULL CHECK (matter IN ('consult', 'mediation', 'aid')),
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'requested'
                 CHECK (status IN ('requested', 'scheduled', 'declined')),
    at           TIMESTAMP,
    location     TEXT NOT NULL DEFAULT '',
    provider_ids TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    draft_key    TEXT UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX clinic_expert_by_openid ON clinic_expert (openid);
CREATE INDEX clinic_expert_by_status ON clinic_expert (status, id);

-- Residents who asked to hear of 定期巡诊 sessions at their building.
CREATE TABLE clinic_subscriptions (
    openid     TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE clinic_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id INTEGER REFERENCES clinic_bookings (id),
    aid_id     INTEGER REFERENCES clinic_aid (id),
    expert_id  INTEGER REFERENCES clinic_expert (id),
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clinic_events_by_booking ON clinic_events (booking_id, id);

-- +goose Down
DROP TABLE clinic_events;
DROP TABLE clinic_subscriptions;
DROP TABLE clinic_expert;
DROP TABLE clinic_bookings;
DROP TABLE clinic_aid;
DROP TABLE clinic_slots;
DROP TABLE clinic_closures;
DROP TABLE clinic_schedules;
DROP TABLE clinic_providers;
