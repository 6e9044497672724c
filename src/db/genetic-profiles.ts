// The genetic_profiles table: policy number and genetic results, written by admins only.
import { notFound } from '../http/errors.js'
import type { Queryable } from './database.js'

export interface GeneticProfile {
  policy: string
  geneticResult: Record<string, unknown>
}

/** A profile brought over from the old service, its values as stored (see accounts/health-data.ts). */
export interface ImportedProfile {
  userId: number
  policy: string | null
  /** JSON text of an object. */
  geneticResult: string | null
  updatedAt: string
}

export function geneticProfilesTable (db: Queryable) {
  return {
    /** Creates or replaces the profile of `userId`, recording who wrote it. 404 when there is no such user. */
    async put (userId: number, profile: GeneticProfile, updatedBy: number): Promise<void> {
      try {
        await db.query(
          `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by) VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (user_id) DO UPDATE SET
             policy = excluded.policy, genetic_result = excluded.genetic_result,
             updated_by = excluded.updated_by, updated_at = now()`,
          [userId, profile.policy, JSON.stringify(profile.geneticResult), updatedBy])
      } catch (error) {
        // foreign_key_violation: the user does not exist (or was deleted meanwhile).
        if ((error as { code?: unknown }).code === '23503') throw notFound(`no user with id ${userId}`)
        throw error
      }
    },

    /** Creates or replaces imported profiles in one statement; no admin wrote them. */
    async importMany (profiles: ImportedProfile[]): Promise<void> {
      if (profiles.length === 0) return
      await db.query(
        `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by, updated_at)
         SELECT user_id, policy, genetic_result::jsonb, NULL, updated_at
           FROM unnest($1::integer[], $2::text[], $3::text[], $4::timestamptz[]) AS i (user_id, policy, genetic_result, updated_at)
         ON CONFLICT (user_id) DO UPDATE SET
           policy = excluded.policy, genetic_result = excluded.genetic_result, updated_by = NULL, updated_at = excluded.updated_at`,
        [profiles.map((p) => p.userId), profiles.map((p) => p.policy), profiles.map((p) => p.geneticResult), profiles.map((p) => p.updatedAt)])
    },

    /** Removes the profiles of these users (an old row changed to hold no health data). */
    async removeMany (userIds: number[]): Promise<void> {
      if (userIds.length === 0) return
      await db.query('DELETE FROM genetic_profiles WHERE user_id = ANY($1::integer[])', [userIds])
    }
  }
}
