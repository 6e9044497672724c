// The audit_log table: append-only, read newest first with keyset pagination.
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
        `SELECT l.id, l.at, l.actor_id, l.action, l.target_id, l.fields,
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
    }
  }
}
