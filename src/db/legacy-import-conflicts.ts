// The legacy_import_conflicts table: old rows the import could not take as they were, whole, until
// an admin resolves them (and deletes the row).
import type { Queryable } from './database.js'
import { cipherOf } from './health-data.js'

export interface NewImportConflict {
  oldId: number
  reason: string
  /** Every column of the old row but policy and genetic_result. */
  oldRow: Record<string, unknown>
  /** The old health data, any text: stored sealed for the old id (the key id is part of the value). */
  policy: string | null
  geneticResult: string | null
}

export function legacyImportConflictsTable (db: Queryable) {
  return {
    /** Records the conflicts, replacing an earlier record of the same old row. */
    async record (conflicts: NewImportConflict[]): Promise<void> {
      if (conflicts.length === 0) return
      const cipher = cipherOf(db)
      const sealed = (value: string | null, oldId: number): string | null => value === null ? null : cipher.encrypt(value, oldId)
      await db.query(
        `INSERT INTO legacy_import_conflicts (old_id, reason, old_row, policy, genetic_result)
         SELECT * FROM unnest($1::integer[], $2::text[], $3::jsonb[], $4::text[], $5::text[])
         ON CONFLICT (old_id) DO UPDATE SET
           reason = excluded.reason, old_row = excluded.old_row, policy = excluded.policy,
           genetic_result = excluded.genetic_result, found_at = now()`,
        [conflicts.map((c) => c.oldId), conflicts.map((c) => c.reason), conflicts.map((c) => JSON.stringify(c.oldRow)),
          conflicts.map((c) => sealed(c.policy, c.oldId)), conflicts.map((c) => sealed(c.geneticResult, c.oldId))])
    },

    /** Old rows imported after all: their conflict is over. */
    async clear (oldIds: number[]): Promise<void> {
      if (oldIds.length === 0) return
      await db.query('DELETE FROM legacy_import_conflicts WHERE old_id = ANY($1::integer[])', [oldIds])
    }
  }
}
