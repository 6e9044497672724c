-- Two factors and the sessions a person can see.

-- Whether a confirmed second factor guards the account: a column rather than a join, since every
-- authenticated request returns the User.
ALTER TABLE users ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false;

-- One TOTP secret per account, encrypted by the service (AES-256-GCM, the user id bound as
-- additional data). Pending until a first code confirms it. `last_time_step` is the RFC 6238 time
-- step of the last code accepted: a code of that step or an earlier one is refused (no replay).
CREATE TABLE totp_factors (
  user_id        integer     PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret         text        NOT NULL,
  confirmed_at   timestamptz,
  last_time_step bigint,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, only their SHA-256 (each code holds 80 random bits).
CREATE TABLE recovery_codes (
  user_id   integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text    NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);

-- The second step of a login: the right password was given, a code is awaited. Only the
-- SHA-256 of the opaque token handed to the client is kept.
CREATE TABLE mfa_challenges (
  token_hash  text        PRIMARY KEY,
  user_id     integer     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  remember_me boolean     NOT NULL,
  expires_at  timestamptz NOT NULL
);

CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- What a person sees of each session. `last_used_at` is written at most once every 5 minutes.
ALTER TABLE sessions
  ADD COLUMN last_used_at  timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN user_agent    text CHECK (length(user_agent) <= 512),
  ADD COLUMN client_ip     text,
  ADD COLUMN second_factor text CHECK (second_factor IN ('totp', 'recovery_code', 'passkey'));

-- The devices (user agent and IP, hashed together) an account has logged in from: a login from
-- one not seen before mails a notice.
CREATE TABLE known_devices (
  user_id       integer     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_hash   text        NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device_hash)
);
