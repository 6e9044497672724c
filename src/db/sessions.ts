// The sessions table: one row per issued token. A token is only as alive as its row.
import type { User } from '../schemas/user.js'
import type { PreparedStatement, Queryable } from './database.js'
import { PROFILE_JOIN, USER_COLUMNS } from './users.js'
import { openUser, type StoredUser } from './health-data.js'

/** How a session's second factor was given, or null for a password alone. */
export type SecondFactor = 'totp' | 'recovery_code' | 'passkey'

/** What a person is shown of a session: where it began and how. */
export interface SessionDevice {
  userAgent?: string
  clientIp: string
  secondFactor?: SecondFactor
}

export interface SessionListing {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string | null
  client_ip: string | null
  second_factor: SecondFactor | null
}

/** last_used_at is written at most this often, so that reading an account stays a read. */
export const LAST_USED_GRANULARITY_SECONDS = 5 * 60

/** The caller's session, as the one query of an authenticated request finds it. */
export interface SessionState {
  secondFactor: SecondFactor | null
  /** last_used_at is older than the granularity: the request should write it. */
  stale: boolean
}

/**
 * Made by every authenticated request: prepared, so that PostgreSQL plans it once per connection.
 * The session's own columns come along at no extra cost: the row is read anyway.
 */
export const FIND_USER: PreparedStatement = {
  name: 'sessions.find-user-and-state',
  text: `SELECT ${USER_COLUMNS}, s.second_factor AS "sessionSecondFactor",
                s.last_used_at < now() - make_interval(secs => ${LAST_USED_GRANULARITY_SECONDS}) AS "sessionStale"
           FROM sessions s
           JOIN users u ON u.id = s.user_id
           ${PROFILE_JOIN}
          WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > now()`
}

export function sessionsTable (db: Queryable) {
  return {
    /**
     * Starts a session and ends the user's oldest live ones (and any expired) beyond `maxLive`.
     * Run it in a transaction: the lock on the user's row makes two starts for one user take
     * turns, so that neither counts the sessions without the other's new one.
     */
    async start (userId: number, ttlSeconds: number, maxLive: number, device: SessionDevice): Promise<{ id: string }> {
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
         INSERT INTO sessions (user_id, expires_at, user_agent, client_ip, second_factor)
         VALUES ($1, now() + make_interval(secs => $2), $4, $5, $6) RETURNING id`,
        [userId, ttlSeconds, maxLive, device.userAgent?.slice(0, 512), device.clientIp, device.secondFactor])
      return rows[0]
    },

    /**
     * The user behind a live session, with their genetic profile: the one query each
     * authenticated request makes. Nothing when the session was revoked, has expired or
     * its user is gone.
     */
    async findUser (sessionId: string, userId: number): Promise<{ user: User, session: SessionState } | undefined> {
      const { rows } = await db.query<StoredUser & { sessionSecondFactor: SecondFactor | null, sessionStale: boolean }>(FIND_USER, [sessionId, userId])
      if (rows.length === 0) return undefined
      const row = rows[0]
      return { user: openUser(db, row), session: { secondFactor: row.sessionSecondFactor, stale: row.sessionStale } }
    },

    /** Marks the session used now; conditional, so that concurrent requests write it once. */
    async touch (sessionId: string): Promise<void> {
      await db.query(
        `UPDATE sessions SET last_used_at = now()
          WHERE id = $1 AND last_used_at < now() - make_interval(secs => ${LAST_USED_GRANULARITY_SECONDS})`, [sessionId])
    },

    /** The user's live sessions, the most recently used first. */
    async listLive (userId: number): Promise<SessionListing[]> {
      const { rows } = await db.query<SessionListing>(
        `SELECT id, created_at, last_used_at, expires_at, user_agent, client_ip, second_factor
           FROM sessions WHERE user_id = $1 AND expires_at > now()
          ORDER BY last_used_at DESC, created_at DESC, id`, [userId])
      return rows
    },

    /** Ends one live session of the user; false when they have no such session. */
    async revokeOwn (userId: number, sessionId: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > now()', [sessionId, userId])
      return rowCount > 0
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

    /** How many sessions of the user are live (not expired; an ended one is deleted). */
    async countLive (userId: number): Promise<number> {
      const { rows } = await db.query<{ count: number }>(
        'SELECT count(*)::integer AS count FROM sessions WHERE user_id = $1 AND expires_at > now()', [userId])
      return rows[0].count
    },

    /** The user's live sessions, oldest first: when each began and ends, never a token. */
    async live (userId: number): Promise<Array<{ id: string, created_at: string, expires_at: string }>> {
      const { rows } = await db.query<{ id: string, created_at: string, expires_at: string }>(
        'SELECT id, created_at, expires_at FROM sessions WHERE user_id = $1 AND expires_at > now() ORDER BY created_at, id', [userId])
      return rows
    },

    /** Up to `limit` expired sessions (see db/batches.ts). */
    async deleteExpired (limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM sessions WHERE id IN (
           SELECT id FROM sessions WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit])
      return rowCount
    }
  }
}
