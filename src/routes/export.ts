// The customer's own export: a JSON download of everything held about the caller.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { exportAccount } from '../accounts/export.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import { AccountExport } from '../schemas/export.js'
import { errors, ok } from '../schemas/responses.js'

const accountExport: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    onRequest: app.authenticate,
    schema: {
      operationId: 'exportMe',
      summary: 'Download my data',
      description: 'Everything held about the caller, as a JSON file (`Content-Disposition: attachment`): the profile, the genetic ' +
        'profile, the live sessions (without tokens), the passkeys, and every audit entry about the account, oldest first, with ' +
        'the name and role of whoever read or changed it.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: {
        200: {
          ...ok(AccountExport, 'The export, as a file to save'),
          headers: { 'content-disposition': { type: 'string', description: 'attachment; filename="dna-api-export-<id>-<date>.json"' } }
        },
        400: errors[400],
        401: errors[401],
        409: { ...errors[409], description: 'The stored health data failed its integrity check (logged); nothing is exported' },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const document = await exportAccount(app.data, request.account, request.sessionId)
    const filename = `dna-api-export-${request.account.id}-${document.exported_at.slice(0, 10)}.json`
    return await reply.header('content-disposition', `attachment; filename="${filename}"`).header('cache-control', 'no-store').send(document)
  })
}

export default accountExport
