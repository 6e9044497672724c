// The sessions table: one row per issued token. A token is only as alive as its row.
import type { User } from '../schemas/user.js'
import type { PreparedStatement, Queryable } from './database.js'
import { USER_COLUMNS } from './users.js'

/** Made by every authenticated request: prepared, so that PostgreSQL plans it once per connection. */
export const FIND_USER: PreparedStatement = {
  name: 'sessions.find-user',
  text: `SELECT ${USER_COLUMNS}
           FROM sessions s
           JOIN users u ON u.id = s.user_id
           LEFT JOIN genetic_profiles g ON g.user_id = u.id
          WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > now()`
}

export function sessionsTable (db: Queryable) {
  return {
    /**
     * Starts a session and ends the user's oldest live ones (and any expired) beyond `maxLive`.
     * Run it in a transaction: the lock on the user's row makes two starts for one user take
     * turns, so that neither counts the sessions without the other's new one.
     */
    async start (userId: number, ttlSeconds: number, maxLive: number): Promise<{ id: string }> {
      // A statement of its own: a statement sees what was committed when it began, so the one that
      // counts must begin once the lock is held.
      await db.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId])
      const { rows } = await db.query<{ id: string }>(
        `WITH ended AS (
           DELETE FROM sessions
            WHERE user_id = $1
              AND id NOT IN (SELECT id FROM sessions
                              WHERE user_id = $1 AND expires_at > now()
                              ORDER BY created_at DESC, id DESC
                              LIMIT $3::integer - 1)
         )
         INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id`,
        [userId, ttlSeconds, maxLive])
      return rows[0]
    },

    /**
     * The user behind a live session, with their genetic profile: the one query each
     * authenticated request makes. Nothing when the session was revoked, has expired or
     * its user is gone.
     */
    async findUser (sessionId: string, userId: number): Promise<User | undefined> {
      const { rows } = await db.query<User>(FIND_USER, [sessionId, userId])
      return rows[0]
    },

    /** Whether the session began less than `seconds` ago (false when it is gone). */
    async isYoungerThan (sessionId: string, seconds: number): Promise<boolean> {
      const { rows } = await db.query('SELECT 1 FROM sessions WHERE id = $1 AND created_at > now() - make_interval(secs => $2)', [sessionId, seconds])
      return rows.length > 0
    },

    async revoke (sessionId: string): Promise<void> {
      await db.query('DELETE FROM sessions WHERE id = $1', [sessionId])
    },

    async revokeAll (userId: number): Promise<void> {
      await db.query('DELETE FROM sessions WHERE user_id = $1', [userId])
    },

    /** Ends every session of the user but `keepSessionId` (the one making the request), or all of them without it. */
    async revokeOthers (userId: number, keepSessionId: string | undefined): Promise<void> {
      await db.query('DELETE FROM sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR id <> $2)', [userId, keepSessionId])
    },

    async deleteExpired (): Promise<number> {
      const { rowCount } = await db.query('DELETE FROM sessions WHERE expires_at <= now()')
      return rowCount
    }
  }
}
