// The genetic_profiles table: policy number and genetic results, written by admins only.
import { isForeignKeyViolation, UserMissing } from './errors.js'
import type { Queryable } from './database.js'

export interface GeneticProfile {
  policy: string
  geneticResult: Record<string, unknown>
}

export function geneticProfilesTable (db: Queryable) {
  return {
    /** Creates or replaces the profile of `userId`, recording who wrote it. UserMissing when there is no such user. */
    async put (userId: number, profile: GeneticProfile, updatedBy: number): Promise<void> {
      try {
        await db.query(
          `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by) VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (user_id) DO UPDATE SET
             policy = excluded.policy, genetic_result = excluded.genetic_result,
             updated_by = excluded.updated_by, updated_at = now()`,
          [userId, profile.policy, JSON.stringify(profile.geneticResult), updatedBy])
      } catch (error) {
        throw isForeignKeyViolation(error) ? new UserMissing(userId) : error
      }
    }
  }
}
