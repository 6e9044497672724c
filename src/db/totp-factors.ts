// The totp_factors table: one encrypted TOTP secret per account, pending until confirmed. The
// users.mfa_enabled flag is set and cleared here, in the same statement as the factor.
import type { Queryable } from './database.js'

export interface TotpFactor {
  /** As stored: sealed under DATA_KEYS, or in the older format of accounts/jwt-derived-totp-secrets.ts. */
  secret: string
  confirmed: boolean
  lastTimeStep: number | null
}

export function totpFactorsTable (db: Queryable) {
  return {
    async find (userId: number): Promise<TotpFactor | undefined> {
      const { rows } = await db.query<TotpFactor>(
        `SELECT secret, confirmed_at IS NOT NULL AS confirmed, last_time_step::float8 AS "lastTimeStep"
           FROM totp_factors WHERE user_id = $1`, [userId])
      return rows[0]
    },

    /** A new pending secret, replacing a pending one; nothing when a confirmed factor exists. */
    async enrol (userId: number, secret: string): Promise<boolean> {
      const { rowCount } = await db.query(
        `INSERT INTO totp_factors AS f (user_id, secret) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_time_step = NULL, created_at = now()
          WHERE f.confirmed_at IS NULL`, [userId, secret])
      return rowCount > 0
    },

    /**
     * Records that a code of `timeStep` was accepted, only if no code of that step or a later one
     * was: one atomic statement, so two requests with the same code cannot both pass.
     * `confirm` also makes a pending factor the account's second factor.
     */
    async useTimeStep (userId: number, timeStep: number, confirm = false): Promise<boolean> {
      const { rows } = await db.query<{ confirmed: boolean }>(
        `UPDATE totp_factors SET last_time_step = $2,
                confirmed_at = CASE WHEN $3::boolean THEN coalesce(confirmed_at, now()) ELSE confirmed_at END
          WHERE user_id = $1 AND (last_time_step IS NULL OR last_time_step < $2)
            AND (confirmed_at IS NOT NULL OR $3::boolean)
          RETURNING confirmed_at IS NOT NULL AS confirmed`, [userId, timeStep, confirm])
      if (rows.length === 0) return false
      if (confirm) await db.query('UPDATE users SET mfa_enabled = true, updated_at = now() WHERE id = $1', [userId])
      return true
    },

    async remove (userId: number): Promise<void> {
      await db.query('DELETE FROM totp_factors WHERE user_id = $1', [userId])
      await db.query('UPDATE users SET mfa_enabled = false, updated_at = now() WHERE id = $1', [userId])
    }
  }
}
