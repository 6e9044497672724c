-- Counters behind @fastify/rate-limit, shared by every instance and kept across restarts: the
-- login lockout (per account and client IP) and the per-IP limit on signup and login.
-- Keys are SHA-256 digests, so no email or IP address is stored here in clear.
CREATE TABLE rate_limits (
  key        text        PRIMARY KEY,
  hits       integer     NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at);
