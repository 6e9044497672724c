-- Credentials and profile. Genetic data lives in its own table (003) so that reading a user
-- for authentication never touches it unless asked.
CREATE TABLE users (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  password_hash text        NOT NULL,
  first_name    text        NOT NULL CHECK (length(first_name) BETWEEN 1 AND 128),
  last_name     text        NOT NULL CHECK (length(last_name) BETWEEN 1 AND 128),
  dob           date        NOT NULL,
  role          text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  modified_at   timestamptz NOT NULL DEFAULT now()
);

-- Emails are unique whatever their case: Alice@Example.com and alice@example.com are one account.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
