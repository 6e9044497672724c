DROP INDEX audit_log_actor_id_idx;
DROP TRIGGER genetic_profiles_version ON genetic_profiles;
DROP FUNCTION genetic_profiles_next_version ();
ALTER TABLE genetic_profiles DROP COLUMN version;
