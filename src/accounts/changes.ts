// Changes to an account that must happen together: the change itself, the sessions it ends,
// the rule that the service keeps at least one admin, and the audit entry. Shared by the
// customer's own routes, the admin routes and the command line.
import { createHash } from 'node:crypto'
import { conflict } from '../http/errors.js'
import { queueEmailChange } from './mailed-links.js'
import type { Database } from '../db/database.js'
import { tables, type Tables } from '../db/tables.js'
import type { SessionDevice } from '../db/sessions.js'
import type { UserChanges } from '../db/users.js'
import { EmailTaken } from '../db/errors.js'
import type { User } from '../schemas/user.js'

const FIELD_NAMES: Record<keyof UserChanges, string> = {
  email: 'email',
  passwordHash: 'password',
  firstName: 'first_name',
  lastName: 'last_name',
  dob: 'dob',
  role: 'role',
  pendingEmail: 'pending_email'
}

/** The API names of the fields a change sets, for the audit log (never their values). */
export function changedFields (changes: UserChanges): string[] {
  return (Object.keys(FIELD_NAMES) as Array<keyof UserChanges>)
    .filter((key) => changes[key] !== undefined)
    .map((key) => FIELD_NAMES[key])
}

export const LAST_ADMIN = 'this is the last admin account: make another user an admin first'

export interface ChangeOptions {
  /** Who makes the change: the user themself, an admin, or null for the command line. */
  actorId: number | null
  /** On a password or email change, the session that stays logged in (the one making the change). */
  keepSessionId?: string
}

/** Applies `changes`; undefined when the user does not exist. 409 when it would leave no admin. */
export async function changeAccount (db: Database, userId: number, changes: UserChanges, options: ChangeOptions): Promise<User | undefined> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    if (changes.role === 'user') {
      const standing = await t.users.adminStanding(userId)
      if (standing?.isAdmin === true && standing.otherAdmins === 0) throw conflict(LAST_ADMIN)
    }
    if (changes.pendingEmail !== undefined) {
      const owner = await t.users.findIdByEmail(changes.pendingEmail)
      if (owner !== undefined && owner !== userId) throw new EmailTaken()
    }
    const user = await t.users.update(userId, changes)
    if (user === undefined) return undefined
    // A new password or email ends every other session: whoever knew the old password, or took the
    // account over to point it at an address of theirs, is logged out everywhere else.
    if (changes.passwordHash !== undefined || changes.email !== undefined) await t.sessions.revokeOthers(userId, options.keepSessionId)
    if (changes.passwordHash !== undefined) await t.outbox.queueForUser(userId, 'password_changed')
    if (changes.pendingEmail !== undefined) await queueEmailChange(t, userId, changes.pendingEmail, options.keepSessionId)
    await t.auditLog.record({ actorId: options.actorId, action: 'user.update', targetId: userId, fields: changedFields(changes) })
    return user
  })
}

/** The device of a login, for the known_devices table: its user agent and address, hashed together. */
export function deviceHash (device: SessionDevice): string {
  return createHash('sha256').update(`${device.userAgent ?? ''}\n${device.clientIp}`).digest('hex')
}

/**
 * Starts a session of the user; their oldest ends when they would have more than `maxLive` live
 * ones. A device (user agent and IP) the account has not logged in from before gets a notice
 * mailed, in the same transaction. `notice: false` only remembers the device (a signup).
 */
export async function startSessionIn (t: Tables, userId: number, ttlSeconds: number, maxLive: number, device: SessionDevice, notice = true): Promise<{ id: string }> {
  const session = await t.sessions.start(userId, ttlSeconds, maxLive, device)
  if (await t.knownDevices.remember(userId, deviceHash(device)) && notice) await t.outbox.queueForUser(userId, 'new_device_login')
  return session
}

export async function startSession (db: Database, userId: number, ttlSeconds: number, maxLive: number, device: SessionDevice): Promise<{ id: string }> {
  return await db.transaction(async (tx) => await startSessionIn(tables(tx), userId, ttlSeconds, maxLive, device))
}

/** Deletes the account with its sessions and genetic data; false when it was already gone. 409 for the last admin. */
export async function deleteAccount (db: Database, userId: number, actorId: number | null): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const standing = await t.users.adminStanding(userId)
    if (standing === undefined) return false
    if (standing.isAdmin && standing.otherAdmins === 0) throw conflict(LAST_ADMIN)
    await t.users.remove(userId)
    await t.auditLog.record({ actorId, action: 'user.delete', targetId: userId })
    return true
  })
}
