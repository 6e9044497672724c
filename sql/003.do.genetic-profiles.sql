-- Health data, kept apart from credentials. Only admins write it; `updated_by` says who did.
CREATE TABLE genetic_profiles (
  user_id        integer     PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  policy         text,
  genetic_result jsonb       CHECK (genetic_result IS NULL OR jsonb_typeof(genetic_result) = 'object'),
  updated_by     integer     REFERENCES users (id) ON DELETE SET NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
