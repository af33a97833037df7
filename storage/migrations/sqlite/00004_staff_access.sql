-- +goose Up
-- Staff access can be revoked: see the PostgreSQL migration of the same
-- number.
ALTER TABLE staff ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;
UPDATE staff SET bind_code = NULL, bind_expires = NULL WHERE bind_code IS NOT NULL;

-- +goose Down
ALTER TABLE staff DROP COLUMN active;
