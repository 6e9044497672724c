-- The import of the old service's customers (make import-legacy): what became of each old row, so
-- that a second run takes only what is new or changed and a killed run resumes, and the rows the
-- import could not take as they were, whole, for an admin to resolve.
CREATE TABLE legacy_import_state (
  old_id       integer     PRIMARY KEY,
  -- SHA-256 (hex) of the old row as last read: unchanged rows are passed over.
  content_hash text        NOT NULL,
  outcome      text        NOT NULL CHECK (outcome IN ('imported', 'conflict')),
  -- The modified_at the import gave the user (and their genetic profile's updated_at): a later
  -- change made in this service shows as a difference.
  written_at   timestamptz,
  imported_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE legacy_import_conflicts (
  old_id         integer     PRIMARY KEY,
  -- Why the row was not imported, with no personal data.
  reason         text        NOT NULL,
  -- Every column of the old row but its health data, as the old database held it.
  old_row        jsonb       NOT NULL,
  -- The old policy and genetic_result (its JSON text exactly as it was, any JSON), stored as the
  -- service stores health data.
  policy         text,
  genetic_result text,
  found_at       timestamptz NOT NULL DEFAULT now()
);
