// The one place the TOTP secrets are encrypted and decrypted. AES-256-GCM with a random 96-bit
// nonce per value and the user id as additional authenticated data, so a ciphertext copied to
// another account's row fails to decrypt. The key is derived from JWT_SECRET (HKDF-SHA-256, its
// own label): replacing JWT_SECRET makes every enrolled secret unreadable, and those accounts
// must enrol again. Only this module knows where the key comes from.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

export interface SecretBox {
  /** `v1.<nonce>.<ciphertext>.<tag>`, each part base64url. */
  encrypt: (plaintext: string, userId: number) => string
  /** Throws when the value was not encrypted under this key for this user, or was altered. */
  decrypt: (stored: string, userId: number) => string
}

const VERSION = 'v1'

export function totpSecretBox (jwtSecret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', jwtSecret, '', 'dna-api totp secrets', 32))
  const aad = (userId: number): Buffer => Buffer.from(`user:${userId}`)
  return {
    encrypt (plaintext, userId) {
      const nonce = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad(userId))
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [VERSION, nonce, ciphertext, cipher.getAuthTag()].map((part) => typeof part === 'string' ? part : part.toString('base64url')).join('.')
    },
    decrypt (stored, userId) {
      const [version, nonce, ciphertext, tag] = stored.split('.')
      if (version !== VERSION || tag === undefined) throw new Error('not an encrypted TOTP secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url')).setAAD(aad(userId))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
    }
  }
}
