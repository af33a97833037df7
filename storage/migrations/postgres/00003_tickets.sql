-- +goose Up
-- Service requests (诉求/报修): the staff who handle them, the grids and
-- buildings that route them, the tickets with their timelines, and the
-- daily counters that number them.
CREATE TABLE staff (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    -- openid is set once the staff member binds their WeChat with bind_code.
    openid     TEXT UNIQUE,
    -- roles is a comma-separated list: grid_worker,duty,...
    roles      TEXT NOT NULL DEFAULT '',
    bind_code  TEXT UNIQUE,
    -- a bind code stops working at bind_expires (the admin API reissues).
    bind_expires TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE grids (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    worker_id     BIGINT NOT NULL REFERENCES staff (id),
    supervisor_id BIGINT REFERENCES staff (id)
);

CREATE TABLE buildings (
    id      BIGSERIAL PRIMARY KEY,
    number  INTEGER NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    grid_id BIGINT REFERENCES grids (id),
    head_id BIGINT REFERENCES staff (id)
);

CREATE TABLE building_units (
    building_id BIGINT NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    unit        INTEGER NOT NULL,
    head_id     BIGINT NOT NULL REFERENCES staff (id),
    PRIMARY KEY (building_id, unit)
);

CREATE TABLE tickets (
    id           BIGSERIAL PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    openid       TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    photos       TEXT NOT NULL DEFAULT '[]',
    building_id  BIGINT REFERENCES buildings (id),
    unit         INTEGER NOT NULL DEFAULT 0,
    place        TEXT NOT NULL DEFAULT '',
    lat          DOUBLE PRECISION NOT NULL DEFAULT 0,
    lng          DOUBLE PRECISION NOT NULL DEFAULT 0,
    status       TEXT NOT NULL
                 CHECK (status IN ('submitted', 'accepted', 'resolved', 'closed', 'returned', 'reopened')),
    assignee_id  BIGINT REFERENCES staff (id),
    grid_id      BIGINT REFERENCES grids (id),
    parent_id    BIGINT REFERENCES tickets (id),
    source       TEXT NOT NULL DEFAULT 'wechat',
    response_due TIMESTAMPTZ NOT NULL,
    resolve_due  TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    resolved_at  TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    escalated_at TIMESTAMPTZ,
    urged_at     TIMESTAMPTZ,
    resolution   TEXT NOT NULL DEFAULT '',
    rating       INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 3),
    rating_note  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tickets_by_openid ON tickets (openid, created_at);
CREATE INDEX tickets_by_status ON tickets (status, response_due);
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status);
CREATE INDEX tickets_same_issue ON tickets (building_id, category, created_at);
CREATE INDEX tickets_by_created ON tickets (created_at);

CREATE TABLE ticket_events (
    id        BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- ticket_counters numbers tickets per Shanghai day (YYMMDD).
CREATE TABLE ticket_counters (
    day TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE ticket_counters;
DROP TABLE ticket_events;
DROP TABLE tickets;
DROP TABLE building_units;
DROP TABLE buildings;
DROP TABLE grids;
DROP TABLE staff;
