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

/**
 * The User of a stored row, its health data opened. Throws SealedDataError when a value does not decrypt.
 * Built field by field, not with a rest pattern: it runs on every authenticated request, and a rest
 * pattern copies through a slow path into an object of no fixed shape, which serialising then pays for
 * too. Other columns of the row (a password hash, a session's state) are left out.
 */
export function openUser (db: Queryable, row: StoredUser): User {
  return {
    id: row.id,
    email: row.email,
    email_verified: row.email_verified,
    pending_email: row.pending_email,
    first_name: row.first_name,
    last_name: row.last_name,
    dob: row.dob,
    role: row.role,
    mfa_enabled: row.mfa_enabled,
    policy: row.policy === null ? null : open(db, row.policy, row.policy_key_id, row.id),
    genetic_result: row.genetic_result === null ? null : JSON.parse(open(db, row.genetic_result, row.genetic_result_key_id, row.id)) as Record<string, unknown>,
    created_at: row.created_at,
    modified_at: row.modified_at
  }
}
