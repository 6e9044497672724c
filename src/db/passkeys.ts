// The passkeys table: the WebAuthn credentials each account can log in with.
import type { Queryable } from './database.js'

/** What the owner is shown of a passkey. */
export interface PasskeyListing {
  id: string
  name: string
  created_at: string
  last_used_at: string | null
}

/** What a login needs to check an assertion. */
export interface StoredCredential {
  id: string
  userId: number
  email: string
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
}

export interface NewPasskey {
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
  name: string
}

const LISTING = 'id, name, created_at, last_used_at'

export function passkeysTable (db: Queryable) {
  return {
    /** The new passkey, or undefined when that credential is already registered (to anyone). */
    async add (userId: number, passkey: NewPasskey): Promise<PasskeyListing | undefined> {
      const { rows } = await db.query<PasskeyListing>(
        `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, name)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (credential_id) DO NOTHING
         RETURNING ${LISTING}`,
        [userId, passkey.credentialId, passkey.publicKey, passkey.counter, passkey.transports, passkey.name])
      return rows[0]
    },

    /** The account's passkeys, oldest first. */
    async list (userId: number): Promise<PasskeyListing[]> {
      const { rows } = await db.query<PasskeyListing>(
        `SELECT ${LISTING} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, [userId])
      return rows
    },

    async hasAny (userId: number): Promise<boolean> {
      const { rows } = await db.query('SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1', [userId])
      return rows.length > 0
    },

    /** The credential ids of the account's passkeys (for `excludeCredentials`). */
    async credentialIds (userId: number): Promise<Array<{ credentialId: string, transports: string[] }>> {
      const { rows } = await db.query<{ credentialId: string, transports: string[] }>(
        'SELECT credential_id AS "credentialId", transports FROM passkeys WHERE user_id = $1 ORDER BY created_at, id', [userId])
      return rows
    },

    async findByCredentialId (credentialId: string): Promise<StoredCredential | undefined> {
      const { rows } = await db.query<StoredCredential & { counter: string }>(
        `SELECT p.id, p.user_id AS "userId", u.email, p.credential_id AS "credentialId", p.public_key AS "publicKey",
                p.counter::text AS counter, p.transports
           FROM passkeys p JOIN users u ON u.id = p.user_id
          WHERE p.credential_id = $1`, [credentialId])
      return rows.map((row) => ({ ...row, counter: Number(row.counter) }))[0]
    },

    /** A login with the passkey: its authenticator's new signature counter, and when. */
    async recordUse (id: string, counter: number): Promise<void> {
      await db.query('UPDATE passkeys SET counter = $2, last_used_at = now() WHERE id = $1', [id, counter])
    },

    /** False when the account has no such passkey. */
    async remove (userId: number, id: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM passkeys WHERE id = $1 AND user_id = $2', [id, userId])
      return rowCount > 0
    }
  }
}
