// The recovery_codes table: the SHA-256 of each single-use recovery code of an account.
import type { Queryable } from './database.js'

export function recoveryCodesTable (db: Queryable) {
  return {
    /** Replaces every code of the account with these. */
    async replace (userId: number, codeHashes: string[]): Promise<void> {
      await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId])
      await db.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [userId, codeHashes])
    },

    /** Spends a code: true once, for a code the account has; the row is gone after. */
    async consume (userId: number, codeHash: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2', [userId, codeHash])
      return rowCount > 0
    },

    async removeAll (userId: number): Promise<void> {
      await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId])
    }
  }
}
