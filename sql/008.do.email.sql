-- Email: whether the address is verified, an address waiting for confirmation, the single-use
-- tokens that mailed links carry, and the outbox the mail worker drains.
ALTER TABLE users
  ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
  ADD COLUMN pending_email  text CHECK (length(pending_email) BETWEEN 3 AND 254);

-- Only the SHA-256 of a token is kept: a dump of this table opens no account. `email` is the
-- address the token was mailed to (the new one for a change), which the token proves.
CREATE TABLE email_tokens (
  token_hash text        PRIMARY KEY,
  user_id    integer     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
  email      text        NOT NULL,
  -- For a change of address: the session that asked for it, which stays logged in.
  session_id uuid        REFERENCES sessions (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE INDEX email_tokens_user_id_idx ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_expires_at_idx ON email_tokens (expires_at);

-- Mails to send, written in the transaction of the change that causes them. `recipient` and
-- `params` (which may hold a link's token) are blanked once the mail is sent or given up.
CREATE TABLE mail_outbox (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  template        text        NOT NULL,
  recipient       text,
  params          jsonb,
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- A worker that claimed the row is sending it until then; after that another may take it.
  claimed_until   timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_finished_at_idx ON mail_outbox (finished_at) WHERE status <> 'pending';
