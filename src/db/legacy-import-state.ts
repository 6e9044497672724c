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
  /** The updated_at given to the user (its modified_at in the API); null for a conflict. */
  writtenAt: string | null
}

/**
 * ImportStateChanges as rows, the one parameter $1 being their JSON array (JSON.stringify): one
 * native call, where node-postgres builds an array parameter's text element by element.
 */
const CHANGES = 'SELECT * FROM json_to_recordset($1::json) AS i ("oldId" integer, "contentHash" text, outcome text, "writtenAt" timestamptz)'

export function legacyImportStateTable (db: Queryable) {
  return {
    async find (oldIds: number[]): Promise<ImportState[]> {
      const { rows } = await db.query<ImportState>(
        'SELECT old_id, content_hash, outcome FROM legacy_import_state WHERE old_id = ANY($1::integer[])', [oldIds])
      return rows
    },

    /**
     * States of old rows the table holds none for yet (as find said): a plain INSERT, which
     * PostgreSQL writes at about half the cost of an upsert (no speculative insertion).
     */
    async add (changes: ImportStateChange[]): Promise<void> {
      if (changes.length === 0) return
      await db.query(`INSERT INTO legacy_import_state (old_id, content_hash, outcome, written_at) ${CHANGES}`, [JSON.stringify(changes)])
    },

    /** States that replace those of earlier runs. */
    async record (changes: ImportStateChange[]): Promise<void> {
      if (changes.length === 0) return
      await db.query(
        `INSERT INTO legacy_import_state (old_id, content_hash, outcome, written_at) ${CHANGES}
         ON CONFLICT (old_id) DO UPDATE SET
           content_hash = excluded.content_hash, outcome = excluded.outcome,
           written_at = excluded.written_at, imported_at = now()`,
        [JSON.stringify(changes)])
    }
  }
}
