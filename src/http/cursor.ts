// Opaque keyset cursors: the position after which the next page starts. Opaque so that clients
// do not build them, and tagged so that a users cursor is not accepted by the audit log.
import { badRequest } from './errors.js'

export function encodeCursor (kind: 'users' | 'audit', id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url')
}

/** Ids are PostgreSQL integers: a larger one would be an out-of-range error, not an empty page. */
const MAX_ID = 2147483647

export function decodeCursor (kind: 'users' | 'audit', cursor: string): number {
  const match = new RegExp(`^${kind}:([1-9]\\d{0,9})$`).exec(Buffer.from(cursor, 'base64url').toString())
  const id = Number(match?.[1])
  if (!(id <= MAX_ID)) throw badRequest('querystring/cursor is not a cursor returned by this endpoint')
  return id
}
