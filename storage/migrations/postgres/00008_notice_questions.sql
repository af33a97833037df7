-- +goose Up
-- asks names the question a notification puts to its recipient
-- ("ticket.rating:2611260001"): once it is sent, a bare reply such as
-- "3" answers it for a short while (bot.AnswerWindow), and only then.
-- replaces groups a recipient's notifications about one thing (a ticket):
-- a newer one drops older ones still waiting (held by quiet hours), so
-- nothing stale goes out. Empty for none.
ALTER TABLE notifications ADD COLUMN asks TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_asked ON notifications (recipient, sent_at) WHERE asks <> '' AND status = 'sent';

-- +goose Down
DROP INDEX notifications_asked;
ALTER TABLE notifications DROP COLUMN replaces;
ALTER TABLE notifications DROP COLUMN asks;
