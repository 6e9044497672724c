// The rate_limits table. Each hit is one INSERT … ON CONFLICT DO UPDATE: PostgreSQL takes the
// row lock, so concurrent hits on one key are counted one after the other, on every instance.
import type { Queryable } from './database.js'

export interface Hits {
  hits: number
  ttlMs: number
}

const RETURNING = 'RETURNING hits, greatest(0, ceil(extract(epoch FROM expires_at - now()) * 1000))::int AS "ttlMs"'

export function rateLimitsTable (db: Queryable) {
  return {
    /** A fixed window: the count restarts once the window that began with the first hit is over. */
    async hitWindow (key: string, windowMs: number): Promise<Hits> {
      const { rows } = await db.query<Hits>(
        `INSERT INTO rate_limits AS r (key, hits, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2 / 1000.0))
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN r.expires_at <= now() THEN 1 ELSE r.hits + 1 END,
           expires_at = CASE WHEN r.expires_at <= now() THEN excluded.expires_at ELSE r.expires_at END
         ${RETURNING}`,
        [key, windowMs])
      return rows[0]
    },

    /**
     * A failure streak: each of the first `max` hits restarts the period (failures are forgotten
     * `periodMs` after the last one); later hits leave it alone, so a lock ends `periodMs` after
     * the failure that caused it, however often it is tried meanwhile.
     */
    async hitStreak (key: string, max: number, periodMs: number): Promise<Hits> {
      const { rows } = await db.query<Hits>(
        `INSERT INTO rate_limits AS r (key, hits, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2 / 1000.0))
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN r.expires_at <= now() THEN 1 ELSE r.hits + 1 END,
           expires_at = CASE WHEN r.expires_at <= now() OR r.hits < $3 THEN excluded.expires_at ELSE r.expires_at END
         ${RETURNING}`,
        [key, periodMs, max])
      return rows[0]
    },

    /** Takes back the last hit of a streak (a hit that turned out not to be a failure). */
    async forgiveOne (key: string): Promise<void> {
      await db.query('UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND hits > 0 AND expires_at > now()', [key])
    },

    async clear (key: string): Promise<void> {
      await db.query('DELETE FROM rate_limits WHERE key = $1', [key])
    },

    /** Every counter whose key starts with `prefix`. */
    async clearPrefix (prefix: string): Promise<void> {
      await db.query('DELETE FROM rate_limits WHERE left(key, length($1)) = $1', [prefix])
    },

    /** Up to `limit` expired counters (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM rate_limits WHERE key IN (
           SELECT key FROM rate_limits WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
