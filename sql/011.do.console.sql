-- A version per genetic profile, for optimistic concurrency: a client sends back the version its
-- edit started from (If-Match) and a stale one is refused instead of overwriting someone else's
-- change. The trigger counts every rewrite of the row, whichever statement makes it, so no writer
-- can forget to; it is not derived from the values, which need not be readable to compare.
ALTER TABLE genetic_profiles ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE FUNCTION genetic_profiles_next_version () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$$;

CREATE TRIGGER genetic_profiles_version BEFORE UPDATE ON genetic_profiles
  FOR EACH ROW EXECUTE FUNCTION genetic_profiles_next_version();

-- The audit log filtered by who acted, newest first (the staff console's filter).
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, id);
