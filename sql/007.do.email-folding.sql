-- Emails are compared in one form only: the service folds them (src/accounts/email.ts: NFKC,
-- then lower case) and stores the result here, and the unique index and every lookup use this
-- column instead of lower(email), so PostgreSQL and the service can never disagree about which
-- spellings are one account.
ALTER TABLE users ADD COLUMN email_folded text;

-- The email format has only ever accepted ASCII. On ASCII, NFKC changes nothing and lower case
-- is A-Z to a-z, which translate() does whatever the database's locale; lower() would do the
-- same except under a Turkish locale, where it makes I into a dotless ı. Anything else cannot
-- be folded here, so it stops the migration rather than be guessed at.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM users WHERE octet_length(email) <> length(email)) THEN
    RAISE EXCEPTION 'users.email holds non-ASCII addresses, which this migration cannot fold; fold them with the service''s foldEmail first';
  END IF;
END
$$;
UPDATE users SET email_folded = translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

ALTER TABLE users ALTER COLUMN email_folded SET NOT NULL;
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_folded_key ON users (email_folded);
