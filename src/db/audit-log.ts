// The audit_log table: append-only (a trigger refuses UPDATE and DELETE), chained by SHA-256 (a
// trigger fills `prev_hash` and `hash` on insert, sql/013), read newest first with keyset pagination.
import { createHash } from 'node:crypto'
import type { AuditAction } from '../schemas/audit.js'
import type { Queryable } from './database.js'

export interface AuditEntry {
  id: number
  at: string
  actor_id: number | null
  action: AuditAction
  target_id: number | null
  fields: string[]
  /** The names of the actor and the target as they are now; null for the command line, a list, or an account deleted since. */
  actor_name: string | null
  target_name: string | null
}

export interface NewAuditEntry {
  /** Null when the change came from the command line (`make admin`). */
  actorId: number | null
  action: AuditAction
  targetId: number | null
  fields?: string[]
}

/** An entry as the chain covers it, `created_at` in UTC to the microsecond as the database keeps it. */
export interface ChainedEntry {
  id: number
  created_at: string
  actor_id: number | null
  action: string
  target_id: number | null
  fields: string[]
  prev_hash: string
  hash: string
}

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * The canonical form of an entry (README, "Audit log"): its fields on lines of their own, as the
 * trigger of sql/013 builds it. Computed here again, not asked of the database, so that a changed
 * function in the database cannot vouch for a changed entry. Built from the values alone, never
 * from column names: the third line is the creation time, a column called `at` until sql/016
 * renamed it `created_at`, and it must stay byte for byte what it was for old entries to verify.
 */
export function canonicalEntry (entry: Omit<ChainedEntry, 'hash'>): string {
  return ['dna-api audit v1', String(entry.id), entry.created_at, entry.actor_id === null ? '' : String(entry.actor_id), entry.action,
    entry.target_id === null ? '' : String(entry.target_id), JSON.stringify(entry.fields), entry.prev_hash].join('\n')
}

export const entryHash = (entry: Omit<ChainedEntry, 'hash'>): string => createHash('sha256').update(canonicalEntry(entry)).digest('hex')

/** An entry about one user, with the name and role of whoever acted (null when the account is gone). */
export interface EntryWithActor {
  id: number
  created_at: string
  action: AuditAction
  fields: string[]
  actor_id: number | null
  actor_first_name: string | null
  actor_last_name: string | null
  actor_role: 'user' | 'admin' | null
}

export function auditLogTable (db: Queryable) {
  return {
    async record (entry: NewAuditEntry): Promise<void> {
      await db.query('INSERT INTO audit_log (actor_id, action, target_id, fields) VALUES ($1, $2, $3, $4)',
        [entry.actorId, entry.action, entry.targetId, entry.fields ?? []])
    },

    /**
     * Up to `limit` entries older than `beforeId`, newest first, optionally about one user only
     * and by one actor only.
     */
    async page (options: { beforeId?: number, targetId?: number, actorId?: number, limit: number }): Promise<AuditEntry[]> {
      const { rows } = await db.query<AuditEntry>(
        // `at` is the entry's field in the API (AuditEntry).
        `SELECT l.id, l.created_at AS at, l.actor_id, l.action, l.target_id, l.fields,
                actor.first_name || ' ' || actor.last_name AS actor_name,
                target.first_name || ' ' || target.last_name AS target_name
           FROM audit_log l
           LEFT JOIN users actor ON actor.id = l.actor_id
           LEFT JOIN users target ON target.id = l.target_id
          WHERE ($1::integer IS NULL OR l.id < $1) AND ($2::integer IS NULL OR l.target_id = $2)
            AND ($4::integer IS NULL OR l.actor_id = $4)
          ORDER BY l.id DESC
          LIMIT $3`,
        [options.beforeId, options.targetId, options.limit, options.actorId])
      return rows
    },

    /** The last entry of the chain: its id and hash, which cover every entry before it; undefined when the log is empty. */
    async head (): Promise<{ id: number, hash: string } | undefined> {
      const { rows } = await db.query<{ id: number, hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')
      return rows[0]
    },

    /** Up to `limit` entries after `afterId`, in chain order, as the chain covers them. */
    async chain (afterId: number, limit: number): Promise<ChainedEntry[]> {
      const { rows } = await db.query<ChainedEntry>(
        `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at, actor_id, action, target_id, fields, prev_hash, hash
           FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit])
      return rows
    },

    /** Every entry about `targetId`, oldest first, with who acted as they are now. */
    async aboutUser (targetId: number): Promise<EntryWithActor[]> {
      const { rows } = await db.query<EntryWithActor>(
        `SELECT a.id, a.created_at, a.action, a.fields, a.actor_id,
                u.first_name AS actor_first_name, u.last_name AS actor_last_name, u.role AS actor_role
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
          WHERE a.target_id = $1
          ORDER BY a.id`, [targetId])
      return rows
    }
  }
}
