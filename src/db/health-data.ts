// The health data of a genetic profile as stored: `policy` and `genetic_result` (its JSON text)
// sealed by the connection's cipher (data-cipher.ts), each with the id of its key in
// `policy_key_id` and `genetic_result_key_id`. A value whose key id is NULL is plaintext: a value
// written before encryption, or by `make rotate-keys DECRYPT=1`, read as it is.
import type { User } from '../schemas/user.js'
import type { DataCipher } from './data-cipher.js'
import type { Queryable } from './database.js'

/** A User as a query over `users u LEFT JOIN genetic_profiles g` returns it, before its health data is opened. */
export type StoredUser = Omit<User, 'policy' | 'genetic_result'> & StoredHealthData

export interface StoredHealthData {
  policy: string | null
  policy_key_id: string | null
  genetic_result: string | null
  genetic_result_key_id: string | null
}

/** A value and the id of its key, as two columns hold them. */
export interface SealedValue {
  value: string
  keyId: string
}

/** The cipher of a connection; a connection without one touches no health data. */
export function cipherOf (db: Queryable): DataCipher {
  if (db.cipher === undefined) throw new Error('this database connection has no data cipher (DATA_KEYS): it cannot read or write health data')
  return db.cipher
}

export function seal (cipher: DataCipher, plaintext: string, userId: number): SealedValue {
  return { value: cipher.encrypt(plaintext, userId), keyId: cipher.currentKeyId }
}

/** The plaintext of a stored value: opened when it has a key id, as it is when it has none. */
export function open (db: Queryable, stored: string, keyId: string | null, userId: number): string {
  return keyId === null ? stored : cipherOf(db).decrypt(stored, userId)
}

/** The User of a stored row, its health data opened. Throws SealedDataError when a value does not decrypt. */
export function openUser (db: Queryable, row: StoredUser): User {
  const { policy, policy_key_id: policyKeyId, genetic_result: geneticResult, genetic_result_key_id: geneticResultKeyId, ...user } = row
  return {
    ...user,
    policy: policy === null ? null : open(db, policy, policyKeyId, row.id),
    genetic_result: geneticResult === null ? null : JSON.parse(open(db, geneticResult, geneticResultKeyId, row.id)) as Record<string, unknown>
  }
}
