-- The audit log holds only the kinds of entry the service writes (src/schemas/audit.ts,
-- AUDIT_ACTIONS): a misspelt action would otherwise be stored, and missed by every filter.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('user.read', 'users.list', 'user.update', 'user.delete', 'genetics.update', 'legacy.import'));
