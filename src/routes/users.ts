// User management for admins: list, read, change, delete, and attach genetic results and
// policy numbers. A user may read their own record here too. Every admin read of another user
// and every change is written to the audit log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { changeAccount, deleteAccount } from '../accounts/changes.js'
import { decodeCursor, encodeCursor } from '../http/cursor.js'
import { badRequest, conflict, forbidden, notFound } from '../http/errors.js'
import { checkDob, cleanName } from '../accounts/profile.js'
import { tables } from '../db/tables.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import { AdminUpdateBody, GeneticsBody, ListUsersQuery, MAX_GENETIC_RESULT_BYTES, UserIdParams, UserPage } from '../schemas/admin.js'
import { errors, noContent, ok } from '../schemas/responses.js'
import { User } from '../schemas/user.js'

const ADMIN_ONLY = '**Admin only** (403 for other users).'
const forbiddenForUsers = { ...errors[403], description: 'The caller is not an admin' }

const users: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'listUsers',
      summary: 'List users',
      description: `${ADMIN_ONLY} Pages in id order with a cursor: pass \`next_cursor\` back as \`cursor\` until it is null. ` +
        'Users who sign up during the walk appear on a later page; none is missed or repeated. ' +
        'No health data: each user says only whether genetic results and a policy number are attached ' +
        '(`has_genetic_result`, `has_policy`); GET /api/v1/users/{id} reads them, and the audit log records that read.',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      querystring: ListUsersQuery,
      response: { 200: ok(UserPage, 'A page of users, in id order'), 400: errors[400], 401: errors[401], 403: forbiddenForUsers, 503: errors[503] }
    }
  }, async (request) => {
    const { limit = 20, cursor, email } = request.query
    const afterId = cursor === undefined ? 0 : decodeCursor('users', cursor)
    // One more than asked tells whether a next page exists.
    const found = await app.data.users.page({ afterId, email, limit: limit + 1 })
    const page = found.slice(0, limit)
    await app.data.auditLog.record({ actorId: request.account.id, action: 'users.list', targetId: null })
    return { users: page, next_cursor: found.length > limit ? encodeCursor('users', page[page.length - 1].id) : null }
  })

  app.get('/:id', {
    schema: {
      operationId: 'getUser',
      summary: 'Read a user',
      description: 'For an admin, or for the user themself (anyone else gets 403, whether or not the id exists).',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      response: {
        200: ok(User, 'The user'),
        400: errors[400],
        401: errors[401],
        403: { ...errors[403], description: 'Neither an admin nor this user' },
        404: errors[404],
        503: errors[503]
      }
    }
  }, async (request) => {
    const { id } = request.params
    const { account } = request
    if (id === account.id) return account
    if (account.role !== 'admin') throw forbidden('you can only read your own account')
    await app.requireAdmin(request)
    const user = await app.data.users.findById(id)
    if (user === undefined) throw notFound(`no user with id ${id}`)
    await app.data.auditLog.record({ actorId: account.id, action: 'user.read', targetId: id })
    return user
  })

  app.patch('/:id', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'updateUser',
      summary: 'Change a user',
      description: `${ADMIN_ONLY} Partial update of the profile and the role. Demoting the last admin is refused (409).`,
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      body: AdminUpdateBody,
      response: {
        200: ok(User, 'The user, as changed'),
        400: errors[400],
        401: errors[401],
        403: forbiddenForUsers,
        404: errors[404],
        409: { ...errors[409], description: 'Email taken, or the last admin would be demoted' },
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request) => {
    const { id } = request.params
    const { body } = request
    const user = await changeAccount(app.db, id, {
      email: body.email,
      firstName: body.first_name === undefined ? undefined : cleanName(body.first_name),
      lastName: body.last_name === undefined ? undefined : cleanName(body.last_name),
      dob: body.dob === undefined ? undefined : checkDob(body.dob),
      role: body.role
    }, { actorId: request.account.id })
    if (user === undefined) throw notFound(`no user with id ${id}`)
    return user
  })

  app.delete('/:id', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'deleteUser',
      summary: 'Delete a user',
      description: `${ADMIN_ONLY} Deletes the user with their genetic data and sessions: their tokens stop working at once. ` +
        'An admin cannot delete their own account when they are the last admin (409).',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      response: {
        204: noContent('Deleted: the user, their genetic data and their sessions are gone'),
        400: errors[400],
        401: errors[401],
        403: forbiddenForUsers,
        404: errors[404],
        409: { ...errors[409], description: 'The last admin cannot be deleted' },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const { id } = request.params
    if (!await deleteAccount(app.db, id, request.account.id)) throw notFound(`no user with id ${id}`)
    return await reply.code(204).send()
  })

  app.put('/:id/genetics', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'setGenetics',
      summary: 'Set a user\'s genetic results and policy',
      description: `${ADMIN_ONLY} Creates or replaces the user's genetic profile, recording who changed it and when. ` +
        'The user sees it in GET /api/v1/users/me. The audit log records the change, not the values.',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      body: GeneticsBody,
      response: {
        200: ok(User, 'The user, with their new genetic results and policy'),
        400: errors[400],
        401: errors[401],
        403: forbiddenForUsers,
        404: errors[404],
        409: { ...errors[409], description: '`email not verified`: the account\'s address is not verified yet' },
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request) => {
    const { id } = request.params
    const { genetic_result: geneticResult, policy } = request.body
    const bytes = Buffer.byteLength(JSON.stringify(geneticResult))
    if (bytes > MAX_GENETIC_RESULT_BYTES) {
      throw badRequest(`body/genetic_result must be at most ${MAX_GENETIC_RESULT_BYTES / 1024} KiB as JSON (it has ${bytes} bytes)`)
    }
    return await app.db.transaction(async (tx) => {
      const t = tables(tx)
      // The address ties the account to the person whose sample it is.
      if ((await t.users.findById(id))?.email_verified === false) throw conflict('email not verified')
      await t.geneticProfiles.put(id, { policy, geneticResult }, request.account.id)
      await t.auditLog.record({ actorId: request.account.id, action: 'genetics.update', targetId: id, fields: ['genetic_result', 'policy'] })
      return await t.users.findById(id) as User
    })
  })
}

export default users
