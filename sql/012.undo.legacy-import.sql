DROP TABLE legacy_import_conflicts;
DROP TABLE legacy_import_state;
