-- The names before 016, and the chaining trigger as 013 made it.
ALTER TABLE users RENAME COLUMN updated_at TO modified_at;
ALTER TABLE audit_log RENAME COLUMN created_at TO at;

CREATE OR REPLACE FUNCTION audit_log_chain () RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dna-api:audit-log'));
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT hash INTO previous FROM audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(previous, repeat('0', 64));
  NEW.hash := audit_log_hash(NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.target_id, NEW.fields, NEW.prev_hash);
  RETURN NEW;
END
$$;
