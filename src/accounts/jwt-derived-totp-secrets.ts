// TOTP secrets in the format they had before DATA_KEYS covered them, and the only module that
// knows it. They were AES-256-GCM (random 96-bit nonce, the user id as additional data) under a
// key derived from JWT_SECRET with HKDF-SHA-256 (label `dna-api totp secrets`), stored as
// `v1.<nonce>.<ciphertext>.<tag>` (each part base64url; the data cipher's values use `:`).
//
// Why it is still here: rows enrolled before the switch keep this format until `make rotate-keys`
// re-seals them under DATA_KEYS, and their owners must still log in meanwhile. When it can go:
// once every deployment has run `make rotate-keys` and `make rotate-keys CHECK=1` shows no TOTP
// secret under `jwt-derived`; then routes pass `app.dataCipher` itself where they pass
// `totpSecrets(…)`, and the rotation no longer needs JWT_SECRET.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { SealedDataError, type DataCipher } from '../db/data-cipher.js'

/** What seals and opens a user's TOTP secret: the data cipher's `encrypt` and `decrypt`. */
export type TotpSecretCipher = Pick<DataCipher, 'encrypt' | 'decrypt'>

/** The key id `make rotate-keys CHECK=1` reports for this format, and SealedDataError names. */
export const JWT_DERIVED = 'jwt-derived'

const aad = (userId: number): Buffer => Buffer.from(`user:${userId}`)
const keyOf = (jwtSecret: string): Buffer => Buffer.from(hkdfSync('sha256', jwtSecret, '', 'dna-api totp secrets', 32))

/** Whether a stored secret is in this format (its version and separator), without opening it. */
export const isJwtDerived = (stored: string): boolean => stored.startsWith('v1.')

/**
 * Seals in this format. The service no longer writes it: the tests use it to store a secret as an
 * enrolment before the switch did.
 */
export function sealJwtDerived (jwtSecret: string, plaintext: string, userId: number): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyOf(jwtSecret), nonce).setAAD(aad(userId))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return ['v1', ...[nonce, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.')
}

/** Opens a value of this format; SealedDataError ('integrity') when it is another user's, altered, or JWT_SECRET changed. */
function openJwtDerived (key: Buffer, stored: string, userId: number): string {
  const [, nonce, ciphertext, tag] = stored.split('.')
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url')).setAAD(aad(userId))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    throw new SealedDataError('integrity', userId, JWT_DERIVED)
  }
}

/**
 * The TOTP secrets' cipher: new secrets sealed by the data cipher (DATA_KEYS); a stored one opened
 * by it, or, in the old format, with the key from JWT_SECRET.
 */
export function totpSecrets (cipher: DataCipher, jwtSecret: string): TotpSecretCipher {
  const key = keyOf(jwtSecret)
  return {
    encrypt: (plaintext, userId) => cipher.encrypt(plaintext, userId),
    decrypt: (stored, userId) => isJwtDerived(stored) ? openJwtDerived(key, stored, userId) : cipher.decrypt(stored, userId)
  }
}
