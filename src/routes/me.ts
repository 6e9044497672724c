// "My account": the caller reads, changes and deletes their own account. Genetic results,
// policy and role are read-only here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { badRequest, unauthorized } from '../errors.js'
import { passwordProblem } from '../passwords.js'
import { checkDob, cleanName } from '../profile.js'
import { errors, noContent, ok } from '../schemas/responses.js'
import { UpdateMeBody, User } from '../schemas/user.js'
import { TOKEN_SECURITY } from '../plugins/docs.js'
import type { UserChanges } from '../db/users.js'
import { changeAccount, deleteAccount } from '../accounts.js'
import { SESSION_ENDED } from '../plugins/auth.js'

const me: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

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
    schema: {
      summary: 'Change my account',
      description: 'Partial update: send only the fields to change. Changing `email` or `password` needs ' +
        '`current_password`; a new password ends every other session. A new `email` is not the account\'s until the link ' +
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
        503: errors[503]
      }
    }
  }

  const updateHandler = async (request: { body: UpdateMeBody, account: User, sessionId: string }): Promise<User> => {
    const { body, account } = request
    // A new address is the account's once its owner follows the link mailed to it; the same
    // address in another case is the same mailbox, and changes at once.
    const sameAddress = body.email?.toLowerCase() === account.email.toLowerCase()
    const changes: UserChanges = {
      email: sameAddress ? body.email : undefined,
      pendingEmail: sameAddress ? undefined : body.email,
      firstName: body.first_name === undefined ? undefined : cleanName(body.first_name),
      lastName: body.last_name === undefined ? undefined : cleanName(body.last_name),
      dob: body.dob === undefined ? undefined : checkDob(body.dob)
    }
    if (Object.keys(body).every((field) => field === 'current_password')) {
      // current_password alone changes nothing: refuse rather than touch modified_at and the audit log.
      throw badRequest('body must contain at least one field to change')
    }
    if (body.email !== undefined || body.password !== undefined) {
      if (body.current_password === undefined) throw badRequest('body/current_password is required to change email or password')
      const hash = await app.data.users.findPasswordHash(account.id)
      if (!await app.passwords.verify(body.current_password, hash)) throw unauthorized('body/current_password is incorrect')
    }
    if (body.password !== undefined) {
      const problem = passwordProblem(body.password, [
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
    schema: {
      operationId: 'deleteMe',
      summary: 'Delete my account',
      description: 'Deletes the account with its genetic data and every session.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: {
        204: noContent('Deleted: the account, its genetic data and its sessions are gone'),
        400: errors[400],
        401: errors[401],
        409: { ...errors[409], description: 'The last admin cannot delete their own account' },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    // Already gone if deleted elsewhere since this request was authenticated: the outcome is the same.
    await deleteAccount(app.db, request.account.id, request.account.id)
    request.log.info({ userId: request.account.id }, 'user deleted their account')
    return await reply.code(204).send()
  })
}

export default me
