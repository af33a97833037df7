-- +goose Up
ALTER TABLE tickets ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN work_phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN work_phone;
ALTER TABLE tickets DROP COLUMN urgent;
