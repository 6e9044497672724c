// Opaque keyset cursors: the position after which the next page starts. Opaque so that clients
// do not build them, and tagged so that a users cursor is not accepted by the audit log.
import { badRequest } from './errors.js'

export type CursorKind = 'users' | 'audit'

export function encodeCursor (kind: CursorKind, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url')
}

/** Ids are PostgreSQL integers: a larger one would be an out-of-range error, not an empty page. */
const MAX_ID = 2147483647

export function decodeCursor (kind: CursorKind, cursor: string): number {
  const match = new RegExp(`^${kind}:([1-9]\\d{0,9})$`).exec(Buffer.from(cursor, 'base64url').toString())
  const id = Number(match?.[1])
  if (!(id <= MAX_ID)) throw badRequest('querystring/cursor is not a cursor returned by this endpoint')
  return id
}

/**
 * A page out of rows fetched with a limit of `limit + 1`: the extra row, when there is one, only
 * tells that a next page exists, and the cursor points after the page's last row.
 */
export function keysetPage<Row extends { id: number }> (kind: CursorKind, found: Row[], limit: number): { rows: Row[], nextCursor: string | null } {
  const rows = found.slice(0, limit)
  return { rows, nextCursor: found.length > limit ? encodeCursor(kind, rows[rows.length - 1].id) : null }
}
