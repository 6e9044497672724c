// The webauthn_challenges table: passkey ceremonies begun and not yet finished.
import type { Queryable } from './database.js'

export type ChallengePurpose = 'registration' | 'login'

export function webauthnChallengesTable (db: Queryable) {
  return {
    /** A registration's challenge belongs to `userId`; a login's to no one (null). */
    async issue (challenge: string, purpose: ChallengePurpose, userId: number | null, ttlSeconds: number): Promise<void> {
      await db.query(
        `INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [challenge, purpose, userId, ttlSeconds])
    },

    /** Spends a live challenge of that purpose (and user): true once, false if unknown, used, expired or another's. */
    async consume (challenge: string, purpose: ChallengePurpose, userId: number | null): Promise<boolean> {
      const { rowCount } = await db.query(
        `DELETE FROM webauthn_challenges
          WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3 AND expires_at > now()`,
        [challenge, purpose, userId])
      return rowCount > 0
    },

    /** Up to `limit` expired challenges (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM webauthn_challenges WHERE challenge IN (
           SELECT challenge FROM webauthn_challenges WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
