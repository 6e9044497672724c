// The genetic_profiles table: policy number and genetic results, written by admins only.
import { notFound } from '../http/errors.js'
import type { Queryable } from './database.js'
import { cipherOf, seal } from './health-data.js'

export interface GeneticProfile {
  policy: string
  geneticResult: Record<string, unknown>
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
    /** Creates or replaces the profile of `userId`, encrypted, recording who wrote it. 404 when there is no such user. */
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
        // foreign_key_violation: the user does not exist (or was deleted meanwhile).
        if ((error as { code?: unknown }).code === '23503') throw notFound(`no user with id ${userId}`)
        throw error
      }
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
