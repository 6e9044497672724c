// Encryption of health data (and any other secret of one user) before it reaches PostgreSQL:
// AES-256-GCM from node:crypto, a random 96-bit nonce per value, and the user's id as additional
// authenticated data, so that a value copied into another user's row fails to decrypt instead of
// showing one customer's results to another. A stored value names its key:
//
//   v1:<key id>:<base64url of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)>
//
// Usage, for any field of a user's row: `cipher.encrypt(text, userId)` before writing,
// `cipher.decrypt(stored, userId)` after reading, `cipher.keyIdOf(stored)` to see which key a
// value needs. The keys come from DATA_KEYS (config.ts), the first one current.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { DataKey } from '../config.js'

const VERSION = 'v1'
const NONCE_BYTES = 12
const TAG_BYTES = 16

export type SealedDataProblem = 'integrity' | 'unknown key' | 'malformed'

/**
 * A stored value that cannot be decrypted: it was moved from another user's row or altered
 * (integrity), its key is no longer in DATA_KEYS (unknown key), or it is not a sealed value at all.
 * The message names the user and the key id, never the data.
 */
export class SealedDataError extends Error {
  constructor (readonly problem: SealedDataProblem, readonly userId: number, readonly keyId: string | undefined) {
    super(problem === 'unknown key'
      ? `a value of user ${userId} is encrypted with key '${String(keyId)}', which DATA_KEYS does not hold`
      : problem === 'integrity'
        ? `a value of user ${userId} under key '${String(keyId)}' failed its integrity check (moved from another row, or altered)`
        : `a value of user ${userId} is not an encrypted value`)
    this.name = 'SealedDataError'
  }
}

export interface DataCipher {
  /** The id of the key new values are encrypted with: the first of DATA_KEYS. */
  readonly currentKeyId: string
  /** Every key id it can decrypt, the current one first. */
  readonly keyIds: readonly string[]
  /** Seals `plaintext` for the user `userId` under the current key. */
  encrypt: (plaintext: string, userId: number) => string
  /** Opens a value sealed for `userId`; throws SealedDataError when it was sealed for someone else, altered, or its key is gone. */
  decrypt: (stored: string, userId: number) => string
  /** The id of the key a stored value was sealed with (no decryption; undefined when it is not a sealed value). */
  keyIdOf: (stored: string) => string | undefined
}

const aad = (userId: number): Buffer => Buffer.from(`user:${userId}`)

export function createDataCipher (keys: DataKey[]): DataCipher {
  const byId = new Map(keys.map(({ id, key }) => [id, key]))
  const current = keys[0]

  const parse = (stored: string): { keyId: string, payload: string } | undefined => {
    const [version, keyId, payload, ...rest] = stored.split(':')
    if (version !== VERSION || payload === undefined || rest.length > 0) return undefined
    return { keyId, payload }
  }

  return {
    currentKeyId: current.id,
    keyIds: keys.map(({ id }) => id),

    encrypt (plaintext, userId) {
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = createCipheriv('aes-256-gcm', current.key, nonce).setAAD(aad(userId))
      const sealed = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${VERSION}:${current.id}:${sealed.toString('base64url')}`
    },

    decrypt (stored, userId) {
      const parsed = parse(stored)
      if (parsed === undefined) throw new SealedDataError('malformed', userId, undefined)
      const key = byId.get(parsed.keyId)
      if (key === undefined) throw new SealedDataError('unknown key', userId, parsed.keyId)
      const sealed = Buffer.from(parsed.payload, 'base64url')
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new SealedDataError('integrity', userId, parsed.keyId)
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES)).setAAD(aad(userId))
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      try {
        return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8')
      } catch {
        throw new SealedDataError('integrity', userId, parsed.keyId)
      }
    },

    keyIdOf (stored) {
      return parse(stored)?.keyId
    }
  }
}
