// `make rotate-keys`: every stored health value and every TOTP secret under the current key of
// DATA_KEYS, in batches that each lock their rows (SKIP LOCKED), re-encrypt them and commit, while
// the service serves. It is also how values stored before encryption existed get encrypted (they
// have no key id), how TOTP secrets of the format before DATA_KEYS covered them (a key from
// JWT_SECRET, jwt-derived-totp-secrets.ts) move under DATA_KEYS, and, with `decrypt`, how the
// health values are all made plaintext again before the migration that added their encryption is
// undone. Stopped at any point, it resumes where it was: done rows no longer match.
import type { Database, Queryable } from '../db/database.js'
import type { DataCipher } from '../db/data-cipher.js'
import { geneticProfileKeysTable, type StoredProfile } from '../db/genetic-profile-keys.js'
import { open } from '../db/health-data.js'
import { totpFactorKeysTable } from '../db/totp-factor-keys.js'
import { JWT_DERIVED, totpSecrets } from './jwt-derived-totp-secrets.js'

export interface RotationOptions {
  /** Rows (profiles, TOTP factors) per transaction. */
  batchSize: number
  /**
   * Store every health value as plaintext instead (before `make migrate TO=12`). TOTP secrets are
   * left as they are: they were never stored in plaintext, and migration 013 has nothing to do
   * with them.
   */
  decrypt?: boolean
  /** What opens the TOTP secrets still sealed with the key derived from it. */
  jwtSecret: string
  /** After each batch: rows of that kind done so far, of how many there were to do at the start of the pass. */
  onProgress?: (done: number, total: number, rows: 'profiles' | 'TOTP secrets') => void
}

export interface RotationOutcome {
  /** Profiles whose values were re-encrypted (or decrypted). */
  profiles: number
  /** TOTP secrets re-sealed under the current key (none with `decrypt`). */
  totpSecrets: number
  /** The key the health values are now under; null for plaintext. */
  keyId: string | null
}

/** The values of one profile under `keyId` (null: plaintext); those already there stay as they are. */
function reseal (db: Database, cipher: DataCipher, profile: StoredProfile, keyId: string | null): StoredProfile {
  const value = (stored: string | null, storedKeyId: string | null): [string | null, string | null] => {
    if (stored === null || storedKeyId === keyId) return [stored, storedKeyId]
    const plaintext = open(db, stored, storedKeyId, profile.user_id)
    return keyId === null ? [plaintext, null] : [cipher.encrypt(plaintext, profile.user_id), keyId]
  }
  const [policy, policyKeyId] = value(profile.policy, profile.policy_key_id)
  const [geneticResult, geneticResultKeyId] = value(profile.genetic_result, profile.genetic_result_key_id)
  return { user_id: profile.user_id, policy, policy_key_id: policyKeyId, genetic_result: geneticResult, genetic_result_key_id: geneticResultKeyId }
}

/** One table's rows still to do: how many, and, in a transaction, the next batch after a user id locked, redone and stored. */
interface Batches {
  count: () => Promise<number>
  redo: (tx: Queryable, afterUserId: number, limit: number) => Promise<Array<{ user_id: number }>>
}

/** Runs `batches` to the end; the rows redone. */
async function inBatches (db: Database, batches: Batches, batchSize: number, onProgress: (done: number, total: number) => void): Promise<number> {
  let rows = 0
  // A pass walks the table once in user id order; rows a request held locked meanwhile are left
  // for the next pass, so passes repeat until none is left.
  for (let total = await batches.count(); total > 0; total = await batches.count()) {
    let afterUserId = 0
    let done = 0
    for (;;) {
      const batch = await db.transaction(async (tx) => await batches.redo(tx, afterUserId, batchSize))
      if (batch.length === 0) break
      afterUserId = batch[batch.length - 1].user_id
      done += batch.length
      rows += batch.length
      onProgress(done, total)
    }
  }
  return rows
}

export async function rotateKeys (db: Database, cipher: DataCipher, options: RotationOptions): Promise<RotationOutcome> {
  const keyId = options.decrypt === true ? null : cipher.currentKeyId
  const progress = (rows: 'profiles' | 'TOTP secrets') => (done: number, total: number): void => options.onProgress?.(done, total, rows)
  const profiles = await inBatches(db, {
    count: async () => await geneticProfileKeysTable(db).countNotUnder(keyId),
    redo: async (tx, afterUserId, limit) => {
      const table = geneticProfileKeysTable(tx)
      const locked = await table.lockNotUnder(keyId, afterUserId, limit)
      if (locked.length > 0) await table.storeValues(locked.map((profile) => reseal(db, cipher, profile, keyId)))
      return locked
    }
  }, options.batchSize, progress('profiles'))
  if (keyId === null) return { profiles, totpSecrets: 0, keyId }

  const secrets = totpSecrets(cipher, options.jwtSecret)
  const totp = await inBatches(db, {
    count: async () => await totpFactorKeysTable(db).countNotUnder(keyId),
    redo: async (tx, afterUserId, limit) => {
      const table = totpFactorKeysTable(tx)
      const locked = await table.lockNotUnder(keyId, afterUserId, limit)
      if (locked.length > 0) {
        await table.storeSecrets(locked.map(({ user_id: userId, secret }) => ({ user_id: userId, secret: secrets.encrypt(secrets.decrypt(secret, userId), userId) })))
      }
      return locked
    }
  }, options.batchSize, progress('TOTP secrets'))
  return { profiles, totpSecrets: totp, keyId }
}

/** What a key id is to the current DATA_KEYS, for the report. */
function describeKey (cipher: DataCipher, keyId: string): string {
  return keyId === cipher.currentKeyId
    ? `key ${keyId} (current)`
    : cipher.keyIds.includes(keyId)
      ? `key ${keyId} (old: keep it in DATA_KEYS until \`make rotate-keys\` has moved them)`
      : `key ${keyId}, which DATA_KEYS does not hold: these cannot be read until it is back`
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/**
 * How many values each key id protects, for `make rotate-keys CHECK=1`: the health values
 * (`plaintext` for those without one), then the TOTP secrets, if any (`jwt-derived` for those
 * sealed before DATA_KEYS covered them).
 */
export async function keyReport (db: Database, cipher: DataCipher): Promise<string> {
  const counts = await geneticProfileKeysTable(db).countByKey()
  const health = counts.length === 0
    ? ['no health data is stored']
    : counts.map(({ key_id: keyId, values }) => `${plural(values, 'value', 'values')} under ${keyId === null
      ? 'plaintext (stored before encryption, or decrypted): `make rotate-keys` encrypts them'
      : describeKey(cipher, keyId)}`)
  const totp = (await totpFactorKeysTable(db).countByKey()).map(({ key_id: keyId, values }) => `${plural(values, 'TOTP secret', 'TOTP secrets')} under ${keyId === null
    ? `${JWT_DERIVED} (a key from JWT_SECRET, before DATA_KEYS covered them): \`make rotate-keys\` moves them`
    : describeKey(cipher, keyId)}`)
  return [...health, ...totp].join('\n')
}
