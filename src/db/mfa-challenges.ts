// The mfa_challenges table: logins waiting for their second factor, by the SHA-256 of their token.
import type { Queryable } from './database.js'

export interface MfaChallenge {
  userId: number
  /** The account's email now: the login lockout's key. */
  email: string
  rememberMe: boolean
}

export function mfaChallengesTable (db: Queryable) {
  return {
    async issue (tokenHash: string, userId: number, rememberMe: boolean, ttlSeconds: number): Promise<void> {
      await db.query(
        `INSERT INTO mfa_challenges (token_hash, user_id, remember_me, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [tokenHash, userId, rememberMe, ttlSeconds])
    },

    /** A live challenge, left in place (a wrong code does not spend it). */
    async find (tokenHash: string): Promise<MfaChallenge | undefined> {
      const { rows } = await db.query<MfaChallenge>(
        `SELECT c.user_id AS "userId", u.email, c.remember_me AS "rememberMe"
           FROM mfa_challenges c JOIN users u ON u.id = c.user_id
          WHERE c.token_hash = $1 AND c.expires_at > now()`, [tokenHash])
      return rows[0]
    },

    /** Spends a live challenge: true once. */
    async consume (tokenHash: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM mfa_challenges WHERE token_hash = $1 AND expires_at > now()', [tokenHash])
      return rowCount > 0
    },

    /** Up to `limit` expired challenges (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM mfa_challenges WHERE token_hash IN (
           SELECT token_hash FROM mfa_challenges WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
