// The email_tokens table: the single-use tokens that mailed links carry, by their SHA-256 only.
// A token is used up by deleting its row, so two requests with one token cannot both succeed.
import type { Queryable } from './database.js'

export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email'

export interface NewEmailToken {
  tokenHash: string
  /** Null issues nothing, with the same statement: the reset request costs the same for an unknown address. */
  userId: number | null
  purpose: TokenPurpose
  ttlSeconds: number
  /** The address the link goes to, when not the account's own (a change of address). */
  email?: string
  sessionId?: string
}

export interface EmailToken {
  userId: number
  email: string
  sessionId: string | null
}

const TOKEN_COLUMNS = 'user_id AS "userId", email, session_id AS "sessionId"'

export function emailTokensTable (db: Queryable) {
  return {
    /** Stores a token for the user; the address is the account's own unless `email` says otherwise. */
    async issue (token: NewEmailToken): Promise<void> {
      await db.query(
        `INSERT INTO email_tokens (token_hash, user_id, purpose, email, session_id, expires_at)
         SELECT $1, id, $3, coalesce($4, email), $5, now() + make_interval(secs => $6)
           FROM users WHERE id = $2`,
        [token.tokenHash, token.userId, token.purpose, token.email, token.sessionId, token.ttlSeconds])
    },

    /** A live token of this purpose, left in place (to check a new password before the token is spent). */
    async find (tokenHash: string, purpose: TokenPurpose): Promise<EmailToken | undefined> {
      const { rows } = await db.query<EmailToken>(
        `SELECT ${TOKEN_COLUMNS} FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > now()`,
        [tokenHash, purpose])
      return rows[0]
    },

    /** Uses the token up: what it was for, or undefined when it is unknown, expired, spent or of another purpose. */
    async consume (tokenHash: string, purpose: TokenPurpose): Promise<EmailToken | undefined> {
      const { rows } = await db.query<EmailToken>(
        `DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > now() RETURNING ${TOKEN_COLUMNS}`,
        [tokenHash, purpose])
      return rows[0]
    },

    /** Voids the user's tokens of one purpose, or of every purpose. */
    async revoke (userId: number | null, purpose?: TokenPurpose): Promise<void> {
      await db.query('DELETE FROM email_tokens WHERE user_id = $1 AND ($2::text IS NULL OR purpose = $2)', [userId, purpose])
    },

    /** Up to `limit` expired tokens (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM email_tokens WHERE token_hash IN (
           SELECT token_hash FROM email_tokens WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
