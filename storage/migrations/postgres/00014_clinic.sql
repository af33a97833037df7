-- +goose Up
-- The legal clinic (法律诊所): providers, the schedules that generate its
-- sessions, closures (停诊), the seats of booked slots, residents'
-- bookings, 法律援助 applications, 专家会诊 requests, 巡诊 subscriptions
-- and the bookings' timeline.
--
-- Slots are computed from the schedules when asked; a row in clinic_slots
-- exists only once someone booked the slot. taken counts the bookings
-- holding a seat (booked, attended, no_show); it is only ever changed by a
-- conditional statement (taken < capacity), and the CHECK keeps it within
-- the capacity whatever a statement does.
--
-- Lists of ids, weekdays, matters and languages are comma-separated TEXT,
-- as staff.roles is. Dates are 'YYYY-MM-DD' and clock times 'HH:MM' in
-- Asia/Shanghai, as staff typed them.
CREATE TABLE clinic_providers (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('judge', 'prosecutor', 'police', 'lawyer',
               'justice_office', 'governance', 'mediator', 'minority_rep')),
    phone      TEXT NOT NULL DEFAULT '',
    staff_id   BIGINT REFERENCES staff (id),
    languages  TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE clinic_schedules (
    id           BIGSERIAL PRIMARY KEY,
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
    activity_id  BIGINT REFERENCES activities (id),
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE clinic_closures (
    id          BIGSERIAL PRIMARY KEY,
    date        TEXT NOT NULL,
    provider_id BIGINT REFERENCES clinic_providers (id),
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX clinic_closures_by_date ON clinic_closures (date);

CREATE TABLE clinic_slots (
    schedule_id BIGINT NOT NULL REFERENCES clinic_schedules (id),
    starts_at   TIMESTAMPTZ NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity >= 0),
    taken       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, starts_at),
    CHECK (taken >= 0 AND taken <= capacity)
);

CREATE TABLE clinic_aid (
    id          BIGSERIAL PRIMARY KEY,
    openid      TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    -- answers is a JSON object {case_kind, hardship, in_court}; confidential.
    answers     TEXT NOT NULL DEFAULT '{}',
    description TEXT NOT NULL DEFAULT '',
    booking_id  BIGINT,
    status      TEXT NOT NULL DEFAULT 'received'
                CHECK (status IN ('received', 'reviewing', 'approved', 'declined')),
    note        TEXT NOT NULL DEFAULT '',
    draft_key   TEXT UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX clinic_aid_by_openid ON clinic_aid (openid);
CREATE INDEX clinic_aid_by_status ON clinic_aid (status, id);

CREATE TABLE clinic_bookings (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    schedule_id BIGINT NOT NULL REFERENCES clinic_schedules (id),
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
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
    need_rep    BOOLEAN NOT NULL DEFAULT FALSE,
    ticket_id   BIGINT REFERENCES tickets (id),
    aid_id      BIGINT REFERENCES clinic_aid (id),
    status      TEXT NOT NULL DEFAULT 'booked'
                CHECK (status IN ('booked', 'cancelled', 'attended', 'no_show')),
    note        TEXT NOT NULL DEFAULT '',
    draft_key   TEXT UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX clinic_bookings_one_a_day ON clinic_bookings (openid, day)
    WHERE status = 'booked' AND openid <> '';
CREATE INDEX clinic_bookings_by_slot ON clinic_bookings (schedule_id, starts_at);
CREATE INDEX clinic_bookings_by_day ON clinic_bookings (day, status);
CREATE INDEX clinic_bookings_by_openid ON clinic_bookings (openid);

CREATE TABLE clinic_expert (
    id           BIGSERIAL PRIMARY KEY,
    openid       TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    matter       TEXT NOT NULL CHECK (matter IN ('consult', 'mediation', 'aid')),
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'requested'
                 CHECK (status IN ('requested', 'scheduled', 'declined')),
    at           TIMESTAMPTZ,
    location     TEXT NOT NULL DEFAULT '',
    provider_ids TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    draft_key    TEXT UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX clinic_expert_by_openid ON clinic_expert (openid);
CREATE INDEX clinic_expert_by_status ON clinic_expert (status, id);

-- Residents who asked to hear of 定期巡诊 sessions at their building.
CREATE TABLE clinic_subscriptions (
    openid     TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE clinic_events (
    id         BIGSERIAL PRIMARY KEY,
    booking_id BIGINT REFERENCES clinic_bookings (id),
    aid_id     BIGINT REFERENCES clinic_aid (id),
    expert_id  BIGINT REFERENCES clinic_expert (id),
    at         TIMESTAMPTZ NOT NULL,
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
