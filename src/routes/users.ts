// User management for admins: list, read, change, delete, and attach genetic results and
// policy numbers. A user may read their own record here too. Every admin read of another user
// and every change is written to the audit log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { changeAccount, deleteAccount } from '../accounts/changes.js'
import { readForStaff, writeGeneticProfile, type GeneticsEdit } from '../accounts/genetics.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { CHANGED_MEANWHILE, geneticProfileTag, ifMatchAllows } from '../http/etag.js'
import { badRequest, conflict, forbidden, notFound, preconditionFailed } from '../http/errors.js'
import { profileChanges } from '../accounts/profile.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import {
  AdminUpdateBody, AdminUser, GeneticsBody, GeneticsPatchBody, IfMatchHeaders, ListUsersQuery, MAX_GENETIC_RESULT_BYTES, UserIdParams, UserPage
} from '../schemas/users.js'
import { errors, noContent, ok } from '../schemas/responses.js'
import { User } from '../schemas/user.js'

const ADMIN_ONLY = '**Admin only** (403 for other users).'
const forbiddenForUsers = { ...errors[403], description: 'The caller is not an admin' }

/** An admin's answer about one user, with the entity tag of their genetic profile. */
const withTag = (description: string) => ({
  ...ok(AdminUser, description),
  headers: { etag: { type: 'string', description: 'The version of the genetic profile: send it back as If-Match with a change of it' } }
})

const geneticsErrors = {
  400: errors[400],
  401: errors[401],
  403: forbiddenForUsers,
  404: errors[404],
  409: { ...errors[409], description: '`email not verified`: the account\'s address is not verified yet' },
  412: errors[412],
  413: errors[413],
  415: errors[415],
  503: errors[503]
}

function checkResultSize (geneticResult: object): void {
  const bytes = Buffer.byteLength(JSON.stringify(geneticResult))
  if (bytes > MAX_GENETIC_RESULT_BYTES) {
    throw badRequest(`body/genetic_result must be at most ${MAX_GENETIC_RESULT_BYTES / 1024} KiB as JSON (it has ${bytes} bytes)`)
  }
}

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
    const { rows, nextCursor } = keysetPage('users', await app.data.users.page({ afterId, email, limit: limit + 1 }), limit)
    await app.data.auditLog.record({ actorId: request.account.id, action: 'users.list', targetId: null })
    return { users: rows, next_cursor: nextCursor }
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
        200: withTag('The user; for an admin, with their live sessions and who changed their genetic profile last, and when'),
        400: errors[400],
        401: errors[401],
        403: { ...errors[403], description: 'Neither an admin nor this user' },
        404: errors[404],
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const { id } = request.params
    const { account } = request
    if (account.role !== 'admin') {
      if (id === account.id) return account
      throw forbidden('you can only read your own account')
    }
    // Another's account is read as staff, behind the second-factor gate; one's own is not.
    if (id !== account.id) await app.requireAdmin(request)
    const view = await readForStaff(app.data, id)
    if (view === undefined) throw notFound(`no user with id ${id}`)
    if (id !== account.id) await app.data.auditLog.record({ actorId: account.id, action: 'user.read', targetId: id })
    reply.header('etag', geneticProfileTag(id, view.version))
    return view.user
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
      ...profileChanges(body),
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

  /** Writes the genetic profile, if If-Match allows, and answers the user with the profile's new tag. */
  async function writeGenetics (id: number, edit: GeneticsEdit, actorId: number, ifMatch: string | undefined, reply: FastifyReply): Promise<AdminUser> {
    const write = await writeGeneticProfile(app.db, id, edit, {
      actorId,
      allows: (version) => ifMatchAllows(ifMatch, geneticProfileTag(id, version))
    })
    if (write.outcome === 'missing') throw notFound(`no user with id ${id}`)
    if (write.outcome === 'unverified') throw conflict('email not verified')
    if (write.outcome === 'stale') throw preconditionFailed(CHANGED_MEANWHILE)
    reply.header('etag', geneticProfileTag(id, write.view.version))
    return write.view.user
  }

  app.put('/:id/genetics', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'setGenetics',
      summary: 'Set a user\'s genetic results and policy',
      description: `${ADMIN_ONLY} Creates or replaces the user's genetic profile, recording who changed it and when. ` +
        'The user sees it in GET /api/v1/users/me. The audit log records the change, not the values. ' +
        'With If-Match, refused (412) when the profile has changed since that version.',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      headers: IfMatchHeaders,
      body: GeneticsBody,
      response: { 200: withTag('The user, with their new genetic results and policy'), ...geneticsErrors }
    }
  }, async (request, reply) => {
    const { genetic_result: geneticResult, policy } = request.body
    checkResultSize(geneticResult)
    return await writeGenetics(request.params.id, { replace: { geneticResult, policy } }, request.account.id, request.headers['if-match'], reply)
  })

  app.patch('/:id/genetics', {
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'changeGenetics',
      summary: 'Set a user\'s genetic results or policy, each on its own',
      description: `${ADMIN_ONLY} Sets or replaces the fields sent (\`genetic_result\`, \`policy\` or both) and keeps the other, ` +
        'recording who changed them and when; the audit log names the fields changed, not their values. ' +
        'With If-Match, refused (412) when the profile has changed since that version.',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      params: UserIdParams,
      headers: IfMatchHeaders,
      body: GeneticsPatchBody,
      response: { 200: withTag('The user, with their genetic results and policy as they now are'), ...geneticsErrors }
    }
  }, async (request, reply) => {
    const { genetic_result: geneticResult, policy } = request.body
    if (geneticResult !== undefined) checkResultSize(geneticResult)
    return await writeGenetics(request.params.id, { change: { geneticResult, policy } }, request.account.id, request.headers['if-match'], reply)
  })
}

export default users
