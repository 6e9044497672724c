DROP TABLE known_devices;
ALTER TABLE sessions
  DROP COLUMN second_factor,
  DROP COLUMN client_ip,
  DROP COLUMN user_agent,
  DROP COLUMN last_used_at;
DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
ALTER TABLE users DROP COLUMN mfa_enabled;
