-- One rule for the names of timestamp columns: a row's creation time is `created_at`, its last
-- change `updated_at` (who made it `updated_by`), any other event `<event>_at` (`expires_at`,
-- `last_used_at`, `confirmed_at`…). Two columns broke it. Renames only: no row is rewritten, and
-- indexes and constraints follow a rename by themselves. The API keeps its JSON field names: the
-- queries give these columns their old names back (`modified_at` of a User, `at` of an entry).
ALTER TABLE users RENAME COLUMN modified_at TO updated_at;
ALTER TABLE audit_log RENAME COLUMN at TO created_at;

-- A function's body is text, which a rename does not follow: the chaining trigger (013) named
-- `NEW.at`. The canonical form is the same, the same value on the same line, so entries chained
-- before this migration still verify. (audit_log_canonical and audit_log_hash take the time as a
-- parameter they call `at`, which names no column: they are left as they are.)
CREATE OR REPLACE FUNCTION audit_log_chain () RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dna-api:audit-log'));
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT hash INTO previous FROM audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(previous, repeat('0', 64));
  NEW.hash := audit_log_hash(NEW.id, NEW.created_at, NEW.actor_id, NEW.action, NEW.target_id, NEW.fields, NEW.prev_hash);
  RETURN NEW;
END
$$;
