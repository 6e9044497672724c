-- Captcha challenges already used for a signup, by their signature: a solution is good for one
-- signup, on every instance. Rows are only needed until the challenge has expired; housekeeping
-- deletes them after that.
CREATE TABLE used_captchas (
  signature  text        PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

CREATE INDEX used_captchas_expires_at_idx ON used_captchas (expires_at);
