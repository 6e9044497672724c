-- SQL cannot decrypt: `make rotate-keys DECRYPT=1` must have made every value plaintext first.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM genetic_profiles WHERE policy_key_id IS NOT NULL OR genetic_result_key_id IS NOT NULL) THEN
    RAISE EXCEPTION 'genetic_profiles holds encrypted values: run `make rotate-keys DECRYPT=1` first, then undo this migration';
  END IF;
END
$$;

DROP TRIGGER audit_log_append_only ON audit_log;
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_refuse_change();
DROP FUNCTION audit_log_chain();
ALTER TABLE audit_log DROP COLUMN hash, DROP COLUMN prev_hash;
DROP FUNCTION audit_log_hash(integer, timestamptz, integer, text, integer, text[], text);
DROP FUNCTION audit_log_canonical(integer, timestamptz, integer, text, integer, text[], text);

ALTER TABLE genetic_profiles DROP COLUMN genetic_result_key_id, DROP COLUMN policy_key_id;
ALTER TABLE genetic_profiles ALTER COLUMN genetic_result TYPE jsonb USING genetic_result::jsonb;
ALTER TABLE genetic_profiles ADD CONSTRAINT genetic_profiles_genetic_result_check
  CHECK (genetic_result IS NULL OR jsonb_typeof(genetic_result) = 'object');
