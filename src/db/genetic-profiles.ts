// The genetic_profiles table: policy number and genetic results, written by admins only.
import { isForeignKeyViolation, UserMissing } from './errors.js'
import type { Queryable } from './database.js'
import { cipherOf, seal } from './health-data.js'

export interface GeneticProfile {
  policy: string
  geneticResult: Record<string, unknown>
}

/** Fields to write; those left undefined keep their value (none, for a profile not yet written). */
export interface GeneticProfileChanges {
  policy?: string
  geneticResult?: Record<string, unknown>
}

/** What can be said of a profile without reading its values: its version, and who wrote it last and when. */
export interface GeneticProfileChange {
  version: number
  updatedAt: string
  /** Null when that account has been deleted since. */
  updatedBy: { id: number, name: string } | null
}

/** A profile brought over from the old service, its values as stored (see accounts/health-data.ts). */
export interface ImportedProfile {
  userId: number
  policy: string | null
  /** JSON text of an object. */
  geneticResult: string | null
  updatedAt: string
}

export interface ProfileWrite {
  updated_at: string
  updated_by: number | null
  updated_by_first_name: string | null
  updated_by_last_name: string | null
  updated_by_role: 'user' | 'admin' | null
}

export function geneticProfilesTable (db: Queryable) {
  return {
    /** Creates or replaces the profile of `userId`, encrypted, recording who wrote it. UserMissing when there is no such user. */
    async put (userId: number, profile: GeneticProfile, updatedBy: number): Promise<void> {
      const policy = seal(cipherOf(db), profile.policy, userId)
      const geneticResult = seal(cipherOf(db), JSON.stringify(profile.geneticResult), userId)
      try {
        await db.query(
          `INSERT INTO genetic_profiles (user_id, policy, policy_key_id, genetic_result, genetic_result_key_id, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id) DO UPDATE SET
             policy = excluded.policy, policy_key_id = excluded.policy_key_id,
             genetic_result = excluded.genetic_result, genetic_result_key_id = excluded.genetic_result_key_id,
             updated_by = excluded.updated_by, updated_at = now()`,
          [userId, policy.value, policy.keyId, geneticResult.value, geneticResult.keyId, updatedBy])
      } catch (error) {
        throw isForeignKeyViolation(error) ? new UserMissing(userId) : error
      }
    },

    /**
     * Locks the user's row for a write of their profile, so that writes of one profile take turns
     * (a deletion of the user waits too), and says what a write depends on: whether the address
     * is verified and the profile's version (null without a profile). Undefined without such a
     * user. Run it in a transaction, before the write.
     */
    async lockForWrite (userId: number): Promise<{ emailVerified: boolean, version: number | null } | undefined> {
      const { rows } = await db.query<{ emailVerified: boolean }>(
        'SELECT email_verified AS "emailVerified" FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId])
      if (rows.length === 0) return undefined
      // A statement of its own: a statement sees what was committed when it began, so the one that
      // reads the version must begin once the lock is held, or it would miss the write it waited for.
      const profile = await db.query<{ version: number }>('SELECT version FROM genetic_profiles WHERE user_id = $1', [userId])
      return { emailVerified: rows[0].emailVerified, version: profile.rows[0]?.version ?? null }
    },

    /** Writes the fields given, encrypted, keeping the others, recording who wrote them. The user is locked (lockForWrite). */
    async change (userId: number, changes: GeneticProfileChanges, updatedBy: number): Promise<void> {
      const cipher = cipherOf(db)
      const policy = changes.policy === undefined ? undefined : seal(cipher, changes.policy, userId)
      const geneticResult = changes.geneticResult === undefined ? undefined : seal(cipher, JSON.stringify(changes.geneticResult), userId)
      await db.query(
        `INSERT INTO genetic_profiles (user_id, policy, policy_key_id, genetic_result, genetic_result_key_id, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET
           policy = coalesce(excluded.policy, genetic_profiles.policy),
           policy_key_id = CASE WHEN excluded.policy IS NULL THEN genetic_profiles.policy_key_id ELSE excluded.policy_key_id END,
           genetic_result = coalesce(excluded.genetic_result, genetic_profiles.genetic_result),
           genetic_result_key_id = CASE WHEN excluded.genetic_result IS NULL THEN genetic_profiles.genetic_result_key_id ELSE excluded.genetic_result_key_id END,
           updated_by = excluded.updated_by, updated_at = now()`,
        [userId, policy?.value, policy?.keyId, geneticResult?.value, geneticResult?.keyId, updatedBy])
    },

    /** The version of the user's profile and its last writer; undefined without a profile. */
    async findChange (userId: number): Promise<GeneticProfileChange | undefined> {
      const { rows } = await db.query<{ version: number, updatedAt: string, updaterId: number | null, updaterName: string | null }>(
        `SELECT g.version, g.updated_at AS "updatedAt", a.id AS "updaterId", a.first_name || ' ' || a.last_name AS "updaterName"
           FROM genetic_profiles g LEFT JOIN users a ON a.id = g.updated_by
          WHERE g.user_id = $1`, [userId])
      if (rows.length === 0) return undefined
      const { version, updatedAt, updaterId, updaterName } = rows[0]
      return { version, updatedAt, updatedBy: updaterId === null ? null : { id: updaterId, name: updaterName as string } }
    },

    /** Creates or replaces imported profiles in one statement, encrypted; no admin wrote them. */
    async importMany (profiles: ImportedProfile[]): Promise<void> {
      if (profiles.length === 0) return
      const cipher = cipherOf(db)
      const sealed = profiles.map((p) => {
        const policy = p.policy === null ? null : seal(cipher, p.policy, p.userId)
        const geneticResult = p.geneticResult === null ? null : seal(cipher, p.geneticResult, p.userId)
        return {
          userId: p.userId,
          policy: policy?.value ?? null,
          policyKeyId: policy?.keyId ?? null,
          geneticResult: geneticResult?.value ?? null,
          geneticResultKeyId: geneticResult?.keyId ?? null,
          updatedAt: p.updatedAt
        }
      })
      await db.query(
        `INSERT INTO genetic_profiles (user_id, policy, policy_key_id, genetic_result, genetic_result_key_id, updated_by, updated_at)
         SELECT "userId", policy, "policyKeyId", "geneticResult", "geneticResultKeyId", NULL, "updatedAt"
           FROM json_to_recordset($1::json)
                AS i ("userId" integer, policy text, "policyKeyId" text, "geneticResult" text, "geneticResultKeyId" text, "updatedAt" timestamptz)
         ON CONFLICT (user_id) DO UPDATE SET
           policy = excluded.policy, policy_key_id = excluded.policy_key_id,
           genetic_result = excluded.genetic_result, genetic_result_key_id = excluded.genetic_result_key_id,
           updated_by = NULL, updated_at = excluded.updated_at`,
        // One JSON parameter: JSON.stringify is one native call, node-postgres's arrays are built element by element.
        [JSON.stringify(sealed)])
    },

    /** Removes the profiles of these users (an old row changed to hold no health data). */
    async removeMany (userIds: number[]): Promise<void> {
      if (userIds.length === 0) return
      await db.query('DELETE FROM genetic_profiles WHERE user_id = ANY($1::integer[])', [userIds])
    },

    /** When the profile was last written and by whom (that admin's name and role as they are now); undefined when there is none. */
    async lastWrite (userId: number): Promise<ProfileWrite | undefined> {
      const { rows } = await db.query<ProfileWrite>(
        `SELECT g.updated_at, g.updated_by, u.first_name AS updated_by_first_name, u.last_name AS updated_by_last_name, u.role AS updated_by_role
           FROM genetic_profiles g LEFT JOIN users u ON u.id = g.updated_by
          WHERE g.user_id = $1`, [userId])
      return rows[0]
    }
  }
}
