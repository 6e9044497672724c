// The audit_log table: append-only, read newest first with keyset pagination.
import type { Queryable } from './database.js'

export type AuditAction = 'user.read' | 'users.list' | 'user.update' | 'user.delete' | 'genetics.update' | 'legacy.import'

export interface AuditEntry {
  id: number
  at: string
  actor_id: number | null
  action: AuditAction
  target_id: number | null
  fields: string[]
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

    /** Up to `limit` entries older than `beforeId`, newest first, optionally about one user only. */
    async page (options: { beforeId?: number, targetId?: number, limit: number }): Promise<AuditEntry[]> {
      const { rows } = await db.query<AuditEntry>(
        `SELECT id, at, actor_id, action, target_id, fields
           FROM audit_log
          WHERE ($1::integer IS NULL OR id < $1) AND ($2::integer IS NULL OR target_id = $2)
          ORDER BY id DESC
          LIMIT $3`,
        [options.beforeId, options.targetId, options.limit])
      return rows
    }
  }
}
