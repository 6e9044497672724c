ALTER TABLE users DROP COLUMN email_folded;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
