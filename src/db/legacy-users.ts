// The old service's table `"user"`, read from its own database (never written): the one table its
// only Alembic migration made. Everything is read as text, exactly as stored: timestamps without a
// zone stay the wall-clock UTC they are, and genetic_result keeps its JSON text (any JSON).
import type { Queryable } from './database.js'

/** One old row, each column as PostgreSQL prints it (DateStyle ISO). */
export interface LegacyUserRow {
  id: number
  first_name: string
  last_name: string
  dob: string
  email: string
  password: string
  created_at: string | null
  modified_at: string | null
  policy: string | null
  genetic_result: string | null
}

export const LEGACY_COLUMNS = ['id', 'first_name', 'last_name', 'dob', 'email', 'password', 'created_at', 'modified_at', 'policy', 'genetic_result']

/** ASCII letters to lower case whatever the database's locale: on ASCII, what foldEmail does. */
const ASCII_LOWER = "translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

export function legacyUsersTable (db: Queryable) {
  return {
    /** The columns of `"user"` in the current schema; empty when there is no such table. */
    async columns (): Promise<string[]> {
      const { rows } = await db.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'user'`)
      return rows.map((row) => row.name)
    },

    async count (): Promise<number> {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM "user"')
      return rows[0].n
    },

    /** Up to `limit` rows after `afterId`, in id order (a keyset: each page costs the same). */
    async page (afterId: number, limit: number): Promise<LegacyUserRow[]> {
      const { rows } = await db.query<LegacyUserRow>(
        `SELECT id, first_name, last_name, dob::text AS dob, email, password,
                created_at::text AS created_at, modified_at::text AS modified_at, policy, genetic_result::text AS genetic_result
           FROM "user"
          WHERE id > $1
          ORDER BY id
          LIMIT $2`, [afterId, limit])
      return rows
    },

    /** Rows whose emails are equal but for the case of ASCII letters, with at least one other. */
    async asciiCaseTwins (): Promise<Array<{ id: number, email: string }>> {
      const { rows } = await db.query<{ id: number, email: string }>(
        `SELECT id, email FROM (SELECT id, email, count(*) OVER (PARTITION BY ${ASCII_LOWER}) AS n FROM "user") twins
          WHERE n > 1`)
      return rows
    },

    /** Rows whose email holds anything but ASCII. */
    async nonAsciiEmails (): Promise<Array<{ id: number, email: string }>> {
      const { rows } = await db.query<{ id: number, email: string }>(
        'SELECT id, email FROM "user" WHERE octet_length(email) <> length(email)')
      return rows
    },

    /** Rows whose email, its ASCII letters in lower case, is one of `emails` (each already folded). */
    async withLowerEmail (emails: string[]): Promise<Array<{ id: number, email: string }>> {
      const { rows } = await db.query<{ id: number, email: string }>(
        `SELECT id, email FROM "user" WHERE ${ASCII_LOWER} = ANY($1::text[])`, [emails])
      return rows
    }
  }
}
