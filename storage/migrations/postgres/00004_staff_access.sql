-- +goose Up
-- Staff access can be revoked: an inactive staff member keeps their
-- history but is refused at once, and bind codes are stored as SHA-256
-- hashes (bind_code keeps the hash; codes issued before this migration
-- no longer bind and must be reissued).
ALTER TABLE staff ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE staff SET bind_code = NULL, bind_expires = NULL WHERE bind_code IS NOT NULL;

-- +goose Down
ALTER TABLE staff DROP COLUMN active;
