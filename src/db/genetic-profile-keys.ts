// The keys side of the genetic_profiles table, for `make rotate-keys`: which key protects how
// many values, and the batches that re-encrypt them. Kept apart from genetic-profiles.ts, which
// is about what admins write.
import type { Queryable } from './database.js'
import type { StoredHealthData } from './health-data.js'

export interface StoredProfile extends StoredHealthData {
  user_id: number
}

/** WHERE-clause of a profile holding a value not under the key `$1` (NULL: plaintext). */
const NOT_UNDER_KEY = `((policy IS NOT NULL AND policy_key_id IS DISTINCT FROM $1::text)
    OR (genetic_result IS NOT NULL AND genetic_result_key_id IS DISTINCT FROM $1::text))`

export function geneticProfileKeysTable (db: Queryable) {
  return {
    /** How many stored values each key id protects; `null` counts the plaintext ones. */
    async countByKey (): Promise<Array<{ key_id: string | null, values: number }>> {
      const { rows } = await db.query<{ key_id: string | null, values: number }>(
        `SELECT v.key_id, count(*)::integer AS values
           FROM genetic_profiles,
                LATERAL (VALUES (policy IS NOT NULL, policy_key_id), (genetic_result IS NOT NULL, genetic_result_key_id)) AS v (present, key_id)
          WHERE v.present
          GROUP BY v.key_id
          ORDER BY v.key_id NULLS FIRST`)
      return rows
    },

    /** How many profiles hold a value that is not under `keyId` (null: that is not plaintext). */
    async countNotUnder (keyId: string | null): Promise<number> {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM genetic_profiles WHERE ${NOT_UNDER_KEY}`, [keyId])
      return rows[0].n
    },

    /**
     * In a transaction: locks and returns up to `limit` profiles after `afterUserId` holding a value
     * not under `keyId`, skipping those another transaction holds (a request writing them now).
     */
    async lockNotUnder (keyId: string | null, afterUserId: number, limit: number): Promise<StoredProfile[]> {
      const { rows } = await db.query<StoredProfile>(
        `SELECT user_id, policy, policy_key_id, genetic_result, genetic_result_key_id
           FROM genetic_profiles
          WHERE user_id > $2 AND ${NOT_UNDER_KEY}
          ORDER BY user_id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`, [keyId, afterUserId, limit])
      return rows
    },

    /** Stores re-encrypted values; the profile's `updated_by` and `updated_at` stay: its content did not change. */
    async storeValues (profiles: StoredProfile[]): Promise<void> {
      await db.query(
        `UPDATE genetic_profiles g
            SET policy = v.policy, policy_key_id = v.policy_key_id,
                genetic_result = v.genetic_result, genetic_result_key_id = v.genetic_result_key_id
           FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS v (user_id, policy, policy_key_id, genetic_result, genetic_result_key_id)
          WHERE g.user_id = v.user_id`,
        [profiles.map((p) => p.user_id), profiles.map((p) => p.policy), profiles.map((p) => p.policy_key_id),
          profiles.map((p) => p.genetic_result), profiles.map((p) => p.genetic_result_key_id)])
    }
  }
}
