// The legacy_import_state table: what became of each old row at the last import that read it.
import type { Queryable } from './database.js'

export interface ImportState {
  old_id: number
  content_hash: string
  outcome: 'imported' | 'conflict'
}

export interface ImportStateChange {
  oldId: number
  contentHash: string
  outcome: ImportState['outcome']
  /** The modified_at given to the user; null for a conflict. */
  writtenAt: string | null
}

export function legacyImportStateTable (db: Queryable) {
  return {
    async find (oldIds: number[]): Promise<ImportState[]> {
      const { rows } = await db.query<ImportState>(
        'SELECT old_id, content_hash, outcome FROM legacy_import_state WHERE old_id = ANY($1::integer[])', [oldIds])
      return rows
    },

    async record (changes: ImportStateChange[]): Promise<void> {
      if (changes.length === 0) return
      await db.query(
        `INSERT INTO legacy_import_state (old_id, content_hash, outcome, written_at)
         SELECT * FROM json_to_recordset($1::json)
           AS i ("oldId" integer, "contentHash" text, outcome text, "writtenAt" timestamptz)
         ON CONFLICT (old_id) DO UPDATE SET
           content_hash = excluded.content_hash, outcome = excluded.outcome,
           written_at = excluded.written_at, imported_at = now()`,
        // One JSON parameter: JSON.stringify is one native call, node-postgres's arrays are built element by element.
        [JSON.stringify(changes)])
    }
  }
}
