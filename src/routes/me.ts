// "My account": the caller reads, changes and deletes their own account. Genetic results,
// policy and role are read-only here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { badRequest, unauthorized } from '../http/errors.js'
import { passwordProblem } from '../accounts/passwords.js'
import { profileChanges } from '../accounts/profile.js'
import { errors, noContent, ok, rateLimited } from '../schemas/responses.js'
import { DeleteMeBody, UpdateMeBody, User } from '../schemas/user.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import type { UserChanges } from '../db/users.js'
import { changeAccount, deleteAccount } from '../accounts/changes.js'
import { SESSION_ENDED } from '../plugins/app/auth.js'
import { foldEmail } from '../db/email-folding.js'

/** A session this young may delete its account without the password: the old clients delete right after logging in. */
export const RECENT_LOGIN_SECONDS = 5 * 60

const reauthenticationLimited = {
  ...rateLimited,
  description: 'Too many requests from this IP address (AUTH_RATE_LIMIT a minute, shared with signup and login), or this ' +
    'account is locked for this IP address after repeated failed logins or wrong `current_password`s. Retry after ' +
    'the number of seconds in Retry-After.'
}

const me: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  /**
   * Checks `current_password` as a login of the caller's account: the same lockout counter, so
   * a stolen token cannot guess the password, and the same 429 once locked, when the password
   * is not even checked.
   */
  const reauthenticate = async (request: FastifyRequest, password: string): Promise<void> => {
    await app.loginLockout.check(request)
    const hash = await app.data.users.findPasswordHash(request.account.id)
    if (!await app.passwords.verify(password, hash)) throw unauthorized('body/current_password is incorrect')
    await app.loginLockout.reset(request)
  }

  app.get('/', {
    schema: {
      operationId: 'getMe',
      summary: 'My account',
      description: 'The caller\'s profile, with the policy and genetic results an admin attached.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: { 200: ok(User, 'My account'), 400: errors[400], 401: errors[401], 503: errors[503] }
    }
  }, async (request) => request.account)

  const update = {
    config: { rateLimit: app.authRateLimit },
    schema: {
      summary: 'Change my account',
      description: 'Partial update: send only the fields to change. Changing `email` or `password` needs ' +
        '`current_password`, and a wrong one counts as a failed login of the account (the login lockout answers 429); ' +
        'a new password ends every other session. A new `email` is not the account\'s until the link ' +
        'mailed to it is followed: until then `email` stays and `pending_email` shows it. The current address is told of ' +
        'either change by mail.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: UpdateMeBody,
      response: {
        200: ok(User, 'My account, as changed'),
        400: errors[400],
        401: { ...errors[401], description: 'Missing, invalid, expired or revoked token, or a wrong `current_password`' },
        409: { ...errors[409], description: 'Another account has this email' },
        413: errors[413],
        415: errors[415],
        429: reauthenticationLimited,
        503: errors[503]
      }
    }
  }

  const updateHandler = async (request: FastifyRequest<{ Body: UpdateMeBody }>): Promise<User> => {
    const { body, account } = request
    // A new address is the account's once its owner follows the link mailed to it; the same
    // address in another case is the same mailbox, and changes at once.
    const sameAddress = body.email !== undefined && foldEmail(body.email) === foldEmail(account.email)
    const changes: UserChanges = {
      email: sameAddress ? body.email : undefined,
      pendingEmail: sameAddress ? undefined : body.email,
      ...profileChanges(body)
    }
    if (Object.keys(body).every((field) => field === 'current_password')) {
      // current_password alone changes nothing: refuse rather than touch modified_at and the audit log.
      throw badRequest('body must contain at least one field to change')
    }
    if (body.email !== undefined || body.password !== undefined) {
      if (body.current_password === undefined) throw badRequest('body/current_password is required to change email or password')
      await reauthenticate(request, body.current_password)
    }
    if (body.password !== undefined) {
      const problem = await passwordProblem(body.password, [
        body.email ?? account.email, changes.firstName ?? account.first_name, changes.lastName ?? account.last_name])
      if (problem !== undefined) throw badRequest(`body/${problem}`)
      changes.passwordHash = await app.passwords.hash(body.password)
    }
    const updated = await changeAccount(app.db, account.id, changes, { actorId: account.id, keepSessionId: request.sessionId })
    app.mail.kick()
    // Deleted (by themself elsewhere, or by an admin) since this request was authenticated.
    if (updated === undefined) throw unauthorized(SESSION_ENDED)
    return updated
  }

  app.put('/', { ...update, schema: { ...update.schema, operationId: 'putMe' } }, updateHandler)
  app.patch('/', { ...update, schema: { ...update.schema, operationId: 'updateMe' } }, updateHandler)

  app.delete('/', {
    config: { rateLimit: app.authRateLimit },
    // The body is optional: a session younger than 5 minutes needs none.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      operationId: 'deleteMe',
      summary: 'Delete my account',
      description: 'Deletes the account with its genetic data and every session. Needs `current_password`, ' +
        'except from a session that began less than 5 minutes ago (the body is then optional); a `current_password` ' +
        'that is sent is always checked, and a wrong one counts as a failed login.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: DeleteMeBody,
      'x-optional-body': true,
      response: {
        204: noContent('Deleted: the account, its genetic data and its sessions are gone'),
        400: { ...errors[400], description: 'Invalid input, or no `current_password` from a session older than 5 minutes' },
        401: { ...errors[401], description: 'Missing, invalid, expired or revoked token, or a wrong `current_password`' },
        409: { ...errors[409], description: 'The last admin cannot delete their own account' },
        413: errors[413],
        415: errors[415],
        429: reauthenticationLimited,
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const password = request.body.current_password
    if (password !== undefined) {
      await reauthenticate(request, password)
    } else if (!await app.data.sessions.isYoungerThan(request.sessionId, RECENT_LOGIN_SECONDS)) {
      throw badRequest('body/current_password is required to delete the account, except within 5 minutes of logging in')
    }
    // Already gone if deleted elsewhere since this request was authenticated: the outcome is the same.
    await deleteAccount(app.db, request.account.id, request.account.id)
    request.log.info({ userId: request.account.id }, 'user deleted their account')
    return await reply.code(204).send()
  })
}

export default me
