// What `make admin` does, wherever it runs: in its own process on the database, or inside the
// server that holds the embedded database (control-socket.ts).
import { changeAccount } from '../accounts/changes.js'
import type { Database } from '../db/database.js'
import { tables } from '../db/tables.js'

export type Role = 'admin' | 'user'

/** Gives the user with this email (any case) the role; resolves with what to tell the operator. */
export async function setRole (db: Database, email: string, role: Role): Promise<string> {
  const found = await tables(db).users.findByEmailWithHash(email)
  if (found === undefined) throw new Error(`no user with email ${email}: they must sign up first`)
  const { user } = found
  const named = (which: string): string => which === 'admin' ? 'an admin' : 'a user'
  if (user.role === role) return `${user.email} (id ${user.id}) is already ${named(role)}; nothing changed`
  await changeAccount(db, user.id, { role }, { actorId: null })
  const done = `${user.email} (id ${user.id}) is now ${named(role)} (was ${user.role})`
  // A passkey is a second factor too: logging in with one passes the admin gate.
  if (role !== 'admin' || user.mfa_enabled || await tables(db).passkeys.hasAny(user.id)) return done
  return `${done}\n${NO_SECOND_FACTOR}`
}

/** Told when the new admin has no second factor, which admin endpoints require where ADMIN_MFA=required. */
export const NO_SECOND_FACTOR = 'note: they have no second factor yet; with ADMIN_MFA=required (the default in production) every admin ' +
  'endpoint answers them 403 until they turn on two-factor authentication or add a passkey on their account page and log in with it'
