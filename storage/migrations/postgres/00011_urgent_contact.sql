-- +goose Up
-- An urgent ticket (a fire, a gas smell, a burst pipe, someone collapsed)
-- was filed through the emergency path: a short response deadline, and
-- its notices are marked urgent.
ALTER TABLE tickets ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
-- The number residents are given for a staff member (a grid worker's work
-- phone, which may be a landline): their own phone stays private.
ALTER TABLE staff ADD COLUMN work_phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN work_phone;
ALTER TABLE tickets DROP COLUMN urgent;
