// The audit log, for admins: newest first, with a cursor, optionally about one user.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import { AuditPage, AuditQuery } from '../schemas/audit.js'
import { errors, ok } from '../schemas/responses.js'

const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    onRequest: app.authenticate,
    preHandler: app.requireAdmin,
    schema: {
      operationId: 'listAudit',
      summary: 'Read the audit log',
      description: '**Admin only** (403 for other users). Admin reads of other users and every change to a user, a role ' +
        'or a genetic profile, newest first: when, who, what, to whom, and which fields (never their values), ' +
        'with the names of who and to whom as they are now. `user_id` keeps the entries about one user, `actor_id` those of what one user did. ' +
        'Pass `next_cursor` back as `cursor` for older entries.',
      tags: ['admin'],
      security: TOKEN_SECURITY,
      querystring: AuditQuery,
      response: {
        200: ok(AuditPage, 'A page of entries, newest first'),
        400: errors[400],
        401: errors[401],
        403: { ...errors[403], description: 'The caller is not an admin' },
        503: errors[503]
      }
    }
  }, async (request) => {
    const { limit = 20, cursor, user_id: targetId, actor_id: actorId } = request.query
    const beforeId = cursor === undefined ? undefined : decodeCursor('audit', cursor)
    const { rows, nextCursor } = keysetPage('audit', await app.data.auditLog.page({ beforeId, targetId, actorId, limit: limit + 1 }), limit)
    return { entries: rows, next_cursor: nextCursor }
  })
}

export default audit
