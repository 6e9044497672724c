DROP TABLE mail_outbox;
DROP TABLE email_tokens;
ALTER TABLE users DROP COLUMN pending_email, DROP COLUMN email_verified;
