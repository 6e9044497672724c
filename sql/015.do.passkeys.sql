-- Passkeys (WebAuthn credentials) and the challenges of their ceremonies.

-- One row per registered credential. `credential_id` and `public_key` are base64url text (the
-- forms WebAuthn's JSON uses); `counter` is the authenticator's signature counter, which must
-- grow at each login (0 for authenticators that keep none).
CREATE TABLE passkeys (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       integer     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id text        NOT NULL UNIQUE,
  public_key    text        NOT NULL,
  counter       bigint      NOT NULL DEFAULT 0,
  transports    text[]      NOT NULL DEFAULT '{}',
  name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);

CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

-- A ceremony begun and not yet finished: the challenge the browser must sign, single-use and
-- short-lived. A registration's belongs to the account adding the passkey; a login's to no one
-- (the passkey says whose it is). Kept here, not in memory, so that any instance can finish it.
CREATE TABLE webauthn_challenges (
  challenge  text        PRIMARY KEY,
  purpose    text        NOT NULL CHECK (purpose IN ('registration', 'login')),
  user_id    integer     REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  CHECK ((purpose = 'registration') = (user_id IS NOT NULL))
);

CREATE INDEX webauthn_challenges_user_id_idx ON webauthn_challenges (user_id);
CREATE INDEX webauthn_challenges_expires_at_idx ON webauthn_challenges (expires_at);
