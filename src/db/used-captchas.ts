// The used_captchas table: the signatures of captcha challenges already spent on a signup.
import type { Queryable } from './database.js'

export function usedCaptchasTable (db: Queryable) {
  return {
    /**
     * Records the challenge as used; false when it already was. One atomic insert, so two
     * instances receiving the same solution at the same moment cannot both accept it.
     */
    async spend (signature: string, expiresAt: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        'INSERT INTO used_captchas (signature, expires_at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING',
        [signature, expiresAt.toISOString()])
      return rowCount === 1
    },

    /** Up to `limit` expired signatures (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM used_captchas WHERE signature IN (
           SELECT signature FROM used_captchas WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
