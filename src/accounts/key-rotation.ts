// `make rotate-keys`: every stored health value under the current key of DATA_KEYS, in batches
// that each lock their rows (SKIP LOCKED), re-encrypt them and commit, while the service serves.
// It is also how values stored before encryption existed get encrypted (they have no key id), and,
// with `decrypt`, how they are all made plaintext again before the migration that added
// encryption is undone. Stopped at any point, it resumes where it was: done rows no longer match.
import type { Database } from '../db/database.js'
import type { DataCipher } from '../db/data-cipher.js'
import { geneticProfileKeysTable, type StoredProfile } from '../db/genetic-profile-keys.js'
import { open } from '../db/health-data.js'

export interface RotationOptions {
  /** Profiles per transaction. */
  batchSize: number
  /** Store every value as plaintext instead (before `make migrate TO=12`). */
  decrypt?: boolean
  /** After each batch: profiles done so far, of how many there were to do at the start of the pass. */
  onProgress?: (done: number, total: number) => void
}

export interface RotationOutcome {
  /** Profiles whose values were re-encrypted (or decrypted). */
  profiles: number
  /** The key they are now under; null for plaintext. */
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

export async function rotateKeys (db: Database, cipher: DataCipher, options: RotationOptions): Promise<RotationOutcome> {
  const keyId = options.decrypt === true ? null : cipher.currentKeyId
  let profiles = 0
  // A pass walks the table once in user id order; rows a request held locked meanwhile are left
  // for the next pass, so passes repeat until none is left.
  for (let total = await geneticProfileKeysTable(db).countNotUnder(keyId); total > 0; total = await geneticProfileKeysTable(db).countNotUnder(keyId)) {
    let afterUserId = 0
    let done = 0
    for (;;) {
      const batch = await db.transaction(async (tx) => {
        const table = geneticProfileKeysTable(tx)
        const locked = await table.lockNotUnder(keyId, afterUserId, options.batchSize)
        if (locked.length > 0) await table.storeValues(locked.map((profile) => reseal(db, cipher, profile, keyId)))
        return locked
      })
      if (batch.length === 0) break
      afterUserId = batch[batch.length - 1].user_id
      done += batch.length
      profiles += batch.length
      options.onProgress?.(done, total)
    }
  }
  return { profiles, keyId }
}

/** How many values each key id protects, for `make rotate-keys CHECK=1`; `plaintext` for those without one. */
export async function keyReport (db: Database, cipher: DataCipher): Promise<string> {
  const counts = await geneticProfileKeysTable(db).countByKey()
  if (counts.length === 0) return 'no health data is stored'
  return counts.map(({ key_id: keyId, values }) => {
    const what = keyId === null
      ? 'plaintext (stored before encryption, or decrypted): `make rotate-keys` encrypts them'
      : keyId === cipher.currentKeyId
        ? `key ${keyId} (current)`
        : cipher.keyIds.includes(keyId)
          ? `key ${keyId} (old: keep it in DATA_KEYS until \`make rotate-keys\` has moved them)`
          : `key ${keyId}, which DATA_KEYS does not hold: these cannot be read until it is back`
    return `${values} value${values === 1 ? '' : 's'} under ${what}`
  }).join('\n')
}
