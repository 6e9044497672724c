-- Health data at rest: the service encrypts policy numbers and genetic results (AES-256-GCM, see
-- src/db/data-cipher.ts) and stores the id of each value's key beside it. A value whose key id is
-- NULL is plaintext, as every value is before this migration: the service reads those as they
-- are, and `make rotate-keys` encrypts them in batches while it serves (SQL has no keys).
-- genetic_result becomes text: a ciphertext is not JSON. The type change rewrites the table once.
ALTER TABLE genetic_profiles DROP CONSTRAINT genetic_profiles_genetic_result_check;
ALTER TABLE genetic_profiles ALTER COLUMN genetic_result TYPE text USING genetic_result::text;
ALTER TABLE genetic_profiles
  ADD COLUMN policy_key_id         text CHECK (policy_key_id IS NULL OR policy IS NOT NULL),
  ADD COLUMN genetic_result_key_id text CHECK (genetic_result_key_id IS NULL OR genetic_result IS NOT NULL);

-- The audit log becomes tamper-evident: each entry holds the SHA-256 of the entry before it
-- (`prev_hash`, 64 zeros for the first) and of its own canonical form (`hash`), which covers
-- `prev_hash`: editing, removing or inserting an entry breaks the chain at that entry. The
-- canonical form is these lines joined by a line feed (README, "Audit log"):
--   dna-api audit v1 / id / at in UTC as 2026-12-03T14:02:05.123456Z / actor_id or '' /
--   action / target_id or '' / fields as a JSON array / prev_hash
CREATE FUNCTION audit_log_canonical (id integer, at timestamptz, actor_id integer, action text, target_id integer, fields text[], prev_hash text)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT concat_ws(E'\n', 'dna-api audit v1', id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   coalesce(actor_id::text, ''), action, coalesce(target_id::text, ''), array_to_json(fields)::text, prev_hash)
$$;

CREATE FUNCTION audit_log_hash (id integer, at timestamptz, actor_id integer, action text, target_id integer, fields text[], prev_hash text)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(audit_log_canonical(id, at, actor_id, action, target_id, fields, prev_hash), 'UTF8')), 'hex')
$$;

ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- The entries already there, chained in id order.
DO $$
DECLARE
  entry record;
  previous text := repeat('0', 64);
BEGIN
  FOR entry IN SELECT * FROM audit_log ORDER BY id LOOP
    UPDATE audit_log
       SET prev_hash = previous,
           hash = audit_log_hash(entry.id, entry.at, entry.actor_id, entry.action, entry.target_id, entry.fields, previous)
     WHERE id = entry.id
    RETURNING hash INTO previous;
  END LOOP;
END
$$;

ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;

-- Every insert, from any instance or by hand, is chained here. One writer at a time: the lock is
-- held until the inserting transaction ends, and the id is drawn under it, so id order is chain
-- order and every entry's predecessor is the committed entry with the next lower id.
CREATE FUNCTION audit_log_chain () RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Entries are never changed or removed, by the service or by anyone with its password. Nothing
-- in the service updates or deletes them (the table has no foreign keys: deleting a user keeps
-- the entries about them, with the id only). For each statement, so that even one matching no row fails.
CREATE FUNCTION audit_log_refuse_change () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
