// The rules of the mailed links: verifying an address, resetting a password, changing the
// address. Each queues its mail in the transaction of the change, so a mail goes out exactly
// when its change was committed; the links' tokens are single-use and stored hashed.
import { createHash, randomBytes } from 'node:crypto'
import { badRequest } from '../http/errors.js'
import type { Database } from '../db/database.js'
import type { TokenPurpose } from '../db/email-tokens.js'
import { tables, type Tables } from '../db/tables.js'
import type { SessionDevice } from '../db/sessions.js'
import type { User } from '../schemas/user.js'

/** How long each kind of link works, in seconds. */
export const TOKEN_TTL: Record<TokenPurpose, number> = {
  verify_email: 24 * 3600,
  reset_password: 30 * 60,
  change_email: 24 * 3600
}

export const BAD_TOKEN = 'token is invalid or has expired'

/** 256 random bits for the link, and the SHA-256 that is stored: a dump of the table opens nothing. */
function newToken (): { token: string, tokenHash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashToken(token) }
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Queues a verification link to the user's address (in the caller's transaction). */
export async function queueVerification (t: Tables, userId: number): Promise<void> {
  const { token, tokenHash } = newToken()
  await t.emailTokens.issue({ tokenHash, userId, purpose: 'verify_email', ttlSeconds: TOKEN_TTL.verify_email })
  await t.outbox.queueForUser(userId, 'verify_email', { token })
}

export async function resendVerification (db: Database, userId: number): Promise<void> {
  await db.transaction(async (tx) => await queueVerification(tables(tx), userId))
}

/** The address the link went to is verified; 400 for any token that is not a live verification token. */
export async function confirmVerification (db: Database, token: string): Promise<User> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const found = await t.emailTokens.consume(hashToken(token), 'verify_email')
    // A link mailed to an address the account no longer has proves nothing about the new one.
    if (found === undefined || !await t.users.markVerified(found.userId, found.email)) throw badRequest(BAD_TOKEN)
    return await t.users.findById(found.userId) as User
  })
}

/**
 * A reset link to the account with this email, if there is one. An unknown address runs the very
 * same statements, which then write nothing: the answer takes as long either way. A new link
 * voids the older ones.
 */
export async function requestPasswordReset (db: Database, email: string): Promise<void> {
  const { token, tokenHash } = newToken()
  await db.transaction(async (tx) => {
    const t = tables(tx)
    const userId = await t.users.findIdByEmail(email) ?? null
    await t.emailTokens.revoke(userId, 'reset_password')
    await t.emailTokens.issue({ tokenHash, userId, purpose: 'reset_password', ttlSeconds: TOKEN_TTL.reset_password })
    await t.outbox.queueForUser(userId, 'reset_password', { token })
  })
}

/** The account a live reset token is for, the token left usable (a weak new password must not spend it). */
export async function passwordResetAccount (db: Database, token: string): Promise<User> {
  const found = await tables(db).emailTokens.find(hashToken(token), 'reset_password')
  const user = found === undefined ? undefined : await tables(db).users.findById(found.userId)
  if (user === undefined) throw badRequest(BAD_TOKEN)
  return user
}

/**
 * Sets the new password and spends the token; every session ends and a new one begins, the
 * address counts as verified (the link reached it) and the owner is told.
 */
export async function completePasswordReset (db: Database, token: string, passwordHash: string, ttlSeconds: number, maxSessions: number, device: SessionDevice): Promise<{ user: User, sessionId: string }> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const found = await t.emailTokens.consume(hashToken(token), 'reset_password')
    if (found === undefined) throw badRequest(BAD_TOKEN)
    await t.users.resetPassword(found.userId, passwordHash)
    await t.emailTokens.revoke(found.userId, 'reset_password')
    await t.sessions.revokeAll(found.userId)
    const session = await t.sessions.start(found.userId, ttlSeconds, maxSessions, device)
    await t.outbox.queueForUser(found.userId, 'password_reset_notice')
    await t.auditLog.record({ actorId: found.userId, action: 'user.update', targetId: found.userId, fields: ['password'] })
    return { user: await t.users.findById(found.userId) as User, sessionId: session.id }
  })
}

/**
 * A change of address waits for the new address's owner: a link to it, and a notice to the
 * current one (in the caller's transaction). A new request voids the older links.
 */
export async function queueEmailChange (t: Tables, userId: number, newEmail: string, sessionId: string | undefined): Promise<void> {
  const { token, tokenHash } = newToken()
  await t.emailTokens.revoke(userId, 'change_email')
  await t.emailTokens.issue({ tokenHash, userId, purpose: 'change_email', ttlSeconds: TOKEN_TTL.change_email, email: newEmail, sessionId })
  await t.outbox.queue({ template: 'email_change_confirm', recipient: newEmail, params: { token } })
  await t.outbox.queueForUser(userId, 'email_change_notice')
}

/**
 * The new address becomes the account's, verified; every other link of the account is void and
 * every session ends but the one that asked for the change. 409 when another account took the
 * address meanwhile (and then nothing changes).
 */
export async function confirmEmailChange (db: Database, token: string): Promise<User> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const found = await t.emailTokens.consume(hashToken(token), 'change_email')
    if (found === undefined) throw badRequest(BAD_TOKEN)
    await t.users.confirmEmail(found.userId, found.email)
    await t.emailTokens.revoke(found.userId)
    await t.sessions.revokeOthers(found.userId, found.sessionId ?? undefined)
    await t.auditLog.record({ actorId: found.userId, action: 'user.update', targetId: found.userId, fields: ['email'] })
    return await t.users.findById(found.userId) as User
  })
}
