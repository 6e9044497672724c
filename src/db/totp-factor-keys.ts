// The keys side of the totp_factors table, for `make rotate-keys`: which key protects how many
// TOTP secrets, and the batches that re-seal them. No column holds the key id: a secret sealed by
// the data cipher starts with `v1:<key id>:` (data-cipher.ts), which the queries read off the
// value; any other value (the older format before DATA_KEYS covered these secrets) has no key id.
import type { Queryable } from './database.js'

export interface StoredTotpSecret {
  user_id: number
  secret: string
}

/** What a secret sealed under `keyId` starts with. */
const prefixOf = (keyId: string): string => `v1:${keyId}:`

export function totpFactorKeysTable (db: Queryable) {
  return {
    /** How many secrets each key id protects; `null` counts those not sealed by the data cipher. */
    async countByKey (): Promise<Array<{ key_id: string | null, values: number }>> {
      const { rows } = await db.query<{ key_id: string | null, values: number }>(
        `SELECT CASE WHEN starts_with(secret, 'v1:') THEN split_part(secret, ':', 2) END AS key_id, count(*)::integer AS values
           FROM totp_factors
          GROUP BY 1
          ORDER BY 1 NULLS FIRST`)
      return rows
    },

    /** How many secrets are not under `keyId`. */
    async countNotUnder (keyId: string): Promise<number> {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM totp_factors WHERE NOT starts_with(secret, $1)', [prefixOf(keyId)])
      return rows[0].n
    },

    /**
     * In a transaction: locks and returns up to `limit` secrets of users after `afterUserId` not
     * under `keyId`, skipping those another transaction holds (an enrolment or a login now).
     */
    async lockNotUnder (keyId: string, afterUserId: number, limit: number): Promise<StoredTotpSecret[]> {
      const { rows } = await db.query<StoredTotpSecret>(
        `SELECT user_id, secret
           FROM totp_factors
          WHERE user_id > $2 AND NOT starts_with(secret, $1)
          ORDER BY user_id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`, [prefixOf(keyId), afterUserId, limit])
      return rows
    },

    /** Stores re-sealed secrets; the factor's time step, confirmation and creation time stay. */
    async storeSecrets (secrets: StoredTotpSecret[]): Promise<void> {
      await db.query(
        `UPDATE totp_factors f SET secret = v.secret
           FROM unnest($1::integer[], $2::text[]) AS v (user_id, secret)
          WHERE f.user_id = v.user_id`,
        [secrets.map((s) => s.user_id), secrets.map((s) => s.secret)])
    }
  }
}
