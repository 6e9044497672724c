// "My sessions": every live login of the caller's account, and ending one of them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../http/errors.js'
import { errors, noContent, ok } from '../schemas/responses.js'
import { SessionIdParams, SessionList } from '../schemas/mfa.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'

const sessions: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', {
    schema: {
      operationId: 'listMySessions',
      summary: 'My sessions',
      description: 'Every live session of the account, the most recently used first: when it began, when it was last ' +
        'used (to within 5 minutes), the user agent and client address of its login, the second factor it gave, and ' +
        '`current: true` for the one making this request.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: { 200: ok(SessionList, 'My live sessions'), 400: errors[400], 401: errors[401], 503: errors[503] }
    }
  }, async (request) => {
    const rows = await app.data.sessions.listLive(request.account.id)
    return {
      sessions: rows.map(({ client_ip: ip, ...row }) => ({ ...row, ip, current: row.id === request.sessionId }))
    }
  })

  app.delete('/:id', {
    schema: {
      operationId: 'endMySession',
      summary: 'End one of my sessions',
      description: 'Logs that session out at once (its token stops working on every instance). Ending the calling ' +
        'session is the same as logging out. Another account\'s session id is a 404, as is an unknown one.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      params: SessionIdParams,
      response: {
        204: noContent('Ended'),
        400: errors[400],
        401: errors[401],
        404: { ...errors[404], description: 'No live session of this account has this id' },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    if (!await app.data.sessions.revokeOwn(request.account.id, request.params.id)) throw notFound(`no session of yours with id ${request.params.id}`)
    return await reply.code(204).send()
  })
}

export default sessions
