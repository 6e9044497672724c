-- Who did what to which account, and when: every admin read of another user, every change to
-- a user, a role or a genetic profile. The names of the fields changed, never their values.
-- No foreign keys: an entry outlives the accounts it names.
CREATE TABLE audit_log (
  id        integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor_id  integer,
  action    text        NOT NULL,
  target_id integer,
  fields    text[]      NOT NULL DEFAULT '{}'
);

-- The audit trail of one user, newest first.
CREATE INDEX audit_log_target_id_idx ON audit_log (target_id, id);
